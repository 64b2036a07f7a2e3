package jobs

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/senda-platform/senda/internal/seal"
	"github.com/senda-platform/senda/internal/store"
	"github.com/senda-platform/senda/internal/storetest"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newRunner(db *store.DB) *Runner {
	r := NewRunner(db, quiet())
	r.Poll = 10 * time.Millisecond
	r.Backoff = func(int) time.Duration { return 0 }
	return r
}

func TestRetryWithBackoffThenDone(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r := newRunner(db)
		var calls atomic.Int32
		r.Handle("flaky", func(ctx context.Context, payload string) error {
			if calls.Add(1) < 3 {
				return errors.New("transient")
			}
			return nil
		})
		id, _ := db.EnqueueJob(ctx, store.Job{Kind: "flaky", Payload: "{}"})
		for i := 0; i < 10 && r.RunOne(ctx); i++ {
		}
		j, _ := db.GetJob(ctx, id)
		if j.Status != "done" || calls.Load() != 3 || j.Attempts != 3 {
			t.Fatalf("got status %q after %d calls and %d attempts; want done after 3", j.Status, calls.Load(), j.Attempts)
		}
	})
}

func TestPanicAndMissingHandlerAreRetriedNotFatal(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r := newRunner(db)
		r.Handle("boom", func(context.Context, string) error { panic("x") })
		a, _ := db.EnqueueJob(ctx, store.Job{Kind: "boom", Payload: "{}", MaxAttempts: 2})
		b, _ := db.EnqueueJob(ctx, store.Job{Kind: "unknown", Payload: "{}", MaxAttempts: 1})
		for i := 0; i < 10 && r.RunOne(ctx); i++ {
		}
		for _, id := range []string{a, b} {
			j, _ := db.GetJob(ctx, id)
			if j.Status != "failed" || j.LastError == "" {
				t.Errorf("job %s: got status %q error %q; want failed with a reason", j.Kind, j.Status, j.LastError)
			}
		}
	})
}

// Two runners (as two app processes would) share one database; each job
// runs exactly once.
func TestRunOnceAcrossRunners(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		const n = 40
		var mu sync.Mutex
		runs := map[string]int{}
		h := func(ctx context.Context, payload string) error {
			mu.Lock()
			runs[payload]++
			mu.Unlock()
			return nil
		}
		for i := 0; i < n; i++ {
			p, _ := json.Marshal(i)
			db.EnqueueJob(ctx, store.Job{Kind: "count", Payload: string(p)})
		}
		rctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		for k := 0; k < 2; k++ {
			r := newRunner(db)
			r.Handle("count", h)
			wg.Add(1)
			go func() { defer wg.Done(); r.Run(rctx, 3, time.Second) }()
		}
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			c, _ := db.JobCounts(ctx)
			if c["done"] == n {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
		wg.Wait()
		if len(runs) != n {
			t.Fatalf("ran %d distinct jobs, want %d", len(runs), n)
		}
		for p, c := range runs {
			if c != 1 {
				t.Errorf("job %s ran %d times", p, c)
			}
		}
	})
}

// On shutdown, a job in flight finishes within the grace period.
func TestGracefulShutdownFinishesInFlight(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r := newRunner(db)
		started := make(chan struct{})
		r.Handle("slow", func(ctx context.Context, _ string) error {
			close(started)
			time.Sleep(200 * time.Millisecond)
			return ctx.Err()
		})
		id, _ := db.EnqueueJob(ctx, store.Job{Kind: "slow", Payload: "{}"})
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { r.Run(rctx, 1, 5*time.Second); close(done) }()
		<-started
		cancel()
		<-done
		j, _ := db.GetJob(ctx, id)
		if j.Status != "done" {
			t.Fatalf("got status %q after shutdown, want done", j.Status)
		}
	})
}

func TestOutboxDevSenderRecordsSealed(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r := newRunner(db)
		o := NewOutbox(db, seal.New(), DevSender{}, r)
		var id string
		err := db.Update(ctx, func(tx *store.Tx) (err error) {
			id, err = o.Queue(ctx, tx, Outgoing{Channel: "sms", Recipient: "+5215512345678", Language: "es", Template: "appointment.moved", Params: map[string]string{"port": "POE-SYS"}})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := db.GetMessage(ctx, id)
		if string(raw.Recipient) == "+5215512345678" {
			t.Fatal("recipient stored in clear")
		}
		for i := 0; i < 5 && r.RunOne(ctx); i++ {
		}
		list, msgs, err := o.List(ctx, 10)
		if err != nil || len(list) != 1 {
			t.Fatalf("got %d messages, %v", len(list), err)
		}
		if list[0].Recipient != "+5215512345678" || list[0].Params["port"] != "POE-SYS" || msgs[0].Status != "sent" || msgs[0].Sender != "dev" {
			t.Fatalf("got %+v %+v", list[0], msgs[0])
		}
		err = db.Update(ctx, func(tx *store.Tx) error {
			_, err := o.Queue(ctx, tx, Outgoing{Channel: "pigeon"})
			return err
		})
		if err == nil {
			t.Fatal("invalid message queued")
		}
	})
}

func TestWebhookSenderSignsAndRetries(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		secret := []byte("s3cret")
		var fails atomic.Int32
		fails.Store(1)
		var got Outgoing
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			body, _ := io.ReadAll(req.Body)
			mac := hmac.New(sha256.New, secret)
			mac.Write(body)
			if req.Header.Get("X-Senda-Signature") != "sha256="+hex.EncodeToString(mac.Sum(nil)) {
				http.Error(w, "bad signature", 401)
				return
			}
			if fails.Add(-1) >= 0 {
				http.Error(w, "busy", 503)
				return
			}
			json.Unmarshal(body, &got)
			w.WriteHeader(202)
		}))
		defer srv.Close()
		r := newRunner(db)
		o := NewOutbox(db, seal.New(), &WebhookSender{URL: srv.URL, Secret: secret}, r)
		var id string
		db.Update(ctx, func(tx *store.Tx) (err error) {
			id, err = o.Queue(ctx, tx, Outgoing{Channel: "whatsapp", Recipient: "+50255555555", Language: "ht", Template: "t"})
			return err
		})
		for i := 0; i < 5 && r.RunOne(ctx); i++ {
		}
		m, _ := db.GetMessage(ctx, id)
		if m.Status != "sent" || m.Sender != "webhook" || got.Recipient != "+50255555555" || got.Language != "ht" {
			t.Fatalf("got message %+v, gateway saw %+v", m, got)
		}
	})
}
