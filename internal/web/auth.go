package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/internal/access"
	"github.com/senda-platform/senda/internal/auth"
	sendahttp "github.com/senda-platform/senda/internal/http"
	"github.com/senda-platform/senda/internal/i18n"
	"github.com/senda-platform/senda/internal/store"
)

// oidcCookie keeps the sealed OIDC state between leaving for the provider and
// coming back.
const oidcCookie = "senda_oidc"

// authMaxForm bounds the body of a form post.
const authMaxForm = 64 << 10

// authPages serves sign-in, sign-out and the administration pages.
type authPages struct {
	web  *Web
	srv  *sendahttp.Server
	svc  *auth.Service
	oidc *auth.OIDC // nil when OIDC is not configured
}

// MountAuth registers the sign-in, one-time-code and sign-out pages, staff
// sign-in through OpenID Connect (when oc.Issuer is set; otherwise those
// routes answer 404) and the administration pages for staff accounts,
// helpers and API tokens.
func MountAuth(s *sendahttp.Server, svc *auth.Service, oc auth.OIDCConfig, log *slog.Logger) error {
	w := &Web{log: log, pages: map[string]*template.Template{}}
	if err := w.parse(); err != nil {
		return err
	}
	o, err := auth.NewOIDC(svc, oc)
	if err != nil {
		return err
	}
	a := &authPages{web: w, srv: s, svc: svc, oidc: o}
	h := func(f func(http.ResponseWriter, *http.Request)) http.Handler { return http.HandlerFunc(f) }
	s.Handle("GET /signin", access.Public, h(a.signinForm))
	s.Handle("POST /signin", access.Public, h(a.signin))
	s.Handle("GET /signin/code", access.Public, h(a.codeForm))
	s.Handle("POST /signin/code", access.Public, h(a.code))
	s.Handle("GET /signin/code/verify", access.Public, h(a.verifyForm))
	s.Handle("POST /signin/code/verify", access.Public, h(a.verify))
	// Signing out needs no session: without one it only clears the cookie.
	s.Handle("POST /signout", access.Public, h(a.signout))
	s.Handle("GET /signin/oidc", access.Public, h(a.oidcStart))
	s.Handle("GET /signin/oidc/callback", access.Public, h(a.oidcCallback))

	admin := access.Roles(access.Admin)
	s.Handle("GET /admin", admin, h(a.adminIndex))
	s.Handle("GET /admin/accounts", admin, h(a.accounts))
	s.Handle("POST /admin/accounts", admin, h(a.createAccount))
	s.Handle("POST /admin/accounts/{id}/disable", admin, h(a.setDisabled(true)))
	s.Handle("POST /admin/accounts/{id}/enable", admin, h(a.setDisabled(false)))
	s.Handle("POST /admin/accounts/{id}/sessions/revoke", admin, h(a.revokeSessions))
	s.Handle("GET /admin/tokens", admin, h(a.tokens))
	s.Handle("POST /admin/tokens", admin, h(a.createToken))
	s.Handle("POST /admin/tokens/{id}/revoke", admin, h(a.revokeToken))
	s.Handle("GET /admin/helpers", admin, h(a.helpers))
	return nil
}

// authAlert is a localised message box.
type authAlert struct{ Title, Detail string }

// authForm is what a page with a form shows after a failed post: the values to
// keep (never a password or a code), one message per field, and an alert.
type authForm struct {
	Values map[string]string
	Errors map[string]string
	Alert  *authAlert
}

func newAuthForm() authForm {
	return authForm{Values: map[string]string{}, Errors: map[string]string{}}
}

// signinPage is the data of the sign-in and one-time-code pages.
type signinPage struct {
	authForm
	Next   string
	OIDC   bool
	Notice string
	// Verify shows the form to enter a code rather than to ask for one.
	Verify bool
}

func reqLang(r *http.Request) string { return sendahttp.Lang(r.Context()) }

// render writes a page that must never be cached: it holds personal data or
// answers to one person.
func (a *authPages) render(rw http.ResponseWriter, r *http.Request, status int, name string, data any) {
	rw.Header().Set("Cache-Control", "no-store")
	a.web.Render(rw, r, status, name, data)
}

func (a *authPages) notFound(rw http.ResponseWriter, r *http.Request) {
	a.render(rw, r, http.StatusNotFound, "error", ErrorPage{Title: "page.not_found.title", Body: "page.not_found.body"})
}

// parseAuthForm reads a form post of bounded size.
func parseAuthForm(rw http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(rw, r.Body, authMaxForm)
	r.ParseForm()
}

// fail turns err into the status of a form page and fills f with the
// localised alert and field messages. Internal causes are logged, never
// shown. Throttling sets Retry-After.
func (a *authPages) fail(rw http.ResponseWriter, r *http.Request, f *authForm, err error) int {
	l := reqLang(r)
	var se *senda.Error
	if !errors.As(err, &se) || se.Code == senda.CodeInternal || se.Code == "" {
		a.web.log.Error("page", "request_id", sendahttp.RequestID(r.Context()), "route", r.Pattern, "err", err)
		f.Alert = &authAlert{i18n.T(l, "error.internal.title", nil), i18n.T(l, "error.internal.detail", nil)}
		return http.StatusInternalServerError
	}
	args := map[string]any{}
	for k, v := range se.Args {
		args[k] = v
	}
	if secs, ok := se.Args["retry_after"]; ok {
		args["seconds"] = secs
		rw.Header().Set("Retry-After", fmt.Sprint(secs))
	}
	key := se.Key
	if key == "" || !i18n.Has(key+".title") {
		key = errorKey(se.Code)
	}
	f.Alert = &authAlert{i18n.T(l, key+".title", args), i18n.T(l, key+".detail", args)}
	for _, fe := range se.Fields {
		name := strings.TrimPrefix(fe.Location, "body.")
		msg := i18n.T(l, fe.Key, fe.Args)
		if prev := f.Errors[name]; prev != "" {
			msg = prev + " " + msg
		}
		f.Errors[name] = msg
	}
	return sendahttp.Status(se.Code)
}

// errorKey is the generic message of an error code.
func errorKey(c senda.Code) string {
	switch c {
	case senda.CodeInvalid:
		return "error.invalid"
	case senda.CodeNotFound:
		return "error.not_found"
	case senda.CodeConflict:
		return "error.conflict"
	case senda.CodeForbidden:
		return "error.forbidden"
	case senda.CodeUnauthorized:
		return "error.unauthorized"
	case senda.CodeTooMany:
		return "error.too_many"
	case senda.CodeUnavailable:
		return "error.unavailable"
	}
	return "error.internal"
}

// missingFields returns an invalid error naming each empty field, or nil.
func missingFields(values map[string]string, names ...string) error {
	var fields []senda.FieldError
	for _, n := range names {
		if strings.TrimSpace(values[n]) == "" {
			fields = append(fields, senda.FieldError{Location: n, Key: "validation.required"})
		}
	}
	if len(fields) == 0 {
		return nil
	}
	return &senda.Error{Code: senda.CodeInvalid, Key: "error.invalid", Fields: fields}
}

// ---- Sign-in ----

func (a *authPages) signinData(r *http.Request, next string) signinPage {
	return signinPage{authForm: newAuthForm(), Next: localPath(next), OIDC: a.oidc != nil}
}

func (a *authPages) signinForm(rw http.ResponseWriter, r *http.Request) {
	a.render(rw, r, http.StatusOK, "signin", a.signinData(r, r.URL.Query().Get("next")))
}

// startSession replaces any earlier session of this browser with a new one
// and goes on to next.
func (a *authPages) startSession(rw http.ResponseWriter, r *http.Request, token, next string) {
	if c, err := r.Cookie(auth.SessionCookie); err == nil && c.Value != token {
		a.svc.SignOut(r.Context(), c.Value)
	}
	c := a.srv.SessionCookie(r, token, a.svc.SessionMax)
	http.SetCookie(rw, &c)
	http.Redirect(rw, r, localPath(next), http.StatusSeeOther)
}

func (a *authPages) signin(rw http.ResponseWriter, r *http.Request) {
	parseAuthForm(rw, r)
	p := a.signinData(r, r.PostFormValue("next"))
	login, password := strings.TrimSpace(r.PostFormValue("login")), r.PostFormValue("password")
	p.Values["login"] = login
	err := missingFields(map[string]string{"login": login, "password": password}, "login", "password")
	switch {
	case err != nil:
	case len(login) > 254 || len(password) > 1024:
		err = &senda.Error{Code: senda.CodeUnauthorized, Key: "auth.invalid_login"}
	default:
		var tok string
		tok, _, err = a.svc.SignIn(r.Context(), login, password, r.RemoteAddr)
		if err == nil {
			a.startSession(rw, r, tok, p.Next)
			return
		}
	}
	a.render(rw, r, a.fail(rw, r, &p.authForm, err), "signin", p)
}

// ---- One-time codes ----

func (a *authPages) codeForm(rw http.ResponseWriter, r *http.Request) {
	a.render(rw, r, http.StatusOK, "code", a.signinData(r, r.URL.Query().Get("next")))
}

// code asks for a one-time code. The answer is the same whether or not the
// login exists: the page to enter the code, with a notice that a code was
// sent if there is such an account.
func (a *authPages) code(rw http.ResponseWriter, r *http.Request) {
	parseAuthForm(rw, r)
	p := a.signinData(r, r.PostFormValue("next"))
	login := strings.TrimSpace(r.PostFormValue("login"))
	p.Values["login"] = login
	err := missingFields(map[string]string{"login": login}, "login")
	if err == nil && len(login) <= 254 {
		err = a.svc.RequestCode(r.Context(), login, r.RemoteAddr)
	}
	if err != nil {
		a.render(rw, r, a.fail(rw, r, &p.authForm, err), "code", p)
		return
	}
	p.Notice = i18n.T(reqLang(r), "code.sent", map[string]any{"minutes": int(a.svc.CodeTTL.Minutes())})
	p.Verify = true
	a.render(rw, r, http.StatusOK, "code", p)
}

func (a *authPages) verifyForm(rw http.ResponseWriter, r *http.Request) {
	p := a.signinData(r, r.URL.Query().Get("next"))
	p.Verify = true
	a.render(rw, r, http.StatusOK, "code", p)
}

func (a *authPages) verify(rw http.ResponseWriter, r *http.Request) {
	parseAuthForm(rw, r)
	p := a.signinData(r, r.PostFormValue("next"))
	p.Verify = true
	login, code := strings.TrimSpace(r.PostFormValue("login")), strings.TrimSpace(r.PostFormValue("code"))
	p.Values["login"] = login
	err := missingFields(map[string]string{"login": login, "code": code}, "login", "code")
	switch {
	case err != nil:
	case len(login) > 254 || len(code) > 12:
		err = &senda.Error{Code: senda.CodeUnauthorized, Key: "auth.invalid_login"}
	default:
		var tok string
		tok, _, err = a.svc.VerifyCode(r.Context(), login, code, r.RemoteAddr)
		if err == nil {
			a.startSession(rw, r, tok, p.Next)
			return
		}
	}
	a.render(rw, r, a.fail(rw, r, &p.authForm, err), "code", p)
}

// signout ends this browser's session and goes home.
func (a *authPages) signout(rw http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(auth.SessionCookie); err == nil {
		if err := a.svc.SignOut(r.Context(), c.Value); err != nil {
			a.web.log.Error("sign out", "request_id", sendahttp.RequestID(r.Context()), "err", err)
		}
	}
	c := a.srv.SessionCookie(r, "", 0)
	http.SetCookie(rw, &c)
	http.Redirect(rw, r, "/", http.StatusSeeOther)
}

// ---- OpenID Connect ----

// callbackURL is this site's OIDC callback as the browser reaches it.
func (a *authPages) callbackURL(r *http.Request) string {
	if u := a.oidc.RedirectURL(); u != "" {
		return u
	}
	scheme := "http"
	if r.TLS != nil || a.srv.TrustProxy && r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/signin/oidc/callback"
}

func (a *authPages) stateCookie(r *http.Request, value string) *http.Cookie {
	c := &http.Cookie{Name: oidcCookie, Value: value, Path: "/signin/oidc", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: a.srv.SessionCookie(r, "x", time.Minute).Secure, MaxAge: int(auth.OIDCStateTTL.Seconds())}
	if value == "" {
		c.MaxAge = -1
	}
	return c
}

func (a *authPages) oidcStart(rw http.ResponseWriter, r *http.Request) {
	if a.oidc == nil {
		a.notFound(rw, r)
		return
	}
	to, state, err := a.oidc.Start(r.Context(), a.callbackURL(r), localPath(r.URL.Query().Get("next")))
	if err != nil {
		p := a.signinData(r, r.URL.Query().Get("next"))
		a.render(rw, r, a.fail(rw, r, &p.authForm, err), "signin", p)
		return
	}
	rw.Header().Set("Cache-Control", "no-store")
	http.SetCookie(rw, a.stateCookie(r, state))
	http.Redirect(rw, r, to, http.StatusSeeOther)
}

func (a *authPages) oidcCallback(rw http.ResponseWriter, r *http.Request) {
	if a.oidc == nil {
		a.notFound(rw, r)
		return
	}
	http.SetCookie(rw, a.stateCookie(r, ""))
	q := r.URL.Query()
	var err error
	c, cerr := r.Cookie(oidcCookie)
	switch {
	case q.Get("error") != "":
		err = &senda.Error{Code: senda.CodeUnauthorized, Key: "auth.invalid_login", Err: errors.New("oidc provider answered " + oauthErrorCode(q.Get("error")))}
	case cerr != nil:
		err = &senda.Error{Code: senda.CodeUnauthorized, Key: "auth.invalid_login", Err: errors.New("oidc callback without a state cookie")}
	default:
		var tok, next string
		tok, _, next, err = a.oidc.Finish(r.Context(), c.Value, q.Get("state"), q.Get("code"))
		if err == nil {
			a.startSession(rw, r, tok, next)
			return
		}
	}
	if se := (*senda.Error)(nil); errors.As(err, &se) && se.Code == senda.CodeUnauthorized {
		a.web.log.Warn("oidc sign-in refused", "request_id", sendahttp.RequestID(r.Context()), "reason", se.Err)
	}
	p := a.signinData(r, "")
	a.render(rw, r, a.fail(rw, r, &p.authForm, err), "signin", p)
}

// oauthErrorCode keeps an OAuth error code printable and short for the log.
func oauthErrorCode(s string) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= 40 {
			break
		}
		if r >= 'a' && r <= 'z' || r == '_' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// ---- Administration ----

// staffRoles are the roles an administrator can give, in display order.
var staffRoles = []access.Role{access.Admin, access.ProgrammeManager, access.Caseworker, access.PortOfficer, access.Analyst, access.Auditor, access.Helper}

// adminVisible reports whether administrator p may see and manage account acct:
// staff within p's scope.
func adminVisible(p access.Principal, acct store.Account) bool {
	return acct.Kind == "staff" && p.Scope.Covers(access.Scope(acct.Scope))
}

// accountRow is an account as the administration pages show it.
type accountRow struct {
	ID, Email, Role, Scope, Organisation, Created string
	Flagged, Disabled, Self                       bool
	Sessions, Grants                              int
}

// stamp writes an instant for the administration pages, in UTC.
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

func (a *authPages) row(ctx context.Context, tx *store.Tx, p access.Principal, acct store.Account) (accountRow, error) {
	email, _ := a.svc.Contact(acct)
	ss, err := tx.Sessions(ctx, acct.ID)
	return accountRow{ID: acct.ID, Email: email, Role: acct.Role, Scope: acct.Scope, Organisation: acct.Organisation, Created: stamp(acct.CreatedAt),
		Flagged: !acct.FlaggedAt.IsZero(), Disabled: !acct.DisabledAt.IsZero(), Self: acct.ID == p.AccountID, Sessions: len(ss)}, err
}

// staff lists the staff accounts administrator p may see.
func (a *authPages) staff(ctx context.Context, p access.Principal) ([]accountRow, error) {
	var out []accountRow
	err := a.svc.DB.View(ctx, func(tx *store.Tx) error {
		as, err := tx.Accounts(ctx, "staff", 10000)
		if err != nil {
			return err
		}
		for _, acct := range as {
			if !adminVisible(p, acct) {
				continue
			}
			row, err := a.row(ctx, tx, p, acct)
			if err != nil {
				return err
			}
			out = append(out, row)
		}
		return nil
	})
	return out, err
}

// adminPage is the data of the administration pages.
type adminPage struct {
	authForm
	Scope    string
	Notice   string
	Roles    []access.Role
	TTLs     []tokenTTL
	Accounts []accountRow
	Tokens   []tokenRow
	Counts   struct{ Staff, Tokens, Helpers, Flagged int }
	Secret   string
	Created  tokenRow
	MinPass  int
}

// tokenTTL is a choice of token validity.
type tokenTTL struct {
	Days int
	Key  string
}

var tokenTTLs = []tokenTTL{{1, "admin.ttl.day"}, {7, "admin.ttl.week"}, {30, "admin.ttl.month"}, {90, "admin.ttl.quarter"}, {365, "admin.ttl.year"}}

// adminNotices are the confirmations an action may redirect to (?done=...).
var adminNotices = map[string]string{"created": "admin.done.created", "disabled": "admin.done.disabled", "enabled": "admin.done.enabled",
	"revoked": "admin.done.revoked", "token_revoked": "admin.done.token_revoked"}

func (a *authPages) adminData(r *http.Request) adminPage {
	p := access.From(r.Context())
	d := adminPage{authForm: newAuthForm(), Scope: string(p.Scope), Roles: staffRoles, TTLs: tokenTTLs, MinPass: auth.MinPassword}
	if k, ok := adminNotices[r.URL.Query().Get("done")]; ok {
		d.Notice = k
	}
	return d
}

func (a *authPages) adminIndex(rw http.ResponseWriter, r *http.Request) {
	d := a.adminData(r)
	p := access.From(r.Context())
	accounts, err := a.staff(r.Context(), p)
	if err == nil {
		var tokens []tokenRow
		tokens, err = a.tokenRows(r.Context(), p)
		for _, t := range tokens {
			if !t.Revoked && !t.Expired {
				d.Counts.Tokens++
			}
		}
	}
	if err != nil {
		a.render(rw, r, a.fail(rw, r, &d.authForm, err), "admin_index", d)
		return
	}
	for _, acct := range accounts {
		d.Counts.Staff++
		if acct.Role == string(access.Helper) {
			d.Counts.Helpers++
			if acct.Flagged {
				d.Counts.Flagged++
			}
		}
	}
	a.render(rw, r, http.StatusOK, "admin_index", d)
}

func (a *authPages) accounts(rw http.ResponseWriter, r *http.Request) {
	d := a.adminData(r)
	d.Values["scope"] = d.Scope
	a.renderAccounts(rw, r, http.StatusOK, d)
}

func (a *authPages) renderAccounts(rw http.ResponseWriter, r *http.Request, status int, d adminPage) {
	var err error
	if d.Accounts, err = a.staff(r.Context(), access.From(r.Context())); err != nil {
		status = a.fail(rw, r, &d.authForm, err)
	}
	a.render(rw, r, status, "admin_accounts", d)
}

func (a *authPages) createAccount(rw http.ResponseWriter, r *http.Request) {
	parseAuthForm(rw, r)
	d := a.adminData(r)
	p := access.From(r.Context())
	in := map[string]string{}
	for _, k := range []string{"email", "name", "role", "scope", "organisation"} {
		in[k] = strings.TrimSpace(r.PostFormValue(k))
		d.Values[k] = in[k]
	}
	var err error
	if _, ok := access.ParseScope(in["scope"]); ok && !p.Scope.Covers(access.Scope(in["scope"])) {
		err = &senda.Error{Code: senda.CodeInvalid, Key: "error.invalid", Fields: []senda.FieldError{{Location: "scope", Key: "auth.scope_wider"}}}
	} else {
		_, err = a.svc.CreateAccount(r.Context(), auth.NewAccount{Kind: "staff", Role: access.Role(in["role"]), Scope: access.Scope(in["scope"]),
			Email: in["email"], Name: in["name"], Password: r.PostFormValue("password"), Organisation: in["organisation"], Language: reqLang(r)})
	}
	if err != nil {
		a.renderAccounts(rw, r, a.fail(rw, r, &d.authForm, err), d)
		return
	}
	http.Redirect(rw, r, "/admin/accounts?done=created", http.StatusSeeOther)
}

// setDisabled disables (ending every session) or enables a staff account.
func (a *authPages) setDisabled(disabled bool) func(http.ResponseWriter, *http.Request) {
	done := "enabled"
	if disabled {
		done = "disabled"
	}
	return func(rw http.ResponseWriter, r *http.Request) {
		p := access.From(r.Context())
		id := r.PathValue("id")
		if disabled && id == p.AccountID {
			d := a.adminData(r)
			d.Alert = &authAlert{i18n.T(reqLang(r), "error.invalid.title", nil), i18n.T(reqLang(r), "admin.accounts.self", nil)}
			a.renderAccounts(rw, r, http.StatusUnprocessableEntity, d)
			return
		}
		err := a.svc.DB.Update(r.Context(), func(tx *store.Tx) error {
			acct, err := tx.Account(r.Context(), id)
			if err != nil || !adminVisible(p, acct) {
				return &senda.Error{Code: senda.CodeNotFound, Key: "error.not_found"}
			}
			if err := tx.UpdateAccountAccess(r.Context(), id, acct.Role, acct.Scope, disabled); err != nil {
				return err
			}
			if disabled {
				_, err = tx.RevokeSessions(r.Context(), "", id)
			}
			return err
		})
		a.afterAction(rw, r, err, "/admin/accounts?done="+done)
	}
}

func (a *authPages) revokeSessions(rw http.ResponseWriter, r *http.Request) {
	p := access.From(r.Context())
	id := r.PathValue("id")
	err := a.svc.DB.Update(r.Context(), func(tx *store.Tx) error {
		acct, err := tx.Account(r.Context(), id)
		if err != nil || !adminVisible(p, acct) {
			return &senda.Error{Code: senda.CodeNotFound, Key: "error.not_found"}
		}
		_, err = tx.RevokeSessions(r.Context(), "", id)
		return err
	})
	a.afterAction(rw, r, err, "/admin/accounts?done=revoked")
}

// afterAction goes on to the list after a successful action; a missing or
// out-of-scope record is the not-found page.
func (a *authPages) afterAction(rw http.ResponseWriter, r *http.Request, err error, to string) {
	switch {
	case err == nil:
		http.Redirect(rw, r, to, http.StatusSeeOther)
	case senda.IsNotFound(err):
		a.notFound(rw, r)
	default:
		d := a.adminData(r)
		status := a.fail(rw, r, &d.authForm, err)
		a.render(rw, r, status, "admin_index", d)
	}
}

// ---- Tokens ----

// tokenRow is an API token without its secret.
type tokenRow struct {
	ID, Name, Role, Scope, Created, Expires string
	Revoked, Expired                        bool
}

func (a *authPages) tokenRows(ctx context.Context, p access.Principal) ([]tokenRow, error) {
	var out []tokenRow
	err := a.svc.DB.View(ctx, func(tx *store.Tx) error {
		ts, err := tx.Tokens(ctx)
		for _, t := range ts {
			if p.Scope.Covers(access.Scope(t.Scope)) {
				out = append(out, tokenRow{ID: t.ID, Name: t.Name, Role: t.Role, Scope: t.Scope, Created: stamp(t.CreatedAt), Expires: stamp(t.ExpiresAt),
					Revoked: !t.RevokedAt.IsZero(), Expired: !t.ExpiresAt.After(tx.Now)})
			}
		}
		return err
	})
	return out, err
}

func (a *authPages) tokens(rw http.ResponseWriter, r *http.Request) {
	d := a.adminData(r)
	d.Values["scope"] = d.Scope
	d.Values["ttl_days"] = "30"
	a.renderTokens(rw, r, http.StatusOK, d)
}

func (a *authPages) renderTokens(rw http.ResponseWriter, r *http.Request, status int, d adminPage) {
	var err error
	if d.Tokens, err = a.tokenRows(r.Context(), access.From(r.Context())); err != nil {
		status = a.fail(rw, r, &d.authForm, err)
	}
	a.render(rw, r, status, "admin_tokens", d)
}

// createToken makes a token and shows its secret once, on a page that is
// never cached.
func (a *authPages) createToken(rw http.ResponseWriter, r *http.Request) {
	parseAuthForm(rw, r)
	d := a.adminData(r)
	for _, k := range []string{"name", "role", "scope", "ttl_days"} {
		d.Values[k] = strings.TrimSpace(r.PostFormValue(k))
	}
	days, _ := strconv.Atoi(d.Values["ttl_days"])
	var err error
	if len(d.Values["name"]) > 100 {
		err = &senda.Error{Code: senda.CodeInvalid, Key: "error.invalid", Fields: []senda.FieldError{{Location: "name", Key: "validation.max_length", Args: map[string]any{"max": 100}}}}
	} else {
		var secret string
		var t store.Token
		secret, t, err = a.svc.CreateToken(r.Context(), access.From(r.Context()), d.Values["name"], access.Role(d.Values["role"]),
			access.Scope(d.Values["scope"]), time.Duration(days)*24*time.Hour)
		if err == nil {
			d.Secret = secret
			d.Created = tokenRow{ID: t.ID, Name: t.Name, Role: t.Role, Scope: t.Scope, Expires: stamp(t.ExpiresAt)}
			a.render(rw, r, http.StatusCreated, "admin_token", d)
			return
		}
	}
	if se := (*senda.Error)(nil); errors.As(err, &se) {
		for i, f := range se.Fields {
			if f.Location == "ttl" {
				se.Fields[i].Location = "ttl_days"
			}
		}
	}
	a.renderTokens(rw, r, a.fail(rw, r, &d.authForm, err), d)
}

func (a *authPages) revokeToken(rw http.ResponseWriter, r *http.Request) {
	p := access.From(r.Context())
	id := r.PathValue("id")
	err := a.svc.DB.Update(r.Context(), func(tx *store.Tx) error {
		ts, err := tx.Tokens(r.Context())
		if err != nil {
			return err
		}
		for _, t := range ts {
			if t.ID == id && p.Scope.Covers(access.Scope(t.Scope)) {
				if !t.RevokedAt.IsZero() {
					return nil
				}
				return tx.RevokeToken(r.Context(), id)
			}
		}
		return &senda.Error{Code: senda.CodeNotFound, Key: "error.not_found"}
	})
	a.afterAction(rw, r, err, "/admin/tokens?done=token_revoked")
}

// ---- Helpers ----

// helpers lists helper accounts in scope with their number of live grants,
// flagged ones first, then those acting for the most households.
func (a *authPages) helpers(rw http.ResponseWriter, r *http.Request) {
	d := a.adminData(r)
	p := access.From(r.Context())
	ctx := r.Context()
	err := a.svc.DB.View(ctx, func(tx *store.Tx) error {
		as, err := tx.Accounts(ctx, "staff", 10000)
		if err != nil {
			return err
		}
		grants, err := tx.Grants(ctx, "", "", false)
		if err != nil {
			return err
		}
		live := map[string]int{}
		for _, g := range grants {
			live[g.HelperID]++
		}
		for _, acct := range as {
			if acct.Role != string(access.Helper) || !adminVisible(p, acct) {
				continue
			}
			row, err := a.row(ctx, tx, p, acct)
			if err != nil {
				return err
			}
			row.Grants = live[acct.ID]
			d.Accounts = append(d.Accounts, row)
		}
		return nil
	})
	if err != nil {
		a.render(rw, r, a.fail(rw, r, &d.authForm, err), "admin_helpers", d)
		return
	}
	sort.SliceStable(d.Accounts, func(i, j int) bool {
		x, y := d.Accounts[i], d.Accounts[j]
		if x.Flagged != y.Flagged {
			return x.Flagged
		}
		return x.Grants > y.Grants
	})
	a.render(rw, r, http.StatusOK, "admin_helpers", d)
}
