package appointments_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/senda-platform/senda/household"
	"github.com/senda-platform/senda/internal/access"
	"github.com/senda-platform/senda/internal/appointments"
	"github.com/senda-platform/senda/internal/households"
	"github.com/senda-platform/senda/internal/jobs"
	"github.com/senda-platform/senda/internal/seal"
	"github.com/senda-platform/senda/internal/store"
	"github.com/senda-platform/senda/internal/storetest"
	"github.com/senda-platform/senda/reference"
)

// clock is a settable clock for a store.
type clock = storetest.Clock

var eastern = mustZone("America/New_York")

func mustZone(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// inWindow is 15:00 New York time on the request date of service date.
func inWindow(serviceDate string, lead int) time.Time {
	t, _ := time.Parse(appointments.DateLayout, serviceDate)
	t = t.AddDate(0, 0, -lead)
	return time.Date(t.Year(), t.Month(), t.Day(), 15, 0, 0, 0, eastern)
}

// afterClose is just after the window of service date closed.
func afterClose(serviceDate string, lead int) time.Time {
	t, _ := time.Parse(appointments.DateLayout, serviceDate)
	t = t.AddDate(0, 0, -lead)
	return time.Date(t.Year(), t.Month(), t.Day(), 23, 59, 30, 0, eastern)
}

// env is a service on a fresh store with a settable clock.
type env struct {
	t      testing.TB
	db     *store.DB
	keys   *seal.Keyring
	clock  *clock
	svc    *appointments.Service
	hh     *households.Service
	outbox *jobs.Outbox
}

func loadLocations(t testing.TB, db *store.DB) {
	t.Helper()
	var locs []store.Location
	for _, l := range reference.Locations() {
		locs = append(locs, store.Location{Code: l.Code, Kind: string(l.Kind), Country: l.Country, Name: l.Name, TimeZone: l.TimeZone, Latitude: l.Lat, Longitude: l.Lon})
	}
	if err := db.LoadLocations(context.Background(), reference.Version, locs); err != nil {
		t.Fatal(err)
	}
}

func newEnv(t testing.TB, db *store.DB, cfg appointments.Config) *env {
	t.Helper()
	return newEnvKeys(t, db, cfg, seal.New(), storetest.NewClock(time.Date(2025, 3, 1, 15, 0, 0, 0, eastern)))
}

func newEnvKeys(t testing.TB, db *store.DB, cfg appointments.Config, keys *seal.Keyring, c *clock) *env {
	t.Helper()
	db.Now = c.Now
	loadLocations(t, db)
	ob := jobs.NewOutbox(db, keys, jobs.DevSender{}, nil)
	svc, err := appointments.New(db, keys, ob, nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	e := &env{t: t, db: db, keys: keys, clock: c, svc: svc, outbox: ob}
	e.hh = &households.Service{DB: db, Keys: keys, ActsFor: func(context.Context, string, string) (bool, error) { return false, nil }}
	svc.ActsFor = func(_ context.Context, helper, applicant string) (bool, error) {
		return helper == "helper-"+applicant, nil
	}
	return e
}

var manager = appointments.Caller{Principal: access.Principal{TokenID: "pm", Kind: "token", Role: access.ProgrammeManager, Scope: "*"}}
var admin = appointments.Caller{Principal: access.Principal{TokenID: "admin", Kind: "token", Role: access.Admin, Scope: "*"}}

func officer(scope access.Scope) appointments.Caller {
	return appointments.Caller{Principal: access.Principal{TokenID: "po", Kind: "token", Role: access.PortOfficer, Scope: scope}}
}

// family reads the four-person test household.
func family(t testing.TB) *household.Household {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "households", "testdata", "family.json"))
	if err != nil {
		t.Fatal(err)
	}
	var h household.Household
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	return &h
}

// applicant is a signed-up applicant with one registered household.
type applicant struct {
	caller    appointments.Caller
	household string
	size      int
}

// newApplicant creates an account and registers a household of size
// persons (1..4) speaking lang.
func (e *env) newApplicant(size int, lang string) applicant {
	e.t.Helper()
	ctx := context.Background()
	id := store.NewID()
	err := e.db.Update(ctx, func(tx *store.Tx) error {
		return tx.CreateAccount(ctx, store.Account{ID: id, Kind: "applicant", Role: string(access.Applicant), Scope: "*", Language: lang})
	})
	if err != nil {
		e.t.Fatal(err)
	}
	c := appointments.Caller{Principal: access.Principal{AccountID: id, Kind: "applicant", Role: access.Applicant, Scope: "*"}}
	h := family(e.t)
	h.Members = h.Members[:size]
	h.Language = lang
	saved, err := e.hh.Save(ctx, c, h, "")
	if err != nil {
		e.t.Fatal(err)
	}
	return applicant{caller: c, household: saved.ID, size: size}
}

// week puts the same slots on every day of a location's template.
func (e *env) week(code string, slots ...appointments.SlotSpec) {
	e.t.Helper()
	var w appointments.Week
	w.Sun, w.Mon, w.Tue, w.Wed, w.Thu, w.Fri, w.Sat = slots, slots, slots, slots, slots, slots, slots
	if _, err := e.svc.SetTemplate(context.Background(), manager, code, w); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) request(a applicant, prefs ...string) (*appointments.Request, error) {
	return e.svc.Submit(context.Background(), a.caller, appointments.RequestInput{HouseholdID: a.household, Preferences: prefs})
}

func (e *env) mustRequest(a applicant, prefs ...string) *appointments.Request {
	e.t.Helper()
	r, err := e.request(a, prefs...)
	if err != nil {
		e.t.Fatalf("request: %v", err)
	}
	return r
}

// execute runs every due step of a date's draw.
func (e *env) execute(date string) appointments.DrawInfo {
	e.t.Helper()
	info, err := e.svc.Execute(context.Background(), admin, date)
	if err != nil {
		e.t.Fatalf("execute %s: %v", date, err)
	}
	return info
}

// live returns the household's live appointment, or nil.
func (e *env) live(a applicant) *appointments.Appointment {
	e.t.Helper()
	l, err := e.svc.Mine(context.Background(), a.caller, a.household)
	if err != nil {
		e.t.Fatal(err)
	}
	for i := range l {
		if l[i].Status == "allocated" || l[i].Status == "confirmed" {
			return &l[i]
		}
	}
	return nil
}

func slot(start string, capacity int) appointments.SlotSpec {
	return appointments.SlotSpec{Start: start, Capacity: capacity}
}
