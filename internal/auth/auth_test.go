package auth

import (
	"context"
	"net/http/httptest"
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

func newService(t *testing.T, db *store.DB) (*Service, *time.Time) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return now }
	keys := seal.New()
	return New(db, keys, jobs.NewOutbox(db, keys, jobs.DevSender{}, nil)), &now
}

const goodPassword = "correct horse battery"

func TestPasswordGuessingIsThrottled(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, now := newService(t, db)
		if _, err := s.CreateAccount(ctx, NewAccount{Kind: "staff", Role: access.Caseworker, Scope: "GT", Email: "ana@example.org", Password: goodPassword}); err != nil {
			t.Fatal(err)
		}
		var lastWait int
		for i := 1; i <= 8; i++ {
			_, _, err := s.SignIn(ctx, "ana@example.org", "wrong guess "+string(rune('a'+i)), "203.0.113.7:5000")
			if senda.ErrorCode(err) != senda.CodeUnauthorized {
				t.Fatalf("guess %d: got %v, want unauthorized", i, err)
			}
			// While locked, even the right password is refused with a delay.
			_, _, err = s.SignIn(ctx, "ana@example.org", goodPassword, "203.0.113.7:5000")
			var se *senda.Error
			if i < FreeFailures {
				if err != nil {
					t.Fatalf("after %d failures the right password was refused: %v", i, err)
				}
				continue
			}
			if senda.ErrorCode(err) != senda.CodeTooMany {
				t.Fatalf("after %d failures: got %v, want too_many_requests", i, err)
			}
			se = err.(*senda.Error)
			wait := se.Args["retry_after"].(int)
			if wait <= lastWait {
				t.Fatalf("after %d failures the delay is %d s, not more than %d s", i, wait, lastWait)
			}
			lastWait = wait
			*now = now.Add(time.Duration(wait) * time.Second)
		}
		// The delay is per address too: another account from the same address waits.
		s.CreateAccount(ctx, NewAccount{Kind: "staff", Role: access.Caseworker, Scope: "GT", Email: "ben@example.org", Password: goodPassword})
		for i := 0; i < 10; i++ {
			s.SignIn(ctx, "ben@example.org", "nope nope nope", "198.51.100.9:1")
		}
		if _, _, err := s.SignIn(ctx, "someone@example.org", "x", "198.51.100.9:2"); senda.ErrorCode(err) != senda.CodeTooMany {
			t.Fatalf("another login from a throttled address: got %v, want too_many_requests", err)
		}
		*now = now.Add(MaxDelay)
		if _, _, err := s.SignIn(ctx, "ana@example.org", goodPassword, "192.0.2.1:1"); err != nil {
			t.Fatalf("after the delay the right password: %v", err)
		}
	})
}

func TestWrongUserAndWrongPasswordLookAlike(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _ := newService(t, db)
		s.CreateAccount(ctx, NewAccount{Kind: "staff", Role: access.Analyst, Scope: "*", Email: "eva@example.org", Password: goodPassword})
		_, _, e1 := s.SignIn(ctx, "eva@example.org", "not the password", "192.0.2.1:1")
		_, _, e2 := s.SignIn(ctx, "nobody@example.org", "not the password", "192.0.2.2:1")
		if e1 == nil || e1.Error() != e2.Error() {
			t.Fatalf("wrong password %v and wrong user %v differ", e1, e2)
		}
		// Requesting a code answers the same for both too.
		if err1, err2 := s.RequestCode(ctx, "eva@example.org", "192.0.2.3:1"), s.RequestCode(ctx, "nobody@example.org", "192.0.2.3:1"); err1 != nil || err2 != nil {
			t.Fatalf("request code: %v, %v", err1, err2)
		}
	})
}

func TestOneTimeCodeThroughOutbox(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _ := newService(t, db)
		if _, err := s.CreateAccount(ctx, NewAccount{Kind: "applicant", Phone: "+52 55 1234 5678", Language: "ht"}); err != nil {
			t.Fatal(err)
		}
		if err := s.RequestCode(ctx, "+525512345678", "192.0.2.1:1"); err != nil {
			t.Fatal(err)
		}
		msgs, _, err := s.Outbox.List(ctx, 5)
		if err != nil || len(msgs) != 1 {
			t.Fatalf("got %d messages, %v", len(msgs), err)
		}
		m := msgs[0]
		if m.Channel != "sms" || m.Recipient != "+525512345678" || m.Language != "ht" || len(m.Params["code"]) != 6 {
			t.Fatalf("got %+v", m)
		}
		if _, _, err := s.VerifyCode(ctx, "+52 55 1234 5678", "000000x", "192.0.2.1:1"); senda.ErrorCode(err) != senda.CodeUnauthorized {
			t.Fatalf("wrong code: got %v", err)
		}
		tok, a, err := s.VerifyCode(ctx, "+52 55 1234 5678", m.Params["code"], "192.0.2.1:1")
		if err != nil || a.Role != "applicant" || !strings.HasPrefix(tok, "ss_") {
			t.Fatalf("right code: %q %v %v", tok, a.Role, err)
		}
		if _, _, err := s.VerifyCode(ctx, "+52 55 1234 5678", m.Params["code"], "192.0.2.1:1"); err == nil {
			t.Fatal("a code worked twice")
		}
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Cookie", SessionCookie+"="+tok)
		p, err := s.Authenticate(ctx, r)
		if err != nil || p.AccountID != a.ID || p.Role != access.Applicant {
			t.Fatalf("session: %+v %v", p, err)
		}
		s.SignOut(ctx, tok)
		if p, _ := s.Authenticate(ctx, r); !p.Anonymous() {
			t.Fatal("session still valid after sign-out")
		}
	})
}

func TestTokensAndSessionsExpireAndRevoke(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, now := newService(t, db)
		secret, tok, err := s.CreateToken(ctx, access.Principal{Role: access.Admin, Scope: "GT"}, "ci", access.Caseworker, "GT/SMO-GUA", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		var row string
		db.Reader().QueryRow(`SELECT hash FROM api_tokens WHERE id = $1`, tok.ID).Scan(&row)
		if row == "" || strings.Contains(row, secret) {
			t.Fatal("token secret stored in clear")
		}
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "Bearer "+secret)
		if p, err := s.Authenticate(ctx, r); err != nil || p.Role != access.Caseworker || p.Scope != "GT/SMO-GUA" {
			t.Fatalf("token: %+v %v", p, err)
		}
		if _, _, err := s.CreateToken(ctx, access.Principal{Role: access.Admin, Scope: "GT"}, "", access.Admin, "*", time.Hour); err == nil {
			t.Fatal("an admin of GT made a token for everywhere")
		}
		*now = now.Add(2 * time.Hour)
		if _, err := s.Authenticate(ctx, r); senda.ErrorCode(err) != senda.CodeUnauthorized {
			t.Fatalf("expired token: got %v", err)
		}
		a, _ := s.CreateAccount(ctx, NewAccount{Kind: "staff", Role: access.PortOfficer, Scope: "US/POE-SYS", Email: "po@example.org", Password: goodPassword})
		sess, _, err := s.SignIn(ctx, "po@example.org", goodPassword, "192.0.2.1:1")
		if err != nil {
			t.Fatal(err)
		}
		rc := httptest.NewRequest("GET", "/", nil)
		rc.Header.Set("Cookie", SessionCookie+"="+sess)
		if p, _ := s.Authenticate(ctx, rc); p.AccountID != a.ID {
			t.Fatal("session not recognised")
		}
		db.Update(ctx, func(tx *store.Tx) error { _, err := tx.RevokeSessions(ctx, "", a.ID); return err })
		if p, _ := s.Authenticate(ctx, rc); !p.Anonymous() {
			t.Fatal("revoked session still valid")
		}
	})
}

func TestHelperConsentAndFlag(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _ := newService(t, db)
		s.HelperFlagAt = 3
		h, err := s.CreateAccount(ctx, NewAccount{Kind: "staff", Role: access.Helper, Scope: "MX", Email: "help@shelter.example", Password: goodPassword, Organisation: "Casa Refugio"})
		if err != nil {
			t.Fatal(err)
		}
		var grants []store.Grant
		for i := 0; i < 3; i++ {
			a, err := s.CreateAccount(ctx, NewAccount{Kind: "applicant", Phone: "+5255000000" + string(rune('0'+i))})
			if err != nil {
				t.Fatal(err)
			}
			g, err := s.GrantHelper(ctx, access.Principal{AccountID: a.ID, Role: access.Applicant}, h.ID, "register my family")
			if err != nil {
				t.Fatal(err)
			}
			grants = append(grants, g)
		}
		if ok, _ := s.ActsFor(ctx, h.ID, grants[0].ApplicantID); !ok {
			t.Fatal("helper cannot act with consent")
		}
		db.Update(ctx, func(tx *store.Tx) error { return tx.RevokeGrant(ctx, grants[0].ID, grants[0].ApplicantID) })
		if ok, _ := s.ActsFor(ctx, h.ID, grants[0].ApplicantID); ok {
			t.Fatal("helper still acts after the applicant revoked consent")
		}
		var flagged store.Account
		db.View(ctx, func(tx *store.Tx) (err error) { flagged, err = tx.Account(ctx, h.ID); return err })
		if flagged.FlaggedAt.IsZero() {
			t.Fatal("helper acting for many households not flagged")
		}
	})
}

func TestPasswordRules(t *testing.T) {
	tests := []struct {
		pw   string
		want string
	}{
		{"short", "auth.password_short"},
		{"qwertyuiop", "auth.password_common"},
		{"aaaaaaaaaaaaaa", "auth.password_common"},
		{"ana@example.org-secret", "auth.password_context"},
		{"mi casa es su casa", ""},
		{"كلمة سر طويلة جدا", ""},
		{"Kreyòl se lang mwen", ""},
	}
	for _, tt := range tests {
		errs := CheckPassword(tt.pw, "ana@example.org")
		got := ""
		if len(errs) > 0 {
			got = errs[0].Key
		}
		if got != tt.want {
			t.Errorf("CheckPassword(%q) = %q, want %q", tt.pw, got, tt.want)
		}
	}
	h := HashPassword("mi casa es su casa")
	if !VerifyPassword(h, "mi casa es su casa") || VerifyPassword(h, "mi casa es su cosa") || VerifyPassword("garbage", "x") {
		t.Error("VerifyPassword")
	}
}

func TestRemoteKey(t *testing.T) {
	for in, want := range map[string]string{
		"203.0.113.7:5000":           "203.0.113.7",
		"[2001:db8:1:2:3:4:5:6]:443": "2001:db8:1:2::/64",
		"garbage":                    "unknown",
	} {
		if got := remoteKey(in); got != want {
			t.Errorf("remoteKey(%q) = %q, want %q", in, got, want)
		}
	}
}
