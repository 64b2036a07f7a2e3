package appointments_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/internal/access"
	"github.com/senda-platform/senda/internal/appointments"
	"github.com/senda-platform/senda/internal/store"
	"github.com/senda-platform/senda/internal/storetest"
)

func slotsText(l []appointments.SlotView) string {
	var b strings.Builder
	for _, s := range l {
		fmt.Fprintf(&b, "%s %s %d/%d", s.ServiceDate, s.LocalStart, s.Free, s.Capacity)
		if s.Suspended {
			b.WriteString(" closed")
		}
		b.WriteString("; ")
	}
	return b.String()
}

func TestCapacityTemplatesAndOverrides(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db, appointments.Default())
		w := appointments.Week{Mon: []appointments.SlotSpec{slot("10:00", 5), slot("08:00", 10)}, Sun: []appointments.SlotSpec{slot("09:00", 2)}}
		if _, err := e.svc.SetTemplate(ctx, manager, "POE-SYS", w); err != nil {
			t.Fatal(err)
		}
		got, err := e.svc.Template(ctx, "poe-sys")
		if err != nil || len(got.Mon) != 2 || got.Mon[0].Start != "08:00" || len(got.Tue) != 0 {
			t.Fatalf("template: %+v %v", got, err)
		}
		// 2025-03-02 is a Sunday, 03-03 a Monday; the slots are in San
		// Ysidro's time.
		l, err := e.svc.Capacity(ctx, "POE-SYS", "2025-03-02", "2025-03-04")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := slotsText(l), "2025-03-02 09:00 2/2; 2025-03-03 08:00 10/10; 2025-03-03 10:00 5/5; "; got != want {
			t.Errorf("planned: got %q, want %q", got, want)
		}
		if l[1].Start.UTC().Format("15:04") != "16:00" {
			t.Errorf("08:00 in San Ysidro in March: got %v UTC, want 16:00", l[1].Start.UTC())
		}
		// An override replaces the template that day.
		if _, err := e.svc.SetOverride(ctx, manager, "POE-SYS", "2025-03-03", []appointments.SlotSpec{slot("07:30", 20)}); err != nil {
			t.Fatal(err)
		}
		l, _ = e.svc.Capacity(ctx, "POE-SYS", "2025-03-03", "2025-03-03")
		if got, want := slotsText(l), "2025-03-03 07:30 20/20; "; got != want {
			t.Errorf("override: got %q, want %q", got, want)
		}
		if err := e.svc.DeleteOverride(ctx, manager, "POE-SYS", "2025-03-03"); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.DeleteOverride(ctx, manager, "POE-SYS", "2025-03-03"); senda.ErrorCode(err) != senda.CodeNotFound {
			t.Errorf("second delete: got %v, want not found", err)
		}
		// A manager of one port manages that port only.
		sys := appointments.Caller{Principal: access.Principal{TokenID: "m", Role: access.ProgrammeManager, Scope: "US/POE-SYS"}}
		if _, err := e.svc.SetOverride(ctx, sys, "POE-SYS", "2025-03-05", nil); err != nil {
			t.Fatalf("manager of San Ysidro: %v", err)
		}
		if _, err := e.svc.SetOverride(ctx, sys, "POE-ELP", "2025-03-05", nil); senda.ErrorCode(err) != senda.CodeForbidden {
			t.Fatalf("manager of San Ysidro at El Paso: got %v, want forbidden", err)
		}
		if _, err := e.svc.SetTemplate(ctx, officer("*"), "POE-SYS", w); senda.ErrorCode(err) != senda.CodeForbidden {
			t.Fatalf("port officer setting capacity: got %v, want forbidden", err)
		}
		// Bad slots: every problem at once.
		_, err = e.svc.SetOverride(ctx, manager, "POE-SYS", "2025-03-06", []appointments.SlotSpec{slot("25:00", 1), slot("08:00", -1), slot("08:00", 1)})
		if got := strings.Join(fieldKeys(err), " "); got != "body.slots[0].start=appointments.slot_start body.slots[1].capacity=validation.max body.slots[2].start=appointments.slot_duplicate" {
			t.Errorf("bad slots: %s", got)
		}

		// Once people hold a slot, capacity cannot drop below them.
		const date = "2025-03-03"
		e.clock.Set(inWindow(date, 1))
		a := e.newApplicant(4, "es")
		e.mustRequest(a, "POE-SYS")
		e.clock.Set(afterClose(date, 1))
		e.execute(date)
		ap := e.live(a)
		if ap == nil || ap.LocalStart != "2025-03-03T08:00:00-08:00" {
			t.Fatalf("appointment: %+v", ap)
		}
		_, err = e.svc.SetOverride(ctx, manager, "POE-SYS", date, []appointments.SlotSpec{slot("08:00", 3), slot("10:00", 5)})
		if !isKey(err, "appointments.capacity_below_booked") {
			t.Fatalf("override below booked: got %v", err)
		}
		_, err = e.svc.SetOverride(ctx, manager, "POE-SYS", date, []appointments.SlotSpec{slot("10:00", 5)})
		if !isKey(err, "appointments.slot_booked") {
			t.Fatalf("override removing a booked slot: got %v", err)
		}
		if _, err := e.svc.SetOverride(ctx, manager, "POE-SYS", date, []appointments.SlotSpec{slot("08:00", 4), slot("10:00", 9), slot("12:00", 1)}); err != nil {
			t.Fatal(err)
		}
		l, _ = e.svc.Capacity(ctx, "POE-SYS", date, date)
		if got, want := slotsText(l), "2025-03-03 08:00 0/4; 2025-03-03 10:00 9/9; 2025-03-03 12:00 1/1; "; got != want {
			t.Errorf("after override of a laid-out date: got %q, want %q", got, want)
		}
		checkInvariants(t, db)
	})
}
