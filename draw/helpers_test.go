package draw_test

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"strconv"
	"testing"
	"time"

	"github.com/senda-platform/senda/draw"
)

// mustTime parses an RFC 3339 time or fails the test.
func mustTime(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		tb.Fatalf("bad test time %q: %v", s, err)
	}
	return t
}

// seedFor returns a seed derived from a label and its commitment, both hex.
func seedFor(label string) (seed, commitment string) {
	s := sha256.Sum256([]byte("seed:" + label))
	c := sha256.Sum256(s[:])
	return hex.EncodeToString(s[:]), hex.EncodeToString(c[:])
}

// newRecord returns a valid input record around slots and requests.
func newRecord(label string, bp int, slots []draw.Slot, reqs []draw.Request) *draw.Record {
	seed, commitment := seedFor(label)
	return &draw.Record{
		Format:          draw.FormatV1,
		ServiceDate:     "2025-03-01",
		Commitment:      commitment,
		Seed:            seed,
		PriorityShareBP: bp,
		Slots:           slots,
		Requests:        reqs,
	}
}

// withChecks runs f with rapid running at least n checks per property.
func withChecks(t *testing.T, n int, f func()) {
	t.Helper()
	fl := flag.Lookup("rapid.checks")
	old := fl.Value.String()
	if cur, _ := strconv.Atoi(old); cur >= n {
		f()
		return
	}
	if err := fl.Value.Set(strconv.Itoa(n)); err != nil {
		t.Fatal(err)
	}
	defer fl.Value.Set(old)
	f()
}
