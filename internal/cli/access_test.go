package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/senda-platform/senda/internal/access"
	"github.com/senda-platform/senda/internal/config"
	"github.com/senda-platform/senda/internal/seal"
	"github.com/senda-platform/senda/internal/store"
	"github.com/senda-platform/senda/internal/storetest"
)

// NewTestApp wires a whole App on a fresh store of engine e.
func NewTestApp(t testing.TB, e store.Dialect) *App {
	t.Helper()
	db := storetest.New(t, e)
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	app, err := NewApp(context.Background(), cfg, db, seal.New(), slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return app
}

// Token returns a bearer token of role over scope.
func (a *App) Token(t testing.TB, role access.Role, scope access.Scope) string {
	t.Helper()
	secret, _, err := a.Auth.CreateToken(access.With(context.Background(), operator), operator, "test", role, scope, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

// Do sends one request through the whole handler.
func (a *App) Do(method, path, bearer string, body []byte) *httptest.ResponseRecorder {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req := httptest.NewRequest(method, path, r)
	req.RemoteAddr = "192.0.2.10:1234"
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	w := httptest.NewRecorder()
	a.Handler.ServeHTTP(w, req)
	return w
}

var pathParam = regexp.MustCompile(`\{[^}]+\}`)

// TestEveryRouteDeclaresAndEnforcesItsRule walks every registered route, API
// and web, against every role and an anonymous caller. A route without a
// rule, or whose rule is not enforced, fails the test.
func TestEveryRouteDeclaresAndEnforcesItsRule(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(string(e), func(t *testing.T) {
			app := NewTestApp(t, e)
			tokens := map[access.Role]string{}
			for _, r := range access.AllRoles {
				tokens[r] = app.Token(t, r, "*")
			}
			routes := app.HTTP.Routes()
			if len(routes) < 20 {
				t.Fatalf("only %d routes registered", len(routes))
			}
			for _, rt := range routes {
				if !rt.Rule.Public && len(rt.Rule.Roles) == 0 {
					t.Errorf("%s %s has no access rule", rt.Method, rt.Pattern)
					continue
				}
				method := rt.Method
				if method == "" {
					method = "GET"
				}
				path := pathParam.ReplaceAllString(strings.TrimSuffix(rt.Pattern, "{$}"), "0190a1b2-0000-7000-8000-000000000000")
				if strings.HasSuffix(path, "/") && len(path) > 1 {
					path += "x"
				}
				callers := append([]access.Role{""}, access.AllRoles...)
				for _, role := range callers {
					var body []byte
					if method == "POST" || method == "PUT" || method == "PATCH" {
						body = []byte(`{}`)
					}
					w := app.Do(method, path, tokens[role], body)
					allowed := rt.Rule.Allows(role)
					switch {
					case allowed && (w.Code == 401 || w.Code == 403):
						t.Errorf("%s %s as %q: got %d, want access", method, path, role, w.Code)
					case !allowed && role == "" && w.Code != 401 && w.Code != 303:
						t.Errorf("%s %s anonymous: got %d, want 401 (or a redirect to sign in)", method, path, w.Code)
					case !allowed && role != "" && w.Code != 403:
						t.Errorf("%s %s as %q: got %d, want 403", method, path, role, w.Code)
					case w.Code >= 500:
						t.Errorf("%s %s as %q: got %d: %s", method, path, role, w.Code, w.Body.String())
					}
				}
			}
		})
	}
}

func TestSignInThrottlingOverHTTP(t *testing.T) {
	app := NewTestApp(t, store.SQLite)
	admin := app.Token(t, access.Admin, "*")
	w := app.Do("POST", "/api/v1/admin/accounts", admin, []byte(`{"email":"cw@example.org","password":"una contraseña larga","role":"caseworker","scope":"GT/SMO-GUA"}`))
	if w.Code != 201 {
		t.Fatalf("create staff: %d %s", w.Code, w.Body)
	}
	var last int
	for i := 0; i < 6; i++ {
		last = app.Do("POST", "/api/v1/auth/signin", "", []byte(`{"login":"cw@example.org","password":"guess"}`)).Code
	}
	if last != 429 {
		t.Fatalf("after six wrong guesses: got %d, want 429", last)
	}
	w = app.Do("POST", "/api/v1/auth/signin", "", []byte(`{"login":"cw@example.org","password":"una contraseña larga"}`))
	if w.Code != 429 || w.Header().Get("Retry-After") == "" {
		t.Fatalf("right password while throttled: got %d, Retry-After %q", w.Code, w.Header().Get("Retry-After"))
	}
}

func TestSessionCookieAndRevoke(t *testing.T) {
	app := NewTestApp(t, store.SQLite)
	admin := app.Token(t, access.Admin, "GT")
	w := app.Do("POST", "/api/v1/admin/accounts", admin, []byte(`{"email":"po@example.org","password":"una contraseña larga","role":"port_officer","scope":"US/POE-SYS"}`))
	if w.Code != 422 {
		t.Fatalf("an admin of GT created an account in US: %d", w.Code)
	}
	admin = app.Token(t, access.Admin, "*")
	w = app.Do("POST", "/api/v1/admin/accounts", admin, []byte(`{"email":"po@example.org","password":"una contraseña larga","role":"port_officer","scope":"US/POE-SYS"}`))
	var acct struct{ ID string }
	json.Unmarshal(w.Body.Bytes(), &acct)
	w = app.Do("POST", "/api/v1/auth/signin", "", []byte(`{"login":"PO@example.org ","password":"una contraseña larga"}`))
	if w.Code != 200 {
		t.Fatalf("sign in: %d %s", w.Code, w.Body)
	}
	cookie := w.Result().Cookies()[0]
	if !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Name != "senda_session" {
		t.Fatalf("cookie %+v", cookie)
	}
	me := func() int {
		req := httptest.NewRequest("GET", "/api/v1/me", nil)
		req.AddCookie(cookie)
		rw := httptest.NewRecorder()
		app.Handler.ServeHTTP(rw, req)
		return rw.Code
	}
	if me() != 200 {
		t.Fatal("session not accepted")
	}
	if w := app.Do("POST", "/api/v1/admin/accounts/"+acct.ID+"/sessions/revoke", admin, nil); w.Code != 200 {
		t.Fatalf("revoke: %d %s", w.Code, w.Body)
	}
	if me() != 401 {
		t.Fatal("session still accepted after an admin revoked it")
	}
	// A cross-site form post is refused.
	req := httptest.NewRequest("POST", "/api/v1/auth/signin", strings.NewReader(`{}`))
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	rw := httptest.NewRecorder()
	app.Handler.ServeHTTP(rw, req)
	if rw.Code != 403 {
		t.Fatalf("cross-site post: got %d, want 403", rw.Code)
	}
}

func FuzzSignIn(f *testing.F) {
	app := NewTestApp(f, store.SQLite)
	for _, s := range []string{`{"login":"a@b.c","password":"x"}`, `{}`, `[]`, `{"login":1}`, `{"login":"` + strings.Repeat("x", 300) + `","password":""}`, "\xff", `{"login":"+1 (555) 0100","password":"\u0000"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		w := app.Do("POST", "/api/v1/auth/signin", "", []byte(body))
		if w.Code >= 500 || w.Code == 200 {
			t.Fatalf("body %q: got %d %s", body, w.Code, w.Body)
		}
		if w.Code != 429 && !strings.HasPrefix(w.Header().Get("Content-Type"), "application/problem+json") {
			t.Fatalf("body %q: not a problem document: %s", body, w.Header().Get("Content-Type"))
		}
	})
}

func FuzzBearerToken(f *testing.F) {
	app := NewTestApp(f, store.SQLite)
	good := app.Token(f, access.Auditor, "*")
	for _, s := range []string{"", "st_", "st_" + strings.Repeat("A", 43), good[:len(good)-1], "Bearer", "\x00", good + "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		req := httptest.NewRequest("GET", "/api/v1/me", nil)
		req.Header["Authorization"] = []string{"Bearer " + tok}
		w := httptest.NewRecorder()
		app.Handler.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("token %q: got %d", tok, w.Code)
		}
		if w.Code == 200 && tok != good {
			t.Fatalf("token %q was accepted", tok)
		}
	})
}

// Changes to accounts, sessions and tokens are in the audit trail, with who
// made them.
func TestAdminActionsAudited(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(string(e), func(t *testing.T) {
			app := NewTestApp(t, e)
			admin := app.Token(t, access.Admin, "*")
			w := app.Do("POST", "/api/v1/admin/accounts", admin, []byte(`{"email":"aud@example.org","password":"una contraseña larga","role":"auditor","scope":"*"}`))
			var acct struct{ ID string }
			json.Unmarshal(w.Body.Bytes(), &acct)
			w = app.Do("POST", "/api/v1/admin/tokens", admin, []byte(`{"role":"analyst","scope":"GT","ttl_hours":2}`))
			var tok struct{ Detail struct{ ID string } }
			json.Unmarshal(w.Body.Bytes(), &tok)
			app.Do("DELETE", "/api/v1/admin/tokens/"+tok.Detail.ID, admin, nil)
			app.Do("POST", "/api/v1/auth/signin", "", []byte(`{"login":"aud@example.org","password":"una contraseña larga"}`))
			app.Do("POST", "/api/v1/admin/accounts/"+acct.ID+"/sessions/revoke", admin, nil)
			w = app.Do("GET", "/api/v1/audit?limit=100", app.Token(t, access.Auditor, "*"), nil)
			var entries []struct {
				Action    string `json:"action"`
				ActorRole string `json:"actor_role"`
				RecordID  string `json:"record_id"`
			}
			json.Unmarshal(w.Body.Bytes(), &entries)
			seen := map[string]string{}
			for _, en := range entries {
				seen[en.Action] = en.ActorRole
			}
			for action, role := range map[string]string{"account.create": "admin", "token.create": "admin", "token.revoke": "admin", "session.create": "anonymous", "session.revoke": "admin"} {
				if seen[action] != role {
					t.Errorf("audit: %s by %q, want by %q (have %v)", action, seen[action], role, seen)
				}
			}
		})
	}
}
