package appointments_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/senda-platform/senda/internal/appointments"
	"github.com/senda-platform/senda/internal/audit"
	"github.com/senda-platform/senda/internal/seal"
	"github.com/senda-platform/senda/internal/store"
	"github.com/senda-platform/senda/internal/storetest"
)

// twoNodes opens one fresh, migrated database of engine twice, with a
// connection pool each, as two processes would.
func twoNodes(t *testing.T, engine store.Dialect) (db1, db2 *store.DB) {
	t.Helper()
	ctx, opts := context.Background(), storetest.Options(t, engine)
	open := func() *store.DB {
		db, err := store.Open(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	db1, db2 = open(), open()
	if err := db1.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db1, db2
}

// Two nodes on one database, each with its own connections and intake
// writers, as two processes would be: many households request and replace
// at once through both, both trigger the draw many times, then households
// confirm and cancel on both while a port closes. The draw runs once, no
// slot goes over capacity, no household holds two appointments.
func TestTwoNodesOneDatabase(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(string(engine), func(t *testing.T) {
			ctx := context.Background()
			db1, db2 := twoNodes(t, engine)
			keys := seal.New()
			clk := &clock{}
			const day = "2025-03-02"
			clk.Set(inWindow(day, 1))
			n1 := newEnvKeys(t, db1, appointments.Default(), keys, clk)
			n2 := newEnvKeys(t, db2, appointments.Default(), keys, clk)
			nodes := []*env{n1, n2}
			n1.week("POE-SYS", slot("08:00", 5), slot("09:00", 2))
			n1.week("POE-CLX", slot("09:00", 3))
			var people []applicant
			for i := range 24 {
				people = append(people, n1.newApplicant(1+i%4, "es"))
			}

			var wg sync.WaitGroup
			for i, a := range people {
				for k := range 2 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						prefs := [][]string{{"POE-SYS", "POE-CLX"}, {"POE-CLX"}, {"POE-SYS"}}[(i+k)%3]
						if _, err := nodes[(i+k)%2].request(a, prefs...); err != nil {
							t.Error(err)
						}
					}()
				}
			}
			wg.Wait()

			clk.Set(afterClose(day, 1))
			for i := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := nodes[i%2].svc.Execute(ctx, admin, day); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			info, err := n2.svc.Draw(ctx, day)
			if err != nil || info.Status != "published" || info.Requests != 24 {
				t.Fatalf("draw: %+v %v", info, err)
			}
			runs, err := audit.Search(ctx, db1, audit.Filter{Action: "draw.run", Limit: 10})
			if err != nil || len(runs) != 1 {
				t.Fatalf("the draw ran %d times (%v), want once", len(runs), err)
			}
			rec := verifiedRecord(t, n1.svc, day)
			if len(rec.Allocations) != info.Allocations || info.Allocations == 0 {
				t.Fatalf("record has %d allocations, status says %d", len(rec.Allocations), info.Allocations)
			}
			checkInvariants(t, db1)

			// Confirmations, cancellations and a closure at once, on both nodes.
			clk.Set(afterClose(day, 1).Add(time.Minute))
			from, until := localDay(day, "America/Los_Angeles")
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := n2.svc.CreateClosure(ctx, manager, appointments.ClosureInput{Location: "POE-SYS", From: from, Until: until, Starts: []string{"08:00"}, Reason: "lane closed"}); err != nil {
					t.Error(err)
				}
			}()
			for i, a := range people {
				ap := n1.live(a)
				if ap == nil {
					continue
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					node := nodes[i%2]
					if i%3 == 0 {
						if _, err := node.svc.Cancel(ctx, a.caller, ap.ID); err != nil {
							t.Error(err)
						}
						return
					}
					lat, lon := 32.5, -117.0
					if _, _, err := node.svc.Confirm(ctx, a.caller, ap.ID, appointments.Evidence{Latitude: &lat, Longitude: &lon, Liveness: ap.Challenge}); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			checkInvariants(t, db1)
		})
	}
}

// A node remembers the draws it found open, so that its intake writer
// stores a batch without a transaction of its own; the store still checks
// each draw. When another node closed the draw in the meantime, the request
// is refused as outside the window and nothing of it is stored, and the
// node forgets the draw.
func TestIntakeSeesADrawClosedByAnotherNode(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(string(engine), func(t *testing.T) {
			ctx := context.Background()
			db1, db2 := twoNodes(t, engine)
			clk := &clock{}
			const day = "2025-03-02"
			clk.Set(inWindow(day, 1))
			n1 := newEnvKeys(t, db1, appointments.Default(), seal.New(), clk)
			n1.week("POE-SYS", slot("08:00", 5))
			a, b := n1.newApplicant(2, "es"), n1.newApplicant(1, "es")
			first := n1.mustRequest(a, "POE-SYS")
			// Stored by the writer's own path once the draw is known open.
			if again := n1.mustRequest(a, "POE-SYS"); again.ID != first.ID {
				t.Fatalf("sent again: id %s, want %s", again.ID, first.ID)
			}
			err := db2.Update(ctx, func(tx *store.Tx) error {
				ok, err := tx.SetDrawStatus(ctx, day, "open", "closed", nil)
				if err == nil && !ok {
					t.Error("the draw was not open")
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, who := range []applicant{a, b, a} {
				if _, err := n1.request(who, "POE-SYS"); !isKey(err, "appointments.window_closed") {
					t.Fatalf("after the close: %v", err)
				}
			}
			if err := n1.svc.Settle(ctx); err != nil {
				t.Fatal(err)
			}
			if l, _ := n1.svc.Requests(ctx, b.caller, ""); len(l) != 0 {
				t.Fatalf("refused request stored: %+v", l)
			}
			if l, _ := n1.svc.Requests(ctx, a.caller, ""); len(l) != 1 || l[0].ID != first.ID {
				t.Fatalf("requests of the first household: %+v", l)
			}
		})
	}
}

// A node's intake writer remembers the households it checked, so that it
// stores the next requests for them in one statement; the store checks that
// each is still as remembered. Changes made through another node show at
// the next request: a new member, a second household of the same account,
// an appointment held.
func TestIntakeSeesAHouseholdChangedByAnotherNode(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(string(engine), func(t *testing.T) {
			ctx := context.Background()
			db1, db2 := twoNodes(t, engine)
			clk := &clock{}
			clk.Set(inWindow("2025-03-02", 1))
			keys := seal.New()
			n1 := newEnvKeys(t, db1, appointments.Default(), keys, clk)
			n2 := newEnvKeys(t, db2, appointments.Default(), keys, clk)
			n1.week("POE-SYS", slot("08:00", 5))
			var mu sync.Mutex
			var batches []string
			n1.svc.ObserveIntake = func(path, outcome string, _ int, _ time.Duration) {
				mu.Lock()
				defer mu.Unlock()
				batches = append(batches, path+"/"+outcome)
			}
			a := n1.newApplicant(2, "es")
			only := func() (*appointments.Request, error) {
				return n1.svc.Submit(ctx, a.caller, appointments.RequestInput{Preferences: []string{"POE-SYS"}})
			}
			for range 3 { // read, then remembered
				if r, err := only(); err != nil || r.Size != 2 {
					t.Fatalf("before: %+v, %v", r, err)
				}
			}
			h, err := n2.hh.Get(ctx, a.caller, a.household)
			if err != nil {
				t.Fatal(err)
			}
			h.Members = family(t).Members[:3]
			if _, err := n2.hh.Save(ctx, a.caller, h, ""); err != nil {
				t.Fatal(err)
			}
			for range 2 {
				if r, err := only(); err != nil || r.Size != 3 {
					t.Fatalf("after a member joined: %+v, %v", r, err)
				}
			}
			second := family(t)
			second.Members, second.Language = second.Members[:1], "es"
			if _, err := n2.hh.Save(ctx, a.caller, second, ""); err != nil {
				t.Fatal(err)
			}
			if _, err := only(); fmt.Sprint(fieldKeys(err)) != "[body.household_id=appointments.household_required]" {
				t.Fatalf("with a second household: %v", err)
			}
			for range 2 {
				if r, err := n1.request(a, "POE-SYS"); err != nil || r.Size != 3 {
					t.Fatalf("named: %+v, %v", r, err)
				}
			}
			err = db2.Update(ctx, func(tx *store.Tx) error {
				_, err := tx.InsertAppointment(ctx, store.AppointmentRow{ID: store.NewID(), Code: "HELD1", HouseholdID: a.household, RequestID: "R1",
					DrawDate: "2025-02-28", Phase: "lottery", ServiceDate: "2025-03-01", Location: "POE-SYS", Start: clk.Now(), Size: 3,
					Preferences: "POE-SYS", Status: "allocated", ConfirmBy: clk.Now().Add(time.Hour)})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := n1.request(a, "POE-SYS"); !isKey(err, "appointments.has_appointment") {
				t.Fatalf("holding an appointment: %v", err)
			}
			// Each change costs one statement that writes nothing, then the
			// writer's transaction; otherwise one statement per batch.
			mu.Lock()
			defer mu.Unlock()
			want := []string{"transaction/stored", "remembered/stored", "remembered/stored", // before
				"remembered/changed", "transaction/stored", "remembered/stored", // a member joined
				"remembered/changed", "transaction/stored", // a second household
				"read/stored", "remembered/stored", // named
				"remembered/changed", "transaction/stored"} // an appointment held
			if fmt.Sprint(batches) != fmt.Sprint(want) {
				t.Errorf("batches\n%v, want\n%v", batches, want)
			}
		})
	}
}
