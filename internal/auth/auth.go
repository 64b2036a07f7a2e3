// Package auth signs people in: staff with email and password (or OIDC),
// applicants with a phone number or email and a password or a one-time code,
// scripts with API tokens. It keeps sessions, throttles guessing, and records
// the consent that lets a helper act for an applicant.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/internal/access"
	"github.com/senda-platform/senda/internal/jobs"
	"github.com/senda-platform/senda/internal/seal"
	"github.com/senda-platform/senda/internal/store"
)

// Cookie and header names.
const (
	SessionCookie = "senda_session"
	sessionPrefix = "ss_"
	tokenPrefix   = "st_"
)

// Service is the sign-in service.
type Service struct {
	DB     *store.DB
	Keys   *seal.Keyring
	Outbox *jobs.Outbox
	// SessionIdle ends a session after this long without activity;
	// SessionMax ends it regardless.
	SessionIdle, SessionMax time.Duration
	// CodeTTL is how long a one-time code is valid; CodeTries how many
	// guesses it allows.
	CodeTTL   time.Duration
	CodeTries int
	// HelperFlagAt flags a helper account acting for this many households.
	HelperFlagAt int
}

// New returns a service with Senda's defaults.
func New(db *store.DB, keys *seal.Keyring, ob *jobs.Outbox) *Service {
	return &Service{DB: db, Keys: keys, Outbox: ob, SessionIdle: 2 * time.Hour, SessionMax: 12 * time.Hour,
		CodeTTL: 10 * time.Minute, CodeTries: 5, HelperFlagAt: 25}
}

// NormalizeEmail lowercases and trims an email address.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// NormalizePhone keeps a leading + and the digits.
func NormalizePhone(s string) string {
	var b strings.Builder
	for i, r := range strings.TrimSpace(s) {
		if r == '+' && i == 0 {
			b.WriteRune(r)
		} else if unicode.IsDigit(r) && r < 128 {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// loginIndex returns the blind-index column and value of a login (an email
// address or a phone number).
func (s *Service) loginIndex(login string) (column, index string, ok bool) {
	if strings.Contains(login, "@") {
		e := NormalizeEmail(login)
		if len(e) < 3 || len(e) > 254 {
			return "", "", false
		}
		return "email_index", s.Keys.Index("email", e), true
	}
	p := NormalizePhone(login)
	if len(p) < 7 || len(p) > 16 {
		return "", "", false
	}
	return "phone_index", s.Keys.Index("phone", p), true
}

// NewAccount describes an account to create.
type NewAccount struct {
	Kind         string // staff or applicant
	Role         access.Role
	Scope        access.Scope
	Email        string
	Phone        string
	Name         string
	Password     string
	Organisation string
	Language     string
}

// CreateAccount validates and stores an account, with every problem at once.
func (s *Service) CreateAccount(ctx context.Context, n NewAccount) (store.Account, error) {
	var fields []senda.FieldError
	if n.Kind != "staff" && n.Kind != "applicant" {
		fields = append(fields, senda.FieldError{Location: "kind", Key: "validation.one_of", Args: map[string]any{"options": "staff, applicant"}})
	}
	if n.Kind == "applicant" {
		n.Role, n.Scope = access.Applicant, "*"
	}
	if !access.ValidRole(n.Role) || (n.Kind == "staff" && n.Role == access.Applicant) {
		fields = append(fields, senda.FieldError{Location: "role", Key: "auth.role"})
	}
	if _, ok := access.ParseScope(string(n.Scope)); !ok {
		fields = append(fields, senda.FieldError{Location: "scope", Key: "auth.scope"})
	}
	email, phone := NormalizeEmail(n.Email), NormalizePhone(n.Phone)
	if email == "" && phone == "" {
		fields = append(fields, senda.FieldError{Location: "email", Key: "auth.login_required"})
	}
	if email != "" && (!strings.Contains(email, "@") || len(email) > 254 || strings.ContainsAny(email, " \t\r\n")) {
		fields = append(fields, senda.FieldError{Location: "email", Key: "validation.email"})
	}
	if n.Phone != "" && (len(phone) < 7 || len(phone) > 16) {
		fields = append(fields, senda.FieldError{Location: "phone", Key: "auth.phone"})
	}
	if n.Kind == "staff" && email == "" {
		fields = append(fields, senda.FieldError{Location: "email", Key: "validation.required"})
	}
	if n.Password != "" || n.Kind == "staff" {
		fields = append(fields, CheckPassword(n.Password, email, phone)...)
	}
	if len(fields) > 0 {
		return store.Account{}, &senda.Error{Code: senda.CodeInvalid, Key: "error.invalid", Fields: fields}
	}
	a := store.Account{ID: store.NewID(), Kind: n.Kind, Role: string(n.Role), Scope: string(n.Scope), Organisation: n.Organisation, Language: n.Language}
	if email != "" {
		a.EmailIndex, a.Email = s.Keys.Index("email", email), s.Keys.Seal([]byte(email), "accounts.email/"+a.ID)
	}
	if phone != "" {
		a.PhoneIndex, a.Phone = s.Keys.Index("phone", phone), s.Keys.Seal([]byte(phone), "accounts.phone/"+a.ID)
	}
	if n.Name != "" {
		a.Name = s.Keys.Seal([]byte(n.Name), "accounts.name/"+a.ID)
	}
	if n.Password != "" {
		a.PasswordHash = HashPassword(n.Password)
	}
	err := s.DB.Update(ctx, func(tx *store.Tx) error { return tx.CreateAccount(ctx, a) })
	if senda.ErrorCode(err) == senda.CodeConflict {
		return a, &senda.Error{Code: senda.CodeConflict, Key: "auth.taken", Err: err}
	}
	return a, err
}

// Contact returns the opened email and phone of an account.
func (s *Service) Contact(a store.Account) (email, phone string) {
	if b, err := s.Keys.Open(a.Email, "accounts.email/"+a.ID); err == nil {
		email = string(b)
	}
	if b, err := s.Keys.Open(a.Phone, "accounts.phone/"+a.ID); err == nil {
		phone = string(b)
	}
	return email, phone
}

// errInvalidLogin is the one answer for a wrong user, a wrong password, a
// disabled account and a wrong code.
func errInvalidLogin() error {
	return &senda.Error{Code: senda.CodeUnauthorized, Key: "auth.invalid_login"}
}

func tooMany(wait time.Duration) error {
	secs := int(wait.Seconds() + 0.999)
	return &senda.Error{Code: senda.CodeTooMany, Key: "error.too_many", Args: map[string]any{"retry_after": secs}}
}

// SignIn checks a login and password and opens a session. It returns the
// session cookie value.
func (s *Service) SignIn(ctx context.Context, login, password, remote string) (string, store.Account, error) {
	column, index, ok := s.loginIndex(login)
	keys := []string{"addr:" + remoteKey(remote)}
	if ok {
		keys = append(keys, "acct:"+index)
	}
	var acct store.Account
	var found bool
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		wait, err := lockedFor(ctx, tx, keys...)
		if err != nil {
			return err
		}
		if wait > 0 {
			return tooMany(wait)
		}
		if ok {
			acct, err = tx.AccountBy(ctx, column, index)
			found = err == nil
			if err != nil && !store.IsNotFound(err) {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return "", acct, err
	}
	// Always hash: an unknown login costs the same time as a known one.
	good := VerifyPassword(acct.PasswordHash, password) && found && acct.PasswordHash != "" && acct.DisabledAt.IsZero()
	if !good {
		if err := s.DB.Update(ctx, func(tx *store.Tx) error { return recordFailure(ctx, tx, keys...) }); err != nil {
			return "", acct, err
		}
		return "", store.Account{}, errInvalidLogin()
	}
	tok, err := s.openSession(ctx, acct, keys[1:]...)
	return tok, acct, err
}

func (s *Service) openSession(ctx context.Context, acct store.Account, clear ...string) (string, error) {
	tok := sessionPrefix + randomString(32)
	err := s.DB.Update(ctx, func(tx *store.Tx) error {
		for _, k := range clear {
			if err := tx.ClearThrottle(ctx, k); err != nil {
				return err
			}
		}
		return tx.CreateSession(ctx, store.Session{IDHash: hash(tok), AccountID: acct.ID, ExpiresAt: tx.Now.Add(s.SessionIdle)})
	})
	return tok, err
}

// SignOut ends the session of a cookie value.
func (s *Service) SignOut(ctx context.Context, cookie string) error {
	if !strings.HasPrefix(cookie, sessionPrefix) {
		return nil
	}
	return s.DB.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.RevokeSessions(ctx, hash(cookie), "")
		return err
	})
}

// RequestCode sends a one-time sign-in code to the account's phone (SMS) or
// email. It answers the same whether or not the login exists.
func (s *Service) RequestCode(ctx context.Context, login, remote string) error {
	column, index, ok := s.loginIndex(login)
	keys := []string{"addr:" + remoteKey(remote)}
	if ok {
		keys = append(keys, "acct:"+index)
	}
	return s.DB.Update(ctx, func(tx *store.Tx) error {
		wait, err := lockedFor(ctx, tx, keys...)
		if err != nil {
			return err
		}
		if wait > 0 {
			return tooMany(wait)
		}
		if !ok {
			return nil
		}
		acct, err := tx.AccountBy(ctx, column, index)
		if store.IsNotFound(err) || (err == nil && !acct.DisabledAt.IsZero()) {
			return nil
		}
		if err != nil {
			return err
		}
		code := randomDigits(6)
		if err := tx.CreateCode(ctx, store.OneTimeCode{ID: store.NewID(), AccountID: acct.ID, CodeHash: hash(acct.ID + ":" + code), ExpiresAt: tx.Now.Add(s.CodeTTL)}); err != nil {
			return err
		}
		email, phone := s.Contact(acct)
		channel, to := "sms", phone
		if column == "email_index" {
			channel, to = "email", email
		}
		_, err = s.Outbox.Queue(ctx, tx, jobs.Outgoing{Channel: channel, Recipient: to, Language: acct.Language, Template: "auth.code",
			Params: map[string]string{"code": code, "minutes": fmt.Sprint(int(s.CodeTTL.Minutes()))}})
		return err
	})
}

// VerifyCode checks a one-time code and opens a session.
func (s *Service) VerifyCode(ctx context.Context, login, code, remote string) (string, store.Account, error) {
	column, index, ok := s.loginIndex(login)
	keys := []string{"addr:" + remoteKey(remote)}
	if ok {
		keys = append(keys, "acct:"+index)
	}
	var acct store.Account
	good := false
	err := s.DB.Update(ctx, func(tx *store.Tx) error {
		wait, err := lockedFor(ctx, tx, keys...)
		if err != nil {
			return err
		}
		if wait > 0 {
			return tooMany(wait)
		}
		if ok {
			acct, err = tx.AccountBy(ctx, column, index)
			if err == nil && acct.DisabledAt.IsZero() {
				c, err := tx.LiveCode(ctx, acct.ID)
				if err == nil && c.Attempts < s.CodeTries {
					good = subtle.ConstantTimeCompare([]byte(c.CodeHash), []byte(hash(acct.ID+":"+strings.TrimSpace(code)))) == 1
					if err := tx.CodeAttempt(ctx, c.ID, good); err != nil {
						return err
					}
				}
			}
		}
		if !good {
			return recordFailure(ctx, tx, keys...)
		}
		return nil
	})
	if err != nil {
		return "", store.Account{}, err
	}
	if !good {
		return "", store.Account{}, errInvalidLogin()
	}
	tok, err := s.openSession(ctx, acct, keys[1:]...)
	return tok, acct, err
}

// Authenticate resolves the caller of r: a bearer API token or a session
// cookie. No credentials is the anonymous principal; bad credentials are an
// unauthorized error.
func (s *Service) Authenticate(ctx context.Context, r *http.Request) (access.Principal, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || !strings.HasPrefix(tok, tokenPrefix) {
			return access.Principal{}, errInvalidLogin()
		}
		var t store.Token
		err := s.DB.View(ctx, func(tx *store.Tx) (err error) {
			t, err = tx.LiveToken(ctx, hash(tok))
			return err
		})
		if err != nil {
			if senda.IsNotFound(err) {
				return access.Principal{}, errInvalidLogin()
			}
			return access.Principal{}, err
		}
		return access.Principal{TokenID: t.ID, Kind: "token", Role: access.Role(t.Role), Scope: access.Scope(t.Scope)}, nil
	}
	c, err := r.Cookie(SessionCookie)
	if err != nil || !strings.HasPrefix(c.Value, sessionPrefix) {
		return access.Principal{}, nil
	}
	h := hash(c.Value)
	now := s.DB.Now()
	sa, err := s.DB.LiveSessionAccount(ctx, h, now)
	if err == nil && (sa.Disabled || now.Sub(sa.CreatedAt) > s.SessionMax) {
		err = &senda.Error{Code: senda.CodeNotFound}
	}
	if senda.IsNotFound(err) {
		return access.Principal{}, nil // an expired or revoked session is simply signed out
	}
	if err != nil {
		return access.Principal{}, err
	}
	p := access.Principal{AccountID: sa.AccountID, Kind: sa.Kind, Role: access.Role(sa.Role), Scope: access.Scope(sa.Scope), SessionHash: h}
	touch := now.Sub(sa.LastSeenAt) >= time.Minute
	// Slide the idle expiry, at most once a minute per session: reads stay
	// off the single writer.
	if touch {
		s.DB.Update(ctx, func(tx *store.Tx) error { return tx.TouchSession(ctx, h, tx.Now.Add(s.SessionIdle)) })
	}
	return p, nil
}

// CreateToken makes an API token and returns its secret, shown once.
func (s *Service) CreateToken(ctx context.Context, by access.Principal, name string, role access.Role, scope access.Scope, ttl time.Duration) (string, store.Token, error) {
	var fields []senda.FieldError
	if !access.ValidRole(role) {
		fields = append(fields, senda.FieldError{Location: "role", Key: "auth.role"})
	}
	if _, ok := access.ParseScope(string(scope)); !ok {
		fields = append(fields, senda.FieldError{Location: "scope", Key: "auth.scope"})
	} else if by.Role != "" && !by.Scope.Covers(scope) {
		fields = append(fields, senda.FieldError{Location: "scope", Key: "auth.scope_wider"})
	}
	if ttl <= 0 || ttl > 366*24*time.Hour {
		fields = append(fields, senda.FieldError{Location: "ttl", Key: "auth.ttl"})
	}
	if name == "" {
		name = string(role) + " token"
	}
	if len(fields) > 0 {
		return "", store.Token{}, &senda.Error{Code: senda.CodeInvalid, Key: "error.invalid", Fields: fields}
	}
	secret := tokenPrefix + randomString(32)
	t := store.Token{ID: store.NewID(), Hash: hash(secret), Name: name, Role: string(role), Scope: string(scope), CreatedBy: by.Actor()}
	err := s.DB.Update(ctx, func(tx *store.Tx) error {
		t.ExpiresAt = tx.Now.Add(ttl)
		return tx.CreateToken(ctx, t)
	})
	return secret, t, err
}

// GrantHelper records an applicant's consent for a helper account to act for
// them, and flags a helper acting for an unusual number of households.
func (s *Service) GrantHelper(ctx context.Context, applicant access.Principal, helperID, purpose string) (store.Grant, error) {
	g := store.Grant{ID: store.NewID(), HelperID: helperID, ApplicantID: applicant.AccountID, Purpose: purpose}
	if applicant.Role != access.Applicant || purpose == "" {
		return g, &senda.Error{Code: senda.CodeInvalid, Key: "error.invalid", Fields: []senda.FieldError{{Location: "purpose", Key: "validation.required"}}}
	}
	err := s.DB.Update(ctx, func(tx *store.Tx) error {
		h, err := tx.Account(ctx, helperID)
		if err != nil || h.Role != string(access.Helper) || !h.DisabledAt.IsZero() {
			return &senda.Error{Code: senda.CodeInvalid, Key: "error.invalid", Fields: []senda.FieldError{{Location: "helper_id", Key: "auth.not_helper"}}}
		}
		if err := tx.CreateGrant(ctx, g); err != nil {
			return err
		}
		live, err := tx.Grants(ctx, helperID, "", false)
		if err != nil {
			return err
		}
		if len(live) >= s.HelperFlagAt {
			return tx.FlagAccount(ctx, helperID)
		}
		return nil
	})
	return g, err
}

// ActsFor reports whether helper holds the live consent of applicant.
func (s *Service) ActsFor(ctx context.Context, helperID, applicantID string) (bool, error) {
	var ok bool
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		gs, err := tx.Grants(ctx, helperID, applicantID, false)
		ok = len(gs) > 0
		return err
	})
	return ok, err
}

func hash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func randomString(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func randomDigits(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		d, _ := rand.Int(rand.Reader, big.NewInt(10))
		b.WriteByte(byte('0' + d.Int64()))
	}
	return b.String()
}

// remoteKey is the throttling key of a client address: the IP without port,
// and for IPv6 its /64 (one host usually holds a whole /64).
func remoteKey(remote string) string {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return "unknown"
	}
	if ip.To4() == nil {
		return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
	return ip.String()
}
