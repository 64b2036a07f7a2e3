package web

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/senda-platform/senda/household"
	"github.com/senda-platform/senda/internal/access"
	"github.com/senda-platform/senda/internal/appointments"
	"github.com/senda-platform/senda/internal/auth"
	"github.com/senda-platform/senda/internal/households"
	sendahttp "github.com/senda-platform/senda/internal/http"
	"github.com/senda-platform/senda/internal/i18n"
	"github.com/senda-platform/senda/internal/jobs"
	"github.com/senda-platform/senda/internal/seal"
	"github.com/senda-platform/senda/internal/store"
	"github.com/senda-platform/senda/internal/storetest"
	"github.com/senda-platform/senda/reference"
)

// apClock is a clock the tests set.
type apClock = storetest.Clock

// apSite is the appointment pages, with the API they link to, on a fresh
// store whose clock the test sets.
type apSite struct {
	*regSite
	Appt *appointments.Service
	Clk  *apClock
	// logins remembers each client's login, to sign in again as time
	// moves past a session's life.
	logins map[*regClient]string
}

func newApSite(t testing.TB, e store.Dialect) *apSite {
	t.Helper()
	ctx := context.Background()
	db := storetest.New(t, e)
	clk := &apClock{}
	clk.Set(time.Now())
	db.Now = clk.Now
	var locs []store.Location
	for _, l := range reference.Locations() {
		locs = append(locs, store.Location{Code: l.Code, Kind: string(l.Kind), Country: l.Country, Name: l.Name, TimeZone: l.TimeZone, Latitude: l.Lat, Longitude: l.Lon})
	}
	if err := db.LoadLocations(ctx, reference.Version, locs); err != nil {
		t.Fatal(err)
	}
	keys := seal.New()
	outbox := jobs.NewOutbox(db, keys, jobs.DevSender{}, nil)
	asvc := auth.New(db, keys, outbox)
	hsvc := &households.Service{DB: db, Keys: keys, ActsFor: asvc.ActsFor}
	svc, err := appointments.New(db, keys, outbox, nil, appointments.Default())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	svc.ActsFor = asvc.ActsFor
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	srv := sendahttp.New(sendahttp.Config{DB: db, Log: log, Auth: asvc})
	srv.RegisterAuth(asvc)
	srv.RegisterHouseholds(hsvc)
	srv.RegisterAppointments(svc)
	if _, err := Mount(srv, log); err != nil {
		t.Fatal(err)
	}
	if err := MountAuth(srv, asvc, auth.OIDCConfig{}, log); err != nil {
		t.Fatal(err)
	}
	MountHouseholds(srv, hsvc, log)
	MountAppointments(srv, svc, log)
	hs := httptest.NewServer(http.NewCrossOriginProtection().Handler(srv.Handler()))
	t.Cleanup(hs.Close)
	return &apSite{regSite: &regSite{DB: db, Auth: asvc, HH: hsvc, URL: hs.URL}, Appt: svc, Clk: clk, logins: map[*regClient]string{}}
}

var apUnique int

// person creates an account of role over scope, signed in; an applicant
// also gets a registered household of size persons in Mexico.
func (s *apSite) person(t testing.TB, lang string, role access.Role, scope access.Scope, size int) *regClient {
	t.Helper()
	apUnique++
	login := fmt.Sprintf("staff%d@example.org", apUnique)
	if role == access.Applicant {
		login = fmt.Sprintf("+52 656 %03d %04d", apUnique%1000, apUnique)
	}
	c, id := s.client(t, lang, login, role, scope)
	s.logins[c] = login
	if role == access.Applicant {
		b, err := os.ReadFile("../households/testdata/family.json")
		if err != nil {
			t.Fatal(err)
		}
		var h household.Household
		if err := json.Unmarshal(b, &h); err != nil {
			t.Fatal(err)
		}
		h.Members, h.Language = h.Members[:size], lang
		caller := households.Caller{Principal: access.Principal{AccountID: id, Kind: "applicant", Role: access.Applicant, Scope: "*"}}
		if _, err := s.HH.Save(context.Background(), caller, &h, ""); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// again signs a client in afresh, as of the clock's time.
func (s *apSite) again(t testing.TB, c *regClient) *regClient {
	t.Helper()
	n := s.signIn(t, c.lang, s.logins[c])
	s.logins[n] = s.logins[c]
	return n
}

// newYorkDay returns a time on the day before a service date, in New York,
// where the default request window is kept.
func newYorkDay(serviceDate string, hour, minute int) time.Time {
	ny, _ := time.LoadLocation("America/New_York")
	d, _ := time.Parse(time.DateOnly, serviceDate)
	d = d.AddDate(0, 0, -1)
	return time.Date(d.Year(), d.Month(), d.Day(), hour, minute, 0, 0, ny)
}

var (
	apRawKey   = regexp.MustCompile(`>[^<]*\b(apptweb|appointments?|validation|error|page)\.[a-z_]+[^<]*<`)
	apKeyRe    = regexp.MustCompile(`name="idem" value="([^"]+)"`)
	apFormRe   = regexp.MustCompile(`(?s)<form method="post" action="([^"]+)".*?</form>`)
	apLinkRe   = regexp.MustCompile(`href="(/appointments/[0-9a-f-]{36})"`)
	apCodeRe   = regexp.MustCompile(`<p class="code" id="code"[^>]*>([^<]+)</p>`)
	apReqIDRe  = regexp.MustCompile(`<p class="code" id="request-id"[^>]*>([^<]+)</p>`)
	apImgRe    = regexp.MustCompile(`<img id="qr" src="([^"]+)"`)
	apCalRe    = regexp.MustCompile(`id="calendar-link" href="([^"]+)"`)
	apNoShowRe = regexp.MustCompile(`action="(/port/[A-Z-]+/no-show/[0-9a-f-]+)"`)
)

// apPage gets a page of c's language and checks what every appointment
// page must hold.
func apPage(t testing.TB, c *regClient, path string, want int) string {
	t.Helper()
	resp := c.do("GET", path, nil)
	if resp.StatusCode != want {
		t.Fatalf("GET %s: got %d, want %d: %s", path, resp.StatusCode, want, errorsOf(c.last))
	}
	checkApPage(t, resp, c.last, c.lang)
	return c.last
}

func checkApPage(t testing.TB, resp *http.Response, body, lang string) {
	t.Helper()
	path := resp.Request.URL.Path
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("%s: Content-Security-Policy %q", path, csp)
	}
	for _, re := range []*regexp.Regexp{regInlineScript, regInlineHandler, regInlineStyle} {
		if m := re.FindString(body); m != "" {
			t.Errorf("%s: got %q in the page, want no script and no inline style", path, m)
		}
	}
	if !strings.Contains(body, `<html lang="`+lang+`">`) {
		t.Errorf("%s: page not in %s", path, lang)
	}
	if m := apRawKey.FindString(body); m != "" {
		t.Errorf("%s: a catalogue key is shown instead of its text: %q", path, m)
	}
	if strings.Contains(body, "http://") || strings.Contains(body, "https://") {
		t.Errorf("%s: the page refers to another site", path)
	}
	if resp.StatusCode != http.StatusSeeOther && !strings.Contains(body, `href="/static/appointments.css"`) && !strings.Contains(body, "page.request_id") && resp.StatusCode < 400 {
		t.Errorf("%s: the page does not load its stylesheet", path)
	}
}

// postForm posts the form of body whose action is action, with values
// added, and returns the response; the body is in c.last.
func postForm(t testing.TB, c *regClient, body, action string, kv ...string) *http.Response {
	t.Helper()
	v := url.Values{}
	for _, m := range apFormRe.FindAllStringSubmatch(body, -1) {
		if htmlUnescape(m[1]) != action {
			continue
		}
		for _, h := range regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`).FindAllStringSubmatch(m[0], -1) {
			v.Set(h[1], htmlUnescape(h[2]))
		}
	}
	if v.Get("idem") == "" {
		t.Fatalf("no form posting to %s in %s", action, body)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return c.post(action, v)
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&amp;", "&", "&#43;", "+", "&#39;", "'", "&#34;", `"`, "&lt;", "<", "&gt;", ">").Replace(s)
}

// redirect checks a 303 and returns where to.
func redirect(t testing.TB, c *regClient, resp *http.Response) string {
	t.Helper()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("%s %s: got %d, want 303: %s", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, errorsOf(c.last))
	}
	return resp.Header.Get("Location")
}

// The whole journey through the pages on both engines: a manager sets a
// port's week, two households ask in Spanish and Haitian Creole, the window
// closes and says when it opens next in the applicant's zone, the draw runs
// and its public page shows commitment, root, seed and counts, a household
// fails a check and is told about the in-person path, confirms, gets its QR
// and calendar file, and the port officer checks it in by code, then marks
// the other household as not come.
func TestAppointmentPagesJourney(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(string(e), func(t *testing.T) {
			s := newApSite(t, e)
			const day = "2025-03-02"
			s.Clk.Set(newYorkDay(day, 15, 0))

			pm := s.person(t, "en", access.ProgrammeManager, "US/POE-SYS", 0)
			body := apPage(t, pm, "/capacity/POE-SYS", 200)
			week := []string{}
			for _, d := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
				week = append(week, d, "08:00 5\n")
			}
			loc := redirect(t, pm, postForm(t, pm, body, "/capacity/POE-SYS/template", week...))
			if loc != "/capacity/POE-SYS?saved=template" {
				t.Fatalf("after saving the week: got %s", loc)
			}
			if body := apPage(t, pm, loc, 200); !strings.Contains(body, tr("en", "apptweb.capacity.saved_template")) || !strings.Contains(body, "08:00 5") {
				t.Fatalf("week not shown as saved: %s", body)
			}

			maria := s.person(t, "es", access.Applicant, "", 3)
			jean := s.person(t, "ht", access.Applicant, "", 2)
			body = apPage(t, maria, "/appointments", 200)
			if !strings.Contains(body, tr("es", "apptweb.index.title")) || !strings.Contains(body, `href="/appointments/request"`) {
				t.Fatalf("home: %s", body)
			}
			body = apPage(t, maria, "/appointments/request", 200)
			resp := postForm(t, maria, body, "/appointments/request")
			if resp.StatusCode != 422 || fieldErrors(maria.last)["pref1"] != tr("es", "apptweb.request.choose") {
				t.Fatalf("no port chosen: %d %s", resp.StatusCode, errorsOf(maria.last))
			}
			resp = postForm(t, maria, maria.last, "/appointments/request", "pref1", "POE-SYS", "pref2", "POE-SYS")
			if resp.StatusCode != 422 || fieldErrors(maria.last)["pref2"] != tr("es", "appointments.preferences_duplicate") {
				t.Fatalf("same port twice: %d %v", resp.StatusCode, fieldErrors(maria.last))
			}
			loc = redirect(t, maria, postForm(t, maria, maria.last, "/appointments/request", "pref1", "POE-SYS", "pref2", "POE-CLX", "pref3", ""))
			if loc != "/requests/"+day+"?sent=1" {
				t.Fatalf("after asking: got %s", loc)
			}
			body = apPage(t, maria, loc, 200)
			m := apReqIDRe.FindStringSubmatch(body)
			if m == nil || !strings.Contains(body, tr("es", "apptweb.result.sent")) || !strings.Contains(body, tr("es", "apptweb.request_status.live")) {
				t.Fatalf("result before the draw: %s", body)
			}
			mariaReq := m[1]
			// Asking again shows the request that will be replaced.
			if body := apPage(t, maria, "/appointments/request", 200); !strings.Contains(body, tr("es", "apptweb.request.replace", "id", mariaReq)) {
				t.Fatalf("request page does not show the request it replaces")
			}
			body = apPage(t, jean, "/appointments/request", 200)
			redirect(t, jean, postForm(t, jean, body, "/appointments/request", "pref1", "POE-SYS"))
			staleForm := apPage(t, jean, "/appointments/request", 200)

			// Before the close the public page shows the commitment only.
			anon := &regClient{t: t, site: s.regSite, c: &http.Client{}, lang: "pt"}
			body = apPage(t, anon, "/draws/"+day, 200)
			info, err := s.Appt.Draw(context.Background(), day)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(body, info.Commitment) || !strings.Contains(body, tr("pt", "apptweb.draw.status.open")) || strings.Count(body, tr("pt", "apptweb.draw.not_yet")) != 2 {
				t.Fatalf("draw page before the close: %s", body)
			}

			// The window closes: a late request is refused with the next
			// opening in the zone the applicant chose.
			s.Clk.Set(newYorkDay(day, 23, 59))
			jean = s.again(t, jean)
			body = apPage(t, jean, "/appointments/request?tz=America/Tijuana", 200)
			next := tr("ht", "apptweb.when_zone", "when", tr("ht", "apptweb.when", "weekday", tr("ht", "apptweb.day.sun"), "date", day, "time", "09:00"),
				"zone", "Tijuana, Mexicali")
			if !strings.Contains(body, next) || strings.Contains(body, `method="post" action="/appointments/request"`) {
				t.Fatalf("closed window: want %q in %s", next, body)
			}
			resp = postForm(t, jean, staleForm, "/appointments/request", "pref1", "POE-SYS")
			if resp.StatusCode != 409 || !strings.Contains(jean.last, tr("ht", "appointments.window_closed.title")) || !strings.Contains(jean.last, "09:00") {
				t.Fatalf("late request: %d %s", resp.StatusCode, errorsOf(jean.last))
			}

			admin := appointments.Caller{Principal: access.Principal{Kind: "token", TokenID: "test", Role: access.Admin, Scope: "*"}}
			info, err = s.Appt.Execute(context.Background(), admin, day)
			if err != nil || info.Status != "published" || info.Allocations != 2 {
				t.Fatalf("draw: %+v %v", info, err)
			}
			body = apPage(t, anon, "/draws/"+day, 200)
			for _, want := range []string{info.Commitment, info.RequestsRoot, info.Seed, `href="/api/v1/draws/` + day + `"`, `href="/static/verify/verify.html"`,
				tr("pt", "apptweb.draw.status.published"), tr("pt", "apptweb.draw.guarantee.seed_only")} {
				if !strings.Contains(body, want) {
					t.Errorf("published draw page: %q missing", want)
				}
			}
			if body := apPage(t, anon, "/draws", 200); !strings.Contains(body, `href="/draws/`+day+`"`) {
				t.Errorf("draw list: %s", body)
			}
			if resp := anon.do("GET", "/api/v1/draws/"+day, nil); resp.StatusCode != 200 || !strings.Contains(anon.last, `"seed"`) || !strings.Contains(anon.last, mariaReq) {
				t.Errorf("draw record: %d", resp.StatusCode)
			}

			// María sees the result with her own request id, then confirms.
			maria = s.again(t, maria)
			body = apPage(t, maria, "/requests/"+day, 200)
			if !strings.Contains(body, mariaReq) || !strings.Contains(body, tr("es", "apptweb.request_status.allocated")) {
				t.Fatalf("result after the draw: %s", body)
			}
			link := apLinkRe.FindStringSubmatch(body)
			if link == nil {
				t.Fatalf("no link to the appointment: %s", body)
			}
			body = apPage(t, maria, link[1], 200)
			m = apCodeRe.FindStringSubmatch(body)
			if m == nil || !strings.Contains(body, `id="confirm-link"`) {
				t.Fatalf("appointment page: %s", body)
			}
			code := m[1]
			body = apPage(t, maria, link[1]+"/confirm", 200)
			resp = postForm(t, maria, body, link[1]+"/confirm", "where", "MX-CHP", "liveness", "000000x")
			errs := fieldErrors(maria.last)
			if resp.StatusCode != 422 || errs["where"] != tr("es", "appointments.check.region_outside") || errs["liveness"] != tr("es", "appointments.check.liveness_failed") ||
				!strings.Contains(maria.last, `id="in-person"`) || !strings.Contains(maria.last, code) {
				t.Fatalf("failed checks: %d %v %s", resp.StatusCode, errs, errorsOf(maria.last))
			}
			ap, err := s.Appt.Mine(context.Background(), appointments.Caller{Principal: access.Principal{AccountID: accountOf(t, s, maria), Role: access.Applicant, Scope: "*"}}, "")
			if err != nil || len(ap) != 1 {
				t.Fatalf("appointments: %v %v", ap, err)
			}
			loc = redirect(t, maria, postForm(t, maria, maria.last, link[1]+"/confirm", "where", "MX-CHH", "liveness", ap[0].Challenge))
			if loc != link[1]+"?confirmed=1" {
				t.Fatalf("after confirming: %s", loc)
			}
			body = apPage(t, maria, loc, 200)
			img := apImgRe.FindStringSubmatch(body)
			cal := apCalRe.FindStringSubmatch(body)
			if img == nil || cal == nil || !strings.Contains(body, tr("es", "apptweb.appt.confirmed_now")) {
				t.Fatalf("confirmed appointment page: %s", body)
			}
			if resp := maria.do("GET", htmlUnescape(img[1]), nil); resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" {
				t.Errorf("QR image: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			if resp := maria.do("GET", htmlUnescape(cal[1]), nil); resp.StatusCode != 200 || !strings.Contains(maria.last, "BEGIN:VCALENDAR") {
				t.Errorf("calendar file: %d", resp.StatusCode)
			}
			// Choosing what the pass shows changes the QR link.
			if body := apPage(t, maria, link[1]+"?shown=1&show_port=1", 200); !strings.Contains(body, "qr.png?show=port") {
				t.Errorf("pass choice not applied")
			}

			// At the port: check-in by code on the day.
			la, _ := time.LoadLocation("America/Los_Angeles")
			start := time.Date(2025, 3, 2, 8, 0, 0, 0, la)
			s.Clk.Set(start.Add(-30 * time.Minute))
			po := s.person(t, "en", access.PortOfficer, "US/POE-SYS", 0)
			if resp := po.do("GET", "/port", nil); resp.StatusCode != 303 || resp.Header.Get("Location") != "/port/POE-SYS" {
				t.Fatalf("/port for one port: %d %s", resp.StatusCode, resp.Header.Get("Location"))
			}
			body = apPage(t, po, "/port/POE-SYS", 200)
			if !strings.Contains(body, code) || !strings.Contains(body, tr("en", "apptweb.port.counts", "total", 2, "checked_in", 0, "waiting", 1, "no_show", 0)) {
				t.Fatalf("arrivals: %s", body)
			}
			resp = postForm(t, po, body, "/port/POE-SYS/checkin", "code", "ABCD")
			if resp.StatusCode != 422 || fieldErrors(po.last)["code"] != tr("en", "appointments.code_invalid") {
				t.Fatalf("bad code: %d %v", resp.StatusCode, fieldErrors(po.last))
			}
			resp = postForm(t, po, body, "/port/POE-SYS/checkin", "code", appointments.FormatCode(appointments.NewCode()))
			if resp.StatusCode != 404 || fieldErrors(po.last)["code"] != tr("en", "apptweb.port.code_unknown") {
				t.Fatalf("unknown code: %d %v", resp.StatusCode, fieldErrors(po.last))
			}
			resp = postForm(t, po, body, "/port/POE-SYS/checkin", "code", strings.ToLower(strings.ReplaceAll(code, "-", "")))
			if resp.StatusCode != 200 || !strings.Contains(po.last, `id="arrived"`) || !strings.Contains(po.last, "María José Pérez Gómez") ||
				!strings.Contains(po.last, tr("en", "apptweb.port.counts", "total", 2, "checked_in", 1, "waiting", 0, "no_show", 0)) {
				t.Fatalf("check-in: %d %s", resp.StatusCode, errorsOf(po.last))
			}
			resp = postForm(t, po, body, "/port/POE-SYS/checkin", "code", code)
			if resp.StatusCode != 409 || !strings.Contains(po.last, tr("en", "appointments.already_checked_in.title")) {
				t.Fatalf("second check-in: %d %s", resp.StatusCode, errorsOf(po.last))
			}
			if strings.Contains(apPage(t, po, "/port/POE-SYS", 200), "María") {
				t.Errorf("names shown outside the check-in answer")
			}

			// After the start, the household that never confirmed is marked
			// as not come.
			s.Clk.Set(start.Add(time.Hour))
			po = s.again(t, po)
			body = apPage(t, po, "/port/POE-SYS", 200)
			ns := apNoShowRe.FindStringSubmatch(body)
			if ns == nil {
				t.Fatalf("no no-show button: %s", body)
			}
			loc = redirect(t, po, postForm(t, po, body, ns[1]))
			body = apPage(t, po, loc, 200)
			if !strings.Contains(body, tr("en", "apptweb.port.no_show_done")) || !strings.Contains(body, tr("en", "apptweb.port.counts", "total", 2, "checked_in", 1, "waiting", 0, "no_show", 1)) {
				t.Fatalf("after no-show: %s", body)
			}
			jean = s.again(t, jean)
			if body := apPage(t, jean, "/appointments", 200); !strings.Contains(body, tr("ht", "apptweb.status.no_show")) {
				t.Errorf("Jean's home does not say no-show")
			}
		})
	}
}

// accountOf finds the account id of a signed-in client.
func accountOf(t testing.TB, s *apSite, c *regClient) string {
	t.Helper()
	u, _ := url.Parse(s.URL)
	for _, ck := range c.c.Jar.Cookies(u) {
		if ck.Name == auth.SessionCookie {
			req := httptest.NewRequest("GET", "/", nil)
			req.AddCookie(ck)
			p, err := s.Auth.Authenticate(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			return p.AccountID
		}
	}
	t.Fatal("not signed in")
	return ""
}

// Who may see what: every page checks its rule, scope and holder.
func TestAppointmentPagesAccess(t *testing.T) {
	s := newApSite(t, store.SQLite)
	const day = "2025-03-02"
	s.Clk.Set(newYorkDay(day, 15, 0))
	admin := appointments.Caller{Principal: access.Principal{Kind: "token", TokenID: "test", Role: access.Admin, Scope: "*"}}
	if _, err := s.Appt.SetTemplate(context.Background(), admin, "POE-SYS", appointments.Week{Sun: []appointments.SlotSpec{{Start: "08:00", Capacity: 9}}}); err != nil {
		t.Fatal(err)
	}
	a := s.person(t, "en", access.Applicant, "", 2)
	b := s.person(t, "en", access.Applicant, "", 2)
	redirect(t, a, postForm(t, a, apPage(t, a, "/appointments/request", 200), "/appointments/request", "pref1", "POE-SYS"))
	s.Clk.Set(newYorkDay(day, 23, 59))
	if _, err := s.Appt.Execute(context.Background(), admin, day); err != nil {
		t.Fatal(err)
	}
	a, b = s.again(t, a), s.again(t, b)
	link := apLinkRe.FindStringSubmatch(apPage(t, a, "/requests/"+day, 200))
	if link == nil {
		t.Fatal("no appointment")
	}
	anon := &regClient{t: t, site: s.regSite, c: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, lang: "fr"}
	po := s.person(t, "en", access.PortOfficer, "US/POE-CLX", 0)
	pm := s.person(t, "en", access.ProgrammeManager, "US/POE-SYS", 0)
	tests := []struct {
		who    *regClient
		path   string
		status int
	}{
		{anon, "/appointments", 200},
		{anon, "/draws", 200},
		{anon, "/draws/" + day, 200},
		{anon, "/draws/2020-01-01", 404},
		{anon, "/draws/not-a-date", 404},
		{anon, "/appointments/request", 303},
		{anon, "/port/POE-SYS", 303},
		{anon, "/capacity", 303},
		{a, link[1], 200},
		{b, link[1], 404},
		{b, "/requests/" + day, 404},
		{b, "/requests/2025-13-01", 404},
		{a, "/port", 403},
		{a, "/capacity", 403},
		{a, "/closures", 403},
		{po, "/port/POE-SYS", 403},
		{po, "/port/POE-XXX", 404},
		{po, "/port/POE-CLX", 200},
		{po, "/port/POE-CLX?date=2025-02-30", 404},
		{po, "/appointments/request", 403},
		{po, "/capacity/POE-CLX", 403},
		{po, "/closures", 200},
		{pm, "/capacity/POE-CLX", 404},
		{pm, "/capacity/POE-SYS", 200},
		{pm, "/capacity", 200},
		{pm, "/port/POE-SYS", 403},
		{pm, link[1], 403},
	}
	for _, tt := range tests {
		resp := tt.who.do("GET", tt.path, nil)
		if resp.StatusCode != tt.status {
			t.Errorf("GET %s as %s: got %d, want %d", tt.path, tt.who.lang+"/"+s.logins[tt.who], resp.StatusCode, tt.status)
			continue
		}
		if tt.status == 303 {
			if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, "/signin?next=") {
				t.Errorf("GET %s anonymous: sent to %s, want to sign in", tt.path, loc)
			}
			continue
		}
		if tt.status != 403 {
			checkApPage(t, resp, tt.who.last, tt.who.lang)
		}
	}
	// Posting for another household's appointment changes nothing.
	resp := b.post(link[1]+"/confirm", url.Values{"idem": {newKey()}, "where": {"MX-CHH"}, "liveness": {"123456"}})
	if resp.StatusCode != 404 {
		t.Errorf("confirming another household's appointment: got %d, want 404", resp.StatusCode)
	}
	resp = b.post(link[1]+"/cancel", url.Values{"idem": {newKey()}})
	if resp.StatusCode != 404 {
		t.Errorf("cancelling another household's appointment: got %d, want 404", resp.StatusCode)
	}
	// A manager of one port cannot close another.
	resp = pm.post("/closures", url.Values{"idem": {newKey()}, "location": {"POE-CLX"}, "from_date": {"2025-03-05"}, "until_date": {"2025-03-06"}, "reason": {"storm damage"}})
	if resp.StatusCode != 403 || !strings.Contains(pm.last, tr("en", "appointments.manage_scope.title")) {
		t.Errorf("closing another port: got %d", resp.StatusCode)
	}
	// The public pages are marked as not to be stored by shared caches only
	// until revalidated; personal pages are never stored.
	if resp := anon.do("GET", "/draws", nil); resp.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("draws Cache-Control %q", resp.Header.Get("Cache-Control"))
	}
	if resp := a.do("GET", link[1], nil); resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("appointment Cache-Control %q", resp.Header.Get("Cache-Control"))
	}
}

// A helper with the applicant's consent asks for them; without it, the
// pages find no household.
func TestAppointmentPagesAsHelper(t *testing.T) {
	s := newApSite(t, store.SQLite)
	const day = "2025-03-02"
	s.Clk.Set(newYorkDay(day, 15, 0))
	ap := s.person(t, "es", access.Applicant, "", 2)
	applicantID := accountOf(t, s, ap)
	helper := s.person(t, "es", access.Helper, "*", 0)
	q := "?for=" + url.QueryEscape(applicantID)
	resp := postForm(t, helper, apPage(t, helper, "/appointments/request"+q, 200), "/appointments/request", "pref1", "POE-NOG")
	if resp.StatusCode != 422 || !strings.Contains(helper.last, tr("es", "apptweb.request.no_household")) {
		t.Fatalf("without consent: %d %s", resp.StatusCode, errorsOf(helper.last))
	}
	if _, err := s.Auth.GrantHelper(context.Background(), access.Principal{AccountID: applicantID, Role: access.Applicant}, accountOf(t, s, helper), "citas"); err != nil {
		t.Fatal(err)
	}
	loc := redirect(t, helper, postForm(t, helper, apPage(t, helper, "/appointments/request"+q, 200), "/appointments/request", "pref1", "POE-NOG"))
	if want := "/requests/" + day + q + "&sent=1"; loc != want {
		t.Fatalf("after asking: got %s, want %s", loc, want)
	}
	body := apPage(t, helper, loc, 200)
	if !strings.Contains(body, `href="/appointments`+htmlEscapeQuery(q)+`"`) {
		t.Errorf("the applicant is lost from the links: %s", body)
	}
	if body := apPage(t, ap, "/requests/"+day, 200); !strings.Contains(body, "Nogales") {
		t.Errorf("the applicant does not see the request the helper made")
	}
}

// A household that may not ask is told why, in its language.
func TestAppointmentRequestNotEligible(t *testing.T) {
	s := newApSite(t, store.SQLite)
	s.Appt.Eligibility = func(context.Context, *household.Household) (bool, []string, error) {
		return false, []string{"appointments.eligibility.not_in_mexico"}, nil
	}
	s.Clk.Set(newYorkDay("2025-03-02", 15, 0))
	c := s.person(t, "fr", access.Applicant, "", 1)
	resp := postForm(t, c, apPage(t, c, "/appointments/request", 200), "/appointments/request", "pref1", "POE-ELP")
	reason := strings.TrimSuffix(i18n.T("fr", "appointments.eligibility.not_in_mexico", nil), ".")
	if want := tr("fr", "appointments.not_eligible.detail", "reasons", reason); resp.StatusCode != 409 || !strings.Contains(c.last, want) {
		t.Fatalf("not eligible: %d, want %q in %s", resp.StatusCode, want, errorsOf(c.last))
	}
}

func htmlEscapeQuery(q string) string { return strings.ReplaceAll(q, "&", "&amp;") }

// Every page speaks each of the five languages, whatever the browser
// asked, once chosen.
func TestAppointmentPagesLanguages(t *testing.T) {
	s := newApSite(t, store.SQLite)
	const day = "2025-03-02"
	s.Clk.Set(newYorkDay(day, 15, 0))
	if _, err := s.Appt.CommitDraw(context.Background(), day); err != nil {
		t.Fatal(err)
	}
	for _, lang := range i18n.Languages {
		ap := s.person(t, lang, access.Applicant, "", 1)
		pm := s.person(t, lang, access.ProgrammeManager, "*", 0)
		po := s.person(t, lang, access.PortOfficer, "US", 0)
		anon := &regClient{t: t, site: s.regSite, c: &http.Client{}, lang: lang}
		pages := []struct {
			c     *regClient
			path  string
			title string
		}{
			{anon, "/appointments", "apptweb.index.title"},
			{anon, "/draws", "apptweb.draws.title"},
			{anon, "/draws/" + day, "apptweb.draw.step.commit"},
			{ap, "/appointments", "apptweb.index.requests"},
			{ap, "/appointments/request", "apptweb.request.lead"},
			{pm, "/capacity", "apptweb.capacity.lead"},
			{pm, "/capacity/POE-BRO", "apptweb.capacity.template_hint"},
			{pm, "/closures", "apptweb.closures.new_lead"},
			{po, "/port", "apptweb.port.choose"},
			{po, "/port/POE-LRD", "apptweb.port.no_arrivals"},
		}
		for _, p := range pages {
			body := apPage(t, p.c, p.path, 200)
			if !strings.Contains(body, tr(lang, p.title)) {
				t.Errorf("%s %s: %q missing", lang, p.path, i18n.T(lang, p.title, nil))
			}
		}
	}
}

// Capacity and closures through the pages: errors next to their fields,
// a date's own slots and their removal, a closure that moves appointments
// and reports every move, the same form sent twice done once, reopening.
func TestCapacityAndClosurePages(t *testing.T) {
	s := newApSite(t, store.SQLite)
	const day = "2025-03-02"
	s.Clk.Set(newYorkDay(day, 15, 0))
	pm := s.person(t, "es", access.ProgrammeManager, "US", 0)
	body := apPage(t, pm, "/capacity/POE-SYS", 200)
	resp := postForm(t, pm, body, "/capacity/POE-SYS/template", "mon", "08:00 5\nocho 7", "sun", "25:00 5")
	errs := fieldErrors(pm.last)
	if resp.StatusCode != 422 || errs["day-mon"] != tr("es", "apptweb.capacity.line", "line", 2) {
		t.Fatalf("bad line: %d %v", resp.StatusCode, errs)
	}
	if !strings.Contains(pm.last, "ocho 7") {
		t.Errorf("what was typed is lost")
	}
	resp = postForm(t, pm, pm.last, "/capacity/POE-SYS/template", "mon", "08:00 5", "sun", "25:00 5")
	if errs := fieldErrors(pm.last); resp.StatusCode != 422 || errs["day-sun"] != tr("es", "appointments.slot_start") {
		t.Fatalf("bad start: %d %v", resp.StatusCode, errs)
	}
	redirect(t, pm, postForm(t, pm, pm.last, "/capacity/POE-SYS/template", "sun", "08:00 5\n10:00 5", "mon", "08:00 5"))
	redirect(t, pm, postForm(t, pm, apPage(t, pm, "/capacity/POE-CLX", 200), "/capacity/POE-CLX/template", "sun", "09:00 6"))

	// One date of its own, then back to the week.
	body = apPage(t, pm, "/capacity/POE-SYS", 200)
	resp = postForm(t, pm, body, "/capacity/POE-SYS/override", "date", "2025-03-09", "slots", "07:00 3")
	loc := redirect(t, pm, resp)
	body = apPage(t, pm, loc, 200)
	if !strings.Contains(body, tr("es", "apptweb.capacity.saved_override")) || !strings.Contains(body, "<td>07:00</td><td>3</td>") {
		t.Fatalf("override not shown: %s", body)
	}
	loc = redirect(t, pm, postForm(t, pm, body, "/capacity/POE-SYS/override/delete", "date", "2025-03-09"))
	if again := redirect(t, pm, postForm(t, pm, body, "/capacity/POE-SYS/override/delete", "date", "2025-03-09")); again != loc {
		t.Errorf("the same removal sent twice: got %s, then %s", loc, again)
	}
	resp = postForm(t, pm, apPage(t, pm, loc, 200), "/capacity/POE-SYS/override/delete", "date", "2025-03-10")
	if resp.StatusCode != 404 || fieldErrors(pm.last)["delete-date"] != tr("es", "apptweb.capacity.no_override") {
		t.Fatalf("removing what is not there: %d %v", resp.StatusCode, fieldErrors(pm.last))
	}

	// Two households hold appointments at San Ysidro on the day.
	for _, lang := range []string{"es", "pt"} {
		c := s.person(t, lang, access.Applicant, "", 2)
		redirect(t, c, postForm(t, c, apPage(t, c, "/appointments/request", 200), "/appointments/request", "pref1", "POE-SYS", "pref2", "POE-CLX"))
	}
	s.Clk.Set(newYorkDay(day, 23, 59))
	admin := appointments.Caller{Principal: access.Principal{Kind: "token", TokenID: "test", Role: access.Admin, Scope: "*"}}
	if info, err := s.Appt.Execute(context.Background(), admin, day); err != nil || info.Allocations != 2 {
		t.Fatalf("draw: %+v %v", info, err)
	}
	pm = s.again(t, pm)

	body = apPage(t, pm, "/closures?location=POE-SYS", 200)
	resp = postForm(t, pm, body, "/closures", "location", "POE-SYS", "from_date", "2025-03-02", "until_date", "tomorrow", "reason", "")
	errs = fieldErrors(pm.last)
	if resp.StatusCode != 422 || errs["until-date"] != tr("es", "validation.date") || errs["reason"] != tr("es", "validation.required") {
		t.Fatalf("closure errors: %d %v", resp.StatusCode, errs)
	}
	resp = postForm(t, pm, pm.last, "/closures", "location", "POE-SYS", "from_date", "2025-03-03", "until_date", "2025-03-02", "reason", "bridge repairs")
	if errs := fieldErrors(pm.last); resp.StatusCode != 422 || errs["until-date"] != tr("es", "appointments.closure_period") {
		t.Fatalf("closure period: %d %v", resp.StatusCode, errs)
	}
	form := pm.last
	resp = postForm(t, pm, form, "/closures", "location", "POE-SYS", "from_date", "2025-03-02", "until_date", "2025-03-03", "reason", "bridge repairs")
	loc = redirect(t, pm, resp)
	if again := redirect(t, pm, postForm(t, pm, form, "/closures", "location", "POE-SYS", "from_date", "2025-03-02", "until_date", "2025-03-03", "reason", "bridge repairs")); again != loc {
		t.Errorf("the same form sent twice: got %s, then %s", loc, again)
	}
	body = apPage(t, pm, loc, 200)
	if !strings.Contains(body, tr("es", "apptweb.closure.created", "count", 2)) || strings.Count(body, "<tr><td><code>") != 2 ||
		!strings.Contains(body, tr("es", "apptweb.closure.outcome.same_date")) || !strings.Contains(body, "bridge repairs") {
		t.Fatalf("closure report: %s", body)
	}
	list, err := s.Appt.Closures(context.Background(), admin, "POE-SYS", time.Time{})
	if err != nil || len(list) != 1 {
		t.Fatalf("closures made: %d %v", len(list), err)
	}
	po := s.person(t, "en", access.PortOfficer, "US/POE-SYS", 0)
	if body := apPage(t, po, loc, 200); strings.Contains(body, `action="`+strings.TrimSuffix(loc, "?created=1")+`/reopen"`) {
		t.Errorf("a port officer is offered to reopen")
	}
	loc = redirect(t, pm, postForm(t, pm, body, strings.TrimSuffix(loc, "?created=1")+"/reopen"))
	if body := apPage(t, pm, loc, 200); !strings.Contains(body, tr("es", "apptweb.closure.reopened_now")) {
		t.Errorf("after reopening: %s", body)
	}
}

// TestServeForBrowser serves the appointment pages, with the sign-in pages
// and the API they work with, on a store whose clock the caller sets: the
// browser test e2e/appointments.test.mjs runs this test's binary with
// SENDA_E2E_SERVE=1 to take a household from its request through the draw
// to check-in within minutes. It then prints one JSON line with the address
// and an admin API token, serves until its standard input closes, and sets
// the clock on each line "clock <RFC 3339 time>" (answering "senda-e2e: ok"). On
// PostgreSQL (SENDA_E2E_DATABASE_URL) it works in a fresh schema. Run as a
// plain test, it checks that the server answers and follows the clock.
func TestServeForBrowser(t *testing.T) {
	serving := os.Getenv("SENDA_E2E_SERVE") != ""
	engine := store.SQLite
	if u := os.Getenv("SENDA_E2E_DATABASE_URL"); serving && u != "" {
		t.Setenv("SENDA_TEST_DATABASE_URL", u)
		engine = store.Postgres
	}
	s := newApSite(t, engine)
	if v := os.Getenv("SENDA_E2E_CLOCK"); v != "" {
		at, err := time.Parse(time.RFC3339, v)
		if err != nil {
			t.Fatalf("SENDA_E2E_CLOCK: %v", err)
		}
		s.Clk.Set(at)
	}
	op := access.Principal{Kind: "token", TokenID: "e2e", Role: access.Admin, Scope: "*"}
	token, _, err := s.Auth.CreateToken(access.With(context.Background(), op), op, "browser test", access.Admin, "*", 60*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if !serving {
		const day = "2025-03-02"
		s.Clk.Set(newYorkDay(day, 11, 0))
		anon := &regClient{t: t, site: s.regSite, c: &http.Client{}, lang: "en"}
		if body := apPage(t, anon, "/appointments", 200); !strings.Contains(body, tr("en", "apptweb.window.closed", "service_date", "x")[:20]) {
			t.Errorf("before the window: %s", body)
		}
		s.Clk.Set(newYorkDay(day, 13, 0))
		// Answers carry no link to a schema document Senda does not serve.
		if resp := anon.do("GET", "/api/v1/appointments/window", nil); resp.StatusCode != 200 || !strings.Contains(anon.last, `"open":true`) || !strings.Contains(anon.last, day) ||
			strings.Contains(anon.last, "$schema") || resp.Header.Get("Link") != "" {
			t.Errorf("window after setting the clock: %d %v %s", resp.StatusCode, resp.Header, anon.last)
		}
		req, _ := http.NewRequest("POST", s.URL+"/api/v1/draws/"+day+"/execute", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("execute with the admin token: %v %v", resp, err)
		}
		resp.Body.Close()
		return
	}
	line, _ := json.Marshal(map[string]string{"msg": "senda listening", "addr": s.URL, "admin_token": token})
	fmt.Println(string(line))
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		cmd, arg, _ := strings.Cut(strings.TrimSpace(in.Text()), " ")
		switch cmd {
		case "clock":
			at, err := time.Parse(time.RFC3339, arg)
			if err != nil {
				fmt.Println("senda-e2e: " + err.Error())
				continue
			}
			s.Clk.Set(at)
			fmt.Println("senda-e2e: ok")
		default:
			fmt.Println("senda-e2e: say clock <RFC 3339 time>")
		}
	}
}

// parseSlots reads what the week form writes, and says which line it
// cannot read.
func TestParseSlots(t *testing.T) {
	a := &apReq{lang: "en"}
	tests := []struct {
		in   string
		want []appointments.SlotSpec
		bad  int
	}{
		{"", []appointments.SlotSpec{}, 0},
		{"08:00 50\n10:30 5\n", []appointments.SlotSpec{{Start: "08:00", Capacity: 50}, {Start: "10:30", Capacity: 5}}, 0},
		{"  8:00=50 \r\n\n9:15,3", []appointments.SlotSpec{{Start: "08:00", Capacity: 50}, {Start: "09:15", Capacity: 3}}, 0},
		{"08:00 50\n8 50", nil, 2},
		{"08:00", nil, 1},
		{"08:00 -5", nil, 1},
		{"08:00 1234567", nil, 1},
	}
	for _, tt := range tests {
		got, msg := a.parseSlots(tt.in)
		if tt.bad > 0 {
			if want := a.tf("apptweb.capacity.line", map[string]any{"line": tt.bad}); msg != want {
				t.Errorf("parseSlots(%q): got message %q, want %q", tt.in, msg, want)
			}
			continue
		}
		if msg != "" || !cmp.Equal(got, tt.want) {
			t.Errorf("parseSlots(%q): got %v %q, want %v", tt.in, got, msg, tt.want)
		}
	}
}

// What the page writes, it reads back the same.
func TestSlotsRoundTrip(t *testing.T) {
	a := &apReq{lang: "en"}
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(0, 12).Draw(t, "n")
		specs := []appointments.SlotSpec{}
		for i := 0; i < n; i++ {
			specs = append(specs, appointments.SlotSpec{Start: fmt.Sprintf("%02d:%02d", rapid.IntRange(0, 23).Draw(t, "h"), rapid.IntRange(0, 59).Draw(t, "m")),
				Capacity: rapid.IntRange(0, 100000).Draw(t, "c")})
		}
		got, msg := a.parseSlots(slotsText(specs))
		if msg != "" || !cmp.Equal(got, specs) {
			t.Fatalf("got %v %q, want %v", got, msg, specs)
		}
	})
}

// Whatever is typed, parseSlots answers slots or a message, never both,
// and never panics.
func FuzzParseSlots(f *testing.F) {
	for _, s := range []string{"08:00 50", "8:00=5\n9:00,6", "\x00", "99:99 1", "08:00 999999", "Line\n\n\n08:00 1"} {
		f.Add(s)
	}
	a := &apReq{lang: "en"}
	f.Fuzz(func(t *testing.T, s string) {
		got, msg := a.parseSlots(s)
		if (msg == "") == (got == nil) {
			t.Fatalf("parseSlots(%q): got %v and %q", s, got, msg)
		}
		for _, sp := range got {
			if len(sp.Start) != 5 || sp.Capacity < 0 {
				t.Fatalf("parseSlots(%q): slot %+v", s, sp)
			}
		}
	})
}

func TestShowOf(t *testing.T) {
	tests := []struct {
		q    string
		want string
	}{
		{"", "date,port"},
		{"shown=1", ""},
		{"shown=1&show_port=1&show_name=1", "name,port"},
		{"show_name=1", "date,port"},
	}
	for _, tt := range tests {
		v, _ := url.ParseQuery(tt.q)
		if got := showOf(v); got != tt.want {
			t.Errorf("showOf(%q): got %q, want %q", tt.q, got, tt.want)
		}
	}
}

// The replay memory keeps at most its size, forgetting the oldest first.
func TestReplaysBounded(t *testing.T) {
	r := newReplays(3)
	for i := range 5 {
		r.put("a", fmt.Sprint(i), fmt.Sprint("/", i))
	}
	for i := range 5 {
		_, ok := r.get("a", fmt.Sprint(i))
		if want := i >= 2; ok != want {
			t.Errorf("key %d: got %v, want %v", i, ok, want)
		}
	}
	if _, ok := r.get("b", "4"); ok {
		t.Error("a key of another actor was replayed")
	}
}

// Every message key the pages use has its text in every language.
func TestAppointmentKeysTranslated(t *testing.T) {
	var files []string
	for _, pat := range []string{"appointments.go", "templates/appt_*.html", "templates/port_*.html", "templates/capacity_*.html", "templates/draw_*.html"} {
		m, err := globFiles(pat)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	keyRe := regexp.MustCompile(`apptweb\.[a-z0-9_.]*[a-z0-9_]`)
	dynamic := map[string][]string{
		"apptweb.day":             {"sun", "mon", "tue", "wed", "thu", "fri", "sat"},
		"apptweb.status":          {"allocated", "confirmed", "checked_in", "no_show", "cancelled", "released", "unplaced", "expired"},
		"apptweb.appt.note":       {"allocated", "confirmed", "checked_in", "no_show", "cancelled", "released", "unplaced", "expired"},
		"apptweb.request_status":  {"live", "withdrawn", "excluded", "allocated", "unallocated", "void"},
		"apptweb.result.detail":   {"withdrawn", "excluded", "void"},
		"apptweb.phase":           {"priority", "lottery"},
		"apptweb.draw.status":     {"open", "closed", "drawn", "published"},
		"apptweb.draw.guarantee":  {"pending", "seed_only", "seed_and_beacon"},
		"apptweb.closure.outcome": {"same_date", "later_date", "unplaced"},
		"apptweb.appt.show":       {"name", "date", "port"},
		"apptweb.request":         {"pref1", "pref2", "pref3"},
	}
	keys := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keyRe.FindAllString(string(b), -1) {
			keys[k] = true
		}
	}
	for prefix, names := range dynamic {
		for _, n := range names {
			sep := "."
			if prefix == "apptweb.appt.show" {
				sep = "_"
			}
			keys[prefix+sep+n] = true
		}
	}
	cat, err := i18n.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	for k := range keys {
		if _, ok := dynamic[k]; ok || strings.HasSuffix(k, "_") {
			continue // a prefix completed at run time
		}
		for _, l := range i18n.Languages {
			if _, ok := cat[l][k]; !ok {
				t.Errorf("%s: %q has no text", l, k)
			}
		}
	}
}

func globFiles(pattern string) ([]string, error) {
	dir, file := ".", pattern
	if i := strings.LastIndexByte(pattern, '/'); i >= 0 {
		dir, file = pattern[:i], pattern[i+1:]
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if ok, _ := pathMatch(file, e.Name()); ok {
			out = append(out, dir+"/"+e.Name())
		}
	}
	return out, nil
}

func pathMatch(pattern, name string) (bool, error) {
	re := "^" + strings.ReplaceAll(regexp.QuoteMeta(pattern), `\*`, ".*") + "$"
	return regexp.MatchString(re, name)
}

// BenchmarkPortDay measures the port officer's day page with a full day of
// arrivals at one port.
func BenchmarkPortDay(b *testing.B) {
	s := newApSite(b, store.SQLite)
	const day = "2025-03-02"
	s.Clk.Set(newYorkDay(day, 15, 0))
	admin := appointments.Caller{Principal: access.Principal{Kind: "token", TokenID: "test", Role: access.Admin, Scope: "*"}}
	if _, err := s.Appt.SetTemplate(context.Background(), admin, "POE-SYS", appointments.Week{Sun: []appointments.SlotSpec{{Start: "08:00", Capacity: 400}}}); err != nil {
		b.Fatal(err)
	}
	const households = 200
	for range households {
		c := s.person(b, "es", access.Applicant, "", 1)
		redirect(b, c, postForm(b, c, apPage(b, c, "/appointments/request", 200), "/appointments/request", "pref1", "POE-SYS"))
	}
	s.Clk.Set(newYorkDay(day, 23, 59))
	if info, err := s.Appt.Execute(context.Background(), admin, day); err != nil || info.Allocations != households {
		b.Fatalf("draw: %+v %v", info, err)
	}
	la, _ := time.LoadLocation("America/Los_Angeles")
	s.Clk.Set(time.Date(2025, 3, 2, 7, 0, 0, 0, la))
	po := s.person(b, "en", access.PortOfficer, "US/POE-SYS", 0)
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		if resp := po.do("GET", "/port/POE-SYS", nil); resp.StatusCode != 200 {
			b.Fatalf("got %d", resp.StatusCode)
		}
	}
	b.ReportMetric(float64(households), "arrivals/page")
	b.ReportMetric(float64(time.Since(start).Milliseconds())/float64(b.N), "ms/page")
}
