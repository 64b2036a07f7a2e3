package appointments_test

import (
	"context"
	"testing"
	"time"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/internal/appointments"
	"github.com/senda-platform/senda/internal/store"
	"github.com/senda-platform/senda/internal/storetest"
)

// localDay is the period of one local day at a location.
func localDay(date, zone string) (time.Time, time.Time) {
	t, _ := time.Parse(appointments.DateLayout, date)
	loc := mustZone(zone)
	from := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
	return from, from.AddDate(0, 0, 1)
}

// A port closes after the draw: one household moves to its next preferred
// port the same day, the other to the first later date with room, ahead of
// that date's draw; each is told in its language and the report lists both.
func TestClosureMovesAppointments(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db, appointments.Default())
		e.week("POE-SYS", slot("08:00", 4))
		e.week("POE-CLX", slot("09:00", 2))
		const day, next = "2025-03-02", "2025-03-03"
		e.clock.Set(inWindow(day, 1))
		a := e.newApplicant(2, "ht")
		b := e.newApplicant(2, "pt")
		e.mustRequest(a, "POE-SYS", "POE-CLX")
		e.mustRequest(b, "POE-SYS", "POE-CLX")
		e.clock.Set(afterClose(day, 1))
		e.execute(day)
		if e.live(a) == nil || e.live(b) == nil || e.live(a).Location != "POE-SYS" || e.live(b).Location != "POE-SYS" {
			t.Fatalf("both households should be at San Ysidro: %+v %+v", e.live(a), e.live(b))
		}
		// Confirm one of them: a confirmed appointment moves as well.
		lat, lon := 32.5, -117.0
		if _, _, err := e.svc.Confirm(ctx, b.caller, e.live(b).ID, appointments.Evidence{Latitude: &lat, Longitude: &lon, Liveness: challenge(t, e, b)}); err != nil {
			t.Fatal(err)
		}

		from, until := localDay(day, "America/Los_Angeles")
		sysManager := appointments.Caller{Principal: manager.Principal}
		sysManager.Scope = "US/POE-SYS"
		cl, err := e.svc.CreateClosure(ctx, sysManager, appointments.ClosureInput{Location: "POE-SYS", From: from, Until: until, Reason: "bridge repairs"})
		if err != nil {
			t.Fatal(err)
		}
		if len(cl.Moves) != 2 {
			t.Fatalf("report: %d moves, want 2: %+v", len(cl.Moves), cl.Moves)
		}
		outcomes := map[string]appointments.Move{}
		for _, m := range cl.Moves {
			outcomes[m.Outcome] = m
			if !m.Notified || m.From.Location != "POE-SYS" || m.From.ServiceDate != day {
				t.Errorf("move %+v", m)
			}
		}
		same, later := outcomes["same_date"], outcomes["later_date"]
		if same.To == nil || same.To.Location != "POE-CLX" || same.To.ServiceDate != day {
			t.Errorf("same-day move: %+v", same.To)
		}
		if later.To == nil || later.To.Location != "POE-SYS" || later.To.ServiceDate != next {
			t.Errorf("later-date move: %+v", later.To)
		}
		// Where each household went, its appointment says the same.
		for _, h := range []applicant{a, b} {
			ap := e.live(h)
			if ap == nil || ap.Moves != 1 {
				t.Fatalf("after the move: %+v", ap)
			}
			var m appointments.Move
			for _, x := range cl.Moves {
				if x.AppointmentID == ap.ID {
					m = x
				}
			}
			if m.To == nil || m.To.Location != ap.Location || !m.To.Start.Equal(ap.Start) {
				t.Errorf("appointment %+v, move %+v", ap, m)
			}
		}
		if e.live(b).Status != "confirmed" {
			t.Errorf("a confirmed appointment stays confirmed after a move: %s", e.live(b).Status)
		}
		// Each household was told, in its language.
		msgs, _, err := e.outbox.List(ctx, 50)
		if err != nil {
			t.Fatal(err)
		}
		langs := map[string]int{}
		for _, m := range msgs {
			if m.Template == "appointments.msg.moved" {
				langs[m.Language]++
				if m.Recipient == "" || m.Params["to_location"] == "" || m.Params["code"] == "" {
					t.Errorf("message %+v", m)
				}
			}
		}
		if langs["ht"] != 1 || langs["pt"] != 1 {
			t.Errorf("moved messages by language: %v", langs)
		}
		// The report can be read back, and the closure reopened once.
		rep, err := e.svc.ClosureReport(ctx, manager, cl.ID)
		if err != nil || len(rep.Moves) != 2 {
			t.Fatalf("report: %+v %v", rep, err)
		}
		if _, err := e.svc.Reopen(ctx, sysManager, cl.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Reopen(ctx, sysManager, cl.ID); !isKey(err, "appointments.closure_reopened") {
			t.Fatalf("second reopen: %v", err)
		}
		checkInvariants(t, db)

		// The next date's draw sees the seats the move took: two of four.
		e.clock.Set(inWindow(next, 1))
		c := e.newApplicant(2, "es")
		d := e.newApplicant(2, "es")
		e.mustRequest(c, "POE-SYS")
		e.mustRequest(d, "POE-SYS")
		e.clock.Set(afterClose(next, 1))
		info := e.execute(next)
		if info.Allocations != 1 {
			t.Fatalf("draw after the move: %d allocations, want 1", info.Allocations)
		}
		rec := verifiedRecord(t, e.svc, next)
		if len(rec.Slots) == 0 || rec.Slots[0].Capacity != 2 {
			t.Errorf("next date's slots: %+v", rec.Slots)
		}
		checkInvariants(t, db)
	})
}

// A closure that comes between a draw's close and its run: the draw places
// people in the suspended slot from its frozen record, and moves them in
// the same transaction.
func TestClosureBetweenCloseAndDraw(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db, appointments.Default())
		e.week("POE-ELP", slot("07:00", 3), slot("11:00", 3))
		const day = "2025-03-02"
		e.clock.Set(inWindow(day, 1))
		var people []applicant
		for range 3 {
			a := e.newApplicant(1, "es")
			e.mustRequest(a, "POE-ELP")
			people = append(people, a)
		}
		e.clock.Set(afterClose(day, 1))
		if _, err := e.svc.CloseDraw(ctx, admin, day); err != nil {
			t.Fatal(err)
		}
		from, until := localDay(day, "America/Denver")
		cl, err := e.svc.CreateClosure(ctx, manager, appointments.ClosureInput{Location: "POE-ELP", From: from, Until: until, Starts: []string{"07:00"}, Reason: "staff shortage"})
		if err != nil {
			t.Fatal(err)
		}
		if len(cl.Moves) != 0 {
			t.Fatalf("nobody held the slot yet: %+v", cl.Moves)
		}
		e.execute(day)
		verifiedRecord(t, e.svc, day)
		rep, err := e.svc.ClosureReport(ctx, manager, cl.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Moves) != 3 {
			t.Fatalf("moves: %+v", rep.Moves)
		}
		for _, a := range people {
			ap := e.live(a)
			if ap == nil {
				t.Fatal("a household lost its appointment")
			}
			if ap.LocalStart != "2025-03-02T11:00:00-07:00" {
				t.Errorf("moved to %s, want the 11:00 slot the same day", ap.LocalStart)
			}
		}
		checkInvariants(t, db)
	})
}

// When no slot can take a household within the horizon, its appointment is
// marked unplaced, listed in the report and the household told; it may ask
// again.
func TestClosureWithNowhereToGo(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cfg := appointments.Default()
		cfg.MoveHorizonDays = 2
		e := newEnv(t, db, cfg)
		e.week("POE-NOG", slot("08:00", 1))
		const day = "2025-03-02"
		e.clock.Set(inWindow(day, 1))
		a := e.newApplicant(1, "fr")
		e.mustRequest(a, "POE-NOG")
		e.clock.Set(afterClose(day, 1))
		e.execute(day)
		from, _ := localDay(day, "America/Phoenix")
		cl, err := e.svc.CreateClosure(ctx, manager, appointments.ClosureInput{Location: "POE-NOG", From: from, Until: from.AddDate(0, 0, 5), Reason: "flooding"})
		if err != nil {
			t.Fatal(err)
		}
		if len(cl.Moves) != 1 || cl.Moves[0].Outcome != "unplaced" || cl.Moves[0].To != nil || !cl.Moves[0].Notified {
			t.Fatalf("report: %+v", cl.Moves)
		}
		if e.live(a) != nil {
			t.Fatal("an unplaced appointment is still live")
		}
		msgs, _, _ := e.outbox.List(ctx, 10)
		if len(msgs) == 0 || msgs[0].Template != "appointments.msg.unplaced" || msgs[0].Language != "fr" {
			t.Fatalf("message: %+v", msgs)
		}
		checkInvariants(t, db)
		// It may ask again in the next window.
		e.clock.Set(inWindow("2025-03-03", 1))
		if _, err := e.request(a, "POE-SYS"); err != nil {
			t.Fatalf("request after being unplaced: %v", err)
		}
		// Bad closures: every problem at once.
		_, err = e.svc.CreateClosure(ctx, manager, appointments.ClosureInput{Location: "POE-NOG", From: from, Until: from, Starts: []string{"8"}, Reason: " "})
		if senda.ErrorCode(err) != senda.CodeInvalid || len(fieldKeys(err)) != 3 {
			t.Fatalf("bad closure: %v", fieldKeys(err))
		}
	})
}

// challenge reads the liveness challenge a household is shown.
func challenge(t testing.TB, e *env, a applicant) string {
	t.Helper()
	ap := e.live(a)
	if ap == nil {
		t.Fatal("no live appointment")
	}
	return ap.Challenge
}
