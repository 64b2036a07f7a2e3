package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/senda-platform/senda/household"
	"github.com/senda-platform/senda/internal/access"
	"github.com/senda-platform/senda/internal/appointments"
	"github.com/senda-platform/senda/internal/config"
	"github.com/senda-platform/senda/internal/seal"
	"github.com/senda-platform/senda/internal/store"
	"github.com/senda-platform/senda/internal/storetest"
)

// testClock is a settable clock shared by the apps of a test.
type testClock = storetest.Clock

var newYork = func() *time.Location { l, _ := time.LoadLocation("America/New_York"); return l }()

// requestDay returns t on the day before the service date, in New York.
func requestDay(serviceDate string, hour, minute int) time.Time {
	d, _ := time.Parse(appointments.DateLayout, serviceDate)
	d = d.AddDate(0, 0, -1)
	return time.Date(d.Year(), d.Month(), d.Day(), hour, minute, 0, 0, newYork)
}

// person is an applicant with a session and a registered household.
type person struct {
	account, household string
}

// newPerson creates an applicant account with a registered household of
// size persons speaking lang, straight through the services.
func newPerson(t *testing.T, app *App, size int, lang string) person {
	t.Helper()
	ctx := context.Background()
	id := store.NewID()
	if err := app.DB.Update(ctx, func(tx *store.Tx) error {
		return tx.CreateAccount(ctx, store.Account{ID: id, Kind: "applicant", Role: "applicant", Scope: "*", Language: lang})
	}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("../households/testdata/family.json")
	if err != nil {
		t.Fatal(err)
	}
	var h household.Household
	json.Unmarshal(b, &h)
	h.Members, h.Language = h.Members[:size], lang
	c := appointments.Caller{Principal: access.Principal{AccountID: id, Kind: "applicant", Role: access.Applicant, Scope: "*"}}
	saved, err := app.Households.Save(ctx, c, &h, "")
	if err != nil {
		t.Fatal(err)
	}
	return person{account: id, household: saved.ID}
}

// session signs an account in as of now and returns the cookie value.
func session(t *testing.T, app *App, account string) string {
	t.Helper()
	ctx := context.Background()
	b := make([]byte, 24)
	rand.Read(b)
	tok := "ss_" + base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(tok))
	if err := app.DB.Update(ctx, func(tx *store.Tx) error {
		return tx.CreateSession(ctx, store.Session{IDHash: hex.EncodeToString(sum[:]), AccountID: account, ExpiresAt: tx.Now.Add(2 * time.Hour)})
	}); err != nil {
		t.Fatal(err)
	}
	return tok
}

// as sends a request with a session cookie and a language.
func as(app *App, cookie, lang, method, path string, body any) *httptest.ResponseRecorder {
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req := httptest.NewRequest(method, path, r)
	req.RemoteAddr = "192.0.2.20:1234"
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if lang != "" {
		req.Header.Set("Accept-Language", lang)
	}
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: "senda_session", Value: cookie})
	}
	w := httptest.NewRecorder()
	app.Handler.ServeHTTP(w, req)
	return w
}

// sameAnswer sends body as an appointment request twice, once as
// "application/json" (the lean path) and once with a charset (huma's), and
// checks that both get the same answer: status, headers and bytes.
func sameAnswer(t *testing.T, app *App, cookie, body string, status int) {
	t.Helper()
	var got [2]*httptest.ResponseRecorder
	for i, ct := range []string{"application/json", "application/json; charset=utf-8"} {
		req := httptest.NewRequest("POST", "/api/v1/appointment-requests", strings.NewReader(body))
		req.RemoteAddr = "192.0.2.20:1234"
		req.Header.Set("Content-Type", ct)
		req.Header.Set("Accept-Language", "ht")
		req.Header.Set("X-Request-ID", "same-request-id")
		req.AddCookie(&http.Cookie{Name: "senda_session", Value: cookie})
		got[i] = httptest.NewRecorder()
		app.Handler.ServeHTTP(got[i], req)
	}
	lean, huma := got[0], got[1]
	if lean.Code != status || huma.Code != status || lean.Body.String() != huma.Body.String() || !reflect.DeepEqual(lean.Header(), huma.Header()) {
		t.Fatalf("lean path: %d %v %s\nhuma: %d %v %s", lean.Code, lean.Header(), lean.Body, huma.Code, huma.Header(), huma.Body)
	}
}

func decode[T any](t *testing.T, w *httptest.ResponseRecorder, want int) T {
	t.Helper()
	var v T
	if w.Code != want {
		t.Fatalf("got %d, want %d: %s", w.Code, want, w.Body)
	}
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		t.Fatalf("%v: %s", err, w.Body)
	}
	return v
}

func jsonBody(s string) []byte { return []byte(s) }

// The whole journey through the API on both engines: capacity set by a
// manager of one port, requests in two languages, the public record before
// and after the draw checked by `senda draw verify`, confirmation, the
// signed pass checked without signing in, the calendar file read by
// ical.js, a closure that moves both households and tells them in their
// languages, and check-in at the port.
func TestAppointmentJourneyThroughAPI(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			app := NewTestApp(t, e)
			clk := &testClock{}
			app.DB.Now = clk.Now
			const day = "2025-03-02"
			clk.Set(requestDay(day, 15, 0))
			sys := app.Token(t, access.ProgrammeManager, "US/POE-SYS")
			admin := app.Token(t, access.Admin, "*")
			week := `{"sun":[{"start":"08:00","capacity":5}],"mon":[{"start":"08:00","capacity":5}]}`
			if w := app.Do("PUT", "/api/v1/locations/POE-SYS/template", sys, jsonBody(week)); w.Code != 200 {
				t.Fatalf("template: %d %s", w.Code, w.Body)
			}
			if w := app.Do("PUT", "/api/v1/locations/POE-CLX/template", sys, jsonBody(week)); w.Code != 403 {
				t.Fatalf("a San Ysidro manager at Calexico: got %d, want 403", w.Code)
			}
			if w := app.Do("PUT", "/api/v1/locations/POE-CLX/template", admin, jsonBody(`{"sun":[{"start":"09:00","capacity":3}],"mon":[{"start":"09:00","capacity":3}]}`)); w.Code != 200 {
				t.Fatalf("template: %d %s", w.Code, w.Body)
			}

			maria, jean := newPerson(t, app, 3, "es"), newPerson(t, app, 2, "ht")
			mc, jc := session(t, app, maria.account), session(t, app, jean.account)
			req := decode[appointments.Request](t, as(app, mc, "es", "POST", "/api/v1/appointment-requests", map[string]any{"preferences": []string{"POE-SYS", "POE-CLX"}}), 200)
			if req.ServiceDate != day || req.Size != 3 || req.HouseholdID != maria.household {
				t.Fatalf("request: %+v", req)
			}
			decode[appointments.Request](t, as(app, jc, "ht", "POST", "/api/v1/appointment-requests", map[string]any{"household_id": jean.household, "preferences": []string{"POE-SYS", "POE-CLX"}}), 200)
			// The request's lean path answers as huma, which serves any other
			// content type: sending again the same way gives the same answer.
			sameAnswer(t, app, jc, `{"household_id":"`+jean.household+`","preferences":["POE-SYS","POE-CLX"]}`, 200)
			mine := decode[[]appointments.Request](t, as(app, mc, "", "GET", "/api/v1/appointment-requests", nil), 200)
			if len(mine) != 1 || mine[0].ID != req.ID {
				t.Fatalf("my requests: %+v", mine)
			}
			// The intake writer's batches show in the metrics.
			if w := app.Do("GET", "/metrics", "", nil); w.Code != 200 || !strings.Contains(w.Body.String(), `senda_intake_batches_total{outcome="stored",path="transaction"}`) {
				t.Fatalf("metrics lack the intake batches: %d\n%.3000s", w.Code, w.Body)
			}

			// The public record before the close: the commitment only.
			w := app.Do("GET", "/api/v1/draws/"+day, "", nil)
			if w.Code != 200 || w.Header().Get("X-Senda-Draw-Status") != "open" || strings.Contains(w.Body.String(), `"requests"`) {
				t.Fatalf("open record: %d %s", w.Code, w.Body)
			}

			// After the close a request is refused, in Haitian Creole, with
			// the next opening in the zone the applicant gave. (Sessions and
			// tokens last hours: sign in again as time moves.)
			clk.Set(requestDay(day, 23, 59))
			mc, jc = session(t, app, maria.account), session(t, app, jean.account)
			admin = app.Token(t, access.Admin, "*")
			sys = app.Token(t, access.ProgrammeManager, "US/POE-SYS")
			w = as(app, jc, "ht", "POST", "/api/v1/appointment-requests", map[string]any{"preferences": []string{"POE-SYS"}, "time_zone": "America/Tijuana"})
			p := decode[struct{ Title, Detail, Code string }](t, w, 409)
			if p.Title != "Fenèt demann lan fèmen" || !strings.Contains(p.Detail, "2025-03-02 09:00 PST (America/Tijuana)") {
				t.Fatalf("closed window: %+v", p)
			}
			sameAnswer(t, app, jc, `{"preferences":["POE-SYS"],"time_zone":"America/Tijuana"}`, 409)
			sameAnswer(t, app, jc, `{"preferences":["POE-NOPE"]}`, 422)

			info := decode[appointments.DrawInfo](t, app.Do("POST", "/api/v1/draws/"+day+"/execute", admin, nil), 200)
			if info.Status != "published" || info.Allocations != 2 || info.Guarantee != "seed_only" {
				t.Fatalf("draw: %+v", info)
			}
			// The published record verifies with senda draw verify.
			w = app.Do("GET", "/api/v1/draws/"+day, "", nil)
			file := filepath.Join(t.TempDir(), "draw.json")
			os.WriteFile(file, w.Body.Bytes(), 0o600)
			if code, out, errOut := run("draw", "verify", file); code != 0 || !strings.Contains(out, "verified: 2 requests, 2 allocations") {
				t.Fatalf("senda draw verify: %d %q %q", code, out, errOut)
			}
			// Tampering is caught.
			os.WriteFile(file, bytes.Replace(w.Body.Bytes(), []byte(`"phase":"priority"`), []byte(`"phase":"lottery"`), 1), 0o600)
			if code, _, errOut := run("draw", "verify", file); code != 1 || !strings.Contains(errOut, "allocations[0]") {
				t.Fatalf("tampered record: %d %q", code, errOut)
			}

			// Confirm, then fetch the pass, check it without signing in.
			list := decode[[]appointments.Appointment](t, as(app, mc, "", "GET", "/api/v1/appointments", nil), 200)
			if len(list) != 1 || list[0].Status != "allocated" || list[0].Location != "POE-SYS" {
				t.Fatalf("appointments: %+v", list)
			}
			ap := list[0]
			w = as(app, mc, "es", "POST", "/api/v1/appointments/"+ap.ID+"/confirm", map[string]any{"latitude": 14.6, "longitude": -90.5, "liveness": ap.Challenge})
			p = decode[struct{ Title, Detail, Code string }](t, w, 422)
			if p.Title != "No pudimos confirmar su cita" || !strings.Contains(p.Detail, ap.Code) {
				t.Fatalf("failed check: %+v", p)
			}
			got := decode[appointments.Appointment](t, as(app, mc, "es", "POST", "/api/v1/appointments/"+ap.ID+"/confirm", map[string]any{"latitude": 32.53, "longitude": -117.02, "liveness": ap.Challenge}), 200)
			if got.Status != "confirmed" {
				t.Fatalf("confirm: %+v", got)
			}
			pass := decode[appointments.Pass](t, as(app, mc, "", "GET", "/api/v1/appointments/"+ap.ID+"/pass?show=name,port", nil), 200)
			claims := decode[appointments.Claims](t, app.Do("POST", "/api/v1/appointments/verify", "", jsonBody(`{"token":"`+pass.Token+`"}`)), 200)
			if claims.Name != "María" || claims.Port != "POE-SYS" || claims.Date != "" {
				t.Fatalf("claims: %+v", claims)
			}
			pk := decode[appointments.PublicKey](t, app.Do("GET", "/api/v1/appointments/public-key", "", nil), 200)
			pub, err := appointments.ParsePublicKey(pk.Key)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := appointments.VerifyPass(pub, pass.Token); err != nil {
				t.Fatalf("offline verification: %v", err)
			}
			if w := app.Do("POST", "/api/v1/appointments/verify", "", jsonBody(`{"token":"`+forge(pass.Token)+`"}`)); w.Code != 422 {
				t.Fatalf("forged pass: got %d", w.Code)
			}
			if w := as(app, mc, "", "GET", "/api/v1/appointments/"+ap.ID+"/qr.png", nil); w.Code != 200 || w.Header().Get("Content-Type") != "image/png" {
				t.Fatalf("QR image: %d %s", w.Code, w.Header().Get("Content-Type"))
			}
			if w := as(app, mc, "es", "GET", "/api/v1/appointments/"+ap.ID+"/print", nil); w.Code != 200 || !strings.Contains(w.Body.String(), ap.Code) {
				t.Fatalf("print page: %d", w.Code)
			}
			w = as(app, mc, "en", "GET", "/api/v1/appointments/"+ap.ID+"/calendar.ics", nil)
			if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/calendar") {
				t.Fatalf("calendar: %d", w.Code)
			}
			ev := icalEvent(t, w.Body.Bytes())
			if ev["summary"] != "Appointment at San Ysidro (PedWest)" || ev["start"] != "2025-03-02T16:00:00.000Z" {
				t.Fatalf("calendar as ical.js reads it: %v", ev)
			}
			// Someone else's appointment is not there for them.
			if w := as(app, jc, "", "GET", "/api/v1/appointments/"+ap.ID+"/calendar.ics", nil); w.Code != 404 {
				t.Fatalf("another household's calendar: %d", w.Code)
			}

			// San Ysidro closes that day: both households move, are told in
			// their languages, and the report lists both.
			sysLA, _ := time.LoadLocation("America/Los_Angeles")
			closure, _ := json.Marshal(map[string]any{"location": "POE-SYS", "from": time.Date(2025, 3, 2, 0, 0, 0, 0, sysLA),
				"until": time.Date(2025, 3, 3, 0, 0, 0, 0, sysLA), "reason": "port closed by order"})
			cl := decode[appointments.Closure](t, app.Do("POST", "/api/v1/closures", sys, closure), 201)
			outcomes := map[string]string{}
			for _, m := range cl.Moves {
				if m.To == nil {
					t.Fatalf("move without a destination: %+v", m)
				}
				outcomes[m.Outcome] = m.To.Location + " " + m.To.ServiceDate
			}
			if outcomes["same_date"] != "POE-CLX 2025-03-02" || outcomes["later_date"] != "POE-SYS 2025-03-03" {
				t.Fatalf("moves: %+v", cl.Moves)
			}
			rep := decode[appointments.Closure](t, app.Do("GET", "/api/v1/closures/"+cl.ID, app.Token(t, access.PortOfficer, "US/POE-SYS"), nil), 200)
			if len(rep.Moves) != 2 {
				t.Fatalf("report: %+v", rep)
			}
			msgs, _, err := app.Outbox.List(ctx, 20)
			if err != nil {
				t.Fatal(err)
			}
			langs := map[string]bool{}
			for _, m := range msgs {
				if m.Template == "appointments.msg.moved" {
					langs[m.Language] = true
				}
			}
			if !langs["es"] || !langs["ht"] {
				t.Fatalf("moved messages in %v, want es and ht", langs)
			}

			// Check-in at the port where María's household now goes, on its day.
			now := decode[[]appointments.Appointment](t, as(app, mc, "", "GET", "/api/v1/appointments", nil), 200)[0]
			if now.Status != "confirmed" || now.Moves != 1 {
				t.Fatalf("after the move: %+v", now)
			}
			start, _ := time.Parse(time.RFC3339, now.LocalStart)
			clk.Set(start.Add(-30 * time.Minute))
			mc = session(t, app, maria.account)
			po := app.Token(t, access.PortOfficer, access.Scope("US/"+now.Location))
			arrivals := decode[[]appointments.Appointment](t, app.Do("GET", "/api/v1/locations/"+now.Location+"/arrivals", po, nil), 200)
			if len(arrivals) == 0 {
				t.Fatal("no arrivals")
			}
			arr := decode[appointments.Arrival](t, app.Do("POST", "/api/v1/checkins", po, jsonBody(`{"code":"`+strings.ToLower(now.Code)+`"}`)), 200)
			if arr.Status != "checked_in" || len(arr.Members) != 3 {
				t.Fatalf("check-in: %+v", arr)
			}
			if w := app.Do("POST", "/api/v1/checkins", po, jsonBody(`{"code":"`+now.Code+`"}`)); w.Code != 409 {
				t.Fatalf("second check-in: %d", w.Code)
			}
		})
	}
}

// icalEvent parses a calendar file with ical.js, an independent parser.
func icalEvent(t *testing.T, ics []byte) map[string]string {
	t.Helper()
	lib, _ := filepath.Abs("../../e2e/node_modules/ical.js/dist/ical.es5.cjs")
	script := `const ICAL = require(process.argv[1]); let s = "";
process.stdin.on("data", d => s += d).on("end", () => {
  const ev = new ICAL.Event(new ICAL.Component(ICAL.parse(s)).getFirstSubcomponent("vevent"));
  console.log(JSON.stringify({summary: ev.summary, start: ev.startDate.toJSDate().toISOString(), uid: ev.uid}));
});`
	cmd := exec.Command("node", "-e", script, lib)
	cmd.Stdin = bytes.NewReader(ics)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ical.js: %v\n%s", err, out)
	}
	var ev map[string]string
	if err := json.Unmarshal(out, &ev); err != nil {
		t.Fatalf("ical.js said %q", out)
	}
	return ev
}

// senda draw execute runs the due steps of a date's draw; the second run
// does nothing more.
func TestDrawExecuteCommand(t *testing.T) {
	dir := t.TempDir()
	code, out1, errOut := run("draw", "execute", "--date", "2020-01-02", "--data", dir)
	if code != 0 || !strings.Contains(out1, "draw for 2020-01-02: published; 0 requests, 0 allocations") || !strings.Contains(out1, "no beacon") {
		t.Fatalf("first run: %d %q %q", code, out1, errOut)
	}
	code, out2, _ := run("draw", "execute", "--date", "2020-01-02", "--data", dir)
	if code != 0 || out2 != out1 {
		t.Fatalf("second run: %d\n%s\nwant\n%s", code, out2, out1)
	}
	if code, _, errOut := run("draw", "execute", "--date", "2020-13-02", "--data", dir); code != 2 || !strings.Contains(errOut, "--date YYYY-MM-DD") {
		t.Fatalf("bad date: %d %q", code, errOut)
	}
	// A date whose window is still ahead only gets its commitment.
	future := time.Now().AddDate(0, 0, 5).Format(appointments.DateLayout)
	if code, out, _ := run("draw", "execute", "--date", future, "--data", dir); code != 0 || !strings.Contains(out, "open until") {
		t.Fatalf("future date: %d %q", code, out)
	}
}

// Two app instances on one database, as two processes: households request
// through both at once, both trigger the same draw many times. The draw
// runs once; no slot goes over capacity; no household holds two
// appointments.
func TestTwoAppsOneDatabase(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			opts := storetest.Options(t, e)
			keys := seal.New()
			clk := &testClock{}
			var apps []*App
			for i := range 2 {
				db, err := store.Open(ctx, opts)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				if i == 0 {
					if err := db.Migrate(ctx); err != nil {
						t.Fatal(err)
					}
				}
				cfg := config.Default()
				cfg.DataDir = t.TempDir()
				app, err := NewApp(ctx, cfg, db, keys, slog.New(slog.NewJSONHandler(io.Discard, nil)))
				if err != nil {
					t.Fatal(err)
				}
				db.Now = clk.Now
				apps = append(apps, app)
			}
			const day = "2025-03-02"
			clk.Set(requestDay(day, 13, 0))
			admin := apps[0].Token(t, access.Admin, "*")
			apps[0].Do("PUT", "/api/v1/locations/POE-ELP/template", admin, jsonBody(`{"sun":[{"start":"07:00","capacity":6},{"start":"09:00","capacity":4}]}`))
			apps[1].Do("PUT", "/api/v1/locations/POE-NOG/template", admin, jsonBody(`{"sun":[{"start":"08:00","capacity":5}]}`))
			var people []person
			var cookies []string
			for i := range 30 {
				p := newPerson(t, apps[i%2], 1+i%4, "es")
				people = append(people, p)
				cookies = append(cookies, session(t, apps[i%2], p.account))
			}
			var wg sync.WaitGroup
			for i := range people {
				for k := range 3 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						prefs := [][]string{{"POE-ELP", "POE-NOG"}, {"POE-NOG"}, {"POE-ELP"}}[(i+k)%3]
						w := as(apps[(i+k)%2], cookies[i], "", "POST", "/api/v1/appointment-requests", map[string]any{"preferences": prefs})
						if w.Code != 200 {
							t.Errorf("request: %d %s", w.Code, w.Body)
						}
					}()
				}
			}
			wg.Wait()
			clk.Set(requestDay(day, 23, 59).Add(10 * time.Second))
			admin = apps[1].Token(t, access.Admin, "*")
			for i := range 6 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if w := apps[i%2].Do("POST", "/api/v1/draws/"+day+"/execute", admin, nil); w.Code != 200 {
						t.Errorf("execute: %d %s", w.Code, w.Body)
					}
				}()
			}
			wg.Wait()
			var runs, allocations, requests int
			var overbooked, doubled int
			err := apps[1].DB.View(ctx, func(tx *store.Tx) error {
				for q, dst := range map[string]*int{
					`SELECT COUNT(*) FROM audit_log WHERE action = 'draw.run'`: &runs,
					`SELECT COUNT(*) FROM draw_allocations`:                    &allocations,
					`SELECT request_count FROM draws`:                          &requests,
					`SELECT COUNT(*) FROM slots WHERE used + held > capacity OR used <> (SELECT COALESCE(SUM(size), 0) FROM appointments a WHERE a.location = slots.location AND a.start_at = slots.start_at AND a.status IN ('allocated', 'confirmed'))`: &overbooked,
					`SELECT COUNT(*) FROM (SELECT household_id FROM appointments WHERE status IN ('allocated', 'confirmed') GROUP BY household_id HAVING COUNT(*) > 1) d`:                                                                                 &doubled,
				} {
					if err := tx.QueryRowContext(ctx, q).Scan(dst); err != nil {
						return fmt.Errorf("%s: %w", q, err)
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if runs != 1 || requests != 30 || allocations == 0 || overbooked != 0 || doubled != 0 {
				t.Fatalf("draw runs %d (want 1), requests %d (want 30), allocations %d, overbooked slots %d, households with two appointments %d",
					runs, requests, allocations, overbooked, doubled)
			}
		})
	}
}

// forge changes one character well inside the token's signature, so the
// result always differs from the original in bits that are not padding.
func forge(token string) string {
	b := []byte(token)
	i := len(b) - 10
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}
