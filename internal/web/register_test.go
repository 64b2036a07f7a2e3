package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/senda-platform/senda/household"
	"github.com/senda-platform/senda/internal/access"
	"github.com/senda-platform/senda/internal/auth"
	"github.com/senda-platform/senda/internal/households"
	sendahttp "github.com/senda-platform/senda/internal/http"
	"github.com/senda-platform/senda/internal/i18n"
	"github.com/senda-platform/senda/internal/jobs"
	"github.com/senda-platform/senda/internal/seal"
	"github.com/senda-platform/senda/internal/store"
	"github.com/senda-platform/senda/internal/storetest"
	"github.com/senda-platform/senda/profile"
)

const regPassword = "mi familia unida 2024"

// regSite is the registration and review pages on a fresh store, served on
// a loopback port.
type regSite struct {
	DB   *store.DB
	Auth *auth.Service
	HH   *households.Service
	URL  string
}

func newRegSite(t testing.TB, e store.Dialect) *regSite {
	t.Helper()
	db := storetest.New(t, e)
	keys := seal.New()
	asvc := auth.New(db, keys, jobs.NewOutbox(db, keys, jobs.DevSender{}, nil))
	hsvc := &households.Service{DB: db, Keys: keys, ActsFor: asvc.ActsFor}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	srv := sendahttp.New(sendahttp.Config{DB: db, Log: log, Auth: asvc})
	if _, err := Mount(srv, log); err != nil {
		t.Fatal(err)
	}
	MountHouseholds(srv, hsvc, log)
	hs := httptest.NewServer(http.NewCrossOriginProtection().Handler(srv.Handler()))
	t.Cleanup(hs.Close)
	return &regSite{DB: db, Auth: asvc, HH: hsvc, URL: hs.URL}
}

// regClient is a browser without JavaScript: cookies, no redirects
// followed, so each step can be checked.
type regClient struct {
	t    testing.TB
	site *regSite
	c    *http.Client
	lang string
	// last is the body of the last response.
	last string
}

// account creates an account and returns a client signed in with it.
func (s *regSite) client(t testing.TB, lang, login string, role access.Role, scope access.Scope) (*regClient, string) {
	t.Helper()
	ctx := context.Background()
	n := auth.NewAccount{Kind: "staff", Role: role, Scope: scope, Email: login, Password: regPassword}
	if role == access.Applicant {
		n = auth.NewAccount{Kind: "applicant", Phone: login, Password: regPassword, Language: lang}
	}
	a, err := s.Auth.CreateAccount(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	return s.signIn(t, lang, login), a.ID
}

func (s *regSite) signIn(t testing.TB, lang, login string) *regClient {
	t.Helper()
	tok, _, err := s.Auth.SignIn(context.Background(), login, regPassword, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(s.URL)
	jar.SetCookies(u, []*http.Cookie{{Name: auth.SessionCookie, Value: tok, Path: "/"}})
	return &regClient{t: t, site: s, lang: lang, c: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (c *regClient) do(method, path string, form url.Values) *http.Response {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.site.URL+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept-Language", c.lang)
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	c.last = string(b)
	return resp
}

// page gets a page and checks it is a well-formed page of c's language.
func (c *regClient) page(path string, want int) string {
	c.t.Helper()
	resp := c.do("GET", path, nil)
	if resp.StatusCode != want {
		c.t.Fatalf("GET %s: got %d, want %d: %s", path, resp.StatusCode, want, c.last)
	}
	checkRegPage(c.t, resp, c.last, c.lang)
	return c.last
}

// post sends a form and returns the response; the body is in c.last.
func (c *regClient) post(path string, form url.Values) *http.Response {
	c.t.Helper()
	return c.do("POST", path, form)
}

// follow posts a form that must redirect, and returns where to.
func (c *regClient) follow(path string, form url.Values) string {
	c.t.Helper()
	resp := c.post(path, form)
	if resp.StatusCode != http.StatusSeeOther {
		c.t.Fatalf("POST %s: got %d, want 303: %s", path, resp.StatusCode, errorsOf(c.last))
	}
	return resp.Header.Get("Location")
}

var (
	regInlineScript  = regexp.MustCompile(`(?i)<script`)
	regInlineHandler = regexp.MustCompile(`(?i)\son[a-z]+\s*=`)
	regInlineStyle   = regexp.MustCompile(`(?i)(<style|\sstyle\s*=)`)
	// rawKey finds a catalogue key shown instead of its text.
	rawKey = regexp.MustCompile(`>[^<]*\b(register|household|review|profile\.q|validation|error|mrz)\.[a-z_]+[^<]*<`)
)

// checkRegPage checks what every page of this file must hold.
func checkRegPage(t testing.TB, resp *http.Response, body, lang string) {
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
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("%s: got Cache-Control %q, want no-store", path, cc)
	}
	if !strings.Contains(body, `<html lang="`+lang+`">`) {
		t.Errorf("%s: page not in %s", path, lang)
	}
	if m := rawKey.FindString(body); m != "" {
		t.Errorf("%s: a catalogue key is shown instead of its text: %q", path, m)
	}
	if strings.Contains(body, "http://") || strings.Contains(body, "https://") {
		t.Errorf("%s: the page refers to another site", path)
	}
}

var fieldErrorRe = regexp.MustCompile(`<p class="field-error" id="([^"]+)-error">([^<]*)</p>`)

// fieldErrors returns the id and message of every field error shown.
func fieldErrors(body string) map[string]string {
	out := map[string]string{}
	for _, m := range fieldErrorRe.FindAllStringSubmatch(body, -1) {
		out[m[1]] = m[2]
	}
	return out
}

func errorsOf(body string) string {
	var b strings.Builder
	for id, msg := range fieldErrors(body) {
		b.WriteString(id + ": " + msg + "; ")
	}
	if i := strings.Index(body, `role="alert"`); i >= 0 {
		end := min(len(body), i+600)
		b.WriteString(body[i:end])
	}
	return b.String()
}

var (
	idemRe    = regexp.MustCompile(`name="idem" value="([^"]+)"`)
	versionRe = regexp.MustCompile(`name="version" value="([0-9]+)"`)
	hhPathRe  = regexp.MustCompile(`^/register/([0-9a-f-]+)/([a-z]+)`)
)

// formOf returns the hidden fields of the last form of body.
func formOf(t testing.TB, body string) url.Values {
	t.Helper()
	k := idemRe.FindAllStringSubmatch(body, -1)
	v := versionRe.FindAllStringSubmatch(body, -1)
	if len(k) == 0 || len(v) == 0 {
		t.Fatalf("no form with an idempotency key in %s", body)
	}
	return url.Values{"idem": {k[len(k)-1][1]}, "version": {v[len(v)-1][1]}}
}

func with(base url.Values, kv ...string) url.Values {
	out := url.Values{}
	for k, v := range base {
		out[k] = append([]string(nil), v...)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out.Set(kv[i], kv[i+1])
	}
	return out
}

func householdID(t testing.TB, loc string) string {
	t.Helper()
	m := hhPathRe.FindStringSubmatch(loc)
	if m == nil {
		t.Fatalf("got redirect to %q, want a step of a registration", loc)
	}
	return m[1]
}

func tr(lang, key string, args ...any) string {
	m := map[string]any{}
	for i := 0; i+1 < len(args); i += 2 {
		m[args[i].(string)] = args[i+1]
	}
	return regEscape(i18n.T(lang, key, m))
}

func regEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "'", "&#39;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "+", "&#43;").Replace(s)
}

// principal is step 1 of the family used in these tests.
var principal = []string{"given_names", "María José", "surname1", "Pérez", "surname2", "Gómez", "birth_year", "1990", "birth_month", "5",
	"birth_day", "17", "sex", "F", "nationality", "VE", "phone", "+52 656 123 4567", "current_country", "MX", "current_region", "MX-CHH",
	"current_city", "Ciudad Juárez", "arrival_date", "2023-04-02"}

// registerFamily takes c through the whole flow and returns the household
// id and the done page.
func registerFamily(t *testing.T, c *regClient) (string, string) {
	t.Helper()
	c.page("/register", 200)
	loc := c.follow("/register", with(formOf(t, c.last), principal...))
	id := householdID(t, loc)
	members := [][]string{
		{"relationship", "spouse", "given_names", "José Luis", "surname1", "Sanabria", "birth_year", "1988", "sex", "M", "nationality", "VE"},
		{"relationship", "child", "given_names", "Valentina", "surname1", "Sanabria", "surname2", "Pérez", "birth_year", "2015", "birth_month", "9", "sex", "F", "nationality", "VE"},
		{"relationship", "child", "given_names", "Luisa", "surname1", "Sanabria", "surname2", "Pérez", "birth_year", "2019", "birth_month", "1", "birth_day", "30", "nationality", "CO"},
	}
	for i, m := range members {
		body := c.page(loc, 200)
		if i == 0 && !strings.Contains(body, tr(c.lang, "register.members.title")) {
			t.Fatalf("members step: not in %s", c.lang)
		}
		next := "save"
		if i == len(members)-1 {
			next = "continue"
		}
		loc = c.follow(loc, with(formOf(t, body), append(m, "next", next)...))
	}
	if want := "/register/" + id + "/screening"; loc != want {
		t.Fatalf("after the last person: got %s, want %s", loc, want)
	}
	body := c.page(loc, 200)
	h, err := c.site.HH.Get(context.Background(), households.Caller{Principal: access.Principal{Role: access.Caseworker, Scope: "*"}}, id)
	if err != nil {
		t.Fatal(err)
	}
	answers := formOf(t, body)
	for _, m := range h.Members {
		answers.Set("m_"+m.ID+"_passport", "unknown")
		answers.Set("m_"+m.ID+"_i134a", "unknown")
		answers.Set("m_"+m.ID+"_us_entry", "no")
	}
	p := h.Principal()
	answers.Set("m_"+p.ID+"_passport", "yes")
	answers.Set("m_"+p.ID+"_passport_number", "V 123-456-78")
	answers.Set("m_"+p.ID+"_passport_expiry", "2021-03-01")
	answers.Set("m_"+p.ID+"_i134a", "no")
	loc = c.follow(loc, answers)
	body = c.page(loc, 200)
	loc = c.follow(loc, with(formOf(t, body), "line1", "1200 Texas Ave", "city", "Houston", "state", "TX", "zip", "77002"))
	body = c.page(loc, 200)
	for _, want := range []string{"María José Pérez Gómez", "Luisa Sanabria Pérez", "V12345678", "1200 Texas Ave", tr(c.lang, "register.review.submit")} {
		if !strings.Contains(body, regEscape(want)) {
			t.Errorf("review: %q missing", want)
		}
	}
	loc = c.follow(loc, formOf(t, body))
	if want := "/register/" + id + "/done"; loc != want {
		t.Fatalf("after sending: got %s, want %s", loc, want)
	}
	return id, c.page(loc, 200)
}

var receiptRe = regexp.MustCompile(`<p class="receipt-number" id="receipt"[^>]*>([^<]+)</p>`)

// A four-person household registers through the pages in Spanish and in
// Haitian Creole, and the household holds what was typed.
func TestRegisterFourPersonHousehold(t *testing.T) {
	for _, e := range storetest.Engines {
		for _, lang := range []string{"es", "ht"} {
			t.Run(string(e)+"/"+lang, func(t *testing.T) {
				s := newRegSite(t, e)
				c, _ := s.client(t, lang, "+526561234567", access.Applicant, "")
				id, done := registerFamily(t, c)
				m := receiptRe.FindStringSubmatch(done)
				if m == nil || !strings.HasPrefix(m[1], "MX") {
					t.Fatalf("done page: no receipt in %s", done)
				}
				if !strings.Contains(done, tr(lang, "register.done.write_down")) {
					t.Errorf("done page: the hint to write the number down is missing")
				}
				h, err := s.HH.Get(context.Background(), households.Caller{Principal: access.Principal{Role: access.Caseworker, Scope: "MX"}}, id)
				if err != nil {
					t.Fatal(err)
				}
				if h.Status != "submitted" || len(h.Members) != 4 || h.Receipt != m[1] || h.Place != "MX" || h.Language != lang {
					t.Fatalf("got status %q, %d members, receipt %q, place %q, language %q", h.Status, len(h.Members), h.Receipt, h.Place, h.Language)
				}
				got := map[string]string{}
				for _, m := range h.Members {
					got[personName(m)] = string(m.Relationship) + " " + string(m.BirthDate) + " " + deref(m.Screening.Nationality)
				}
				want := map[string]string{"María José Pérez Gómez": "principal 1990-05-17 VE", "José Luis Sanabria": "spouse 1988 VE",
					"Valentina Sanabria Pérez": "child 2015-09 VE", "Luisa Sanabria Pérez": "child 2019-01-30 CO"}
				for k, v := range want {
					if got[k] != v {
						t.Errorf("%s: got %q, want %q", k, got[k], v)
					}
				}
				p := h.Principal()
				if len(p.Documents) != 1 || p.Documents[0].Number != "V12345678" || p.Screening.HasPassport == nil || !*p.Screening.HasPassport ||
					deref(p.Screening.CurrentRegion) != "MX-CHH" || h.Address == nil || h.Address.ZIP != "77002" {
					t.Errorf("principal: got %+v, address %+v", p, h.Address)
				}
				for _, m := range h.Members {
					if m.Screening.USEntryDocuments == nil || *m.Screening.USEntryDocuments {
						t.Errorf("%s: US entry documents %v, want no", m.GivenNames, m.Screening.USEntryDocuments)
					}
					if m.Relationship != profile.RelPrincipal && m.Screening.HasPassport != nil {
						t.Errorf("%s: I don't know stored as %v", m.GivenNames, *m.Screening.HasPassport)
					}
				}
				// Registered: /register starts afresh and links to it.
				if body := c.page("/register", 200); !strings.Contains(body, "/households/"+id) {
					t.Errorf("the start page does not link to the earlier registration")
				}
				// The applicant sees their own household.
				if body := c.page("/households/"+id, 200); !strings.Contains(body, h.Receipt) || !strings.Contains(body, regEscape(profile.Question(lang, "has_passport"))) {
					t.Errorf("household view for its applicant: receipt or screening answers missing")
				}
			})
		}
	}
}

// A form with mistakes comes back with every error next to its field, in
// the page's language, with what was typed.
func TestRegisterFieldErrors(t *testing.T) {
	s := newRegSite(t, store.SQLite)
	for _, lang := range i18n.Languages {
		c, _ := s.client(t, lang, "+5265612345"+map[string]string{"es": "60", "en": "61", "ht": "62", "pt": "63", "fr": "64"}[lang], access.Applicant, "")
		c.page("/register", 200)
		bad := with(formOf(t, c.last), principal...)
		bad.Set("given_names", "")
		bad.Set("birth_year", "19")
		bad.Set("current_region", "GT-01")
		bad.Set("phone", "12")
		bad.Set("surname1", "Pérez Ñuñez")
		resp := c.post("/register", bad)
		if resp.StatusCode != 422 {
			t.Fatalf("%s: got %d, want 422", lang, resp.StatusCode)
		}
		checkRegPage(t, resp, c.last, lang)
		got := fieldErrors(c.last)
		want := map[string]string{
			"given-names":    tr(lang, "validation.required"),
			"birth":          tr(lang, "register.error.year"),
			"current-region": tr(lang, "register.error.region_country"),
			"phone":          tr(lang, "auth.phone"),
		}
		for id, msg := range want {
			if got[id] != msg {
				t.Errorf("%s: error of %s: got %q, want %q", lang, id, got[id], msg)
			}
		}
		if len(got) != len(want) {
			t.Errorf("%s: got errors %v, want %d", lang, got, len(want))
		}
		for _, kept := range []string{`value="Pérez Ñuñez"`, `value="Ciudad Juárez"`, `value="19"`, `value="2023-04-02"`} {
			if !strings.Contains(c.last, kept) {
				t.Errorf("%s: typed value %s not kept", lang, kept)
			}
		}
		if !strings.Contains(c.last, tr(lang, "error.invalid.title")) {
			t.Errorf("%s: no localised alert", lang)
		}
		// A day without its month, and a date that does not exist.
		bad = with(bad, "given_names", "María", "birth_year", "1990", "birth_month", "", "birth_day", "3", "current_region", "MX-CHH",
			"phone", "+52 656 123 4567", "arrival_date", "2023-02-30")
		if resp := c.post("/register", bad); resp.StatusCode != 422 || fieldErrors(c.last)["birth"] != tr(lang, "register.error.day_without_month") ||
			fieldErrors(c.last)["arrival-date"] != tr(lang, "validation.date") {
			t.Errorf("%s: got %d with errors %v", lang, resp.StatusCode, fieldErrors(c.last))
		}
	}
	list, err := s.HH.List(context.Background(), households.Caller{Principal: access.Principal{Role: access.Admin, Scope: "*"}}, "", 100)
	if err != nil || len(list) != 0 {
		t.Fatalf("forms with errors saved %d households (%v)", len(list), err)
	}
}

// The same form sent twice (a double tap, a lost answer) makes one
// household and one member; a draft is resumed after signing in again.
func TestRegisterIdempotentAndResumable(t *testing.T) {
	s := newRegSite(t, store.SQLite)
	c, _ := s.client(t, "es", "+526561234567", access.Applicant, "")
	c.page("/register", 200)
	form := with(formOf(t, c.last), principal...)
	first := c.follow("/register", form)
	if second := c.follow("/register", form); householdID(t, second) != householdID(t, first) {
		t.Fatalf("a form sent twice: got %s then %s", first, second)
	}
	id := householdID(t, first)
	body := c.page(first, 200)
	add := with(formOf(t, body), "relationship", "spouse", "given_names", "José Luis", "surname1", "Sanabria", "birth_year", "1988")
	c.follow(first, add)
	c.follow(first, add)
	caller := households.Caller{Principal: access.Principal{Role: access.Admin, Scope: "*"}}
	h, err := s.HH.Get(context.Background(), caller, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Members) != 2 || h.Status != "draft" {
		t.Fatalf("got %d members, status %q; want 2, draft", len(h.Members), h.Status)
	}
	list, _ := s.HH.List(context.Background(), caller, "", 100)
	if len(list) != 1 {
		t.Fatalf("got %d households, want 1", len(list))
	}
	// A stale form (an older version) is refused, not applied over newer
	// answers.
	stale := with(add, "idem", newKey(), "given_names", "Otro")
	if resp := c.post(first, stale); resp.StatusCode != 409 {
		t.Fatalf("stale form: got %d, want 409", resp.StatusCode)
	}
	// Removing a person, twice.
	body = c.page(first, 200)
	rm := regexp.MustCompile(`action="(/register/[^"]+/remove)"`).FindStringSubmatch(body)
	if rm == nil {
		t.Fatal("no remove button")
	}
	rest := body[strings.Index(body, rm[0]):]
	f := url.Values{"idem": {idemRe.FindStringSubmatch(rest)[1]}, "version": {versionRe.FindStringSubmatch(rest)[1]}}
	c.follow(rm[1], f)
	c.follow(rm[1], f)
	if h, _ = s.HH.Get(context.Background(), caller, id); len(h.Members) != 1 {
		t.Fatalf("after removing: %d members, want 1", len(h.Members))
	}
	// Signing in again (another phone, another day) resumes the draft.
	c2 := s.signIn(t, "es", "+526561234567")
	resp := c2.do("GET", "/register", nil)
	if resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/register/"+id+"/members") {
		t.Fatalf("resume: got %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	body = c2.page(resp.Header.Get("Location"), 200)
	if !strings.Contains(body, tr("es", "register.resumed")) || !strings.Contains(body, "María José Pérez Gómez") {
		t.Errorf("resumed page: notice or saved person missing")
	}
	// Going back to step 1 shows what was saved.
	if body = c2.page("/register/"+id+"/principal", 200); !strings.Contains(body, `value="Ciudad Juárez"`) || !strings.Contains(body, `<option value="MX-CHH" selected>`) {
		t.Errorf("step 1 does not show the saved answers")
	}
	// Sending the review of an incomplete draft lists what is missing.
	body = c2.page("/register/"+id+"/review", 200)
	h.Members[0].Surnames = nil
	if _, err := s.HH.Save(context.Background(), caller, h, ""); err != nil {
		t.Fatal(err)
	}
	body = c2.page("/register/"+id+"/review", 200)
	if resp := c2.post("/register/"+id+"/review", formOf(t, body)); resp.StatusCode != 422 || !strings.Contains(c2.last, tr("es", "household.surname_required")) ||
		!strings.Contains(c2.last, `href="/register/`+id+`/principal"`) {
		t.Errorf("incomplete review: got %d: %s", resp.StatusCode, errorsOf(c2.last))
	}
	// Another applicant's draft is not found.
	other, _ := s.client(t, "es", "+526561234599", access.Applicant, "")
	for _, p := range []string{"/register/" + id + "/members", "/register/" + id + "/review", "/households/" + id} {
		if resp := other.do("GET", p, nil); resp.StatusCode != 404 {
			t.Errorf("another applicant, %s: got %d, want 404", p, resp.StatusCode)
		}
	}
	if resp := other.post("/register/"+id+"/members", add); resp.StatusCode != 404 {
		t.Errorf("another applicant posting: got %d, want 404", resp.StatusCode)
	}
}

// A helper registers for an applicant who gave consent, and only for them.
func TestRegisterAsHelper(t *testing.T) {
	s := newRegSite(t, store.SQLite)
	ctx := context.Background()
	helper, helperID := s.client(t, "es", "ayuda@example.org", access.Helper, "*")
	_, applicantID := s.client(t, "es", "+526561234567", access.Applicant, "")
	if body := helper.page("/register", 200); !strings.Contains(body, tr("es", "register.for.none")) {
		t.Errorf("helper without consent: the page should say so")
	}
	if _, err := s.Auth.GrantHelper(ctx, access.Principal{AccountID: applicantID, Role: access.Applicant}, helperID, "registro"); err != nil {
		t.Fatal(err)
	}
	if body := helper.page("/register", 200); !strings.Contains(body, "/register?for="+applicantID) {
		t.Fatalf("helper: the applicant is not offered")
	}
	body := helper.page("/register?for="+applicantID, 200)
	form := with(formOf(t, body), principal...)
	if resp := helper.post("/register?for="+applicantID, form); resp.StatusCode != 422 || fieldErrors(helper.last)["consent"] == "" {
		t.Fatalf("without consent: got %d, errors %v", resp.StatusCode, fieldErrors(helper.last))
	}
	form = with(form, "consent", "yes", "consent_method", "phone", "consent_date", time.Now().UTC().Format(time.DateOnly))
	loc := helper.follow("/register?for="+applicantID, form)
	if !strings.HasSuffix(loc, "?for="+applicantID) {
		t.Errorf("the helper's applicant is lost: %s", loc)
	}
	h, err := s.HH.Get(ctx, households.Caller{Principal: access.Principal{AccountID: applicantID, Role: access.Applicant}}, householdID(t, loc))
	if err != nil || h.Consent == nil || h.Consent.Method != "phone" {
		t.Fatalf("the applicant's household: %v, consent %+v", err, h)
	}
	// Someone who gave no consent: not found.
	if resp := helper.do("GET", "/register/"+h.ID+"/members?for=someone-else", nil); resp.StatusCode != 404 {
		t.Errorf("helper for another applicant: got %d, want 404", resp.StatusCode)
	}
}

// seedHousehold saves a household as an office would.
func seedHousehold(t testing.TB, s *regSite, place, given, surname, birth, doc, phone string) *household.Household {
	t.Helper()
	h := &household.Household{Place: place, Address: &household.Address{Line1: "1200 Texas Ave", City: "Houston", State: "TX", ZIP: "77002"},
		Members: []household.Member{{Relationship: profile.RelPrincipal, GivenNames: given, Surnames: []string{surname}, BirthDate: profile.PartialDate(birth),
			Sex: "F", Phone: phone, Documents: []household.Document{{Type: "passport", Number: doc}},
			Screening: profile.Person{Nationality: profile.Ptr("VE"), HasPassport: profile.Ptr(true)}}}}
	out, err := s.HH.Save(context.Background(), households.Caller{Principal: access.Principal{Role: access.Admin, Scope: "*"}}, h, "")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Caseworkers see the households of their office, search them by exact
// number, and never another office's.
func TestHouseholdPages(t *testing.T) {
	s := newRegSite(t, store.SQLite)
	mx := seedHousehold(t, s, "MX", "Ana Lucía", "Rondón", "1985-02-03", "P1234567", "+525511112222")
	gt := seedHousehold(t, s, "GT", "Berta", "Quispe", "1970", "G7654321", "+50222223333")
	cw, _ := s.client(t, "pt", "cw-mx@example.org", access.Caseworker, "MX")
	body := cw.page("/households/"+mx.ID, 200)
	for _, want := range []string{mx.Receipt, "Ana Lucía", "Rondón", "P1234567", "/api/v1/households/" + mx.ID + "/export", regEscape(profile.Question("pt", "has_passport")), "Venezuela"} {
		if !strings.Contains(body, want) {
			t.Errorf("household view: %q missing", want)
		}
	}
	if resp := cw.do("GET", "/households/"+gt.ID, nil); resp.StatusCode != 404 {
		t.Errorf("another office's household: got %d, want 404", resp.StatusCode)
	}
	body = cw.page("/households", 200)
	if !strings.Contains(body, mx.Receipt) || strings.Contains(body, gt.Receipt) || strings.Contains(body, "Ana Lucía") {
		t.Errorf("list: want only this office's households, without names")
	}
	for _, q := range []string{"document=p-1234567", "phone=%2B52+55+1111+2222"} {
		if body = cw.page("/households?"+q, 200); !strings.Contains(body, mx.Receipt) {
			t.Errorf("search %s: not found", q)
		}
	}
	if body = cw.page("/households?document=G7654321", 200); strings.Contains(body, gt.Receipt) || !strings.Contains(body, tr("pt", "household.list.not_found")) {
		t.Errorf("search for another office's document: want nothing found")
	}
	applicant, _ := s.client(t, "pt", "+525599990000", access.Applicant, "")
	if resp := applicant.do("GET", "/households", nil); resp.StatusCode != 403 {
		t.Errorf("an applicant on the list: got %d, want 403", resp.StatusCode)
	}
}

// Duplicate pairs are shown side by side and decided with a form; shared
// phones and addresses show as clusters.
func TestReviewPages(t *testing.T) {
	s := newRegSite(t, store.SQLite)
	a := seedHousehold(t, s, "MX", "Ana Lucía", "Rondón", "1985-02-03", "P1234567", "+525511112222")
	b := seedHousehold(t, s, "MX", "Ana Lucia", "Rondon", "1985-02-03", "P1234567", "+525511112222")
	seedHousehold(t, s, "MX", "Carla", "Mendes", "1990", "C5555555", "+525511112222")
	if n, err := s.HH.FindDuplicates(context.Background(), 0.6); err != nil || n == 0 {
		t.Fatalf("FindDuplicates: %d, %v", n, err)
	}
	cw, _ := s.client(t, "fr", "cw-mx@example.org", access.Caseworker, "MX")
	body := cw.page("/review/duplicates", 200)
	for _, want := range []string{a.Receipt, b.Receipt, "Ana Lucía", "Ana Lucia", tr("fr", "review.reason.document_number"), tr("fr", "review.duplicates.confirm")} {
		if !strings.Contains(body, want) {
			t.Errorf("duplicates page: %q missing", want)
		}
	}
	action := regexp.MustCompile(`action="(/review/duplicates/[^"]+)"`).FindStringSubmatch(body)
	if action == nil {
		t.Fatal("no decision form")
	}
	if loc := cw.follow(action[1], url.Values{"decision": {"confirmed"}}); loc != "/review/duplicates?done=confirmed" {
		t.Errorf("decide: redirected to %s", loc)
	}
	if loc := cw.follow(action[1], url.Values{"decision": {"confirmed"}}); loc != "/review/duplicates?done=already" {
		t.Errorf("decide twice: redirected to %s", loc)
	}
	if body = cw.page("/review/duplicates?done=confirmed", 200); !strings.Contains(body, tr("fr", "review.done.confirmed")) || strings.Contains(body, action[1]) {
		t.Errorf("after deciding: notice missing or pair still open")
	}
	gt, _ := s.client(t, "fr", "cw-gt@example.org", access.Caseworker, "GT")
	if resp := gt.post(action[1], url.Values{"decision": {"dismissed"}}); resp.StatusCode != 404 {
		t.Errorf("another office deciding: got %d, want 404", resp.StatusCode)
	}
	body = cw.page("/review/fraud?min=3", 200)
	if !strings.Contains(body, tr("fr", "review.fraud.cluster", "count", 3)) {
		t.Errorf("fraud page: the cluster of three households sharing a phone and an address is missing")
	}
	if body = gt.page("/review/fraud?min=3", 200); strings.Contains(body, a.Receipt) {
		t.Errorf("fraud page shows another office's households")
	}
}

// Every page of the flow is light: no external asset, and small enough for
// a weak connection.
func BenchmarkRegisterPages(b *testing.B) {
	s := newRegSite(b, store.SQLite)
	c, _ := s.client(b, "es", "+526561234567", access.Applicant, "")
	c.page("/register", 200)
	size := len(c.last)
	for b.Loop() {
		c.do("GET", "/register", nil)
	}
	b.ReportMetric(float64(size), "bytes/step1")
}
