package auth

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/internal/store"
)

// OIDCConfig configures staff sign-in through an OpenID Connect provider.
type OIDCConfig struct {
	// Issuer is the provider's issuer URL; empty turns OIDC sign-in off.
	Issuer string
	// ClientID is Senda's client at the provider.
	ClientID string
	// ClientSecretFile holds the client secret; empty for a public client,
	// which PKCE still protects.
	ClientSecretFile string
	// RedirectURL is Senda's callback as registered at the provider
	// (https://senda.example.org/signin/oidc/callback); empty derives it from
	// each request.
	RedirectURL string
	// HTTPClient talks to the provider; nil uses one with a 10 s timeout.
	HTTPClient *http.Client
}

// OIDCStateTTL bounds how long a person may spend at the provider between
// leaving Senda and coming back.
const OIDCStateTTL = 10 * time.Minute

// OIDC signs staff in through an OpenID Connect provider: the authorization
// code flow with state, nonce and PKCE. Only staff accounts that already
// exist may sign in this way: an account is found by its OIDC subject, or on
// first use by the provider's verified email address, and then remembers the
// subject. Everyone else gets the one generic sign-in failure.
type OIDC struct {
	svc    *Service
	cfg    OIDCConfig
	secret string
	client *http.Client

	mu       sync.Mutex
	provider *oidc.Provider
}

// NewOIDC returns the OIDC sign-in of svc, or nil when c.Issuer is empty.
// The provider's discovery document is fetched on first use, so Senda starts
// while the provider is unreachable.
func NewOIDC(svc *Service, c OIDCConfig) (*OIDC, error) {
	if c.Issuer == "" {
		if c.ClientID != "" || c.ClientSecretFile != "" || c.RedirectURL != "" {
			return nil, errors.New("--oidc-issuer is required with the other --oidc flags")
		}
		return nil, nil
	}
	var errs []error
	if u, err := url.Parse(c.Issuer); err != nil || u.Host == "" || !(u.Scheme == "https" || u.Scheme == "http" && loopback(u.Hostname())) {
		errs = append(errs, errors.New("--oidc-issuer must be an https URL, for example https://login.example.org/realms/senda"))
	}
	if strings.TrimSpace(c.ClientID) == "" {
		errs = append(errs, errors.New("--oidc-client-id is required with --oidc-issuer"))
	}
	if c.RedirectURL != "" {
		if u, err := url.Parse(c.RedirectURL); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			errs = append(errs, errors.New("--oidc-redirect-url must be an absolute URL ending in /signin/oidc/callback"))
		}
	}
	o := &OIDC{svc: svc, cfg: c, client: c.HTTPClient}
	if c.ClientSecretFile != "" {
		b, err := os.ReadFile(c.ClientSecretFile)
		if err != nil {
			errs = append(errs, fmt.Errorf("--oidc-client-secret-file: %v", err))
		}
		o.secret = strings.TrimSpace(string(b))
	}
	if o.client == nil {
		o.client = &http.Client{Timeout: 10 * time.Second}
	}
	if len(errs) > 0 {
		msgs := make([]string, len(errs))
		for i, e := range errs {
			msgs[i] = e.Error()
		}
		return nil, errors.New(strings.Join(msgs, "; "))
	}
	return o, nil
}

// loopback reports whether host is this machine; plain http is allowed only
// there (a provider run for development or tests).
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// RedirectURL is the configured callback URL; empty when it is derived from
// each request.
func (o *OIDC) RedirectURL() string { return o.cfg.RedirectURL }

func (o *OIDC) discover(ctx context.Context) (*oidc.Provider, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.provider != nil {
		return o.provider, nil
	}
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, o.client), o.cfg.Issuer)
	if err != nil {
		return nil, &senda.Error{Code: senda.CodeUnavailable, Key: "error.unavailable", Err: fmt.Errorf("oidc discovery: %w", err)}
	}
	o.provider = p
	return p, nil
}

func (o *OIDC) oauth(p *oidc.Provider, redirectURL string) *oauth2.Config {
	return &oauth2.Config{ClientID: o.cfg.ClientID, ClientSecret: o.secret, Endpoint: p.Endpoint(), RedirectURL: redirectURL,
		Scopes: []string{oidc.ScopeOpenID, "email"}}
}

// oidcState is what Senda keeps, sealed, in the browser between Start and
// Finish.
type oidcState struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Redirect string `json:"r"`
	Next     string `json:"x"`
	Expires  int64  `json:"e"`
}

const statePlace = "oidc.state"

// Start begins a sign-in. It returns the provider URL to send the browser to
// and the sealed state (state, nonce, PKCE verifier, redirect URL and next)
// to keep in a short-lived cookie until the callback.
func (o *OIDC) Start(ctx context.Context, redirectURL, next string) (authURL, sealed string, err error) {
	p, err := o.discover(ctx)
	if err != nil {
		return "", "", err
	}
	if o.cfg.RedirectURL != "" {
		redirectURL = o.cfg.RedirectURL
	}
	st := oidcState{State: randomString(24), Nonce: randomString(24), Verifier: oauth2.GenerateVerifier(), Redirect: redirectURL, Next: next,
		Expires: o.svc.DB.Now().Add(OIDCStateTTL).Unix()}
	b, err := json.Marshal(st)
	if err != nil {
		return "", "", senda.Wrap(err, "error.internal")
	}
	sealed = base64.RawURLEncoding.EncodeToString(o.svc.Keys.Seal(b, statePlace))
	authURL = o.oauth(p, redirectURL).AuthCodeURL(st.State, oidc.Nonce(st.Nonce), oauth2.S256ChallengeOption(st.Verifier))
	return authURL, sealed, nil
}

// refused is the generic sign-in failure, with the reason for logs only.
func refused(reason error) error {
	return &senda.Error{Code: senda.CodeUnauthorized, Key: "auth.invalid_login", Err: reason}
}

// openState unseals and checks the state kept in the browser.
func (o *OIDC) openState(sealed, state string) (oidcState, error) {
	var st oidcState
	raw, err := base64.RawURLEncoding.DecodeString(sealed)
	if err != nil {
		return st, refused(errors.New("oidc state cookie is not base64"))
	}
	b, err := o.svc.Keys.Open(raw, statePlace)
	if err != nil {
		return st, refused(errors.New("oidc state cookie does not open"))
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, refused(errors.New("oidc state cookie is malformed"))
	}
	if st.State == "" || subtle.ConstantTimeCompare([]byte(st.State), []byte(state)) != 1 {
		return st, refused(errors.New("oidc state does not match"))
	}
	if o.svc.DB.Now().Unix() > st.Expires {
		return st, refused(errors.New("oidc state expired"))
	}
	return st, nil
}

// Finish completes a sign-in at the callback: it checks the state against
// the sealed one, exchanges the code (with the PKCE verifier), verifies the
// ID token and its nonce, finds the staff account and opens a session. It
// returns the session cookie value, the account and the local page to go to.
// Anyone without an enabled staff account gets auth.invalid_login.
func (o *OIDC) Finish(ctx context.Context, sealed, state, code string) (session string, acct store.Account, next string, err error) {
	st, err := o.openState(sealed, state)
	if err != nil {
		return "", acct, "", err
	}
	if code == "" {
		return "", acct, "", refused(errors.New("oidc callback without a code"))
	}
	p, err := o.discover(ctx)
	if err != nil {
		return "", acct, "", err
	}
	tok, err := o.oauth(p, st.Redirect).Exchange(context.WithValue(ctx, oauth2.HTTPClient, o.client), code, oauth2.VerifierOption(st.Verifier))
	if err != nil {
		return "", acct, "", refused(fmt.Errorf("oidc code exchange: %w", err))
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return "", acct, "", refused(errors.New("oidc token response without an id_token"))
	}
	id, err := p.VerifierContext(oidc.ClientContext(ctx, o.client), &oidc.Config{ClientID: o.cfg.ClientID, Now: o.svc.DB.Now}).Verify(ctx, raw)
	if err != nil {
		return "", acct, "", refused(fmt.Errorf("oidc id token: %w", err))
	}
	if subtle.ConstantTimeCompare([]byte(id.Nonce), []byte(st.Nonce)) != 1 {
		return "", acct, "", refused(errors.New("oidc nonce does not match"))
	}
	var claims struct {
		Email         string          `json:"email"`
		EmailVerified json.RawMessage `json:"email_verified"`
	}
	if err := id.Claims(&claims); err != nil {
		return "", acct, "", refused(fmt.Errorf("oidc claims: %w", err))
	}
	acct, err = o.account(ctx, id.Subject, claims.Email, verified(claims.EmailVerified))
	if err != nil {
		return "", store.Account{}, "", err
	}
	session, err = o.svc.openSession(ctx, acct)
	return session, acct, st.Next, err
}

// verified reads an email_verified claim: true, or "true" from providers
// that send it as a string.
func verified(raw json.RawMessage) bool {
	s := strings.TrimSpace(string(raw))
	return s == "true" || s == `"true"`
}

// account finds the staff account of a subject, linking it on first use by
// a verified email address.
func (o *OIDC) account(ctx context.Context, subject, email string, emailVerified bool) (store.Account, error) {
	if subject == "" {
		return store.Account{}, refused(errors.New("oidc id token without a subject"))
	}
	var acct store.Account
	err := o.svc.DB.Update(ctx, func(tx *store.Tx) (err error) {
		acct, err = tx.AccountBy(ctx, "oidc_subject", subject)
		if err == nil {
			return nil
		}
		if !store.IsNotFound(err) {
			return err
		}
		e := NormalizeEmail(email)
		if !emailVerified || e == "" {
			return refused(errors.New("oidc subject unknown and no verified email"))
		}
		acct, err = tx.AccountBy(ctx, "email_index", o.svc.Keys.Index("email", e))
		if store.IsNotFound(err) {
			return refused(errors.New("oidc subject and email unknown"))
		}
		if err != nil {
			return err
		}
		if acct.OIDCSubject != "" {
			return refused(errors.New("account already linked to another oidc subject"))
		}
		if acct.Kind != "staff" || !acct.DisabledAt.IsZero() {
			return refused(errors.New("oidc sign-in for an account that is not enabled staff"))
		}
		if err := tx.LinkOIDCSubject(ctx, acct.ID, subject); err != nil {
			return refused(fmt.Errorf("link oidc subject: %w", err))
		}
		acct.OIDCSubject = subject
		return nil
	})
	if err != nil {
		return store.Account{}, err
	}
	if acct.Kind != "staff" || !acct.DisabledAt.IsZero() {
		return store.Account{}, refused(errors.New("oidc sign-in for an account that is not enabled staff"))
	}
	return acct, nil
}
