package auth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/internal/access"
	"github.com/senda-platform/senda/internal/jobs"
	"github.com/senda-platform/senda/internal/seal"
	"github.com/senda-platform/senda/internal/store"
	"github.com/senda-platform/senda/internal/storetest"
)

func TestNewOIDC(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("  s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		cfg     OIDCConfig
		off     bool
		wantErr string
	}{
		{"off", OIDCConfig{}, true, ""},
		{"client id without issuer", OIDCConfig{ClientID: "senda"}, false, "--oidc-issuer is required"},
		{"https issuer", OIDCConfig{Issuer: "https://login.example.org/realms/senda", ClientID: "senda"}, false, ""},
		{"loopback http issuer", OIDCConfig{Issuer: "http://127.0.0.1:5556", ClientID: "senda"}, false, ""},
		{"localhost http issuer", OIDCConfig{Issuer: "http://localhost:5556", ClientID: "senda"}, false, ""},
		{"remote http issuer", OIDCConfig{Issuer: "http://login.example.org", ClientID: "senda"}, false, "must be an https URL"},
		{"not a URL", OIDCConfig{Issuer: "login.example.org", ClientID: "senda"}, false, "must be an https URL"},
		{"no client id", OIDCConfig{Issuer: "https://login.example.org"}, false, "--oidc-client-id is required"},
		{"relative redirect", OIDCConfig{Issuer: "https://login.example.org", ClientID: "senda", RedirectURL: "/signin/oidc/callback"}, false, "--oidc-redirect-url"},
		{"missing secret file", OIDCConfig{Issuer: "https://login.example.org", ClientID: "senda", ClientSecretFile: filepath.Join(t.TempDir(), "none")}, false, "--oidc-client-secret-file"},
		{"secret file", OIDCConfig{Issuer: "https://login.example.org", ClientID: "senda", ClientSecretFile: secret, RedirectURL: "https://senda.example.org/signin/oidc/callback"}, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := NewOIDC(&Service{}, tt.cfg)
			switch {
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("got error %v, want one saying %q", err, tt.wantErr)
			case tt.wantErr == "" && err != nil:
				t.Fatalf("got error %v, want none", err)
			case tt.wantErr == "" && tt.off != (o == nil):
				t.Fatalf("got OIDC %v, want off=%v", o, tt.off)
			}
		})
	}
	o, err := NewOIDC(&Service{}, tests[len(tests)-1].cfg)
	if err != nil {
		t.Fatal(err)
	}
	if o.secret != "s3cret" || o.RedirectURL() != "https://senda.example.org/signin/oidc/callback" {
		t.Errorf("got secret %q and redirect %q, want the trimmed file content and the configured URL", o.secret, o.RedirectURL())
	}
}

// stateOIDC returns an OIDC whose clock reads *now, without a database.
func stateOIDC(now *time.Time) *OIDC {
	return &OIDC{svc: &Service{DB: &store.DB{Now: func() time.Time { return *now }}, Keys: seal.New()}}
}

func (o *OIDC) sealState(t testing.TB, st oidcState) string {
	t.Helper()
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(o.svc.Keys.Seal(b, statePlace))
}

func TestOIDCState(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	o := stateOIDC(&now)
	good := oidcState{State: "abc", Nonce: "n", Verifier: "v", Redirect: "https://senda.example.org/signin/oidc/callback", Next: "/admin", Expires: now.Add(OIDCStateTTL).Unix()}
	sealed := o.sealState(t, good)
	got, err := o.openState(sealed, "abc")
	if err != nil || got != good {
		t.Fatalf("got %+v, %v; want %+v", got, err, good)
	}
	other := stateOIDC(&now) // another key: a cookie made elsewhere
	tampered := []byte(sealed)
	tampered[len(tampered)/2] ^= 1
	tests := []struct {
		name, sealed, state string
		after               time.Duration
	}{
		{"wrong state", sealed, "abd", 0},
		{"empty state", sealed, "", 0},
		{"expired", sealed, "abc", OIDCStateTTL + time.Second},
		{"tampered", string(tampered), "abc", 0},
		{"other key", other.sealState(t, good), "abc", 0},
		{"not base64", "!!!", "abc", 0},
		{"empty", "", "", 0},
		{"state empty in cookie", o.sealState(t, oidcState{Expires: good.Expires}), "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC).Add(tt.after)
			_, err := o.openState(tt.sealed, tt.state)
			if senda.ErrorCode(err) != senda.CodeUnauthorized {
				t.Fatalf("got %v, want an unauthorized error", err)
			}
			if se := (*senda.Error)(nil); !errors.As(err, &se) || se.Key != "auth.invalid_login" {
				t.Errorf("got %v, want the generic auth.invalid_login", err)
			}
		})
	}
}

func FuzzOIDCState(f *testing.F) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	o := stateOIDC(&now)
	good := o.sealState(f, oidcState{State: "abc", Expires: now.Add(time.Minute).Unix()})
	for _, s := range []string{"", "abc", good, good[:len(good)-1], strings.Repeat("A", 200), "e30"} {
		f.Add(s, "abc")
	}
	f.Fuzz(func(t *testing.T, sealed, state string) {
		if _, err := o.openState(sealed, state); err == nil && sealed != good {
			t.Fatalf("state %q accepted with %q", sealed, state)
		}
	})
}

func TestVerifiedClaim(t *testing.T) {
	for raw, want := range map[string]bool{`true`: true, `"true"`: true, ` true `: true, `false`: false, `"false"`: false, ``: false, `1`: false, `"yes"`: false, `null`: false} {
		if got := verified(json.RawMessage(raw)); got != want {
			t.Errorf("verified(%s) = %v, want %v", raw, got, want)
		}
	}
}

// TestOIDCAccount covers how a verified identity finds its staff account: by
// subject, or on first use by verified email, which then links the subject.
func TestOIDCAccount(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		keys := seal.New()
		svc := New(db, keys, jobs.NewOutbox(db, keys, jobs.DevSender{}, nil))
		o := &OIDC{svc: svc}
		mk := func(n NewAccount) store.Account {
			t.Helper()
			if n.Password == "" {
				n.Password = "una frase bastante larga"
			}
			a, err := svc.CreateAccount(ctx, n)
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		staff := mk(NewAccount{Kind: "staff", Role: access.Caseworker, Scope: "GT", Email: "Staff@Example.org"})
		other := mk(NewAccount{Kind: "staff", Role: access.Analyst, Scope: "*", Email: "other@example.org"})
		off := mk(NewAccount{Kind: "staff", Role: access.Analyst, Scope: "*", Email: "off@example.org"})
		mk(NewAccount{Kind: "applicant", Email: "applicant@example.org"})
		if err := db.Update(ctx, func(tx *store.Tx) error { return tx.UpdateAccountAccess(ctx, off.ID, off.Role, off.Scope, true) }); err != nil {
			t.Fatal(err)
		}

		refusals := []struct {
			name, sub, email string
			verified         bool
		}{
			{"no subject", "", "staff@example.org", true},
			{"unknown person", "sub-x", "nobody@example.org", true},
			{"unverified email", "sub-1", "staff@example.org", false},
			{"no email", "sub-1", "", true},
			{"applicant", "sub-a", "applicant@example.org", true},
			{"disabled staff", "sub-off", "off@example.org", true},
		}
		for _, r := range refusals {
			if _, err := o.account(ctx, r.sub, r.email, r.verified); senda.ErrorCode(err) != senda.CodeUnauthorized {
				t.Errorf("%s: got %v, want the generic refusal", r.name, err)
			}
		}

		got, err := o.account(ctx, "sub-1", " STAFF@example.org", true)
		if err != nil || got.ID != staff.ID || got.OIDCSubject != "sub-1" {
			t.Fatalf("first use: got %s %q, %v; want account %s linked to sub-1", got.ID, got.OIDCSubject, err, staff.ID)
		}
		// Later sign-ins find the account by subject, whatever the email says.
		if got, err = o.account(ctx, "sub-1", "changed@example.org", false); err != nil || got.ID != staff.ID {
			t.Fatalf("by subject: got %s, %v; want %s", got.ID, err, staff.ID)
		}
		// An account linked to one subject is not taken over by another.
		if _, err := o.account(ctx, "sub-2", "staff@example.org", true); senda.ErrorCode(err) != senda.CodeUnauthorized {
			t.Errorf("second subject for a linked account: got %v, want the generic refusal", err)
		}
		if err := db.View(ctx, func(tx *store.Tx) error {
			a, err := tx.AccountBy(ctx, "oidc_subject", "sub-1")
			if err == nil && a.ID != staff.ID {
				t.Errorf("sub-1 belongs to %s, want %s", a.ID, staff.ID)
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		// The store refuses a subject already linked elsewhere.
		err = db.Update(ctx, func(tx *store.Tx) error { return tx.LinkOIDCSubject(ctx, other.ID, "sub-1") })
		if senda.ErrorCode(err) != senda.CodeConflict {
			t.Errorf("linking a taken subject: got %v, want a conflict", err)
		}
		// Disabling a linked account refuses it too.
		if err := db.Update(ctx, func(tx *store.Tx) error { return tx.UpdateAccountAccess(ctx, staff.ID, staff.Role, staff.Scope, true) }); err != nil {
			t.Fatal(err)
		}
		if _, err := o.account(ctx, "sub-1", "", false); senda.ErrorCode(err) != senda.CodeUnauthorized {
			t.Errorf("disabled linked account: got %v, want the generic refusal", err)
		}
	})
}
