package appointments_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/household"
	"github.com/senda-platform/senda/internal/access"
	"github.com/senda-platform/senda/internal/appointments"
	"github.com/senda-platform/senda/internal/audit"
	"github.com/senda-platform/senda/internal/store"
	"github.com/senda-platform/senda/internal/storetest"
)

func fieldKeys(err error) []string {
	se, ok := err.(*senda.Error)
	if !ok {
		return nil
	}
	var out []string
	for _, f := range se.Fields {
		out = append(out, f.Location+"="+f.Key)
	}
	return out
}

func TestRequestRules(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db, appointments.Default())
		const date = "2025-03-02"
		e.clock.Set(inWindow(date, 1))
		a := e.newApplicant(3, "es")
		other := e.newApplicant(1, "ht")

		first := e.mustRequest(a, "POE-SYS", "poe-clx")
		if first.Size != 3 || first.ServiceDate != date || first.Replaced || strings.Join(first.Preferences, ",") != "POE-SYS,POE-CLX" {
			t.Fatalf("first request: %+v", first)
		}
		if len(first.ID) != 26 || strings.ToUpper(first.ID) != first.ID {
			t.Errorf("request id %q: want 26 base32 characters", first.ID)
		}
		// Sending again replaces the request and keeps its id.
		second := e.mustRequest(a, "POE-ELP")
		if !second.Replaced || second.ID != first.ID || strings.Join(second.Preferences, ",") != "POE-ELP" {
			t.Fatalf("second request: %+v", second)
		}
		list, err := e.svc.Requests(ctx, a.caller, "")
		if err != nil || len(list) != 1 || list[0].Preferences[0] != "POE-ELP" || list[0].Status != "live" {
			t.Fatalf("requests: %+v %v", list, err)
		}
		// Each applicant sees only their own.
		if _, err := e.svc.Requests(ctx, other.caller, a.household); senda.ErrorCode(err) != senda.CodeNotFound {
			t.Fatalf("another applicant listing: got %v, want not found", err)
		}
		if _, err := e.svc.Submit(ctx, other.caller, appointments.RequestInput{HouseholdID: a.household, Preferences: []string{"POE-SYS"}}); senda.ErrorCode(err) != senda.CodeNotFound {
			t.Fatalf("another applicant requesting: got %v, want not found", err)
		}
		// With one household, the id can be left out.
		if r, err := e.svc.Submit(ctx, other.caller, appointments.RequestInput{Preferences: []string{"POE-SYS"}}); err != nil || r.HouseholdID != other.household {
			t.Fatalf("without household id: %+v %v", r, err)
		}

		for _, tc := range []struct {
			name  string
			prefs []string
			want  []string
		}{
			{"none", nil, []string{"body.preferences=appointments.preferences_count"}},
			{"four", []string{"POE-SYS", "POE-CLX", "POE-ELP", "POE-NOG"}, []string{"body.preferences=appointments.preferences_count"}},
			{"twice", []string{"POE-SYS", "poe-sys"}, []string{"body.preferences[1]=appointments.preferences_duplicate"}},
			{"unknown", []string{"POE-XYZ", "POE-SYS"}, []string{"body.preferences[0]=appointments.location_unknown"}},
		} {
			_, err := e.request(a, tc.prefs...)
			if got := strings.Join(fieldKeys(err), " "); got != strings.Join(tc.want, " ") {
				t.Errorf("%s: got %q (%v), want %q", tc.name, got, err, tc.want)
			}
		}

		// A helper acts with consent only.
		helper := appointments.Caller{Principal: access.Principal{AccountID: "helper-" + a.caller.AccountID, Role: access.Helper, Scope: "*"}, OnBehalfOf: a.caller.AccountID}
		if r, err := e.svc.Submit(ctx, helper, appointments.RequestInput{HouseholdID: a.household, Preferences: []string{"POE-NOG"}}); err != nil || !r.Replaced {
			t.Fatalf("helper with consent: %+v %v", r, err)
		}
		stranger := appointments.Caller{Principal: access.Principal{AccountID: "someone", Role: access.Helper, Scope: "*"}, OnBehalfOf: a.caller.AccountID}
		if _, err := e.svc.Submit(ctx, stranger, appointments.RequestInput{HouseholdID: a.household, Preferences: []string{"POE-NOG"}}); senda.ErrorCode(err) != senda.CodeNotFound {
			t.Fatalf("helper without consent: got %v, want not found", err)
		}

		// A household not in Mexico is not eligible; a draft is refused.
		far := e.newApplicant(1, "es")
		h, err := e.hh.Get(ctx, far.caller, far.household)
		if err != nil {
			t.Fatal(err)
		}
		gt := "GT"
		h.Members[0].Screening.CurrentCountry = &gt
		if _, err := e.hh.Save(ctx, far.caller, h, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := e.request(far, "POE-SYS"); !isKey(err, "appointments.not_eligible") {
			t.Fatalf("household in Guatemala: got %v", err)
		}

		// Withdrawing while the window is open.
		if err := e.svc.Withdraw(ctx, other.caller, other.household, date); err != nil {
			t.Fatal(err)
		}
		if l, _ := e.svc.Requests(ctx, other.caller, ""); len(l) != 1 || l[0].Status != "withdrawn" {
			t.Fatalf("after withdrawal: %+v", l)
		}

		// Outside the window: a conflict naming the next opening, in the
		// zone the applicant gave.
		e.clock.Set(time.Date(2025, 3, 1, 23, 59, 0, 0, eastern))
		_, err = e.svc.Submit(ctx, a.caller, appointments.RequestInput{HouseholdID: a.household, Preferences: []string{"POE-SYS"}, TimeZone: "America/Tijuana"})
		se, _ := err.(*senda.Error)
		if se == nil || se.Key != "appointments.window_closed" || se.Args["next_open"] != "2025-03-02 09:00 PST (America/Tijuana)" || se.Args["next_service_date"] != "2025-03-03" {
			t.Fatalf("after the close: %#v", err)
		}
		// Without a zone, the first preferred location's.
		_, err = e.request(a, "POE-ELP")
		if se, _ := err.(*senda.Error); se == nil || se.Args["time_zone"] != "America/Denver" {
			t.Fatalf("zone of the first preference: %#v", err)
		}

		// Every request was audited, with its household's owner as subject,
		// once the intake journal is folded.
		if err := e.svc.Settle(ctx); err != nil {
			t.Fatal(err)
		}
		es, err := audit.Search(ctx, db, audit.Filter{Subject: a.caller.AccountID, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, en := range es {
			if strings.HasPrefix(en.Action, "appointment.") {
				actions = append(actions, en.Action)
			}
		}
		if len(actions) != 3 {
			t.Errorf("audited request actions: %v", actions)
		}
	})
}

// Concurrent requests for one household and date leave exactly one live
// request; every request is acknowledged only once committed.
func TestConcurrentRequestsOneLivePerHousehold(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db, appointments.Default())
		const date = "2025-03-02"
		e.clock.Set(inWindow(date, 1))
		people := []applicant{e.newApplicant(1, "es"), e.newApplicant(2, "es"), e.newApplicant(4, "pt")}
		errs := make(chan error, 90)
		ids := make(chan string, 90)
		for i := range 90 {
			go func() {
				a := people[i%3]
				r, err := e.request(a, []string{"POE-SYS", "POE-CLX", "POE-ELP"}[i%3:]...)
				if err == nil {
					ids <- a.household + " " + r.ID
				}
				errs <- err
			}()
		}
		byHousehold := map[string]string{}
		for range 90 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
			s := <-ids
			hh, id, _ := strings.Cut(s, " ")
			if prev, ok := byHousehold[hh]; ok && prev != id {
				t.Fatalf("household %s got two request ids: %s and %s", hh, prev, id)
			}
			byHousehold[hh] = id
		}
		if err := e.svc.Settle(ctx); err != nil {
			t.Fatal(err)
		}
		var n int
		err := db.View(ctx, func(tx *store.Tx) error {
			return tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM appointment_requests WHERE service_date = $1 AND status = 'live'`, date).Scan(&n)
		})
		if err != nil || n != 3 {
			t.Fatalf("got %d live requests (%v), want 3", n, err)
		}
	})
}

// Eligibility is decided once per household version and day: asking again
// does not open the household again, and any change to the household, or a
// new day, is decided anew, also when the change lands between the request
// path's decision and the writer's check.
func TestEligibilityKeptPerHouseholdVersion(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db, appointments.Default())
		var calls atomic.Int32
		e.svc.Eligibility = func(ctx context.Context, h *household.Household) (bool, []string, error) {
			calls.Add(1)
			return appointments.InMexico(ctx, h)
		}
		const date = "2025-03-02"
		e.clock.Set(inWindow(date, 1))
		a := e.newApplicant(2, "es")
		move := func(country string) {
			t.Helper()
			h, err := e.hh.Get(ctx, a.caller, a.household)
			if err != nil {
				t.Fatal(err)
			}
			h.Members[0].Screening.CurrentCountry = &country
			if _, err := e.hh.Save(ctx, a.caller, h, ""); err != nil {
				t.Fatal(err)
			}
		}
		steps := []struct {
			name      string
			before    func()
			household string // as asked; empty for the only one
			eligible  bool
			calls     int32 // decisions made so far
		}{
			{"first request", nil, a.household, true, 1},
			{"again", nil, a.household, true, 1},
			{"again, household left out", nil, "", true, 2}, // the owner's household is learnt once
			{"again, household left out, known", nil, "", true, 2},
			{"moved to Guatemala", func() { move("GT") }, a.household, false, 3},
			{"still in Guatemala", nil, "", false, 3},
			{"back in Mexico", func() { move("MX") }, "", true, 4},
			{"the next day", func() { e.clock.Set(inWindow("2025-03-03", 1)) }, a.household, true, 5},
		}
		for _, s := range steps {
			if s.before != nil {
				s.before()
			}
			_, err := e.svc.Submit(ctx, a.caller, appointments.RequestInput{HouseholdID: s.household, Preferences: []string{"POE-SYS"}})
			if s.eligible && err != nil || !s.eligible && !isKey(err, "appointments.not_eligible") {
				t.Fatalf("%s: got %v, want eligible %v", s.name, err, s.eligible)
			}
			if got := calls.Load(); got != s.calls {
				t.Errorf("%s: %d decisions, want %d", s.name, got, s.calls)
			}
		}

		// A change between the request path's decision and the writer's
		// check: the writer sees the new version and decides again.
		var moved sync.Once
		e.svc.Eligibility = func(ctx context.Context, h *household.Household) (bool, []string, error) {
			calls.Add(1)
			moved.Do(func() { move("GT") })
			return appointments.InMexico(ctx, h)
		}
		e.clock.Set(inWindow("2025-03-04", 1))
		if _, err := e.svc.Submit(ctx, a.caller, appointments.RequestInput{HouseholdID: a.household, Preferences: []string{"POE-SYS"}}); !isKey(err, "appointments.not_eligible") {
			t.Fatalf("household changed while its request queued: got %v, want not eligible", err)
		}
	})
}

// Requests wait in the intake journal. Once intake has been quiet for a
// moment a writer folds them into the requests and the audit trail, each
// entry with the time its request was made, not the time of the fold.
func TestIntakeFoldsWhenQuiet(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db, appointments.Default())
		made := inWindow("2025-03-02", 1)
		e.clock.Set(made)
		a := e.newApplicant(2, "es")
		r := e.mustRequest(a, "POE-SYS")
		e.clock.Set(made.Add(time.Hour))
		for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
			var journaled, stored int
			err := db.View(ctx, func(tx *store.Tx) error {
				if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM appointment_intake`).Scan(&journaled); err != nil {
					return err
				}
				return tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM appointment_requests WHERE id = $1 AND status = 'live'`, r.ID).Scan(&stored)
			})
			if err != nil {
				t.Fatal(err)
			}
			es, err := audit.Search(ctx, db, audit.Filter{RecordType: "appointment_request", RecordID: r.ID})
			if err != nil {
				t.Fatal(err)
			}
			if journaled == 0 && stored == 1 && len(es) == 1 {
				if !es[0].At.Equal(made) || es[0].Action != "appointment.request" || es[0].ActorID != a.caller.AccountID {
					t.Fatalf("audit entry %+v: want the request's own time %s and actor", es[0], made)
				}
				return
			}
			if time.Since(start) > 30*time.Second {
				t.Fatalf("not folded: %d journaled, %d stored, %d audited", journaled, stored, len(es))
			}
		}
	})
}
