package appointments

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/internal/jobs"
	"github.com/senda-platform/senda/internal/store"
)

// The draw runs as persisted jobs with unique keys, so that each step is
// queued once and runs once even with several nodes:
//
//	appointments.plan:D     before D's window opens: the commitment, then
//	                        the plan of the next date
//	appointments.close:D    when D's window closes: freeze and publish the
//	                        requests root, then queue the draw
//	appointments.draw:D     beacon, allocation, publication (retried while
//	                        the beacon is pending)
//	appointments.announce:D after the draw: tell each household placed, in
//	                        its language, and audit each appointment
//	appointments.release:T  at the next confirmation deadline: release the
//	                        unconfirmed seats

// Job kinds.
const (
	JobPlan    = "appointments.plan"
	JobClose   = "appointments.close"
	JobDraw    = "appointments.draw"
	JobRelease = "appointments.release"
	// JobAnnounce tells the households a draw placed and audits each.
	JobAnnounce = "appointments.announce"
)

type datePayload struct {
	Date string `json:"date"`
}

func payload(date string) string {
	b, _ := json.Marshal(datePayload{Date: date})
	return string(b)
}

func (s *Service) registerJobs(r *jobs.Runner) {
	r.Handle(JobPlan, func(ctx context.Context, p string) error {
		date, err := datePayloadOf(p)
		if err != nil {
			return err
		}
		if _, err := s.CommitDraw(ctx, date); err != nil {
			return err
		}
		return s.DB.Update(ctx, func(tx *store.Tx) error { return s.plan(ctx, tx, addDays(date, 1)) })
	})
	r.Handle(JobClose, func(ctx context.Context, p string) error {
		date, err := datePayloadOf(p)
		if err != nil {
			return err
		}
		if _, err := s.CloseDraw(ctx, System, date); err != nil {
			return err
		}
		_, err = s.DB.EnqueueJob(ctx, store.Job{Kind: JobDraw, Payload: payload(date), UniqueKey: JobDraw + ":" + date, MaxAttempts: 200})
		r.Wake()
		return err
	})
	r.Handle(JobDraw, func(ctx context.Context, p string) error {
		date, err := datePayloadOf(p)
		if err != nil {
			return err
		}
		if _, err := s.RunDraw(ctx, System, date); err != nil {
			return err
		}
		_, err = s.PublishDraw(ctx, System, date)
		return err
	})
	r.Handle(JobAnnounce, func(ctx context.Context, p string) error {
		date, err := datePayloadOf(p)
		if err != nil {
			return err
		}
		_, err = s.Announce(ctx, date)
		return err
	})
	r.Handle(JobRelease, func(ctx context.Context, _ string) error {
		if _, err := s.ReleaseDue(ctx); err != nil {
			return err
		}
		return s.DB.Update(ctx, func(tx *store.Tx) error { return s.queueRelease(ctx, tx) })
	})
}

func datePayloadOf(p string) (string, error) {
	var d datePayload
	if err := json.Unmarshal([]byte(p), &d); err != nil {
		return "", senda.Wrap(err, "appointments.job_payload")
	}
	if _, err := ParseDate(d.Date); err != nil {
		return "", senda.Wrap(err, "appointments.job_payload")
	}
	return d.Date, nil
}

// plan queues the commitment of a date CommitLead before its window opens.
func (s *Service) plan(ctx context.Context, tx *store.Tx, date string) error {
	opens, _ := s.window.bounds(date)
	at := opens.Add(-s.cfg.CommitLead)
	if at.Before(tx.Now) {
		at = tx.Now
	}
	_, err := tx.EnqueueJob(ctx, store.Job{Kind: JobPlan, Payload: payload(date), UniqueKey: JobPlan + ":" + date, RunAt: at, MaxAttempts: 50})
	return err
}

// queueClose queues the close of a date at its closing time.
func (s *Service) queueClose(ctx context.Context, tx *store.Tx, date string) error {
	_, closes := s.window.bounds(date)
	_, err := tx.EnqueueJob(ctx, store.Job{Kind: JobClose, Payload: payload(date), UniqueKey: JobClose + ":" + date, RunAt: closes, MaxAttempts: 50})
	return err
}

// queueRelease queues the release of unconfirmed appointments at the next
// confirmation deadline, or the expiry of the next confirmed appointment
// if that comes first.
func (s *Service) queueRelease(ctx context.Context, tx *store.Tx) error {
	next, err := tx.NextConfirmDeadline(ctx)
	if err != nil {
		return err
	}
	start, err := tx.NextConfirmedStart(ctx)
	if err != nil {
		return err
	}
	if !start.IsZero() && (next.IsZero() || start.Add(s.cfg.ExpireAfter).Before(next)) {
		next = start.Add(s.cfg.ExpireAfter)
	}
	if next.IsZero() {
		return nil
	}
	_, err = tx.EnqueueJob(ctx, store.Job{Kind: JobRelease, Payload: "{}", UniqueKey: JobRelease + ":" + strconv.FormatInt(next.Unix(), 10), RunAt: next, MaxAttempts: 50})
	return err
}

// afterDraw queues what follows a draw: the release of the seats not
// confirmed in time.
func (s *Service) afterDraw(ctx context.Context, tx *store.Tx, _ string) error {
	return s.queueRelease(ctx, tx)
}

// Start queues the plan of the next window and the next release; the jobs
// then keep themselves going day after day. It is safe to call on every
// node at every start.
func (s *Service) Start(ctx context.Context) error {
	return s.DB.Update(ctx, func(tx *store.Tx) error {
		if err := s.plan(ctx, tx, s.window.next(tx.Now)); err != nil {
			return err
		}
		return s.queueRelease(ctx, tx)
	})
}
