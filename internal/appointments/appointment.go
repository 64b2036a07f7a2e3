package appointments

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/household"
	"github.com/senda-platform/senda/internal/access"
	"github.com/senda-platform/senda/internal/households"
	"github.com/senda-platform/senda/internal/jobs"
	"github.com/senda-platform/senda/internal/store"
	"github.com/senda-platform/senda/reference"
)

// Appointment is an appointment as its household and staff see it.
type Appointment struct {
	ID            string     `json:"id"`
	Code          string     `json:"code" doc:"Short code, ABCD-EFGH-J"`
	HouseholdID   string     `json:"household_id"`
	RequestID     string     `json:"request_id"`
	DrawDate      string     `json:"draw_date" doc:"The draw that allocated it"`
	Phase         string     `json:"phase" enum:"priority,lottery"`
	ServiceDate   string     `json:"service_date"`
	Location      string     `json:"location"`
	LocationName  string     `json:"location_name"`
	Start         time.Time  `json:"start"`
	LocalStart    string     `json:"local_start" doc:"Start in the location's time, RFC 3339 with offset"`
	TimeZone      string     `json:"time_zone"`
	Size          int        `json:"size"`
	Status        string     `json:"status" enum:"allocated,confirmed,checked_in,no_show,cancelled,released,unplaced,expired"`
	ConfirmBy     time.Time  `json:"confirm_by" doc:"Unconfirmed appointments are released at this time"`
	ConfirmedAt   *time.Time `json:"confirmed_at,omitempty"`
	ConfirmMethod string     `json:"confirm_method,omitempty"`
	Moves         int        `json:"moves" doc:"How many times a closure moved it"`
	Challenge     string     `json:"liveness_challenge,omitempty" doc:"Six digits to give back when confirming (holder only)"`

	challenge string
}

func view(a store.AppointmentRow, holder bool) Appointment {
	loc := zoneOf(a.Location)
	name := a.Location
	if l, ok := reference.Location(a.Location); ok {
		name = l.Name
	}
	v := Appointment{ID: a.ID, Code: FormatCode(a.Code), HouseholdID: a.HouseholdID, RequestID: a.RequestID, DrawDate: a.DrawDate, Phase: a.Phase,
		ServiceDate: a.ServiceDate, Location: a.Location, LocationName: name, Start: a.Start, LocalStart: a.Start.In(loc).Format(time.RFC3339),
		TimeZone: loc.String(), Size: a.Size, Status: a.Status, ConfirmBy: a.ConfirmBy, ConfirmedAt: timePtr(a.ConfirmedAt),
		ConfirmMethod: a.ConfirmMethod, Moves: a.Moves, challenge: a.Challenge}
	if holder && a.Status == "allocated" {
		v.Challenge = a.Challenge
	}
	return v
}

// Mine lists the appointments of the households the caller acts for (or of
// the household named), newest first.
func (s *Service) Mine(ctx context.Context, c Caller, householdID string) ([]Appointment, error) {
	out := []Appointment{}
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		ids, err := s.householdsOf(ctx, tx, c, householdID)
		if err != nil {
			return err
		}
		for _, id := range ids {
			rows, err := tx.AppointmentsOf(ctx, id)
			if err != nil {
				return err
			}
			for _, a := range rows {
				out = append(out, view(a, true))
			}
		}
		return nil
	})
	return out, err
}

// sees reports whether c may see appointment a: its household's applicant
// or helper, staff whose scope holds its location or its household, port
// officers at its port.
func (s *Service) sees(ctx context.Context, tx *store.Tx, c Caller, a store.AppointmentRow) (holder bool, err error) {
	switch c.Role {
	case access.Applicant, access.Helper:
		h, err := tx.Household(ctx, a.HouseholdID)
		if store.IsNotFound(err) {
			return false, notFound()
		}
		if err != nil {
			return false, err
		}
		ok, err := s.actsFor(ctx, c, h)
		if err != nil {
			return false, err
		}
		if !ok {
			return false, notFound()
		}
		return true, nil
	case access.Admin, access.ProgrammeManager, access.PortOfficer, access.Caseworker:
		if c.Scope.Contains(Place(a.Location)) {
			return false, nil
		}
		if c.Role == access.Caseworker || c.Role == access.Admin {
			if h, err := tx.Household(ctx, a.HouseholdID); err == nil && c.Scope.Contains(h.Place) {
				return false, nil
			}
		}
	}
	return false, notFound()
}

// load reads an appointment the caller may see; with lock (in a read-write
// transaction) it is locked for update on PostgreSQL.
func (s *Service) load(ctx context.Context, tx *store.Tx, c Caller, id string, lock bool) (store.AppointmentRow, bool, error) {
	a, err := tx.Appointment(ctx, id, lock)
	if store.IsNotFound(err) {
		return a, false, notFound()
	}
	if err != nil {
		return a, false, err
	}
	holder, err := s.sees(ctx, tx, c, a)
	return a, holder, err
}

// Get returns one appointment.
func (s *Service) Get(ctx context.Context, c Caller, id string) (*Appointment, error) {
	var out Appointment
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		a, holder, err := s.load(ctx, tx, c, id, false)
		out = view(a, holder)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// CheckResult is the outcome of one confirmation check.
type CheckResult struct {
	Check  string `json:"check"`
	OK     bool   `json:"ok"`
	Reason string `json:"reason,omitempty" doc:"Message key saying why the check failed"`
}

// Confirm confirms an allocated appointment after every check passes. When
// a check fails nothing changes and the answer (appointments.check_failed)
// lists each failure; the household can then confirm in person at a
// partner office before the deadline.
func (s *Service) Confirm(ctx context.Context, c Caller, id string, ev Evidence) (*Appointment, []CheckResult, error) {
	var a store.AppointmentRow
	var holder bool
	err := s.DB.View(ctx, func(tx *store.Tx) (err error) {
		a, holder, err = s.load(ctx, tx, c, id, false)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	if !holder {
		return nil, nil, forbidden("appointments.holder_only")
	}
	if a.Status == "confirmed" {
		v := view(a, true)
		return &v, nil, nil
	}
	v := view(a, true)
	var results []CheckResult
	var fields []senda.FieldError
	for _, ch := range s.Checks {
		ok, reason, err := ch.Check(ctx, v, ev)
		if err != nil {
			return nil, nil, err
		}
		results = append(results, CheckResult{Check: ch.Name(), OK: ok, Reason: reason})
		if !ok {
			fields = append(fields, senda.FieldError{Location: "body." + ch.Name(), Key: reason})
		}
	}
	if len(fields) > 0 {
		return nil, results, &senda.Error{Code: senda.CodeInvalid, Key: "appointments.check_failed", Fields: fields,
			Args: map[string]any{"confirm_by": a.ConfirmBy.Format(time.RFC3339), "code": FormatCode(a.Code)}}
	}
	out, err := s.confirm(ctx, c, id, "checks")
	return out, results, err
}

// ConfirmInPerson confirms an allocated appointment for a household that
// came to a partner office: staff whose scope holds the household.
func (s *Service) ConfirmInPerson(ctx context.Context, c Caller, id, office string) (*Appointment, error) {
	if c.Role != access.Caseworker && c.Role != access.Admin {
		return nil, forbidden("appointments.in_person_role")
	}
	return s.confirm(ctx, c, id, "in_person:"+office)
}

func (s *Service) confirm(ctx context.Context, c Caller, id, method string) (*Appointment, error) {
	var out Appointment
	err := s.DB.Update(ctx, func(tx *store.Tx) error {
		a, holder, err := s.load(ctx, tx, c, id, true)
		if err != nil {
			return err
		}
		switch {
		case a.Status == "confirmed":
			out = view(a, holder)
			return nil
		case a.Status != "allocated":
			return conflict("appointments.not_confirmable", map[string]any{"status": a.Status})
		case !tx.Now.Before(a.ConfirmBy):
			return conflict("appointments.confirm_expired", map[string]any{"confirm_by": a.ConfirmBy.Format(time.RFC3339)})
		}
		if ok, err := tx.SetAppointmentStatus(ctx, id, "allocated", "confirmed", c.Actor(), method); err != nil || !ok {
			if err != nil {
				return err
			}
			return &senda.Error{Code: senda.CodeConflict, Key: "error.conflict"}
		}
		a.Status, a.ConfirmedAt, a.ConfirmMethod = "confirmed", tx.Now, method
		out = view(a, holder)
		return record(ctx, tx, c, "appointment.confirm", "appointment", id, s.subjectOf(ctx, tx, a.HouseholdID), "status", "confirm_method")
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// Cancel gives an appointment back before it starts. Its seats return to
// the slot, and the next draw that runs early enough offers them again.
func (s *Service) Cancel(ctx context.Context, c Caller, id string) (*Appointment, error) {
	var out Appointment
	err := s.DB.Update(ctx, func(tx *store.Tx) error {
		a, holder, err := s.load(ctx, tx, c, id, true)
		if err != nil {
			return err
		}
		if !holder && c.Role != access.Admin && c.Role != access.Caseworker {
			return forbidden("appointments.holder_only")
		}
		if a.Status != "allocated" && a.Status != "confirmed" {
			return conflict("appointments.not_cancellable", map[string]any{"status": a.Status})
		}
		if !tx.Now.Before(a.Start) {
			return conflict("appointments.started", nil)
		}
		if ok, err := tx.SetAppointmentStatus(ctx, id, a.Status, "cancelled", c.Actor(), ""); err != nil || !ok {
			if err != nil {
				return err
			}
			return &senda.Error{Code: senda.CodeConflict, Key: "error.conflict"}
		}
		if err := tx.ReturnSeats(ctx, a.Location, a.Start, a.Size); err != nil {
			return err
		}
		a.Status = "cancelled"
		out = view(a, holder)
		return record(ctx, tx, c, "appointment.cancel", "appointment", id, s.subjectOf(ctx, tx, a.HouseholdID), "status")
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// ReleaseDue releases allocated appointments whose confirmation deadline
// has passed, their seats going back to the slots, and expires confirmed
// appointments that started more than ExpireAfter ago without a check-in
// or a no-show, so that their households may ask again. It returns how
// many it changed.
func (s *Service) ReleaseDue(ctx context.Context) (int, error) {
	n := 0
	for {
		var batch int
		err := s.DB.Update(ctx, func(tx *store.Tx) error {
			due, err := tx.DueForRelease(ctx, tx.Now, 200)
			if err != nil {
				return err
			}
			old, err := tx.DueForExpiry(ctx, tx.Now.Add(-s.cfg.ExpireAfter), 200-len(due))
			if err != nil {
				return err
			}
			batch = len(due) + len(old)
			// Lock every row in id order before touching a slot, as
			// closures do; audit at the end.
			all := append(append([]store.AppointmentRow(nil), due...), old...)
			sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
			for _, a := range all {
				if _, err := tx.Appointment(ctx, a.ID, true); err != nil {
					return err
				}
			}
			var tr trail
			for _, a := range due {
				ok, err := tx.SetAppointmentStatus(ctx, a.ID, "allocated", "released", System.Actor(), "")
				if err != nil {
					return err
				}
				if !ok {
					continue
				}
				if err := tx.ReturnSeats(ctx, a.Location, a.Start, a.Size); err != nil {
					return err
				}
				tr.add(System, "appointment.release", "appointment", a.ID, s.subjectOf(ctx, tx, a.HouseholdID), "status")
			}
			for _, a := range old {
				ok, err := tx.SetAppointmentStatus(ctx, a.ID, "confirmed", "expired", System.Actor(), "")
				if err != nil {
					return err
				}
				if ok {
					tr.add(System, "appointment.expire", "appointment", a.ID, s.subjectOf(ctx, tx, a.HouseholdID), "status")
				}
			}
			return tr.flush(ctx, tx)
		})
		if err != nil {
			return n, err
		}
		n += batch
		if batch < 200 {
			return n, nil
		}
	}
}

// CheckInInput names an appointment by its code or its pass.
type CheckInInput struct {
	Code  string `json:"code,omitempty" maxLength:"20" doc:"The short code, with or without dashes"`
	Token string `json:"token,omitempty" maxLength:"2048" doc:"Or the pass read from the QR code"`
}

// Arrival is an appointment at the port with the names the officer checks
// against the travellers' documents.
type Arrival struct {
	Appointment
	Members []string `json:"members" doc:"Names of the household's members"`
}

// officerAt checks that c works at the appointment's port.
func officerAt(c Caller, a store.AppointmentRow) error {
	if (c.Role != access.PortOfficer && c.Role != access.Admin) || !c.Scope.Contains(Place(a.Location)) {
		return notFound()
	}
	return nil
}

// CheckIn checks a household in at its port on its day, by code or pass.
func (s *Service) CheckIn(ctx context.Context, c Caller, in CheckInInput) (*Arrival, error) {
	code := in.Code
	if in.Token != "" {
		claims, err := s.VerifyPass(ctx, in.Token)
		if err != nil {
			return nil, err
		}
		code = claims.Code
	}
	code, ok := NormalizeCode(code)
	if !ok {
		return nil, invalid("body.code", "appointments.code_invalid", nil)
	}
	var out Arrival
	err := s.DB.Update(ctx, func(tx *store.Tx) error {
		a, err := tx.AppointmentByCode(ctx, code)
		if store.IsNotFound(err) {
			return notFound()
		}
		if err != nil {
			return err
		}
		if err := officerAt(c, a); err != nil {
			return err
		}
		if today := tx.Now.In(zoneOf(a.Location)).Format(DateLayout); today != a.ServiceDate {
			return conflict("appointments.not_today", map[string]any{"service_date": a.ServiceDate})
		}
		switch a.Status {
		case "checked_in":
			return conflict("appointments.already_checked_in", nil)
		case "confirmed":
		default:
			return conflict("appointments.not_confirmed", map[string]any{"status": a.Status})
		}
		if ok, err := tx.SetAppointmentStatus(ctx, a.ID, "confirmed", "checked_in", c.Actor(), ""); err != nil || !ok {
			if err != nil {
				return err
			}
			return &senda.Error{Code: senda.CodeConflict, Key: "error.conflict"}
		}
		a.Status = "checked_in"
		out.Appointment = view(a, false)
		h, err := tx.Household(ctx, a.HouseholdID)
		if err == nil {
			if full, err := households.Open(s.Keys, h); err == nil {
				for _, m := range full.Members {
					out.Members = append(out.Members, strings.TrimSpace(m.GivenNames+" "+strings.Join(m.Surnames, " ")))
				}
			}
		}
		if out.Members == nil {
			out.Members = []string{}
		}
		return record(ctx, tx, c, "appointment.check_in", "appointment", a.ID, s.subjectOf(ctx, tx, a.HouseholdID), "status", "members.names")
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// NoShow marks that a household did not come to its appointment. The
// household may request again.
func (s *Service) NoShow(ctx context.Context, c Caller, id string) (*Appointment, error) {
	var out Appointment
	err := s.DB.Update(ctx, func(tx *store.Tx) error {
		a, err := tx.Appointment(ctx, id, true)
		if store.IsNotFound(err) {
			return notFound()
		}
		if err != nil {
			return err
		}
		if err := officerAt(c, a); err != nil {
			return err
		}
		if a.Status != "confirmed" && a.Status != "allocated" {
			return conflict("appointments.not_live", map[string]any{"status": a.Status})
		}
		if tx.Now.Before(a.Start) {
			return conflict("appointments.not_started", nil)
		}
		if ok, err := tx.SetAppointmentStatus(ctx, id, a.Status, "no_show", c.Actor(), ""); err != nil || !ok {
			if err != nil {
				return err
			}
			return &senda.Error{Code: senda.CodeConflict, Key: "error.conflict"}
		}
		a.Status = "no_show"
		out = view(a, false)
		return record(ctx, tx, c, "appointment.no_show", "appointment", id, s.subjectOf(ctx, tx, a.HouseholdID), "status")
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// Arrivals lists the day's appointments at a port for its officers (no
// names: those come with the check-in).
func (s *Service) Arrivals(ctx context.Context, c Caller, code, date string) ([]Appointment, error) {
	code, err := location("path.code", code)
	if err != nil {
		return nil, err
	}
	if (c.Role != access.PortOfficer && c.Role != access.Admin) || !c.Scope.Contains(Place(code)) {
		return nil, forbidden("appointments.port_scope")
	}
	if date == "" {
		date = s.DB.Now().In(zoneOf(code)).Format(DateLayout)
	} else if _, err := ParseDate(date); err != nil {
		return nil, invalid("query.date", "validation.date", nil)
	}
	out := []Appointment{}
	err = s.DB.View(ctx, func(tx *store.Tx) error {
		rows, err := tx.AppointmentsAt(ctx, code, date, "allocated", "confirmed", "checked_in", "no_show")
		for _, a := range rows {
			out = append(out, view(a, false))
		}
		return err
	})
	return out, err
}

// Retention keeps a household that holds a live appointment or a request
// not yet drawn.
func (s *Service) Retention(ctx context.Context, tx *store.Tx, householdID string) (bool, string, error) {
	if err := s.settleHousehold(ctx, tx, householdID); err != nil {
		return false, "", err
	}
	live, err := tx.HasAppointment(ctx, householdID, "allocated", "confirmed")
	if err != nil || live {
		return live, "live appointment", err
	}
	reqs, err := tx.RequestsOf(ctx, householdID, 5)
	if err != nil {
		return false, "", err
	}
	for _, r := range reqs {
		if st, err := requestStatus(ctx, tx, r); err != nil || st == "live" {
			return err == nil, "request waiting for its draw", err
		}
	}
	return false, "", nil
}

// contact returns how to reach a household: the principal's phone or email,
// else any member's.
func contact(h *household.Household) (channel, recipient string) {
	members := h.Members
	if p := h.Principal(); p != nil {
		members = append([]household.Member{*p}, members...)
	}
	for _, m := range members {
		if m.Phone != "" {
			return "sms", m.Phone
		}
		if m.Email != "" {
			return "email", m.Email
		}
	}
	return "", ""
}

// notify queues a message to a household in its language, inside tx. It
// returns the message id, or "" when the household left no contact.
func (s *Service) notify(ctx context.Context, tx *store.Tx, householdID, template string, params map[string]string) (string, error) {
	if s.Outbox == nil {
		return "", nil
	}
	r, err := tx.Household(ctx, householdID)
	if store.IsNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return s.notifyHousehold(ctx, tx, r, template, params)
}

// notifyHousehold is notify for a household already read.
func (s *Service) notifyHousehold(ctx context.Context, tx *store.Tx, r store.HouseholdRow, template string, params map[string]string) (string, error) {
	if s.Outbox == nil {
		return "", nil
	}
	h, err := households.Open(s.Keys, r)
	if err != nil {
		return "", err
	}
	channel, to := contact(h)
	if channel == "" {
		return "", nil
	}
	lang := h.Language
	if lang == "" {
		lang = "es"
	}
	return s.Outbox.Queue(ctx, tx, jobs.Outgoing{Channel: channel, Recipient: to, Language: lang, Template: template, Params: params})
}

// slotParams describes a slot for a message: its location and local date
// and time.
func slotParams(prefix, location string, start time.Time) map[string]string {
	l := start.In(zoneOf(location))
	name := location
	if r, ok := reference.Location(location); ok {
		name = r.Name
	}
	return map[string]string{prefix + "location": name, prefix + "date": l.Format(DateLayout), prefix + "time": l.Format("15:04")}
}
