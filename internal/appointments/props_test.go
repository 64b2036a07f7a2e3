package appointments_test

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/senda-platform/senda/draw"
	"github.com/senda-platform/senda/internal/appointments"
	"github.com/senda-platform/senda/internal/store"
	"github.com/senda-platform/senda/internal/storetest"
)

// withChecks runs f with rapid set to n checks per property (the store
// makes each check cost milliseconds), unless more were asked for.
func withChecks(t *testing.T, n int, f func()) {
	t.Helper()
	fl := flag.Lookup("rapid.checks")
	old := fl.Value.String()
	if cur, _ := strconv.Atoi(old); cur != 100 {
		f()
		return
	}
	fl.Value.Set(strconv.Itoa(n))
	defer fl.Value.Set(old)
	f()
}

func addDate(date string, n int) string {
	t, _ := time.Parse(appointments.DateLayout, date)
	return t.AddDate(0, 0, n).Format(appointments.DateLayout)
}

// Day after day of random capacity, requests, confirmations, cancellations
// and closures, on both engines: no slot ever holds more than its capacity
// and each slot's count is the persons booked in it; no household holds two
// live appointments or two on one date; every record verifies and
// recomputes to the same allocations; the priority phase never exceeds its
// budget and goes by registration time.
func TestInvariantsOverRandomDays(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db, appointments.Default())
		locs := []string{"POE-SYS", "POE-CLX", "POE-ELP"}
		var pool []applicant
		for i := range 14 {
			pool = append(pool, e.newApplicant(1+i%4, []string{"es", "ht", "en", "pt"}[i%4]))
		}
		day := 0
		withChecks(t, 12, func() {
			rapid.Check(t, func(rt *rapid.T) {
				date := addDate("2025-04-01", day)
				day++
				for _, l := range locs {
					var specs []appointments.SlotSpec
					for j := range rapid.IntRange(0, 3).Draw(rt, "slots") {
						specs = append(specs, slot(fmt.Sprintf("%02d:00", 7+2*j), rapid.IntRange(0, 6).Draw(rt, "capacity")))
					}
					if _, err := e.svc.SetOverride(ctx, manager, l, date, specs); err != nil {
						rt.Fatal(err)
					}
				}
				e.clock.Set(inWindow(date, 1))
				if _, err := e.svc.ReleaseDue(ctx); err != nil {
					rt.Fatal(err)
				}
				for _, a := range pool {
					if !rapid.Bool().Draw(rt, "asks") {
						continue
					}
					prefs := rapid.Permutation(locs).Draw(rt, "preferences")[:rapid.IntRange(1, 3).Draw(rt, "how many")]
					if _, err := e.request(a, prefs...); err != nil && !isKey(err, "appointments.has_appointment") {
						rt.Fatalf("request: %v", err)
					}
				}
				e.clock.Set(afterClose(date, 1))
				if _, err := e.svc.Execute(ctx, admin, date); err != nil {
					rt.Fatal(err)
				}
				rec := verifiedRecord(rt, e.svc, date)
				// Determinism: the draw package recomputes the same allocations.
				in := *rec
				in.Allocations, in.RequestsRoot = nil, ""
				again, err := draw.Run(&in)
				if err != nil {
					rt.Fatal(err)
				}
				if !slices.EqualFunc(again.Allocations, rec.Allocations, func(a, b draw.Allocation) bool {
					return a.Request == b.Request && a.Location == b.Location && a.Start.Equal(b.Start) && a.Phase == b.Phase
				}) {
					rt.Fatalf("recomputed allocations differ")
				}
				// The priority budget, and the order of the priority phase.
				size := map[string]draw.Request{}
				for _, r := range rec.Requests {
					size[r.ID] = r
				}
				var used int64
				var last draw.Request
				for i, a := range rec.Allocations {
					if a.Phase != draw.PhasePriority {
						continue
					}
					r := size[a.Request]
					used += int64(r.Size)
					if i > 0 && (r.RegisteredAt.Before(last.RegisteredAt) || r.RegisteredAt.Equal(last.RegisteredAt) && r.ID < last.ID) {
						rt.Fatalf("priority allocation %d out of registration order", i)
					}
					last = r
				}
				if b := draw.Budget(rec.Slots, rec.PriorityShareBP); used > b {
					rt.Fatalf("priority phase used %d persons, budget %d", used, b)
				}
				// Households confirm or cancel before their appointments.
				for _, a := range pool {
					ap := e.live(a)
					if ap == nil {
						continue
					}
					switch rapid.IntRange(0, 2).Draw(rt, "action") {
					case 0:
						if _, err := e.svc.Cancel(ctx, a.caller, ap.ID); err != nil && !isKey(err, "appointments.started") {
							rt.Fatal(err)
						}
					case 1:
						lat, lon := 31.7, -106.4
						_, _, err := e.svc.Confirm(ctx, a.caller, ap.ID, appointments.Evidence{Latitude: &lat, Longitude: &lon, Liveness: ap.Challenge})
						if err != nil && !isKey(err, "appointments.confirm_expired") {
							rt.Fatal(err)
						}
					}
				}
				// Sometimes a location closes after the draw.
				if rapid.Bool().Draw(rt, "closure") {
					l := rapid.SampledFrom(locs).Draw(rt, "closed location")
					t0, _ := time.Parse(appointments.DateLayout, date)
					from := t0.Add(-12 * time.Hour)
					if _, err := e.svc.CreateClosure(ctx, manager, appointments.ClosureInput{Location: l, From: from, Until: from.Add(48 * time.Hour), Reason: "random closure"}); err != nil {
						rt.Fatal(err)
					}
				}
				checkInvariants(rt, db)
			})
		})
		var summary []string
		db.View(ctx, func(tx *store.Tx) error {
			rows, err := tx.QueryContext(ctx, `SELECT status, COUNT(*) FROM appointments GROUP BY status ORDER BY status`)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var st string
				var n int
				rows.Scan(&st, &n)
				summary = append(summary, fmt.Sprintf("%s %d", st, n))
			}
			var moves int
			tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM appointment_moves`).Scan(&moves)
			summary = append(summary, fmt.Sprintf("moves %d", moves))
			return rows.Err()
		})
		t.Logf("after %d days: %v", day, summary)
	})
}
