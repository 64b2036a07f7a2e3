package appointments

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"strings"
	"time"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/internal/access"
	"github.com/senda-platform/senda/internal/store"
)

// RequestInput is what a household sends to ask for an appointment.
type RequestInput struct {
	HouseholdID string   `json:"household_id,omitempty" maxLength:"64" doc:"The household; may be left out when you have only one"`
	ServiceDate string   `json:"service_date,omitempty" format:"date" doc:"The day asked for; the one whose window is open when left out"`
	Preferences []string `json:"preferences" minItems:"1" maxItems:"3" doc:"One to three location codes, most preferred first" example:"[\"POE-SYS\",\"POE-CLX\"]"`
	TimeZone    string   `json:"time_zone,omitempty" maxLength:"64" doc:"Your time zone (IANA), for the times in answers and errors" example:"America/Tijuana"`
}

// Request is a household's request for one service date.
type Request struct {
	ID           string    `json:"id" doc:"Random request id: it enters the public draw record and reveals nothing about you"`
	ServiceDate  string    `json:"service_date"`
	HouseholdID  string    `json:"household_id"`
	Size         int       `json:"size" doc:"Persons travelling together"`
	RegisteredAt time.Time `json:"registered_at" doc:"When the household registered: the priority phase goes by it"`
	Preferences  []string  `json:"preferences"`
	Status       string    `json:"status" enum:"live,withdrawn,excluded,allocated,unallocated,void"`
	Replaced     bool      `json:"replaced" doc:"True when this replaced an earlier request for the same date"`
	UpdatedAt    time.Time `json:"updated_at"`
	Window       Window    `json:"window"`
}

// newRequestID returns a random request id: 16 random bytes in base32,
// 26 characters, without personal meaning.
func newRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:])
}

// checkPreferences validates one to three distinct known locations.
func checkPreferences(prefs []string) ([]string, error) {
	var fields []senda.FieldError
	if len(prefs) < 1 || len(prefs) > 3 {
		fields = append(fields, senda.FieldError{Location: "body.preferences", Key: "appointments.preferences_count"})
	}
	out := make([]string, 0, len(prefs))
	seen := map[string]bool{}
	for i, p := range prefs {
		code, err := location("body.preferences["+itoa(i)+"]", p)
		if err != nil {
			fields = append(fields, err.(*senda.Error).Fields...)
			continue
		}
		if seen[code] {
			fields = append(fields, senda.FieldError{Location: "body.preferences[" + itoa(i) + "]", Key: "appointments.preferences_duplicate"})
		}
		seen[code] = true
		out = append(out, code)
	}
	if len(fields) > 0 {
		return nil, &senda.Error{Code: senda.CodeInvalid, Key: "error.invalid", Fields: fields}
	}
	return out, nil
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

// Submit records a household's request for the service date whose window
// is open, replacing its earlier request for that date. It is acknowledged
// only once committed. Outside the window it answers a conflict
// (appointments.window_closed) that gives the next opening in the caller's
// time zone.
func (s *Service) Submit(ctx context.Context, c Caller, in RequestInput) (*Request, error) {
	if c.Role != access.Applicant && c.Role != access.Helper {
		return nil, forbidden("appointments.request_role")
	}
	prefs, err := checkPreferences(in.Preferences)
	if err != nil {
		return nil, err
	}
	if in.TimeZone != "" {
		if _, ok := loadZone(in.TimeZone); !ok {
			return nil, invalid("body.time_zone", "appointments.time_zone", nil)
		}
	}
	if in.ServiceDate != "" {
		if _, err := ParseDate(in.ServiceDate); err != nil {
			return nil, invalid("body.service_date", "validation.date", nil)
		}
	}
	// A helper acts only with the applicant's live consent; which household
	// is meant, and whether it may ask, the intake writer checks in the
	// transaction that stores the request.
	if c.Role == access.Helper {
		if ok, err := s.consented(ctx, c); err != nil || !ok {
			if err != nil {
				return nil, err
			}
			if in.HouseholdID == "" {
				return nil, invalid("body.household_id", "appointments.household_required", nil)
			}
			return nil, notFound()
		}
	}
	// The applicant's own zone: the one they gave, else their first
	// preferred location's.
	zone := zoneOf(prefs[0])
	if in.TimeZone != "" {
		zone = s.zoneOr(in.TimeZone)
	}
	now := s.DB.Now()
	date, open := s.window.at(now)
	if in.ServiceDate != "" && in.ServiceDate != date {
		open, date = false, in.ServiceDate
	}
	if !open {
		return nil, s.closedError(now, date, zone)
	}
	// Decide eligibility here, where requests run in parallel, unless it is
	// known already; the writer only checks that the household did not
	// change since.
	if err := s.prepareVerdict(ctx, c, in.HouseholdID, now); err != nil {
		return nil, err
	}
	it := &intakeItem{ctx: ctx, c: c, done: make(chan struct{}), zone: zone, household: in.HouseholdID, row: store.RequestRow{
		Key: store.NewID(), ID: newRequestID(), ServiceDate: date, Preferences: strings.Join(prefs, ","),
	}}
	if err := s.enqueue(ctx, it); err != nil {
		return nil, err
	}
	if it.err != nil {
		return nil, it.err
	}
	return &Request{ID: it.id, ServiceDate: date, HouseholdID: it.row.HouseholdID, Size: it.row.Size, RegisteredAt: it.row.RegisteredAt, Preferences: prefs,
		Status: "live", Replaced: it.replaced, UpdatedAt: it.at, Window: s.WindowFor(now, date, zone.String())}, nil
}

// consented reports whether a helper holds the live consent of the
// applicant it acts for.
func (s *Service) consented(ctx context.Context, c Caller) (bool, error) {
	if c.OnBehalfOf == "" || s.ActsFor == nil {
		return false, nil
	}
	return s.ActsFor(ctx, c.AccountID, c.OnBehalfOf)
}

// requester finds the household a caller asks for: the one named, or the
// caller's only household.
func (s *Service) requester(ctx context.Context, c Caller, id string) (store.HouseholdRow, error) {
	st, err := s.intakeStatements()
	if err != nil {
		return store.HouseholdRow{}, err
	}
	if id == "" {
		own := owner(c)
		if own == "" {
			return store.HouseholdRow{}, invalid("body.household_id", "appointments.household_required", nil)
		}
		if c.Role == access.Helper {
			if ok, err := s.consented(ctx, c); err != nil || !ok {
				if err != nil {
					return store.HouseholdRow{}, err
				}
				return store.HouseholdRow{}, invalid("body.household_id", "appointments.household_required", nil)
			}
		}
		list, err := st.IntakeHouseholds(ctx, own, 2)
		if err != nil {
			return store.HouseholdRow{}, err
		}
		if len(list) != 1 {
			return store.HouseholdRow{}, invalid("body.household_id", "appointments.household_required", nil)
		}
		return list[0], nil
	}
	h, err := st.IntakeHousehold(ctx, id)
	if store.IsNotFound(err) {
		return h, notFound()
	}
	if err != nil {
		return h, err
	}
	if ok, err := s.actsFor(ctx, c, h); err != nil || !ok {
		if err != nil {
			return h, err
		}
		return h, notFound()
	}
	return h, nil
}

// Withdraw takes back a household's request for a date while its window is
// open. householdID may be left empty when the caller has one household.
func (s *Service) Withdraw(ctx context.Context, c Caller, householdID, date string) error {
	if _, err := ParseDate(date); err != nil {
		return invalid("path.service_date", "validation.date", nil)
	}
	if householdID == "" {
		h, err := s.requester(ctx, c, "")
		if err != nil {
			return err
		}
		householdID = h.ID
	}
	return s.DB.Update(ctx, func(tx *store.Tx) error {
		h, err := s.householdFor(ctx, tx, c, householdID)
		if err != nil {
			return err
		}
		if err := s.settleHousehold(ctx, tx, h.ID); err != nil {
			return err
		}
		d, err := tx.Draw(ctx, date, "share")
		if store.IsNotFound(err) || err == nil && (d.Status != "open" || !tx.Now.Before(d.ClosesAt)) {
			return s.closedError(tx.Now, date, s.window.zone)
		}
		if err != nil {
			return err
		}
		r, err := tx.Request(ctx, date, h.ID)
		if store.IsNotFound(err) {
			return notFound()
		}
		if err != nil {
			return err
		}
		ok, err := tx.SetRequestStatus(ctx, date, h.ID, "live", "withdrawn")
		if err != nil {
			return err
		}
		if !ok {
			return notFound()
		}
		return record(ctx, tx, c, "appointment.request.withdraw", "appointment_request", r.ID, subject(h), "status")
	})
}

// Requests lists a household's requests, newest first.
func (s *Service) Requests(ctx context.Context, c Caller, householdID string) ([]Request, error) {
	out := []Request{}
	// The requests still in the intake journal are folded first.
	err := s.DB.Update(ctx, func(tx *store.Tx) error {
		ids, err := s.householdsOf(ctx, tx, c, householdID)
		if err != nil {
			return err
		}
		out = out[:0]
		for _, id := range ids {
			if err := s.settleHousehold(ctx, tx, id); err != nil {
				return err
			}
			rows, err := tx.RequestsOf(ctx, id, 100)
			if err != nil {
				return err
			}
			for _, r := range rows {
				status, err := requestStatus(ctx, tx, r)
				if err != nil {
					return err
				}
				out = append(out, Request{ID: r.ID, ServiceDate: r.ServiceDate, HouseholdID: r.HouseholdID, Size: r.Size, RegisteredAt: r.RegisteredAt,
					Preferences: strings.Split(r.Preferences, ","), Status: status, UpdatedAt: r.UpdatedAt, Window: s.WindowFor(tx.Now, r.ServiceDate, "")})
			}
		}
		return nil
	})
	return out, err
}

// requestStatus is a request's status as its household sees it. The draw
// does not rewrite its requests: one still live once its date's draw has
// run was allocated if the draw gave it an appointment, else not.
func requestStatus(ctx context.Context, tx *store.Tx, r store.RequestRow) (string, error) {
	if r.Status != "live" {
		return r.Status, nil
	}
	d, err := tx.Draw(ctx, r.ServiceDate, "")
	if store.IsNotFound(err) {
		return r.Status, nil
	}
	if err != nil {
		return "", err
	}
	if d.Status != "drawn" && d.Status != "published" {
		return r.Status, nil
	}
	got, err := tx.AppointmentFor(ctx, r.HouseholdID, r.ID)
	if err != nil {
		return "", err
	}
	if got {
		return "allocated", nil
	}
	return "unallocated", nil
}

// householdsOf returns the household named (if the caller may act for it)
// or every household the caller may act for.
func (s *Service) householdsOf(ctx context.Context, tx *store.Tx, c Caller, id string) ([]string, error) {
	if id != "" {
		h, err := s.householdFor(ctx, tx, c, id)
		if err != nil {
			return nil, err
		}
		return []string{h.ID}, nil
	}
	own := owner(c)
	if own == "" {
		return nil, nil
	}
	if c.Role == access.Helper {
		if s.ActsFor == nil {
			return nil, nil
		}
		ok, err := s.ActsFor(ctx, c.AccountID, own)
		if err != nil || !ok {
			return nil, err
		}
	}
	list, err := tx.HouseholdsOwnedBy(ctx, own, 50)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(list))
	for i, h := range list {
		ids[i] = h.ID
	}
	return ids, nil
}
