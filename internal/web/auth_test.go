package web

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/senda-platform/senda/internal/access"
	"github.com/senda-platform/senda/internal/auth"
	sendahttp "github.com/senda-platform/senda/internal/http"
	"github.com/senda-platform/senda/internal/i18n"
	"github.com/senda-platform/senda/internal/jobs"
	"github.com/senda-platform/senda/internal/seal"
	"github.com/senda-platform/senda/internal/store"
	"github.com/senda-platform/senda/internal/storetest"
)

const authPassword = "una frase bastante larga"

// authSite is Senda's web front on a fresh store, served on a loopback port.
type authSite struct {
	DB      *store.DB
	Svc     *auth.Service
	Outbox  *jobs.Outbox
	Srv     *sendahttp.Server
	Handler http.Handler
	URL     string
}

func newAuthSite(t testing.TB, db *store.DB, oc auth.OIDCConfig) *authSite {
	t.Helper()
	keys := seal.New()
	ob := jobs.NewOutbox(db, keys, jobs.DevSender{}, nil)
	svc := auth.New(db, keys, ob)
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	srv := sendahttp.New(sendahttp.Config{DB: db, Log: log, Auth: svc})
	if _, err := Mount(srv, log); err != nil {
		t.Fatal(err)
	}
	if err := MountAuth(srv, svc, oc, log); err != nil {
		t.Fatal(err)
	}
	s := &authSite{DB: db, Svc: svc, Outbox: ob, Srv: srv, Handler: http.NewCrossOriginProtection().Handler(srv.Handler())}
	hs := httptest.NewServer(s.Handler)
	t.Cleanup(hs.Close)
	s.URL = hs.URL
	return s
}

// account creates an account, staff unless role is applicant.
func (s *authSite) account(t testing.TB, email string, role access.Role, scope access.Scope) store.Account {
	t.Helper()
	n := auth.NewAccount{Kind: "staff", Role: role, Scope: scope, Email: email, Password: authPassword}
	if role == access.Applicant {
		n = auth.NewAccount{Kind: "applicant", Email: email, Password: authPassword}
	}
	a, err := s.Svc.CreateAccount(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// authBrowser is a client with cookies that does not follow redirects, so each
// step can be checked.
type authBrowser struct {
	t    testing.TB
	c    *http.Client
	lang string
}

func (s *authSite) browser(t testing.TB, lang string) *authBrowser {
	jar, _ := cookiejar.New(nil)
	return &authBrowser{t: t, lang: lang, c: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *authBrowser) do(method, u string, values url.Values) (*http.Response, string) {
	b.t.Helper()
	var body io.Reader
	if values != nil {
		body = strings.NewReader(values.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if values != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if b.lang != "" {
		req.Header.Set("Accept-Language", b.lang)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp, string(out)
}

func (b *authBrowser) get(u string) (*http.Response, string) { return b.do("GET", u, nil) }
func (b *authBrowser) post(u string, values url.Values) (*http.Response, string) {
	return b.do("POST", u, values)
}

// signIn signs the browser in through the page.
func (b *authBrowser) signIn(s *authSite, login string) {
	b.t.Helper()
	resp, body := b.post(s.URL+"/signin", url.Values{"login": {login}, "password": {authPassword}})
	if resp.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("sign in as %s: got %d: %s", login, resp.StatusCode, body)
	}
}

var (
	inlineScript  = regexp.MustCompile(`(?i)<script(\s[^>]*)?>\s*[^<\s]`)
	inlineHandler = regexp.MustCompile(`(?i)\son[a-z]+\s*=`)
	inlineStyle   = regexp.MustCompile(`(?i)(<style|\sstyle\s*=)`)
)

// checkAuthPage checks what every page must hold: a Content-Security-Policy
// without unsafe-inline, no inline script, style or event handler, no
// caching of personal pages, and the language asked for.
func checkAuthPage(t testing.TB, resp *http.Response, body, lang string) {
	t.Helper()
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("%s: Content-Security-Policy %q", resp.Request.URL.Path, csp)
	}
	for _, re := range []*regexp.Regexp{inlineScript, inlineHandler, inlineStyle} {
		if m := re.FindString(body); m != "" {
			t.Errorf("%s: inline %q in the page", resp.Request.URL.Path, m)
		}
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("%s: Cache-Control %q, want no-store", resp.Request.URL.Path, cc)
	}
	if lang != "" && !strings.Contains(body, `<html lang="`+lang+`">`) {
		t.Errorf("%s: page not in %s", resp.Request.URL.Path, lang)
	}
	if strings.Contains(body, authPassword) {
		t.Errorf("%s: the page shows a password", resp.Request.URL.Path)
	}
}

func findCookie(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func catalogText(lang, key string, args ...any) string {
	m := map[string]any{}
	for i := 0; i+1 < len(args); i += 2 {
		m[args[i].(string)] = args[i+1]
	}
	return htmlText(i18n.T(lang, key, m))
}

// htmlText escapes text the way html/template writes it in an
// element.
func htmlText(s string) string {
	return strings.NewReplacer("&", "&amp;", "'", "&#39;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "+", "&#43;").Replace(s)
}

func TestSignInPages(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		s := newAuthSite(t, db, auth.OIDCConfig{})
		s.account(t, "cw@example.org", access.Caseworker, "GT/SMO-GUA")

		for _, lang := range i18n.Languages {
			b := s.browser(t, lang)
			resp, body := b.get(s.URL + "/signin")
			if resp.StatusCode != 200 {
				t.Fatalf("GET /signin in %s: got %d", lang, resp.StatusCode)
			}
			checkAuthPage(t, resp, body, lang)
			if !strings.Contains(body, catalogText(lang, "signin.title")) || !strings.Contains(body, `action="/signin"`) {
				t.Errorf("sign-in page in %s lacks its title or form", lang)
			}
			if strings.Contains(body, "/signin/oidc") {
				t.Errorf("OIDC is off but the page offers it")
			}
		}

		b := s.browser(t, "ht")
		t.Run("wrong password and unknown user look alike", func(t *testing.T) {
			resp1, wrong := b.post(s.URL+"/signin", url.Values{"login": {"cw@example.org"}, "password": {"not the password"}})
			resp2, unknown := b.post(s.URL+"/signin", url.Values{"login": {"nobody@example.org"}, "password": {"not the password"}})
			if resp1.StatusCode != 401 || resp2.StatusCode != 401 {
				t.Fatalf("got %d and %d, want 401 for both", resp1.StatusCode, resp2.StatusCode)
			}
			checkAuthPage(t, resp1, wrong, "ht")
			if !strings.Contains(wrong, catalogText("ht", "auth.invalid_login.title")) {
				t.Errorf("no localised failure in: %s", wrong)
			}
			if !strings.Contains(wrong, `value="cw@example.org"`) || strings.Contains(wrong, "not the password") {
				t.Errorf("the login must be kept and the password dropped")
			}
			if got, want := strings.ReplaceAll(unknown, "nobody@example.org", "X"), strings.ReplaceAll(wrong, "cw@example.org", "X"); got != want {
				t.Errorf("the answers for an unknown user and a wrong password differ")
			}
		})
		t.Run("missing fields", func(t *testing.T) {
			resp, body := b.post(s.URL+"/signin", url.Values{"login": {"cw@example.org"}})
			if resp.StatusCode != 422 || !strings.Contains(body, `id="password-error"`) || !strings.Contains(body, catalogText("ht", "validation.required")) {
				t.Errorf("got %d, want 422 with the field error in Creole: %s", resp.StatusCode, body)
			}
		})
		t.Run("success sets a safe cookie and goes to next", func(t *testing.T) {
			b := s.browser(t, "es")
			resp, _ := b.post(s.URL+"/signin", url.Values{"login": {" CW@example.org"}, "password": {authPassword}, "next": {"/admin?x=1"}})
			if resp.StatusCode != 303 || resp.Header.Get("Location") != "/admin?x=1" {
				t.Fatalf("got %d to %q, want 303 to /admin?x=1", resp.StatusCode, resp.Header.Get("Location"))
			}
			c := findCookie(resp, auth.SessionCookie)
			if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure || c.MaxAge <= 0 {
				t.Fatalf("session cookie %+v", c)
			}
			resp, body := b.get(s.URL + "/")
			if !strings.Contains(body, `action="/signout"`) || strings.Contains(body, `href="/signin"`) {
				t.Errorf("a signed-in page must offer sign-out instead of sign-in")
			}
			resp, _ = b.post(s.URL+"/signout", url.Values{})
			if c := findCookie(resp, auth.SessionCookie); resp.StatusCode != 303 || c == nil || c.MaxAge >= 0 {
				t.Fatalf("sign out: got %d, cookie %+v", resp.StatusCode, c)
			}
			_, body = b.get(s.URL + "/")
			if !strings.Contains(body, `href="/signin"`) {
				t.Errorf("after sign-out the page still shows a session")
			}
		})
		t.Run("next stays on this site", func(t *testing.T) {
			for next, want := range map[string]string{
				"":                         "/",
				"/admin/tokens":            "/admin/tokens",
				"//evil.example/x":         "/",
				"https://evil.example/":    "/",
				"/\\evil.example":          "/",
				"javascript:alert(1)":      "/",
				"/%2F%2Fevil.example":      "/%2F%2Fevil.example",
				"http:/evil.example":       "/",
				" /admin":                  "/",
				"/signin?next=//evil.test": "/signin?next=//evil.test",
			} {
				b := s.browser(t, "en")
				resp, _ := b.post(s.URL+"/signin", url.Values{"login": {"cw@example.org"}, "password": {authPassword}, "next": {next}})
				if got := resp.Header.Get("Location"); resp.StatusCode != 303 || got != want {
					t.Errorf("next %q: got %d to %q, want 303 to %q", next, resp.StatusCode, got, want)
				}
			}
		})
		t.Run("cookie is Secure behind TLS", func(t *testing.T) {
			for _, tc := range []struct {
				name  string
				req   func() *http.Request
				trust bool
			}{
				{"tls", func() *http.Request {
					r := httptest.NewRequest("POST", "https://senda.example/signin", strings.NewReader("login=cw%40example.org&password="+url.QueryEscape(authPassword)))
					r.TLS = &tls.ConnectionState{}
					return r
				}, false},
				{"trusted proxy", func() *http.Request {
					r := httptest.NewRequest("POST", "http://senda.example/signin", strings.NewReader("login=cw%40example.org&password="+url.QueryEscape(authPassword)))
					r.Header.Set("X-Forwarded-Proto", "https")
					return r
				}, true},
			} {
				s.Srv.TrustProxy = tc.trust
				r := tc.req()
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				r.RemoteAddr = "198.51.100.7:1234"
				w := httptest.NewRecorder()
				s.Handler.ServeHTTP(w, r)
				c := findCookie(w.Result(), auth.SessionCookie)
				if w.Code != 303 || c == nil || !c.Secure || !c.HttpOnly {
					t.Errorf("%s: got %d, cookie %+v; want a Secure HttpOnly cookie", tc.name, w.Code, c)
				}
			}
			s.Srv.TrustProxy = false
		})
		t.Run("cross-site form posts are refused", func(t *testing.T) {
			for _, path := range []string{"/signin", "/signin/code", "/signout", "/admin/tokens"} {
				r := httptest.NewRequest("POST", path, strings.NewReader("login=cw%40example.org"))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				r.Header.Set("Sec-Fetch-Site", "cross-site")
				w := httptest.NewRecorder()
				s.Handler.ServeHTTP(w, r)
				if w.Code != 403 {
					t.Errorf("cross-site POST %s: got %d, want 403", path, w.Code)
				}
			}
		})
		t.Run("throttled sign-in shows the wait", func(t *testing.T) {
			b := s.browser(t, "ht")
			var resp *http.Response
			var body string
			for i := 0; i < auth.FreeFailures+2; i++ {
				resp, body = b.post(s.URL+"/signin", url.Values{"login": {"throttle@example.org"}, "password": {"guess"}})
			}
			if resp.StatusCode != 429 {
				t.Fatalf("got %d, want 429", resp.StatusCode)
			}
			secs := resp.Header.Get("Retry-After")
			if secs == "" || !strings.Contains(body, catalogText("ht", "error.too_many.detail", "seconds", secs)) {
				t.Errorf("Retry-After %q; the page must say to wait that many seconds: %s", secs, body)
			}
			checkAuthPage(t, resp, body, "ht")
		})
	})
}

func TestCodePages(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		s := newAuthSite(t, db, auth.OIDCConfig{})
		ctx := context.Background()
		if _, err := s.Svc.CreateAccount(ctx, auth.NewAccount{Kind: "applicant", Phone: "+52 55 1234 5678", Language: "es"}); err != nil {
			t.Fatal(err)
		}
		b := s.browser(t, "fr")
		resp, body := b.get(s.URL + "/signin/code?next=/mi-caso")
		checkAuthPage(t, resp, body, "fr")
		if resp.StatusCode != 200 || !strings.Contains(body, catalogText("fr", "code.title")) || !strings.Contains(body, `value="/mi-caso"`) {
			t.Fatalf("GET /signin/code: got %d: %s", resp.StatusCode, body)
		}
		sent := catalogText("fr", "code.sent", "minutes", 10)
		resp, known := b.post(s.URL+"/signin/code", url.Values{"login": {"+52 55 1234 5678"}, "next": {"/mi-caso"}})
		if resp.StatusCode != 200 || !strings.Contains(known, sent) || !strings.Contains(known, `action="/signin/code/verify"`) {
			t.Fatalf("request a code: got %d: %s", resp.StatusCode, known)
		}
		checkAuthPage(t, resp, known, "fr")
		resp, unknown := b.post(s.URL+"/signin/code", url.Values{"login": {"+52 55 9999 0000"}, "next": {"/mi-caso"}})
		if resp.StatusCode != 200 || strings.ReplaceAll(unknown, htmlText("+52 55 9999 0000"), "X") != strings.ReplaceAll(known, htmlText("+52 55 1234 5678"), "X") {
			t.Errorf("an unknown login must get the same answer: got %d", resp.StatusCode)
		}
		resp, body = b.post(s.URL+"/signin/code", url.Values{})
		if resp.StatusCode != 422 || !strings.Contains(body, `id="login-error"`) {
			t.Errorf("empty login: got %d, want 422 with the field error", resp.StatusCode)
		}
		msgs, _, err := s.Outbox.List(ctx, 10)
		if err != nil || len(msgs) != 1 || msgs[0].Channel != "sms" || msgs[0].Params["code"] == "" {
			t.Fatalf("outbox: got %+v, %v; want one SMS with a code", msgs, err)
		}
		code := msgs[0].Params["code"]

		resp, body = b.get(s.URL + "/signin/code/verify")
		if resp.StatusCode != 200 || !strings.Contains(body, `autocomplete="one-time-code"`) {
			t.Errorf("GET /signin/code/verify: got %d", resp.StatusCode)
		}
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		resp, body = b.post(s.URL+"/signin/code/verify", url.Values{"login": {"+52 55 1234 5678"}, "code": {wrong}})
		if resp.StatusCode != 401 || !strings.Contains(body, catalogText("fr", "auth.invalid_login.title")) || !strings.Contains(body, `value="&#43;52 55 1234 5678"`) {
			t.Errorf("wrong code: got %d: %s", resp.StatusCode, body)
		}
		if strings.Contains(body, wrong) {
			t.Errorf("the page repeats the code")
		}
		resp, _ = b.post(s.URL+"/signin/code/verify", url.Values{"login": {"+52 55 1234 5678"}, "code": {code}, "next": {"/mi-caso"}})
		if resp.StatusCode != 303 || resp.Header.Get("Location") != "/mi-caso" || findCookie(resp, auth.SessionCookie) == nil {
			t.Fatalf("right code: got %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		// A code works once.
		resp, _ = b.post(s.URL+"/signin/code/verify", url.Values{"login": {"+52 55 1234 5678"}, "code": {code}})
		if resp.StatusCode != 401 {
			t.Errorf("a used code: got %d, want 401", resp.StatusCode)
		}
	})
}

func TestAdminPages(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newAuthSite(t, db, auth.OIDCConfig{})
		me := s.account(t, "admin@example.org", access.Admin, "GT")
		cw := s.account(t, "cw@example.org", access.Caseworker, "GT/SMO-GUA")
		us := s.account(t, "us@example.org", access.PortOfficer, "US/POE-SYS")

		anon := s.browser(t, "en")
		if resp, _ := anon.get(s.URL + "/admin"); resp.StatusCode != 303 || resp.Header.Get("Location") != "/signin?next=%2Fadmin" {
			t.Fatalf("anonymous /admin: got %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		other := s.browser(t, "en")
		other.signIn(s, "cw@example.org")
		if resp, _ := other.get(s.URL + "/admin/accounts"); resp.StatusCode != 403 {
			t.Errorf("a caseworker on /admin/accounts: got %d, want 403", resp.StatusCode)
		}

		b := s.browser(t, "pt")
		b.signIn(s, "admin@example.org")
		for _, p := range []string{"/admin", "/admin/accounts", "/admin/tokens", "/admin/helpers"} {
			resp, body := b.get(s.URL + p)
			if resp.StatusCode != 200 {
				t.Fatalf("GET %s: got %d: %s", p, resp.StatusCode, body)
			}
			checkAuthPage(t, resp, body, "pt")
		}

		t.Run("accounts in scope only", func(t *testing.T) {
			_, body := b.get(s.URL + "/admin/accounts")
			if !strings.Contains(body, "cw@example.org") || strings.Contains(body, "us@example.org") {
				t.Errorf("the list must show GT staff and hide US staff: %s", body)
			}
			if strings.Contains(body, "/admin/accounts/"+me.ID+"/disable") {
				t.Errorf("an administrator is offered to disable their own account")
			}
			for _, path := range []string{"/disable", "/enable", "/sessions/revoke"} {
				if resp, _ := b.post(s.URL+"/admin/accounts/"+us.ID+path, url.Values{}); resp.StatusCode != 404 {
					t.Errorf("POST %s on an account out of scope: got %d, want 404", path, resp.StatusCode)
				}
			}
			if resp, _ := b.post(s.URL+"/admin/accounts/"+me.ID+"/disable", url.Values{}); resp.StatusCode != 422 {
				t.Errorf("disabling oneself: got %d, want 422", resp.StatusCode)
			}
		})
		t.Run("create an account", func(t *testing.T) {
			resp, body := b.post(s.URL+"/admin/accounts", url.Values{"email": {"new@example.org"}, "password": {"curta"}, "role": {"caseworker"}, "scope": {"US"}})
			if resp.StatusCode != 422 || !strings.Contains(body, catalogText("pt", "auth.scope_wider")) {
				t.Errorf("scope wider than mine: got %d, want 422 with the reason", resp.StatusCode)
			}
			resp, body = b.post(s.URL+"/admin/accounts", url.Values{"email": {"new@example.org"}, "password": {"curta"}, "role": {"caseworker"}, "scope": {"GT"}})
			if resp.StatusCode != 422 || !strings.Contains(body, catalogText("pt", "auth.password_short", "min", auth.MinPassword)) || !strings.Contains(body, `value="new@example.org"`) {
				t.Errorf("short password: got %d, want 422 with the rule and the email kept: %s", resp.StatusCode, body)
			}
			if strings.Contains(body, "curta") {
				t.Errorf("the page repeats the password")
			}
			resp, body = b.post(s.URL+"/admin/accounts", url.Values{"email": {"new@example.org"}, "password": {authPassword}, "role": {"owner"}, "scope": {"GT/"}})
			if resp.StatusCode != 422 || !strings.Contains(body, `id="role-error"`) || !strings.Contains(body, `id="scope-error"`) {
				t.Errorf("bad role and scope: got %d, want both field errors", resp.StatusCode)
			}
			resp, _ = b.post(s.URL+"/admin/accounts", url.Values{"email": {"new@example.org"}, "password": {authPassword}, "role": {"caseworker"}, "scope": {"GT/SMO-GUA"}})
			if resp.StatusCode != 303 || resp.Header.Get("Location") != "/admin/accounts?done=created" {
				t.Fatalf("create: got %d to %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			_, body = b.get(s.URL + "/admin/accounts?done=created")
			if !strings.Contains(body, "new@example.org") || !strings.Contains(body, catalogText("pt", "admin.done.created")) {
				t.Errorf("the new account is not listed with a confirmation")
			}
			resp, body = b.post(s.URL+"/admin/accounts", url.Values{"email": {"new@example.org"}, "password": {authPassword}, "role": {"caseworker"}, "scope": {"GT"}})
			if resp.StatusCode != 409 || !strings.Contains(body, catalogText("pt", "auth.taken.title")) {
				t.Errorf("a taken email: got %d, want 409", resp.StatusCode)
			}
		})
		t.Run("disable ends sessions; enable", func(t *testing.T) {
			if !strings.Contains(bodyAt(t, other, s.URL+"/"), `action="/signout"`) {
				t.Fatal("the caseworker should be signed in")
			}
			if resp, _ := b.post(s.URL+"/admin/accounts/"+cw.ID+"/disable", url.Values{}); resp.StatusCode != 303 {
				t.Fatalf("disable: got %d", resp.StatusCode)
			}
			if strings.Contains(bodyAt(t, other, s.URL+"/"), `action="/signout"`) {
				t.Errorf("a disabled account's session still works")
			}
			if resp, _ := other.post(s.URL+"/signin", url.Values{"login": {"cw@example.org"}, "password": {authPassword}}); resp.StatusCode != 401 {
				t.Errorf("a disabled account signed in: %d", resp.StatusCode)
			}
			if resp, _ := b.post(s.URL+"/admin/accounts/"+cw.ID+"/enable", url.Values{}); resp.StatusCode != 303 {
				t.Fatalf("enable: got %d", resp.StatusCode)
			}
			other.signIn(s, "cw@example.org")
			if resp, _ := b.post(s.URL+"/admin/accounts/"+cw.ID+"/sessions/revoke", url.Values{}); resp.StatusCode != 303 || resp.Header.Get("Location") != "/admin/accounts?done=revoked" {
				t.Fatalf("revoke sessions: got %d", resp.StatusCode)
			}
			if strings.Contains(bodyAt(t, other, s.URL+"/"), `action="/signout"`) {
				t.Errorf("a revoked session still works")
			}
		})
		t.Run("tokens", func(t *testing.T) {
			_, outside, err := s.Svc.CreateToken(ctx, access.Principal{Role: access.Admin, Scope: "*"}, "us robot", access.Analyst, "US", time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			resp, body := b.post(s.URL+"/admin/tokens", url.Values{"name": {"painel"}, "role": {"analyst"}, "scope": {"*"}, "ttl_days": {"30"}})
			if resp.StatusCode != 422 || !strings.Contains(body, catalogText("pt", "auth.scope_wider")) {
				t.Errorf("token wider than my scope: got %d", resp.StatusCode)
			}
			resp, body = b.post(s.URL+"/admin/tokens", url.Values{"name": {"painel"}, "role": {"analyst"}, "scope": {"GT"}, "ttl_days": {"0"}})
			if resp.StatusCode != 422 || !strings.Contains(body, `id="ttl-error"`) {
				t.Errorf("no validity: got %d, want the ttl field error", resp.StatusCode)
			}
			resp, body = b.post(s.URL+"/admin/tokens", url.Values{"name": {"painel"}, "role": {"analyst"}, "scope": {"GT"}, "ttl_days": {"30"}})
			secret := regexp.MustCompile(`st_[A-Za-z0-9_-]{20,}`).FindString(body)
			if resp.StatusCode != 201 || secret == "" || !strings.Contains(body, catalogText("pt", "admin.tokens.secret_once")) {
				t.Fatalf("create token: got %d: %s", resp.StatusCode, body)
			}
			checkAuthPage(t, resp, body, "pt")
			// The secret works, and is never shown again.
			r := httptest.NewRequest("GET", "/admin/helpers", nil)
			r.Header.Set("Authorization", "Bearer "+secret)
			w := httptest.NewRecorder()
			s.Handler.ServeHTTP(w, r)
			if w.Code != 403 {
				t.Errorf("the analyst token on an admin page: got %d, want 403", w.Code)
			}
			_, body = b.get(s.URL + "/admin/tokens")
			if strings.Contains(body, secret) || !strings.Contains(body, "painel") || strings.Contains(body, "us robot") {
				t.Errorf("the list must show the new token without its secret, and hide tokens out of scope")
			}
			if resp, _ := b.post(s.URL+"/admin/tokens/"+outside.ID+"/revoke", url.Values{}); resp.StatusCode != 404 {
				t.Errorf("revoking a token out of scope: got %d, want 404", resp.StatusCode)
			}
			id := regexp.MustCompile(`/admin/tokens/([0-9a-f-]+)/revoke`).FindStringSubmatch(body)
			if id == nil {
				t.Fatalf("no revoke button in %s", body)
			}
			if resp, _ := b.post(s.URL+"/admin/tokens/"+id[1]+"/revoke", url.Values{}); resp.StatusCode != 303 {
				t.Errorf("revoke: got %d", resp.StatusCode)
			}
			w = httptest.NewRecorder()
			s.Handler.ServeHTTP(w, r)
			if w.Code != 401 {
				t.Errorf("a revoked token: got %d, want 401", w.Code)
			}
		})
		t.Run("helpers, flagged first", func(t *testing.T) {
			s.Svc.HelperFlagAt = 2
			h1 := s.account(t, "h1@example.org", access.Helper, "GT")
			h2 := s.account(t, "h2@example.org", access.Helper, "GT/SMO-GUA")
			s.account(t, "h3@example.org", access.Helper, "MX")
			for i, h := range []string{h2.ID, h2.ID, h1.ID} {
				ap := s.account(t, fmt.Sprintf("ap%d@example.org", i), access.Applicant, "*")
				if _, err := s.Svc.GrantHelper(ctx, access.Principal{AccountID: ap.ID, Role: access.Applicant}, h, "registro"); err != nil {
					t.Fatal(err)
				}
			}
			_, body := b.get(s.URL + "/admin/helpers")
			i1, i2 := strings.Index(body, "h1@example.org"), strings.Index(body, "h2@example.org")
			if i1 < 0 || i2 < 0 || i2 > i1 || strings.Contains(body, "h3@example.org") {
				t.Errorf("want h2 (flagged) before h1 and no helper out of scope: %s", body)
			}
			if !strings.Contains(body, catalogText("pt", "admin.grants", "count", 2)) || !strings.Contains(body, catalogText("pt", "admin.status.flagged")) {
				t.Errorf("grant counts or the flag are missing")
			}
		})
	})
}

// ---- OpenID Connect ----

var fakeProviderKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// fakeProvider is a small OpenID Connect provider: discovery, JWKS with an RSA
// key, an authorize endpoint that signs in whoever is set as next and
// redirects back with a code, and a token endpoint that checks PKCE and
// returns a signed ID token.
type fakeProvider struct {
	t      testing.TB
	URL    string
	secret string

	mu        sync.Mutex
	sub       string
	email     string
	verified  any
	nonceFlip bool
	codes     map[string]fakeGrant
}

type fakeGrant struct{ nonce, challenge, redirect, sub, email string }

func newFakeProvider(t testing.TB, secret string) *fakeProvider {
	p := &fakeProvider{t: t, secret: secret, codes: map[string]fakeGrant{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"issuer": p.URL, "authorization_endpoint": p.URL + "/authorize", "token_endpoint": p.URL + "/token",
			"jwks_uri": p.URL + "/jwks", "response_types_supported": []string{"code"}, "subject_types_supported": []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"}, "code_challenge_methods_supported": []string{"S256"}})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		k := fakeProviderKey().PublicKey
		json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{"kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig",
			"n": base64.RawURLEncoding.EncodeToString(k.N.Bytes()), "e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.E)).Bytes())}}})
	})
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("response_type") != "code" || q.Get("client_id") != "senda" || q.Get("code_challenge_method") != "S256" ||
			q.Get("code_challenge") == "" || q.Get("state") == "" || q.Get("nonce") == "" || !strings.Contains(q.Get("scope"), "openid") {
			http.Error(w, "bad authorization request: "+r.URL.RawQuery, 400)
			return
		}
		p.mu.Lock()
		code := fmt.Sprintf("code-%d", len(p.codes))
		p.codes[code] = fakeGrant{nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), redirect: q.Get("redirect_uri"), sub: p.sub, email: p.email}
		p.mu.Unlock()
		http.Redirect(w, r, q.Get("redirect_uri")+"?"+url.Values{"code": {code}, "state": {q.Get("state")}}.Encode(), http.StatusFound)
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		id, secret, ok := r.BasicAuth()
		if !ok {
			id, secret = r.PostFormValue("client_id"), r.PostFormValue("client_secret")
		}
		p.mu.Lock()
		a, found := p.codes[r.PostFormValue("code")]
		delete(p.codes, r.PostFormValue("code"))
		verified, flip := p.verified, p.nonceFlip
		p.mu.Unlock()
		sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
		switch {
		case id != "senda" || secret != p.secret:
			w.WriteHeader(401)
			json.NewEncoder(w).Encode(map[string]string{"error": "invalid_client"})
			return
		case !found || r.PostFormValue("redirect_uri") != a.redirect || base64.RawURLEncoding.EncodeToString(sum[:]) != a.challenge:
			w.WriteHeader(400)
			json.NewEncoder(w).Encode(map[string]string{"error": "invalid_grant"})
			return
		}
		nonce := a.nonce
		if flip {
			nonce += "x"
		}
		claims := map[string]any{"iss": p.URL, "aud": "senda", "sub": a.sub, "nonce": nonce, "iat": time.Now().Unix(), "exp": time.Now().Add(time.Minute).Unix()}
		if a.email != "" {
			claims["email"], claims["email_verified"] = a.email, verified
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": "at", "token_type": "Bearer", "expires_in": 60, "id_token": signIDToken(t, claims)})
	})
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	p.URL = hs.URL
	return p
}

// next sets who signs in at the provider next.
func (p *fakeProvider) next(sub, email string, verified any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sub, p.email, p.verified = sub, email, verified
}

// flipNonce makes the provider answer with a wrong nonce.
func (p *fakeProvider) flipNonce(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.nonceFlip = on
}

func signIDToken(t testing.TB, claims map[string]any) string {
	h, _ := json.Marshal(map[string]string{"alg": "RS256", "kid": "k1", "typ": "JWT"})
	c, _ := json.Marshal(claims)
	input := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	sum := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, fakeProviderKey(), crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// walkOIDC walks a browser through the provider and back. It returns the
// final answer of Senda's callback.
func walkOIDC(t testing.TB, s *authSite, b *authBrowser, next string) (*http.Response, string) {
	t.Helper()
	resp, body := b.get(s.URL + "/signin/oidc?next=" + url.QueryEscape(next))
	if resp.StatusCode != 303 {
		t.Fatalf("GET /signin/oidc: got %d: %s", resp.StatusCode, body)
	}
	st := findCookie(resp, "senda_oidc")
	if st == nil || !st.HttpOnly || st.SameSite != http.SameSiteLaxMode || st.Path != "/signin/oidc" || st.MaxAge != 600 {
		t.Fatalf("state cookie %+v", st)
	}
	resp, body = b.get(resp.Header.Get("Location"))
	if resp.StatusCode != 302 {
		t.Fatalf("provider authorize: got %d: %s", resp.StatusCode, body)
	}
	return b.get(resp.Header.Get("Location"))
}

func TestOIDCSignIn(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		t.Run("off", func(t *testing.T) {
			s := newAuthSite(t, storetest.New(t, db.Dialect), auth.OIDCConfig{})
			b := s.browser(t, "en")
			for _, p := range []string{"/signin/oidc", "/signin/oidc/callback?code=x&state=y"} {
				if resp, _ := b.get(s.URL + p); resp.StatusCode != 404 {
					t.Errorf("GET %s with OIDC off: got %d, want 404", p, resp.StatusCode)
				}
			}
		})

		secretFile := filepath.Join(t.TempDir(), "client-secret")
		os.WriteFile(secretFile, []byte("shh\n"), 0o600)
		p := newFakeProvider(t, "shh")
		s := newAuthSite(t, db, auth.OIDCConfig{Issuer: p.URL, ClientID: "senda", ClientSecretFile: secretFile})
		staff := s.account(t, "staff@example.org", access.Caseworker, "GT")
		s.account(t, "applicant@example.org", access.Applicant, "*")

		b := s.browser(t, "es")
		resp, body := b.get(s.URL + "/signin?next=/admin")
		if !strings.Contains(body, `href="/signin/oidc?next=%2fadmin"`) || !strings.Contains(body, catalogText("es", "signin.oidc")) {
			t.Errorf("the sign-in page must offer OIDC when configured: %s", body)
		}
		checkAuthPage(t, resp, body, "es")

		refused := func(name string) {
			t.Helper()
			b := s.browser(t, "ht")
			resp, body := walkOIDC(t, s, b, "/")
			if resp.StatusCode != 401 || !strings.Contains(body, catalogText("ht", "auth.invalid_login.title")) || findCookie(resp, auth.SessionCookie) != nil {
				t.Errorf("%s: got %d, want the generic refusal in Creole: %s", name, resp.StatusCode, body)
			}
			if c := findCookie(resp, "senda_oidc"); c == nil || c.MaxAge >= 0 {
				t.Errorf("%s: the state cookie must be cleared", name)
			}
		}
		p.next("sub-unknown", "nobody@example.org", true)
		refused("unknown person")
		p.next("sub-1", "staff@example.org", false)
		refused("unverified email")
		p.next("sub-1", "staff@example.org", "false")
		refused("unverified email as a string")
		p.next("sub-a", "applicant@example.org", true)
		refused("applicant")
		p.next("sub-1", "staff@example.org", true)
		p.flipNonce(true)
		refused("wrong nonce")
		p.flipNonce(false)

		// First use: found by verified email, subject stored.
		resp, _ = walkOIDC(t, s, b, "/admin/tokens")
		if resp.StatusCode != 303 || resp.Header.Get("Location") != "/admin/tokens" {
			t.Fatalf("first OIDC sign-in: got %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		c := findCookie(resp, auth.SessionCookie)
		if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
			t.Fatalf("session cookie %+v", c)
		}
		if !strings.Contains(bodyAt(t, b, s.URL+"/"), `action="/signout"`) {
			t.Errorf("not signed in after OIDC")
		}
		db.View(ctx, func(tx *store.Tx) error {
			a, err := tx.Account(ctx, staff.ID)
			if err != nil || a.OIDCSubject != "sub-1" {
				t.Errorf("got subject %q, %v; want sub-1 stored", a.OIDCSubject, err)
			}
			return nil
		})
		// Later: found by subject even when the email changed.
		p.next("sub-1", "renamed@example.org", false)
		if resp, _ := walkOIDC(t, s, s.browser(t, "en"), "//evil.example"); resp.StatusCode != 303 || resp.Header.Get("Location") != "/" {
			t.Errorf("by subject: got %d to %q, want 303 to /", resp.StatusCode, resp.Header.Get("Location"))
		}

		t.Run("callback checks", func(t *testing.T) {
			p.next("sub-1", "staff@example.org", true)
			b := s.browser(t, "en")
			resp, _ := b.get(s.URL + "/signin/oidc")
			authURL, _ := url.Parse(resp.Header.Get("Location"))
			resp, _ = b.get(authURL.String())
			back, _ := url.Parse(resp.Header.Get("Location"))
			q := back.Query()
			q.Set("state", "forged")
			if resp, _ := b.get(s.URL + "/signin/oidc/callback?" + q.Encode()); resp.StatusCode != 401 {
				t.Errorf("forged state: got %d, want 401", resp.StatusCode)
			}
			// The state cookie is spent by any callback.
			if resp, _ := b.get(back.String()); resp.StatusCode != 401 {
				t.Errorf("callback without a state cookie: got %d, want 401", resp.StatusCode)
			}
			if resp, _ := s.browser(t, "en").get(s.URL + "/signin/oidc/callback?error=access_denied&state=x"); resp.StatusCode != 401 {
				t.Errorf("provider error: got %d, want 401", resp.StatusCode)
			}
		})
		t.Run("wrong client secret", func(t *testing.T) {
			bad := filepath.Join(t.TempDir(), "bad")
			os.WriteFile(bad, []byte("wrong"), 0o600)
			s2 := newAuthSite(t, storetest.New(t, db.Dialect), auth.OIDCConfig{Issuer: p.URL, ClientID: "senda", ClientSecretFile: bad})
			s2.account(t, "staff@example.org", access.Caseworker, "GT")
			if resp, _ := walkOIDC(t, s2, s2.browser(t, "en"), "/"); resp.StatusCode != 401 {
				t.Errorf("got %d, want 401", resp.StatusCode)
			}
		})
		t.Run("provider unreachable", func(t *testing.T) {
			s3 := newAuthSite(t, storetest.New(t, db.Dialect), auth.OIDCConfig{Issuer: "http://127.0.0.1:1", ClientID: "senda"})
			resp, body := s3.browser(t, "en").get(s3.URL + "/signin/oidc")
			if resp.StatusCode != 503 || !strings.Contains(body, catalogText("en", "error.unavailable.title")) {
				t.Errorf("got %d, want 503 with the sign-in page: %s", resp.StatusCode, body)
			}
		})
	})
}

func bodyAt(t testing.TB, b *authBrowser, u string) string {
	t.Helper()
	_, body := b.get(u)
	return body
}

func BenchmarkSignInPage(b *testing.B) {
	s := newAuthSite(b, storetest.New(b, store.SQLite), auth.OIDCConfig{})
	var size int
	for b.Loop() {
		r := httptest.NewRequest("GET", "/signin?next=/admin", nil)
		r.Header.Set("Accept-Language", "ht")
		w := httptest.NewRecorder()
		s.Handler.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatalf("got %d", w.Code)
		}
		size = w.Body.Len()
	}
	b.ReportMetric(float64(size), "bytes/page")
}

// Whatever next a form carries, the redirect after signing in stays on this
// site.
func TestNextIsAlwaysLocal(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		next := rapid.OneOf(rapid.String(), rapid.StringMatching(`[/\\a-z:.%?#@ ]{0,20}`)).Draw(t, "next")
		got := localPath(next)
		u, err := url.Parse(got)
		if err != nil || !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") || strings.Contains(got, "\\") || u.Host != "" || u.Scheme != "" {
			t.Fatalf("localPath(%q) = %q, which may leave the site", next, got)
		}
	})
}

// FuzzSignInForm posts arbitrary forms to the sign-in page: never a server
// error, never a session without the password.
func FuzzSignInForm(f *testing.F) {
	s := newAuthSite(f, storetest.New(f, store.SQLite), auth.OIDCConfig{})
	s.account(f, "cw@example.org", access.Caseworker, "GT")
	for _, body := range []string{"", "login=cw%40example.org&password=x", "login=&password=", "%%%", "login=" + strings.Repeat("a", 300),
		"login=cw%40example.org&password=" + strings.Repeat("p", 2000), "next=%2F%2Fevil&login=a&password=b", "login=%00&password=%ff"} {
		f.Add(body)
	}
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest("POST", "/signin", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.RemoteAddr = "203.0.113.9:4444"
		w := httptest.NewRecorder()
		s.Handler.ServeHTTP(w, r)
		if w.Code >= 500 || w.Code == 303 {
			t.Fatalf("body %q: got %d", body, w.Code)
		}
	})
}
