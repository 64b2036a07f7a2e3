package jobs

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/internal/seal"
	"github.com/senda-platform/senda/internal/store"
)

// Channels a message can go out on.
var Channels = []string{"sms", "email", "whatsapp"}

// Outgoing is a message as a sender sees it, opened.
type Outgoing struct {
	ID        string            `json:"id"`
	Channel   string            `json:"channel"`
	Recipient string            `json:"recipient"`
	Language  string            `json:"language"`
	Template  string            `json:"template"`
	Params    map[string]string `json:"params"`
}

// Sender delivers a message through a gateway.
type Sender interface {
	Name() string
	Send(ctx context.Context, m Outgoing) error
}

// Outbox queues messages in the caller's transaction and sends them from a
// job, so a message is queued exactly when the change that caused it commits.
type Outbox struct {
	db     *store.DB
	keys   *seal.Keyring
	sender Sender
}

// SendKind is the job kind that sends one message.
const SendKind = "outbox.send"

// NewOutbox returns an outbox that sends through sender and registers its job
// handler on r.
func NewOutbox(db *store.DB, keys *seal.Keyring, sender Sender, r *Runner) *Outbox {
	o := &Outbox{db: db, keys: keys, sender: sender}
	if r != nil {
		r.Handle(SendKind, o.handle)
	}
	return o
}

// Queue stores m sealed and enqueues its sending, inside tx. It returns the
// message id.
func (o *Outbox) Queue(ctx context.Context, tx *store.Tx, m Outgoing) (string, error) {
	var fields []senda.FieldError
	if !contains(Channels, m.Channel) {
		fields = append(fields, senda.FieldError{Location: "channel", Key: "outbox.channel"})
	}
	if m.Recipient == "" {
		fields = append(fields, senda.FieldError{Location: "recipient", Key: "validation.required"})
	}
	if m.Template == "" {
		fields = append(fields, senda.FieldError{Location: "template", Key: "validation.required"})
	}
	if len(fields) > 0 {
		return "", &senda.Error{Code: senda.CodeInvalid, Key: "error.invalid", Fields: fields}
	}
	id := store.NewID()
	params, _ := json.Marshal(m.Params)
	err := tx.QueueMessage(ctx, store.Message{ID: id, Channel: m.Channel, Language: m.Language, Template: m.Template,
		Recipient: o.keys.Seal([]byte(m.Recipient), "outbox.recipient/"+id),
		Params:    o.keys.Seal(params, "outbox.params/"+id)})
	if err != nil {
		return "", err
	}
	payload, _ := json.Marshal(map[string]string{"message": id})
	_, err = tx.EnqueueJob(ctx, store.Job{Kind: SendKind, Payload: string(payload), UniqueKey: "outbox:" + id, MaxAttempts: 8})
	return id, err
}

// Open returns a stored message with its recipient and parameters opened.
func (o *Outbox) Open(m store.Message) (Outgoing, error) {
	out := Outgoing{ID: m.ID, Channel: m.Channel, Language: m.Language, Template: m.Template}
	rcpt, err := o.keys.Open(m.Recipient, "outbox.recipient/"+m.ID)
	if err != nil {
		return out, senda.Wrap(err, "outbox.sealed")
	}
	params, err := o.keys.Open(m.Params, "outbox.params/"+m.ID)
	if err != nil {
		return out, senda.Wrap(err, "outbox.sealed")
	}
	out.Recipient = string(rcpt)
	if err := json.Unmarshal(params, &out.Params); err != nil {
		return out, senda.Wrap(err, "outbox.sealed")
	}
	return out, nil
}

// List returns the newest messages, opened; for administrators and tests.
func (o *Outbox) List(ctx context.Context, limit int) ([]Outgoing, []store.Message, error) {
	msgs, err := o.db.ListMessages(ctx, limit)
	if err != nil {
		return nil, nil, err
	}
	out := make([]Outgoing, 0, len(msgs))
	for _, m := range msgs {
		g, err := o.Open(m)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, g)
	}
	return out, msgs, nil
}

func (o *Outbox) handle(ctx context.Context, payload string) error {
	var p struct {
		Message string `json:"message"`
	}
	if err := json.Unmarshal([]byte(payload), &p); err != nil {
		return senda.Wrap(err, "outbox.payload")
	}
	m, err := o.db.GetMessage(ctx, p.Message)
	if err != nil {
		return err
	}
	if m.Status == "sent" {
		return nil // sent before a crash; never send twice
	}
	g, err := o.Open(m)
	if err != nil {
		return err
	}
	if err := o.sender.Send(ctx, g); err != nil {
		o.db.MarkMessage(ctx, m.ID, "queued", o.sender.Name(), string(senda.ErrorCode(err)))
		return err
	}
	return o.db.MarkMessage(ctx, m.ID, "sent", o.sender.Name(), "")
}

// DevSender records messages instead of sending them: the outbox row itself,
// marked sent by "dev", is the record that administrators and tests read.
type DevSender struct{}

// Name implements Sender.
func (DevSender) Name() string { return "dev" }

// Send implements Sender.
func (DevSender) Send(context.Context, Outgoing) error { return nil }

// WebhookSender posts each message as JSON to a gateway URL, signed with
// HMAC-SHA256 of the body in the X-Senda-Signature header.
type WebhookSender struct {
	URL    string
	Secret []byte
	Client *http.Client
}

// Name implements Sender.
func (w *WebhookSender) Name() string { return "webhook" }

// Send implements Sender. A 2xx answer means delivered; anything else is
// retried.
func (w *WebhookSender) Send(ctx context.Context, m Outgoing) error {
	body, _ := json.Marshal(m)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return senda.Wrap(err, "outbox.webhook")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", m.ID)
	mac := hmac.New(sha256.New, w.Secret)
	mac.Write(body)
	req.Header.Set("X-Senda-Signature", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	c := w.Client
	if c == nil {
		c = &http.Client{Timeout: 15 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return &senda.Error{Code: senda.CodeUnavailable, Key: "outbox.webhook", Err: err}
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return &senda.Error{Code: senda.CodeUnavailable, Key: "outbox.webhook", Err: fmt.Errorf("gateway answered %d", resp.StatusCode)}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
