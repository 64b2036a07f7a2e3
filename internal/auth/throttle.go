package auth

import (
	"context"
	"math"
	"time"

	"github.com/senda-platform/senda/internal/store"
)

// Throttling: after FreeFailures failed sign-ins for one account or one
// address, each further failure locks that key for a delay that doubles, from
// one second up to MaxDelay. A success clears the account's record. The
// records live in the database, so every app node sees the same counts.
const (
	FreeFailures = 3
	MaxDelay     = 15 * time.Minute
)

// Delay after n failures.
func Delay(n int) time.Duration {
	if n < FreeFailures {
		return 0
	}
	d := time.Duration(math.Pow(2, float64(n-FreeFailures))) * time.Second
	if d > MaxDelay || d <= 0 {
		return MaxDelay
	}
	return d
}

// lockedFor returns how long the longest-locked of keys is still locked.
func lockedFor(ctx context.Context, tx *store.Tx, keys ...string) (time.Duration, error) {
	var wait time.Duration
	for _, k := range keys {
		t, err := tx.GetThrottle(ctx, k)
		if err != nil {
			return 0, err
		}
		if d := t.LockedUntil.Sub(tx.Now); d > wait {
			wait = d
		}
	}
	return wait, nil
}

func recordFailure(ctx context.Context, tx *store.Tx, keys ...string) error {
	for _, k := range keys {
		t, err := tx.GetThrottle(ctx, k)
		if err != nil {
			return err
		}
		t.Failures++
		t.LockedUntil = tx.Now.Add(Delay(t.Failures))
		if err := tx.PutThrottle(ctx, k, t); err != nil {
			return err
		}
	}
	return nil
}
