package store

import (
	"context"
	"database/sql"
	"time"
)

// Message is one outgoing message. Recipient and Params are personal data:
// the caller seals them; the store keeps only the sealed bytes.
type Message struct {
	ID        string
	Channel   string
	Recipient []byte
	Language  string
	Template  string
	Params    []byte
	Status    string
	Sender    string
	Attempts  int
	LastError string
	CreatedAt time.Time
	SentAt    time.Time
}

// QueueMessage stores a message inside tx.
func (tx *Tx) QueueMessage(ctx context.Context, m Message) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO outbox (id, channel, recipient, language, template, params, status, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, 'queued', $7)`, m.ID, m.Channel, m.Recipient, m.Language, m.Template, m.Params, Micros(tx.Now))
	return err
}

// GetMessage reads one message.
func (db *DB) GetMessage(ctx context.Context, id string) (Message, error) {
	var m Message
	err := db.View(ctx, func(tx *Tx) error {
		row := tx.QueryRowContext(ctx, `SELECT `+messageCols+` FROM outbox WHERE id = $1`, id)
		var err error
		m, err = scanMessage(row)
		return err
	})
	return m, err
}

// MarkMessage records the outcome of a send attempt.
func (db *DB) MarkMessage(ctx context.Context, id, status, sender, lastError string) error {
	return db.Update(ctx, func(tx *Tx) error {
		var sent int64
		if status == "sent" {
			sent = Micros(tx.Now)
		}
		return expectOne(tx.ExecContext(ctx, `UPDATE outbox SET status = $2, sender = $3, last_error = $4, attempts = attempts + 1, sent_at = $5 WHERE id = $1`,
			id, status, sender, nullIfEmpty(lastError), sent))
	})
}

// ListMessages returns the newest messages first.
func (db *DB) ListMessages(ctx context.Context, limit int) ([]Message, error) {
	var out []Message
	err := db.View(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+messageCols+` FROM outbox ORDER BY created_at DESC, id DESC LIMIT $1`, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			m, err := scanMessage(rows)
			if err != nil {
				return err
			}
			out = append(out, m)
		}
		return rows.Err()
	})
	return out, err
}

const messageCols = `id, channel, recipient, language, template, params, status, sender, attempts, last_error, created_at, COALESCE(sent_at, 0)`

func scanMessage(row interface{ Scan(...any) error }) (Message, error) {
	var m Message
	var sender, lastErr sql.NullString
	var created, sent int64
	err := row.Scan(&m.ID, &m.Channel, &m.Recipient, &m.Language, &m.Template, &m.Params, &m.Status, &sender, &m.Attempts, &lastErr, &created, &sent)
	m.Sender, m.LastError, m.CreatedAt, m.SentAt = sender.String, lastErr.String, FromMicros(created), FromMicros(sent)
	return m, err
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
