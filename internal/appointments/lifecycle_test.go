package appointments_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/draw"
	"github.com/senda-platform/senda/internal/appointments"
	"github.com/senda-platform/senda/internal/audit"
	"github.com/senda-platform/senda/internal/store"
	"github.com/senda-platform/senda/internal/storetest"
)

// checkInvariants checks, straight from the tables, that no slot holds
// more persons than its capacity, that each slot's count is the persons of
// the appointments in it, and that no household holds two live
// appointments or two appointments on one date.
func checkInvariants(t tb, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	err := db.View(ctx, func(tx *store.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT s.location, s.start_at, s.capacity, s.used, s.held,
			COALESCE((SELECT SUM(a.size) FROM appointments a WHERE a.location = s.location AND a.start_at = s.start_at
				AND a.status IN ('allocated', 'confirmed', 'checked_in', 'no_show', 'expired')), 0)
			FROM slots s`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var loc string
			var at int64
			var capacity, used, held, sum int
			if err := rows.Scan(&loc, &at, &capacity, &used, &held, &sum); err != nil {
				return err
			}
			if used+held > capacity {
				t.Errorf("slot %s %v: used %d + held %d > capacity %d", loc, store.FromMicros(at), used, held, capacity)
			}
			if used != sum {
				t.Errorf("slot %s %v: used %d, but its appointments hold %d persons", loc, store.FromMicros(at), used, sum)
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		for _, q := range []string{
			`SELECT household_id, COUNT(*) FROM appointments WHERE status IN ('allocated', 'confirmed') GROUP BY household_id HAVING COUNT(*) > 1`,
			`SELECT household_id || ' ' || service_date, COUNT(*) FROM appointments WHERE status IN ('allocated', 'confirmed', 'checked_in') GROUP BY household_id, service_date HAVING COUNT(*) > 1`,
			`SELECT a.id, COUNT(*) FROM appointments a WHERE NOT EXISTS (SELECT 1 FROM slots s WHERE s.location = a.location AND s.start_at = a.start_at) GROUP BY a.id`,
		} {
			var bad string
			var n int
			err := tx.QueryRowContext(ctx, q).Scan(&bad, &n)
			if err == nil {
				t.Errorf("%s: %s (%d)", q, bad, n)
			} else if !store.IsNotFound(err) {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// record fetches and decodes a published draw record, and checks it with
// draw.Verify.
func verifiedRecord(t tb, svc *appointments.Service, date string) *draw.Record {
	t.Helper()
	b, info, err := svc.Record(context.Background(), date)
	if err != nil {
		t.Fatal(err)
	}
	if info.Status != "published" {
		t.Fatalf("draw %s: status %s, want published", date, info.Status)
	}
	rec, err := draw.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decode record: %v\n%s", err, b)
	}
	if err := draw.Verify(rec); err != nil {
		t.Fatalf("verify record: %v", err)
	}
	// The record is canonical: encoding what was decoded gives it back.
	var again bytes.Buffer
	draw.Encode(&again, rec)
	if !bytes.Equal(again.Bytes(), b) {
		t.Errorf("record is not in canonical form")
	}
	return rec
}

func TestDrawLifecycle(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db, appointments.Default())
		e.week("POE-SYS", slot("08:00", 4), slot("10:00", 4))
		e.week("POE-CLX", slot("09:00", 3))
		const date = "2025-03-02"
		e.clock.Set(inWindow(date, 1))
		var people []applicant
		for i := range 8 {
			people = append(people, e.newApplicant(1+i%4, "es"))
		}
		for i, a := range people {
			prefs := []string{"POE-SYS", "POE-CLX"}
			if i%3 == 0 {
				prefs = []string{"POE-CLX"}
			}
			e.mustRequest(a, prefs...)
		}
		// Before the close the record shows the commitment only.
		b, info, err := e.svc.Record(ctx, date)
		if err != nil {
			t.Fatal(err)
		}
		if info.Status != "open" || bytes.Contains(b, []byte(`"requests"`)) || !bytes.Contains(b, []byte(info.Commitment)) {
			t.Fatalf("open record: %s", b)
		}
		// After the close: the requests root and the requests, no seed.
		e.clock.Set(afterClose(date, 1))
		if _, err := e.svc.CloseDraw(ctx, admin, date); err != nil {
			t.Fatal(err)
		}
		b, info, err = e.svc.Record(ctx, date)
		if err != nil {
			t.Fatal(err)
		}
		if info.Status != "closed" || info.Requests != 8 || bytes.Contains(b, []byte(`"seed"`)) || !bytes.Contains(b, []byte(info.RequestsRoot)) {
			t.Fatalf("closed record (%s, %d requests): %s", info.Status, info.Requests, b)
		}
		if info.Guarantee != "seed_only" {
			t.Errorf("guarantee: got %s, want seed_only", info.Guarantee)
		}
		// A request after the close is refused.
		if _, err := e.request(people[0], "POE-SYS"); senda.ErrorCode(err) != senda.CodeConflict {
			t.Fatalf("request after close: got %v, want a conflict", err)
		}
		// Run from several goroutines at once: exactly one draw.
		var wg sync.WaitGroup
		ran := make([]bool, 6)
		for i := range ran {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var err error
				ran[i], err = e.svc.RunDraw(ctx, admin, date)
				if err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		n := 0
		for _, r := range ran {
			if r {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("the draw ran %d times, want once", n)
		}
		info = e.execute(date)
		again := e.execute(date)
		if info.Status != "published" || again.PublishedAt == nil || !again.PublishedAt.Equal(*info.PublishedAt) {
			t.Fatalf("execute: %+v then %+v", info, again)
		}
		rec := verifiedRecord(t, e.svc, date)
		if len(rec.Allocations) == 0 {
			t.Fatal("nobody was allocated")
		}
		// Every allocation is a live appointment of the household that
		// asked, and the slot counts match.
		placed := 0
		for _, a := range people {
			if ap := e.live(a); ap != nil {
				placed++
				if ap.Size != a.size || ap.Status != "allocated" {
					t.Errorf("appointment %+v for a household of %d", ap, a.size)
				}
			}
		}
		if placed != len(rec.Allocations) {
			t.Errorf("got %d live appointments, want %d allocations", placed, len(rec.Allocations))
		}
		// Each household placed was told once, and audited once.
		msgs, _, err := e.outbox.List(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		told := 0
		for _, m := range msgs {
			if m.Template == "appointments.msg.allocated" {
				told++
			}
		}
		entries, err := audit.Search(ctx, db, audit.Filter{Action: "appointment.allocate", Limit: 100})
		if err != nil || told != placed || len(entries) != placed {
			t.Errorf("%d households placed, %d told, %d audited (%v)", placed, told, len(entries), err)
		}
		checkInvariants(t, db)
	})
}

// tb is what checks need of testing.TB and rapid.T.
type tb interface {
	Helper()
	Errorf(format string, args ...any)
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

func isKey(err error, key string) bool {
	var se *senda.Error
	return errors.As(err, &se) && se.Key == key
}

func TestExecuteTwiceIsANoOp(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, appointments.Default())
		e.week("POE-ELP", slot("07:00", 10))
		const date = "2025-03-02"
		e.clock.Set(inWindow(date, 1))
		a := e.newApplicant(2, "en")
		e.mustRequest(a, "POE-ELP")
		e.clock.Set(afterClose(date, 1))
		first := e.execute(date)
		second := e.execute(date)
		if fmt.Sprint(first) != fmt.Sprint(second) {
			t.Fatalf("second run changed the draw:\n%+v\n%+v", first, second)
		}
		if first.Allocations != 1 {
			t.Fatalf("got %d allocations, want 1", first.Allocations)
		}
		checkInvariants(t, db)
	})
}

// A failure in the middle of the draw's write leaves nothing of it: no
// allocation, no appointment, no seat taken, the draw still closed; run
// again, it completes.
func TestDrawWriteIsAllOrNothing(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db, appointments.Default())
		e.week("POE-SYS", slot("08:00", 20))
		const day = "2025-03-02"
		e.clock.Set(inWindow(day, 1))
		for range 8 {
			e.mustRequest(e.newApplicant(1, "es"), "POE-SYS")
		}
		e.clock.Set(afterClose(day, 1))
		if _, err := e.svc.CloseDraw(ctx, admin, day); err != nil {
			t.Fatal(err)
		}
		// Something already sits where the sixth allocation goes: the write
		// fails after five.
		exec := func(q string) {
			t.Helper()
			if err := db.Update(ctx, func(tx *store.Tx) error {
				_, err := tx.ExecContext(ctx, q, day)
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		exec(`INSERT INTO draw_allocations (service_date, position, request_id, location, start_at, phase) VALUES ($1, 5, 'X', 'POE-SYS', 0, 'lottery')`)
		if _, err := e.svc.RunDraw(ctx, admin, day); err == nil {
			t.Fatal("the draw wrote over an allocation")
		}
		count := func(q string) int {
			var n int
			db.View(ctx, func(tx *store.Tx) error { return tx.QueryRowContext(ctx, q, day).Scan(&n) })
			return n
		}
		if n := count(`SELECT COUNT(*) FROM appointments WHERE draw_date = $1`); n != 0 {
			t.Fatalf("%d appointments left by a failed draw", n)
		}
		if n := count(`SELECT COUNT(*) FROM draw_allocations WHERE service_date = $1`); n != 1 {
			t.Fatalf("%d allocations left by a failed draw", n)
		}
		if n := count(`SELECT SUM(used) FROM slots WHERE service_date = $1`); n != 0 {
			t.Fatalf("%d seats taken by a failed draw", n)
		}
		if info, _ := e.svc.Draw(ctx, day); info.Status != "closed" {
			t.Fatalf("status after a failed draw: %s", info.Status)
		}
		exec(`DELETE FROM draw_allocations WHERE service_date = $1`)
		info := e.execute(day)
		if info.Status != "published" || info.Allocations != 8 {
			t.Fatalf("after the retry: %+v", info)
		}
		verifiedRecord(t, e.svc, day)
		checkInvariants(t, db)
	})
}
