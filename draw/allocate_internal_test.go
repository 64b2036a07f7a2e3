package draw

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
)

func itemCmp(x, y item) int {
	if c := cmp.Compare(x.k, y.k); c != 0 {
		return c
	}
	return cmp.Compare(x.i, y.i)
}

func randomItems(rng *rand.Rand, n, distinctKeys int) []item {
	items := make([]item, n)
	for i := range items {
		items[i] = item{k: uint64(rng.IntN(distinctKeys)), i: uint32(i)}
	}
	rng.Shuffle(n, func(a, b int) { items[a], items[b] = items[b], items[a] })
	return items
}

func TestSelectSmallest(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{2, 13, 14, 100, 1000, 5000} {
		for _, distinct := range []int{1, 3, n} {
			for _, k := range []int{1, n / 3, n / 2, n - 1} {
				if k < 1 || k >= n {
					continue
				}
				items := randomItems(rng, n, distinct)
				want := slices.SortedFunc(slices.Values(items), itemCmp)[:k]
				selectSmallest(items, k, itemCmp)
				got := slices.SortedFunc(slices.Values(items[:k]), itemCmp)
				if !slices.Equal(got, want) {
					t.Fatalf("n=%d distinct=%d k=%d: got %v, want %v", n, distinct, k, got[:min(k, 5)], want[:min(k, 5)])
				}
			}
		}
	}
}

// TestVisitInOrder checks that visitInOrder visits in ascending order,
// stops when asked, and leaves out only items that keep had rejected.
func TestVisitInOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for round := range 200 {
		n := 1 + rng.IntN(3000)
		items := randomItems(rng, n, 1+rng.IntN(n))
		sorted := slices.SortedFunc(slices.Values(items), itemCmp)
		batch := 1 + rng.IntN(64)
		stopAfter := 1 + rng.IntN(n)
		// Items whose i is a multiple of m become unwanted once
		// threshold visits have been made.
		m, threshold := 2+rng.IntN(5), rng.IntN(n)
		visits := 0
		var got []item
		keep := func(it item) bool { return visits < threshold || int(it.i)%m != 0 }
		visitInOrder(items, itemCmp, batch, func(it item) bool {
			got = append(got, it)
			visits++
			return visits == stopAfter
		}, keep)
		if !slices.IsSortedFunc(got, itemCmp) {
			t.Fatalf("round %d: visits not in order", round)
		}
		if len(got) > stopAfter {
			t.Fatalf("round %d: got %d visits after asking to stop at %d", round, len(got), stopAfter)
		}
		// Every item before the last one visited was visited unless
		// keep rejects it.
		last := got[len(got)-1]
		seen := map[item]bool{}
		for _, it := range got {
			seen[it] = true
		}
		for _, it := range sorted {
			if itemCmp(it, last) > 0 {
				break
			}
			if !seen[it] && keep(it) {
				t.Fatalf("round %d: item %v skipped though wanted", round, it)
			}
		}
	}
}

// TestLotteryPrefixTies forces every HMAC prefix to tie, so that each
// comparison falls back to the full HMAC, and checks the draw is
// unchanged.
func TestLotteryPrefixTies(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	base := time.Date(2025, 3, 1, 14, 0, 0, 0, time.UTC)
	for round := range 50 {
		var slots []Slot
		for j := range 1 + rng.IntN(6) {
			slots = append(slots, Slot{Location: fmt.Sprint("L", j%3), Start: base.Add(time.Duration(rng.IntN(4)) * time.Hour), Capacity: rng.IntN(8)})
		}
		var reqs []Request
		for i := range rng.IntN(400) {
			reqs = append(reqs, Request{
				ID: fmt.Sprint("r", i), Size: 1 + rng.IntN(4), RegisteredAt: base,
				Preferences: []string{fmt.Sprint("L", rng.IntN(4))},
			})
		}
		key := []byte{byte(round)}
		want := Allocate(slots, reqs, key, 0)
		lotteryPrefix = func([]byte) uint64 { return 42 }
		got := Allocate(slots, reqs, key, 0)
		lotteryPrefix = prefix64
		if diff := gocmp.Diff(want, got); diff != "" {
			t.Fatalf("round %d: with tied prefixes (-want +got):\n%s", round, diff)
		}
	}
}
