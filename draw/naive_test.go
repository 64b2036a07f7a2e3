package draw_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/senda-platform/senda/draw"
)

// naiveDraw is a second implementation of the draw, written from the
// specification as plainly as possible: copies of everything, a full sort
// of every request, a linear search for every slot. It shares no code with
// the package beyond the record types.
func naiveDraw(rec *draw.Record) (root string, out []draw.Allocation) {
	// Requests root.
	byID := append([]draw.Request(nil), rec.Requests...)
	sort.SliceStable(byID, func(i, j int) bool { return byID[i].ID < byID[j].ID })
	var text strings.Builder
	for _, r := range byID {
		fmt.Fprintf(&text, "%s|%d|%s|%s\n", r.ID, r.Size,
			r.RegisteredAt.UTC().Format("2006-01-02T15:04:05Z"), strings.Join(r.Preferences, ","))
	}
	rootSum := sha256.Sum256([]byte(text.String()))
	root = hex.EncodeToString(rootSum[:])

	// Lottery key.
	seed, _ := hex.DecodeString(rec.Seed)
	var beacon []byte
	if rec.Beacon != nil {
		beacon, _ = hex.DecodeString(rec.Beacon.Value)
	}
	material := append(append(append([]byte{}, seed...), rootSum[:]...), beacon...)
	key := sha256.Sum256(material)

	// Slots and budget.
	type slot struct {
		loc   string
		start time.Time
		rem   int
	}
	var slots []slot
	total := 0
	for _, s := range rec.Slots {
		slots = append(slots, slot{s.Location, s.Start, s.Capacity})
		total += s.Capacity
	}
	budget := total * rec.PriorityShareBP / 10000

	find := func(r draw.Request) int {
		for _, pref := range r.Preferences {
			best := -1
			for k, s := range slots {
				if s.loc == pref && s.rem >= r.Size && (best < 0 || s.start.Before(slots[best].start)) {
					best = k
				}
			}
			if best >= 0 {
				return best
			}
		}
		return -1
	}
	placed := map[string]bool{}
	put := func(r draw.Request, k int, phase draw.Phase) {
		slots[k].rem -= r.Size
		placed[r.ID] = true
		out = append(out, draw.Allocation{Request: r.ID, Location: slots[k].loc, Start: slots[k].start.UTC(), Phase: phase})
	}

	// Priority phase.
	byAge := append([]draw.Request(nil), rec.Requests...)
	sort.Slice(byAge, func(i, j int) bool {
		a, b := byAge[i], byAge[j]
		if !a.RegisteredAt.Equal(b.RegisteredAt) {
			return a.RegisteredAt.Before(b.RegisteredAt)
		}
		return a.ID < b.ID
	})
	used := 0
	for _, r := range byAge {
		if used+r.Size > budget {
			continue
		}
		if k := find(r); k >= 0 {
			put(r, k, draw.PhasePriority)
			used += r.Size
		}
	}

	// Lottery phase.
	type ticket struct {
		mac []byte
		req draw.Request
	}
	var tickets []ticket
	for _, r := range rec.Requests {
		if placed[r.ID] {
			continue
		}
		m := hmac.New(sha256.New, key[:])
		m.Write([]byte(r.ID))
		tickets = append(tickets, ticket{m.Sum(nil), r})
	}
	sort.Slice(tickets, func(i, j int) bool { return bytes.Compare(tickets[i].mac, tickets[j].mac) < 0 })
	for _, tk := range tickets {
		if k := find(tk.req); k >= 0 {
			put(tk.req, k, draw.PhaseLottery)
		}
	}
	return root, out
}

var codes = []string{"BRO", "HID", "LAR", "EGP", "ELP", "NOG", "CAL", "SYS"}

// genRecord generates a valid input record. Small records have few
// locations, few distinct start times and registration seconds so that ties
// are common; large ones have thousands of requests with skewed
// preferences so that the draw needs several batches.
func genRecord(t *rapid.T) *draw.Record {
	large := rapid.IntRange(0, 19).Draw(t, "large") == 0
	locs := rapid.SliceOfNDistinct(rapid.SampledFrom(codes), 1, 4, func(s string) string { return s }).Draw(t, "locs")
	base := time.Date(2025, 3, 1, 14, 0, 0, 0, time.UTC)
	maxSlots, maxCap, maxReqs := 10, 6, 40
	if large {
		maxSlots, maxCap, maxReqs = 40, 30, 4000
	}
	nSlots := rapid.IntRange(0, maxSlots).Draw(t, "slots")
	var slots []draw.Slot
	for i := range nSlots {
		slots = append(slots, draw.Slot{
			Location: rapid.SampledFrom(locs).Draw(t, fmt.Sprint("slot.loc", i)),
			Start:    base.Add(time.Duration(rapid.IntRange(0, 5).Draw(t, fmt.Sprint("slot.hour", i))) * time.Hour),
			Capacity: rapid.IntRange(0, maxCap).Draw(t, fmt.Sprint("slot.cap", i)),
		})
	}
	pool := append(append([]string{}, locs...), "ZZZ") // ZZZ has no slots
	nReqs := rapid.IntRange(0, maxReqs).Draw(t, "requests")
	var reqs []draw.Request
	if large {
		// Generated from one seed: drawing thousands of values one by one
		// would make rapid slow.
		rng := rapid.Uint64().Draw(t, "rng")
		next := func(n int) int {
			rng ^= rng << 13
			rng ^= rng >> 7
			rng ^= rng << 17
			return int(rng % uint64(n))
		}
		for i := range nReqs {
			var prefs []string
			if next(50) == 0 {
				prefs = []string{locs[len(locs)-1]} // rarely the last location
			} else {
				prefs = []string{locs[0]}
				if len(locs) > 2 && next(2) == 0 {
					prefs = append(prefs, locs[1])
				}
			}
			reqs = append(reqs, draw.Request{
				ID:           fmt.Sprintf("Q%05d", i),
				Size:         1 + next(4)*next(2),
				RegisteredAt: base.Add(-time.Duration(next(600)) * time.Second),
				Preferences:  prefs,
			})
		}
	} else {
		ids := rapid.SliceOfNDistinct(rapid.StringMatching(`[A-Za-z0-9~!"\\-]{1,6}`), nReqs, nReqs, func(s string) string { return s }).Draw(t, "ids")
		for i, id := range ids {
			n := rapid.IntRange(1, 3).Draw(t, fmt.Sprint("req.npref", i))
			prefs := rapid.Permutation(pool).Draw(t, fmt.Sprint("req.prefs", i))[:min(n, len(pool))]
			reqs = append(reqs, draw.Request{
				ID:           id,
				Size:         rapid.IntRange(1, 6).Draw(t, fmt.Sprint("req.size", i)),
				RegisteredAt: base.Add(-time.Duration(rapid.IntRange(0, 8).Draw(t, fmt.Sprint("req.sec", i))) * time.Second),
				Preferences:  prefs,
			})
		}
	}
	bp := rapid.OneOf(rapid.SampledFrom([]int{0, 2500, 5000, 10000}), rapid.IntRange(0, 10000)).Draw(t, "bp")
	seed := rapid.SliceOfN(rapid.Byte(), 32, 32).Draw(t, "seed")
	sum := sha256.Sum256(seed)
	rec := &draw.Record{
		Format:          draw.FormatV1,
		ServiceDate:     "2025-03-01",
		Commitment:      hex.EncodeToString(sum[:]),
		Seed:            hex.EncodeToString(seed),
		PriorityShareBP: bp,
		Slots:           slots,
		Requests:        reqs,
	}
	if rapid.Bool().Draw(t, "beacon") {
		rec.Beacon = &draw.Beacon{
			Source: "drand quicknet",
			Round:  int64(rapid.IntRange(1, 1<<30).Draw(t, "round")),
			Value:  hex.EncodeToString(rapid.SliceOfN(rapid.Byte(), 1, 96).Draw(t, "value")),
		}
	}
	return rec
}

// TestRunMatchesNaive compares Run with naiveDraw on thousands of random
// records.
func TestRunMatchesNaive(t *testing.T) {
	withChecks(t, 3000, func() {
		rapid.Check(t, func(t *rapid.T) {
			rec := genRecord(t)
			got, err := draw.Run(rec)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			root, want := naiveDraw(rec)
			if got.RequestsRoot != root {
				t.Fatalf("requests_root: got %s, want %s", got.RequestsRoot, root)
			}
			if want == nil {
				want = []draw.Allocation{}
			}
			if diff := cmp.Diff(want, got.Allocations); diff != "" {
				t.Fatalf("allocations differ (-naive +Run):\n%s", diff)
			}
		})
	})
}
