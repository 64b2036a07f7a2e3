package appointments

import (
	"context"
	"sort"
	"time"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/internal/store"
)

// Intake groups commits: requests wait in a queue and a writer commits as
// many as are waiting (up to IntakeBatch) in one transaction, so that one
// flush to disk acknowledges them all. A request is answered only after its
// transaction committed. When a transaction fails, its requests are retried
// one by one so that one bad request cannot sink the others.

type intakeItem struct {
	ctx     context.Context
	c       Caller
	row     store.RequestRow
	subject string
	zone    *time.Location
	done    chan struct{}

	id       string
	replaced bool
	at       time.Time
	err      error
}

func (s *Service) startIntake() {
	s.intake = make(chan *intakeItem, 4*s.cfg.IntakeBatch)
	s.stop = make(chan struct{})
	for range s.cfg.IntakeWriters {
		s.wg.Add(1)
		go s.runIntake()
	}
}

func (s *Service) enqueue(ctx context.Context, it *intakeItem) error {
	s.intakeOnce.Do(s.startIntake)
	select {
	case s.intake <- it:
	case <-ctx.Done():
		return &senda.Error{Code: senda.CodeUnavailable, Key: "error.unavailable", Err: ctx.Err()}
	case <-s.stop:
		return &senda.Error{Code: senda.CodeUnavailable, Key: "error.unavailable"}
	}
	// Wait for the commit even if the caller gives up: the request may be
	// in the transaction already.
	<-it.done
	return nil
}

func (s *Service) runIntake() {
	defer s.wg.Done()
	batch := make([]*intakeItem, 0, s.cfg.IntakeBatch)
	for {
		select {
		case it := <-s.intake:
			batch = append(batch[:0], it)
		case <-s.stop:
			for {
				select {
				case it := <-s.intake:
					it.err = &senda.Error{Code: senda.CodeUnavailable, Key: "error.unavailable"}
					close(it.done)
				default:
					return
				}
			}
		}
	more:
		for len(batch) < s.cfg.IntakeBatch {
			select {
			case it := <-s.intake:
				batch = append(batch, it)
			default:
				break more
			}
		}
		s.commitBatch(batch)
	}
}

// commitBatch writes a batch in one transaction and wakes its requests.
func (s *Service) commitBatch(batch []*intakeItem) {
	live := batch[:0:0]
	for _, it := range batch {
		if it.ctx.Err() != nil {
			it.err = &senda.Error{Code: senda.CodeUnavailable, Key: "error.unavailable", Err: it.ctx.Err()}
			close(it.done)
			continue
		}
		live = append(live, it)
	}
	if len(live) == 0 {
		return
	}
	// Every writer takes row locks in the same order, so that two batches
	// (on this node or another) never wait on each other in a circle; the
	// stable sort keeps a household's later request after its earlier one.
	sort.SliceStable(live, func(i, j int) bool {
		a, b := live[i].row, live[j].row
		return a.ServiceDate < b.ServiceDate || a.ServiceDate == b.ServiceDate && a.HouseholdID < b.HouseholdID
	})
	ctx := context.Background()
	// Prepared outside the transaction: on SQLite the transaction holds the
	// only writer connection.
	stmts, err := s.intakeStatements(ctx)
	if err == nil {
		err = s.DB.Update(ctx, func(tx *store.Tx) error { return s.writeBatch(ctx, tx, stmts, live) })
	}
	if err != nil && len(live) > 1 && stmts != nil {
		for _, it := range live {
			if err := s.DB.Update(ctx, func(tx *store.Tx) error { return s.writeBatch(ctx, tx, stmts, []*intakeItem{it}) }); err != nil {
				it.err = err
			}
			close(it.done)
		}
		return
	}
	for _, it := range live {
		if err != nil {
			it.err = err
		}
		close(it.done)
	}
}

// writeBatch stores the requests of a batch: every upsert first, then the
// audit entries, so that the trail's lock is held as briefly as possible.
// A request refused for a reason of its own gets its error and the batch
// goes on.
func (s *Service) writeBatch(ctx context.Context, tx *store.Tx, stmts *store.IntakeStatements, items []*intakeItem) error {
	type state struct {
		d    store.DrawRow
		open bool
	}
	draws := map[string]*state{}
	var tr trail
	var open []*intakeItem
	var rows []store.RequestRow
	for _, it := range items {
		it.err, it.id, it.replaced = nil, "", false
		st := draws[it.row.ServiceDate]
		if st == nil {
			d, err := s.drawForIntake(ctx, tx, stmts, it.row.ServiceDate, &tr)
			if err != nil {
				return err
			}
			st = &state{d: d, open: d.Status == "open" && !tx.Now.Before(d.OpensAt) && tx.Now.Before(d.ClosesAt)}
			draws[it.row.ServiceDate] = st
		}
		if !st.open {
			it.err = s.closedError(tx.Now, it.row.ServiceDate, it.zone)
			continue
		}
		open, rows = append(open, it), append(rows, it.row)
	}
	ids, replaced, err := tx.UpsertRequests(ctx, stmts, rows)
	if err != nil {
		return err
	}
	for i, it := range open {
		it.id, it.replaced, it.at = ids[i], replaced[i], tx.Now
	}
	for _, it := range items {
		if it.err != nil {
			continue
		}
		action := "appointment.request"
		if it.replaced {
			action = "appointment.request.replace"
		}
		tr.add(it.c, action, "appointment_request", it.id, it.subject, "preferences", "size")
	}
	return tr.flush(ctx, tx)
}

// intakeStatements returns the intake's prepared statements, preparing
// them once.
func (s *Service) intakeStatements(ctx context.Context) (*store.IntakeStatements, error) {
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	if s.stmts == nil {
		st, err := s.DB.PrepareIntake(ctx)
		if err != nil {
			return nil, err
		}
		s.stmts = st
	}
	return s.stmts, nil
}

// drawForIntake returns the draw of a date, creating it (and its
// commitment) if the scheduled job has not, and holds a share lock on it on
// PostgreSQL so that the close waits for this transaction.
func (s *Service) drawForIntake(ctx context.Context, tx *store.Tx, stmts *store.IntakeStatements, date string, tr *trail) (store.DrawRow, error) {
	d, err := tx.IntakeDraw(ctx, stmts, date)
	if store.IsNotFound(err) {
		if err := s.insertDraw(ctx, tx, date, tr); err != nil {
			return d, err
		}
		d, err = tx.IntakeDraw(ctx, stmts, date)
	}
	return d, err
}
