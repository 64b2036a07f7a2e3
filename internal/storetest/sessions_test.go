package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/senda-platform/senda/internal/store"
)

// A session remembered by two processes on one database ends in both when
// either revokes it or changes its account, and expires on time from the
// cache: the session cache never signs in a request the database would
// refuse once the other process has polled the access epoch.
func TestSessionCacheFollowsChanges(t *testing.T) {
	for _, e := range Engines {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			o := Options(t, e)
			a, err := store.Open(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			if err := a.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			b, err := store.Open(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
			clock := func() time.Time { return now }
			a.Now, b.Now = clock, clock
			a.EpochPoll, b.EpochPoll = time.Hour, 0 // b polls on every use, a never after its first
			must := func(err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}
			must(a.Update(ctx, func(tx *store.Tx) error {
				if err := tx.CreateAccount(ctx, store.Account{ID: "acct", Kind: "applicant", Role: "applicant", Scope: "*"}); err != nil {
					return err
				}
				for _, h := range []string{"h1", "h2", "h3"} {
					if err := tx.CreateSession(ctx, store.Session{IDHash: h + "-0123456789abcdef", AccountID: "acct", ExpiresAt: now.Add(time.Hour)}); err != nil {
						return err
					}
				}
				return nil
			}))
			live := func(db *store.DB, h string) bool {
				t.Helper()
				sa, err := db.LiveSessionAccount(ctx, h+"-0123456789abcdef", now)
				if store.IsNotFound(err) {
					return false
				}
				must(err)
				return !sa.Disabled
			}
			for _, db := range []*store.DB{a, b} {
				for _, h := range []string{"h1", "h2", "h3"} {
					if !live(db, h) {
						t.Fatalf("session %s not live", h)
					}
				}
			}
			// Revoked by b: gone in b at once, in a once it polls.
			must(b.Update(ctx, func(tx *store.Tx) error { _, err := tx.RevokeSessions(ctx, "h1-0123456789abcdef", ""); return err }))
			if live(b, "h1") {
				t.Fatal("the revoking process still signs the session in")
			}
			a.EpochPoll = 0
			if live(a, "h1") {
				t.Fatal("another process still signs a revoked session in after polling")
			}
			// Revoked by a: gone in a at once, even without polling, and in b.
			a.EpochPoll = time.Hour
			must(a.Update(ctx, func(tx *store.Tx) error { _, err := tx.RevokeSessions(ctx, "h2-0123456789abcdef", ""); return err }))
			if live(a, "h2") || live(b, "h2") {
				t.Fatal("a revoked session is still signed in")
			}
			// The account disabled by a: h3 ends everywhere.
			must(a.Update(ctx, func(tx *store.Tx) error { return tx.UpdateAccountAccess(ctx, "acct", "applicant", "*", true) }))
			if live(a, "h3") || live(b, "h3") {
				t.Fatal("a disabled account's session is still signed in")
			}
			must(a.Update(ctx, func(tx *store.Tx) error { return tx.UpdateAccountAccess(ctx, "acct", "applicant", "*", false) }))
			if !live(a, "h3") {
				t.Fatal("the account enabled again is not signed in")
			}
			// Expiry is checked from the cache; a touch slides it.
			now = now.Add(50 * time.Minute)
			must(a.Update(ctx, func(tx *store.Tx) error { return tx.TouchSession(ctx, "h3-0123456789abcdef", now.Add(time.Hour)) }))
			now = now.Add(30 * time.Minute)
			if !live(a, "h3") || !live(b, "h3") {
				t.Fatal("a touched session expired at its old time")
			}
			now = now.Add(31 * time.Minute)
			if live(a, "h3") || live(b, "h3") {
				t.Fatal("an expired session is still signed in")
			}
		})
	}
}
