package appointments_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/internal/appointments"
	"github.com/senda-platform/senda/internal/store"
	"github.com/senda-platform/senda/internal/storetest"
)

// parseICS parses a calendar file with ical.js, an independent parser, and
// returns its first event's fields.
func parseICS(t *testing.T, ics []byte) map[string]string {
	t.Helper()
	lib, err := filepath.Abs(filepath.Join("..", "..", "e2e", "node_modules", "ical.js", "dist", "ical.es5.cjs"))
	if err != nil {
		t.Fatal(err)
	}
	script := `const ICAL = require(process.argv[1]);
let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
  const cal = new ICAL.Component(ICAL.parse(s));
  const ev = new ICAL.Event(cal.getFirstSubcomponent("vevent"));
  console.log(JSON.stringify({uid: ev.uid, summary: ev.summary, location: ev.location, description: ev.description,
    start: ev.startDate.toJSDate().toISOString(), end: ev.endDate.toJSDate().toISOString(), version: cal.getFirstPropertyValue("version")}));
});`
	cmd := exec.Command("node", "-e", script, lib)
	cmd.Stdin = bytes.NewReader(ics)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ical.js: %v\n%s", err, out)
	}
	var got map[string]string
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("ical.js output %q: %v", out, err)
	}
	return got
}

// drawn returns an env with one allocated household of three at San Ysidro
// on 2025-03-02 at 08:00 local time.
func drawn(t *testing.T, db *store.DB, lang string) (*env, applicant) {
	e := newEnv(t, db, appointments.Default())
	e.week("POE-SYS", slot("08:00", 10))
	const day = "2025-03-02"
	e.clock.Set(inWindow(day, 1))
	a := e.newApplicant(3, lang)
	e.mustRequest(a, "POE-SYS")
	e.clock.Set(afterClose(day, 1))
	e.execute(day)
	if e.live(a) == nil {
		t.Fatal("not allocated")
	}
	return e, a
}

func TestConfirmPassAndCalendar(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e, a := drawn(t, db, "es")
		ap := e.live(a)
		if len(ap.Challenge) != 6 {
			t.Fatalf("challenge %q", ap.Challenge)
		}
		// A pass needs a confirmed appointment.
		if _, err := e.svc.Pass(ctx, a.caller, ap.ID, appointments.Show{}); !isKey(err, "appointments.not_confirmed") {
			t.Fatalf("pass before confirming: %v", err)
		}
		// Both checks fail: nothing changes, both are listed.
		lat, lon := 14.6, -90.5 // Guatemala City
		_, res, err := e.svc.Confirm(ctx, a.caller, ap.ID, appointments.Evidence{Latitude: &lat, Longitude: &lon, Liveness: "000000x"})
		if !isKey(err, "appointments.check_failed") || len(res) != 2 || res[0].OK || res[1].OK {
			t.Fatalf("failed checks: %v %+v", err, res)
		}
		if got := strings.Join(fieldKeys(err), " "); got != "body.region=appointments.check.region_outside body.liveness=appointments.check.liveness_failed" {
			t.Errorf("failed checks: %s", got)
		}
		if e.live(a).Status != "allocated" {
			t.Fatal("a failed confirmation changed the appointment")
		}
		// Someone else cannot confirm it.
		other := e.newApplicant(1, "es")
		if _, _, err := e.svc.Confirm(ctx, other.caller, ap.ID, appointments.Evidence{}); senda.ErrorCode(err) != senda.CodeNotFound {
			t.Fatalf("another applicant confirming: %v", err)
		}
		lat, lon = 32.53, -117.02 // Tijuana
		got, _, err := e.svc.Confirm(ctx, a.caller, ap.ID, appointments.Evidence{Latitude: &lat, Longitude: &lon, Liveness: ap.Challenge})
		if err != nil || got.Status != "confirmed" || got.ConfirmMethod != "checks" {
			t.Fatalf("confirm: %+v %v", got, err)
		}
		if again, _, err := e.svc.Confirm(ctx, a.caller, ap.ID, appointments.Evidence{}); err != nil || again.Status != "confirmed" {
			t.Fatalf("confirming twice: %+v %v", again, err)
		}

		// The pass shows only what the holder chose, and verifies offline
		// with the published key.
		pk, err := e.svc.PublicKey(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pub, err := appointments.ParsePublicKey(pk.Key)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			show appointments.Show
			want appointments.Claims
		}{
			{appointments.Show{}, appointments.Claims{Code: ap.Code}},
			{appointments.Show{Port: true}, appointments.Claims{Code: ap.Code, Port: "POE-SYS"}},
			{appointments.Show{Name: true, Date: true, Port: true}, appointments.Claims{Code: ap.Code, Name: "María", Date: "2025-03-02", Time: "08:00", Port: "POE-SYS"}},
		} {
			p, err := e.svc.Pass(ctx, a.caller, ap.ID, tc.show)
			if err != nil {
				t.Fatal(err)
			}
			claims, err := appointments.VerifyPass(pub, p.Token)
			if err != nil {
				t.Fatalf("verify %+v: %v", tc.show, err)
			}
			tc.want.Version, tc.want.KeyID, tc.want.IssuedAt = 1, pk.KeyID, claims.IssuedAt
			if diff := cmp.Diff(tc.want, claims); diff != "" {
				t.Errorf("claims for %+v (-want +got):\n%s", tc.show, diff)
			}
			png, _ := base64.StdEncoding.DecodeString(p.QRPNG)
			if !bytes.HasPrefix(png, []byte("\x89PNG")) {
				t.Errorf("QR code is not a PNG")
			}
			// Changing what it says breaks the signature.
			head, sig, _ := strings.Cut(p.Token, ".")
			raw, _ := base64.RawURLEncoding.DecodeString(head)
			forged := base64.RawURLEncoding.EncodeToString(bytes.Replace(raw, []byte(`"code":"`), []byte(`"code":"X`), 1)) + "." + sig
			if _, err := appointments.VerifyPass(pub, forged); err == nil {
				t.Errorf("a forged pass verified")
			}
			otherKey, _, _ := ed25519.GenerateKey(nil)
			if _, err := appointments.VerifyPass(otherKey, p.Token); err == nil {
				t.Errorf("a pass verified with another key")
			}
		}

		// The calendar file: CRLF, folded lines, parsed by ical.js.
		ics, err := e.svc.Calendar(ctx, a.caller, ap.ID, "es")
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.SplitAfter(string(ics), "\r\n") {
			if line == "" {
				continue
			}
			if !strings.HasSuffix(line, "\r\n") || strings.Contains(strings.TrimSuffix(line, "\r\n"), "\n") {
				t.Fatalf("line %q does not end in CRLF", line)
			}
			if len(line)-2 > 75 {
				t.Errorf("line of %d octets: %q", len(line)-2, line)
			}
		}
		ev := parseICS(t, ics)
		want := map[string]string{"uid": ap.ID + "@senda", "summary": "Cita en San Ysidro (PedWest / El Chaparral)",
			"location": "San Ysidro (PedWest / El Chaparral) — PedWest pedestrian crossing, Virginia Avenue",
			"start":    "2025-03-02T16:00:00.000Z", "end": "2025-03-02T17:00:00.000Z", "version": "2.0",
			"description": "Cita de Senda. Código: " + ap.Code + ". Traiga este código y los documentos de todas las personas que viajan."}
		if diff := cmp.Diff(want, ev); diff != "" {
			t.Errorf("calendar as ical.js reads it (-want +got):\n%s", diff)
		}
		page, err := e.svc.PrintPage(ctx, a.caller, ap.ID, "es", appointments.Show{Date: true, Port: true})
		if err != nil || !bytes.Contains(page, []byte(ap.Code)) || !bytes.Contains(page, []byte(`src="data:image/png;base64,`)) || bytes.Contains(page, []byte("María")) {
			t.Fatalf("print page: %v\n%s", err, page)
		}
	})
}

func TestCheckInAndNoShow(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db, appointments.Default())
		e.week("POE-SYS", slot("08:00", 10))
		const day = "2025-03-02"
		e.clock.Set(inWindow(day, 1))
		a := e.newApplicant(3, "es")
		b := e.newApplicant(2, "es")
		e.mustRequest(a, "POE-SYS")
		e.mustRequest(b, "POE-SYS")
		e.clock.Set(afterClose(day, 1))
		e.execute(day)
		for _, h := range []applicant{a, b} {
			lat, lon := 32.53, -117.02
			if _, _, err := e.svc.Confirm(ctx, h.caller, e.live(h).ID, appointments.Evidence{Latitude: &lat, Longitude: &lon, Liveness: challenge(t, e, h)}); err != nil {
				t.Fatal(err)
			}
		}
		apA, apB := e.live(a), e.live(b)
		p, err := e.svc.Pass(ctx, a.caller, apA.ID, appointments.Show{})
		if err != nil {
			t.Fatal(err)
		}
		sys, elp := officer("US/POE-SYS"), officer("US/POE-ELP")
		if _, err := e.svc.CheckIn(ctx, sys, appointments.CheckInInput{Token: p.Token}); !isKey(err, "appointments.not_today") {
			t.Fatalf("check-in the day before: %v", err)
		}
		e.clock.Set(time.Date(2025, 3, 2, 7, 45, 0, 0, mustZone("America/Los_Angeles")))
		if _, err := e.svc.CheckIn(ctx, elp, appointments.CheckInInput{Token: p.Token}); senda.ErrorCode(err) != senda.CodeNotFound {
			t.Fatalf("an El Paso officer: %v", err)
		}
		if _, err := e.svc.CheckIn(ctx, sys, appointments.CheckInInput{Code: "ABCD-EFGH-J"}); senda.ErrorCode(err) != senda.CodeInvalid {
			t.Fatalf("a code with a wrong check character: %v", err)
		}
		arr, err := e.svc.CheckIn(ctx, sys, appointments.CheckInInput{Token: p.Token})
		if err != nil || arr.Status != "checked_in" || len(arr.Members) != 3 || !strings.HasPrefix(arr.Members[0], "María José") {
			t.Fatalf("check-in: %+v %v", arr, err)
		}
		if _, err := e.svc.CheckIn(ctx, sys, appointments.CheckInInput{Code: strings.ToLower(apA.Code)}); !isKey(err, "appointments.already_checked_in") {
			t.Fatalf("second check-in: %v", err)
		}
		list, err := e.svc.Arrivals(ctx, sys, "POE-SYS", "")
		if err != nil || len(list) != 2 {
			t.Fatalf("arrivals: %+v %v", list, err)
		}
		if _, err := e.svc.Arrivals(ctx, elp, "POE-SYS", ""); senda.ErrorCode(err) != senda.CodeForbidden {
			t.Fatalf("arrivals at another port: %v", err)
		}
		// No-show only once the appointment started.
		if _, err := e.svc.NoShow(ctx, sys, apB.ID); !isKey(err, "appointments.not_started") {
			t.Fatalf("no-show before the start: %v", err)
		}
		e.clock.Set(time.Date(2025, 3, 2, 14, 0, 0, 0, mustZone("America/Los_Angeles")))
		if got, err := e.svc.NoShow(ctx, sys, apB.ID); err != nil || got.Status != "no_show" {
			t.Fatalf("no-show: %+v %v", got, err)
		}
		// A no-show household may request again; a household that holds a
		// live appointment may not.
		if _, err := e.request(b, "POE-SYS"); err != nil {
			t.Fatalf("request after a no-show: %v", err)
		}
		c := e.newApplicant(1, "es")
		e.mustRequest(c, "POE-SYS")
		checkInvariants(t, db)
	})
}

// Unconfirmed seats are released at the deadline; released and cancelled
// seats go to the next draw that runs before they start.
func TestReleasedAndCancelledSeatsReturnToTheNextDraw(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cfg := appointments.Default()
		cfg.LeadDays = 3
		e := newEnv(t, db, cfg)
		e.week("POE-HID", slot("09:00", 3))
		const day = "2025-03-05" // requested on 03-02
		e.clock.Set(inWindow(day, 3))
		a := e.newApplicant(2, "es")
		b := e.newApplicant(1, "es")
		e.mustRequest(a, "POE-HID")
		e.mustRequest(b, "POE-HID")
		e.clock.Set(afterClose(day, 3))
		e.execute(day)
		apA, apB := e.live(a), e.live(b)
		if apA == nil || apB == nil {
			t.Fatal("both should be allocated")
		}
		if !apA.ConfirmBy.Equal(e.clock.Now().Add(23 * time.Hour).Truncate(time.Microsecond)) {
			t.Errorf("confirm by %v, want 23 hours after the draw", apA.ConfirmBy)
		}
		// b cancels; a never confirms.
		if _, err := e.svc.Cancel(ctx, b.caller, apB.ID); err != nil {
			t.Fatal(err)
		}
		e.clock.Set(apA.ConfirmBy)
		n, err := e.svc.ReleaseDue(ctx)
		if err != nil || n != 1 {
			t.Fatalf("released %d (%v), want 1", n, err)
		}
		if got, _ := e.svc.Get(ctx, a.caller, apA.ID); got.Status != "released" {
			t.Fatalf("after the deadline: %s", got.Status)
		}
		checkInvariants(t, db)
		// The draw for 03-06 runs on 03-03, before 03-05: it offers the
		// three seats of 03-05 at 09:00 again, beside its own.
		const next = "2025-03-06"
		e.clock.Set(inWindow(next, 3))
		var people []applicant
		for range 5 {
			p := e.newApplicant(1, "es")
			e.mustRequest(p, "POE-HID")
			people = append(people, p)
		}
		e.clock.Set(afterClose(next, 3))
		e.execute(next)
		rec := verifiedRecord(t, e.svc, next)
		var again int
		for _, s := range rec.Slots {
			if s.Start.Equal(apA.Start) {
				again += s.Capacity
			}
		}
		if again != 3 || len(rec.Allocations) != 5 {
			t.Fatalf("released seats offered: %d (want 3); allocations %d (want 5); slots %+v", again, len(rec.Allocations), rec.Slots)
		}
		onEarlier := 0
		for _, p := range people {
			if ap := e.live(p); ap != nil && ap.ServiceDate == day {
				onEarlier++
			}
		}
		if onEarlier != 3 {
			t.Errorf("%d households got the released seats of %s, want 3 (the earliest slot fills first)", onEarlier, day)
		}
		checkInvariants(t, db)
	})
}
