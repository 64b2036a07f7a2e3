// Package jobs runs Senda's background work: jobs persisted in the database,
// claimed with a lease so that each runs once even with several app
// processes, retried with exponential backoff, and the notification outbox
// whose messages are sent by jobs.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/internal/store"
)

// Handler does the work of one job kind. Returning an error schedules a
// retry; a handler must be safe to run again after a crash (idempotent).
type Handler func(ctx context.Context, payload string) error

// Runner claims and runs jobs.
type Runner struct {
	db       *store.DB
	log      *slog.Logger
	worker   string
	handlers map[string]Handler
	// Lease is how long a claimed job is held before another worker may
	// take it over; Poll is the idle wait between claims.
	Lease, Poll time.Duration
	// Backoff gives the wait before the next attempt after attempt n failed.
	Backoff func(attempt int) time.Duration
	// Observe, when set, is told the outcome of every job run.
	Observe func(kind, outcome string, d time.Duration)

	wake chan struct{}
}

// NewRunner returns a runner with a unique worker name.
func NewRunner(db *store.DB, log *slog.Logger) *Runner {
	return &Runner{db: db, log: log, worker: store.NewID(), handlers: map[string]Handler{},
		Lease: 5 * time.Minute, Poll: time.Second, Backoff: Backoff, wake: make(chan struct{}, 1)}
}

// Handle registers the handler of a job kind.
func (r *Runner) Handle(kind string, h Handler) { r.handlers[kind] = h }

// Wake asks the runner to look for work now.
func (r *Runner) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Backoff is the wait before attempt n+1: exponential from 2 s, capped at one
// hour, with jitter.
func Backoff(attempt int) time.Duration {
	d := 2 * time.Second
	for i := 1; i < attempt && d < time.Hour; i++ {
		d *= 2
	}
	if d > time.Hour {
		d = time.Hour
	}
	return d + time.Duration(rand.Int64N(int64(d/4)+1))
}

// Run claims and runs jobs with the given concurrency until ctx is done. On
// return, jobs in flight have been given until grace to finish; a job cut
// short stays leased and is retried after its lease.
func (r *Runner) Run(ctx context.Context, concurrency int, grace time.Duration) {
	var wg sync.WaitGroup
	jobCtx, cancelJobs := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelJobs()
	for i := 0; i < concurrency; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if !r.RunOne(jobCtx) {
					select {
					case <-ctx.Done():
					case <-r.wake:
					case <-time.After(r.Poll):
					}
				}
			}
		}()
	}
	<-ctx.Done()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(grace):
		cancelJobs()
		<-done
	}
}

// RunOne claims one due job and runs it. It reports whether it found one.
func (r *Runner) RunOne(ctx context.Context) bool {
	j, err := r.db.ClaimJob(ctx, r.worker, nil, r.Lease)
	if senda.IsNotFound(err) {
		return false
	}
	if err != nil {
		r.log.Warn("job claim failed", "err", err)
		return false
	}
	start := time.Now()
	h, ok := r.handlers[j.Kind]
	if !ok {
		err = fmt.Errorf("no handler for job kind %q", j.Kind)
	} else {
		err = safeRun(ctx, h, j.Payload)
	}
	outcome := "done"
	if err == nil {
		err = r.db.CompleteJob(ctx, j.ID, r.worker)
	} else {
		outcome = "retry"
		if j.Attempts >= j.MaxAttempts {
			outcome = "failed"
		}
		// Only the error class is kept: handler errors may carry personal data.
		reason := string(senda.ErrorCode(err))
		var se *senda.Error
		if errors.As(err, &se) && se.Key != "" {
			reason += ": " + se.Key
		}
		r.log.Warn("job failed", "kind", j.Kind, "job", j.ID, "attempt", j.Attempts, "reason", reason)
		err = r.db.FailJob(ctx, j.ID, r.worker, reason, time.Now().Add(r.Backoff(j.Attempts)))
	}
	if err != nil {
		r.log.Warn("job state not saved", "kind", j.Kind, "job", j.ID, "err", err)
	}
	if r.Observe != nil {
		r.Observe(j.Kind, outcome, time.Since(start))
	}
	return true
}

func safeRun(ctx context.Context, h Handler, payload string) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &senda.Error{Code: senda.CodeInternal, Key: "job.panic", Err: fmt.Errorf("panic: %v", p)}
		}
	}()
	return h(ctx, payload)
}
