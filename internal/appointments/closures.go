package appointments

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/internal/store"
)

// ClosureInput suspends a location, or some of its slots, for a period.
type ClosureInput struct {
	Location string    `json:"location" maxLength:"32" doc:"Location code" example:"POE-SYS"`
	From     time.Time `json:"from" doc:"Start of the closure"`
	Until    time.Time `json:"until" doc:"End of the closure (not included)"`
	Starts   []string  `json:"starts,omitempty" maxItems:"96" doc:"Only the slots starting at these local times (HH:MM); every slot when left out"`
	Reason   string    `json:"reason" minLength:"3" maxLength:"300" doc:"Why: kept in the record and the audit trail"`
}

// Closure is a closure and, once made, every move it caused.
type Closure struct {
	ID         string     `json:"id"`
	Location   string     `json:"location"`
	From       time.Time  `json:"from"`
	Until      time.Time  `json:"until"`
	Starts     []string   `json:"starts"`
	Reason     string     `json:"reason"`
	CreatedBy  string     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	ReopenedAt *time.Time `json:"reopened_at,omitempty"`
	Moves      []Move     `json:"moves" doc:"Every appointment the closure moved, and where it went"`
}

// Move is where one appointment went after a closure.
type Move struct {
	AppointmentID string    `json:"appointment_id"`
	From          SlotRef   `json:"from"`
	To            *SlotRef  `json:"to,omitempty" doc:"Absent when no slot could take the household within the horizon"`
	Outcome       string    `json:"outcome" enum:"same_date,later_date,unplaced"`
	Notified      bool      `json:"notified" doc:"Whether a message was queued to the household"`
	At            time.Time `json:"at"`
}

// SlotRef names a slot.
type SlotRef struct {
	Location    string    `json:"location"`
	ServiceDate string    `json:"service_date"`
	Start       time.Time `json:"start"`
	LocalStart  string    `json:"local_start"`
}

func slotRef(location string, start time.Time) SlotRef {
	l := start.In(zoneOf(location))
	return SlotRef{Location: location, ServiceDate: l.Format(DateLayout), Start: start, LocalStart: l.Format(time.RFC3339)}
}

func closureView(c store.ClosureRow, moves []store.MoveRow) Closure {
	out := Closure{ID: c.ID, Location: c.Location, From: c.From, Until: c.Until, Starts: []string{}, Reason: c.Reason, CreatedBy: c.CreatedBy,
		CreatedAt: c.CreatedAt, ReopenedAt: timePtr(c.ReopenedAt), Moves: []Move{}}
	if c.Starts != "" {
		out.Starts = strings.Split(c.Starts, ",")
	}
	for _, m := range moves {
		mv := Move{AppointmentID: m.AppointmentID, From: slotRef(m.FromLocation, m.FromStart), Outcome: m.Outcome, Notified: m.MessageID != "", At: m.At}
		if m.Outcome != "unplaced" {
			to := slotRef(m.ToLocation, m.ToStart)
			mv.To = &to
		}
		out.Moves = append(out.Moves, mv)
	}
	return out
}

// CreateClosure suspends a location or some of its slots and, in the same
// transaction, moves every appointment it hits: to the household's next
// preferred open location on the same date where there is room, otherwise
// to the first later date with room (ahead of that date's draw). Each
// household is told in its language; the returned closure lists every move.
// Nothing is dropped silently: an appointment no slot can take within the
// horizon is marked unplaced and listed too.
func (s *Service) CreateClosure(ctx context.Context, c Caller, in ClosureInput) (*Closure, error) {
	code, err := location("body.location", in.Location)
	if err != nil {
		return nil, err
	}
	if err := manages(c, code); err != nil {
		return nil, err
	}
	var fields []senda.FieldError
	if !in.Until.After(in.From) {
		fields = append(fields, senda.FieldError{Location: "body.until", Key: "appointments.closure_period"})
	}
	if len(strings.TrimSpace(in.Reason)) < 3 {
		fields = append(fields, senda.FieldError{Location: "body.reason", Key: "validation.required"})
	}
	starts := make([]string, 0, len(in.Starts))
	for i, st := range in.Starts {
		cl, ok := parseClock(st)
		if !ok {
			fields = append(fields, senda.FieldError{Location: "body.starts[" + itoa(i) + "]", Key: "appointments.slot_start"})
			continue
		}
		starts = append(starts, cl.String())
	}
	if len(fields) > 0 {
		return nil, &senda.Error{Code: senda.CodeInvalid, Key: "error.invalid", Fields: fields}
	}
	sort.Strings(starts)
	row := store.ClosureRow{ID: store.NewID(), Location: code, From: in.From.UTC().Truncate(time.Second), Until: in.Until.UTC().Truncate(time.Second),
		Starts: strings.Join(starts, ","), Reason: strings.TrimSpace(in.Reason), CreatedBy: c.Actor()}
	var out Closure
	err = s.DB.Update(ctx, func(tx *store.Tx) error {
		// Lock the appointments the closure hits, in id order, before any
		// slot: a cancellation locks its appointment, then its slot.
		targets, err := tx.AppointmentsBetween(ctx, code, row.From, row.Until)
		if err != nil {
			return err
		}
		sort.Slice(targets, func(i, j int) bool { return targets[i].ID < targets[j].ID })
		for _, a := range targets {
			if covers(row, a.Start) {
				if _, err := tx.Appointment(ctx, a.ID, true); err != nil {
					return err
				}
			}
		}
		if err := tx.InsertClosure(ctx, row); err != nil {
			return err
		}
		row.CreatedAt = tx.Now
		if err := s.suspend(ctx, tx, row); err != nil {
			return err
		}
		var tr trail
		tr.add(c, "closure.create", "closure", row.ID, "", "location", "period", "reason")
		hit, err := tx.AppointmentsIn(ctx, row.ID)
		if err != nil {
			return err
		}
		for _, a := range hit {
			if err := s.relocate(ctx, tx, c, row.ID, a, &tr); err != nil {
				return err
			}
		}
		moves, err := tx.Moves(ctx, row.ID)
		if err != nil {
			return err
		}
		out = closureView(row, moves)
		return tr.flush(ctx, tx)
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// suspend marks the laid-out slots a closure covers.
func (s *Service) suspend(ctx context.Context, tx *store.Tx, c store.ClosureRow) error {
	if c.Starts == "" {
		_, err := tx.SuspendSlots(ctx, c.ID, c.Location, c.From, c.Until, nil)
		return err
	}
	slots, err := tx.SlotsBetween(ctx, c.Location, c.From.Add(-48*time.Hour).Format(DateLayout), c.Until.Add(48*time.Hour).Format(DateLayout))
	if err != nil {
		return err
	}
	var starts []time.Time
	for _, sl := range slots {
		if covers(c, sl.Start) {
			starts = append(starts, sl.Start)
		}
	}
	if len(starts) == 0 {
		return nil
	}
	_, err = tx.SuspendSlots(ctx, c.ID, c.Location, c.From, c.Until, starts)
	return err
}

// Reopen ends a closure: its slots take appointments again. Appointments it
// moved stay where they went.
func (s *Service) Reopen(ctx context.Context, c Caller, id string) (*Closure, error) {
	var out Closure
	err := s.DB.Update(ctx, func(tx *store.Tx) error {
		row, err := tx.Closure(ctx, id)
		if store.IsNotFound(err) {
			return notFound()
		}
		if err != nil {
			return err
		}
		if err := manages(c, row.Location); err != nil {
			return notFound()
		}
		ok, err := tx.ReopenClosure(ctx, id, c.Actor())
		if err != nil {
			return err
		}
		if !ok {
			return conflict("appointments.closure_reopened", nil)
		}
		if err := tx.UnsuspendSlots(ctx, id); err != nil {
			return err
		}
		// Slots another open closure still covers stay suspended.
		others, err := tx.Closures(ctx, row.Location, tx.Now.AddDate(0, 0, -2), true)
		if err != nil {
			return err
		}
		for _, o := range others {
			if err := s.suspend(ctx, tx, o); err != nil {
				return err
			}
		}
		if err := record(ctx, tx, c, "closure.reopen", "closure", id, "", "reopened_at"); err != nil {
			return err
		}
		row, err = tx.Closure(ctx, id)
		if err != nil {
			return err
		}
		moves, err := tx.Moves(ctx, id)
		out = closureView(row, moves)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// ClosureReport returns a closure with every move it caused.
func (s *Service) ClosureReport(ctx context.Context, c Caller, id string) (*Closure, error) {
	var out Closure
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		row, err := tx.Closure(ctx, id)
		if store.IsNotFound(err) {
			return notFound()
		}
		if err != nil {
			return err
		}
		if !c.Scope.Contains(Place(row.Location)) {
			return notFound()
		}
		moves, err := tx.Moves(ctx, id)
		out = closureView(row, moves)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// Closures lists the closures of a location (or every location in the
// caller's scope) that end after since, newest first, without their moves.
func (s *Service) Closures(ctx context.Context, c Caller, code string, since time.Time) ([]Closure, error) {
	if code != "" {
		var err error
		if code, err = location("query.location", code); err != nil {
			return nil, err
		}
	}
	out := []Closure{}
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		rows, err := tx.Closures(ctx, code, since, false)
		for _, r := range rows {
			if c.Scope.Contains(Place(r.Location)) {
				out = append(out, closureView(r, nil))
			}
		}
		return err
	})
	return out, err
}

// relocateDraw moves the appointments a draw placed in slots that a
// closure suspended after the draw's close.
func (s *Service) relocateDraw(ctx context.Context, tx *store.Tx, c Caller, date string, tr *trail) (int, error) {
	hit, err := tx.AppointmentsInSuspended(ctx, date)
	if err != nil {
		return 0, err
	}
	for _, a := range hit {
		sl, err := tx.Slot(ctx, a.Location, a.Start)
		if err != nil {
			return 0, err
		}
		if err := s.relocate(ctx, tx, c, sl.ClosureID, a, tr); err != nil {
			return 0, err
		}
	}
	return len(hit), nil
}

// relocate moves one appointment out of a suspended slot and records where
// it went.
func (s *Service) relocate(ctx context.Context, tx *store.Tx, c Caller, closureID string, a store.AppointmentRow, tr *trail) error {
	// Lock it first, as a cancellation or a confirmation would, and skip it
	// if it changed in the meantime.
	a, err := tx.Appointment(ctx, a.ID, true)
	if err != nil {
		return err
	}
	if a.Status != "allocated" && a.Status != "confirmed" {
		return nil
	}
	if sl, err := tx.Slot(ctx, a.Location, a.Start); err != nil || sl.ClosureID == "" {
		return err
	}
	prefs := strings.Split(a.Preferences, ",")
	to, outcome, err := s.findSlot(ctx, tx, a, prefs)
	if err != nil {
		return err
	}
	if err := tx.ReturnSeats(ctx, a.Location, a.Start, a.Size); err != nil {
		return err
	}
	m := store.MoveRow{ID: store.NewID(), ClosureID: closureID, AppointmentID: a.ID, FromLocation: a.Location, FromStart: a.Start, Outcome: outcome}
	params := slotParams("from_", a.Location, a.Start)
	params["code"] = FormatCode(a.Code)
	template := "appointments.msg.moved"
	if outcome == "unplaced" {
		if ok, err := tx.SetAppointmentStatus(ctx, a.ID, a.Status, "unplaced", c.Actor(), ""); err != nil || !ok {
			if err != nil {
				return err
			}
			return &senda.Error{Code: senda.CodeConflict, Key: "error.conflict"}
		}
		template = "appointments.msg.unplaced"
	} else {
		if err := tx.MoveAppointment(ctx, a.ID, to.Location, to.Start, to.ServiceDate); err != nil {
			return err
		}
		// The household keeps its full time to confirm, up to the new start.
		if a.Status == "allocated" && to.Start.Before(a.ConfirmBy) {
			if err := tx.SetConfirmBy(ctx, a.ID, to.Start); err != nil {
				return err
			}
		}
		m.ToLocation, m.ToStart = to.Location, to.Start
		for k, v := range slotParams("to_", to.Location, to.Start) {
			params[k] = v
		}
	}
	id, err := s.notify(ctx, tx, a.HouseholdID, template, params)
	if err != nil {
		return err
	}
	m.MessageID = id
	if err := tx.InsertMove(ctx, m); err != nil {
		return err
	}
	tr.add(c, "appointment.move", "appointment", a.ID, s.subjectOf(ctx, tx, a.HouseholdID), "location", "start", "status")
	return nil
}

// findSlot finds where a moved appointment goes: the placement rule of the
// draw (preferences in order, the earliest slot with room at each) on the
// same date, then on each later date up to the horizon. The seats are
// taken here; the caller gives the old ones back.
func (s *Service) findSlot(ctx context.Context, tx *store.Tx, a store.AppointmentRow, prefs []string) (store.SlotRow, string, error) {
	for d := 0; d <= s.cfg.MoveHorizonDays; d++ {
		date := addDays(a.ServiceDate, d)
		if d > 0 {
			if err := s.layOut(ctx, tx, date); err != nil {
				return store.SlotRow{}, "", err
			}
		}
		for _, p := range prefs {
			slots, err := tx.SlotsOn(ctx, date, p)
			if err != nil {
				return store.SlotRow{}, "", err
			}
			for _, sl := range slots {
				if sl.ClosureID != "" || sl.Free() < a.Size || !sl.Start.After(tx.Now) || (p == a.Location && sl.Start.Equal(a.Start)) {
					continue
				}
				ok, err := tx.TakeSeats(ctx, sl.Location, sl.Start, a.Size, true)
				if err != nil {
					return store.SlotRow{}, "", err
				}
				if ok {
					outcome := "same_date"
					if d > 0 {
						outcome = "later_date"
					}
					return sl, outcome, nil
				}
			}
		}
	}
	return store.SlotRow{}, "unplaced", nil
}
