package draw_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/senda-platform/senda/draw"
)

// slotKey names a slot in an allocation: its location and start instant.
type slotKey struct {
	loc   string
	start int64
}

func keyOf(loc string, start time.Time) slotKey { return slotKey{loc, start.Unix()} }

// uniqueSlots keeps the first slot of each location and start, so that an
// allocation names exactly one slot.
func uniqueSlots(rec *draw.Record) {
	seen := map[slotKey]bool{}
	var out []draw.Slot
	for _, s := range rec.Slots {
		if k := keyOf(s.Location, s.Start); !seen[k] {
			seen[k] = true
			out = append(out, s)
		}
	}
	rec.Slots = out
}

func mustRun(t *rapid.T, rec *draw.Record) *draw.Record {
	out, err := draw.Run(rec)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return out
}

func TestPropertyCapacityAndOnce(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		rec := genRecord(t)
		out := mustRun(t, rec)
		capacity := map[slotKey]int{}
		for _, s := range rec.Slots {
			capacity[keyOf(s.Location, s.Start)] += s.Capacity
		}
		reqs := map[string]draw.Request{}
		for _, r := range rec.Requests {
			reqs[r.ID] = r
		}
		used := map[slotKey]int{}
		seen := map[string]bool{}
		priority := 0
		lotterySeen := false
		for i, a := range out.Allocations {
			r, ok := reqs[a.Request]
			if !ok {
				t.Fatalf("allocations[%d]: unknown request %q", i, a.Request)
			}
			if seen[a.Request] {
				t.Fatalf("allocations[%d]: request %q allocated twice", i, a.Request)
			}
			seen[a.Request] = true
			if !slices.Contains(r.Preferences, a.Location) {
				t.Fatalf("allocations[%d]: location %s not among preferences %v", i, a.Location, r.Preferences)
			}
			k := keyOf(a.Location, a.Start)
			used[k] += r.Size
			if used[k] > capacity[k] {
				t.Fatalf("slot %v: got %d persons, want at most %d", k, used[k], capacity[k])
			}
			switch a.Phase {
			case draw.PhasePriority:
				if lotterySeen {
					t.Fatalf("allocations[%d]: priority allocation after a lottery one", i)
				}
				priority += r.Size
			case draw.PhaseLottery:
				lotterySeen = true
			default:
				t.Fatalf("allocations[%d]: phase %q", i, a.Phase)
			}
		}
		if b := int(draw.Budget(rec.Slots, rec.PriorityShareBP)); priority > b {
			t.Fatalf("priority phase: got %d persons, want at most budget %d", priority, b)
		}
	})
}

func TestPropertyDeterministicAndOrderFree(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		rec := genRecord(t)
		uniqueSlots(rec)
		first := mustRun(t, rec)
		again := mustRun(t, rec)
		if diff := cmp.Diff(first, again); diff != "" {
			t.Fatalf("second run differs (-first +second):\n%s", diff)
		}
		shuffled := *rec
		shuffled.Requests = rapid.Permutation(rec.Requests).Draw(t, "requests order")
		shuffled.Slots = rapid.Permutation(rec.Slots).Draw(t, "slots order")
		other := mustRun(t, &shuffled)
		if other.RequestsRoot != first.RequestsRoot {
			t.Fatalf("requests_root: got %s after shuffling, want %s", other.RequestsRoot, first.RequestsRoot)
		}
		if diff := cmp.Diff(first.Allocations, other.Allocations); diff != "" {
			t.Fatalf("allocations depend on input order (-original +shuffled):\n%s", diff)
		}
	})
}

// TestPropertyMaximal checks that a request left out had no room at its
// turn in either phase, replaying the published allocations.
func TestPropertyMaximal(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		rec := genRecord(t)
		uniqueSlots(rec)
		out := mustRun(t, rec)
		capacity := map[slotKey]int{}
		for _, s := range rec.Slots {
			capacity[keyOf(s.Location, s.Start)] = s.Capacity
		}
		size := map[string]int{}
		for _, r := range rec.Requests {
			size[r.ID] = r.Size
		}
		allocated := map[string]draw.Allocation{}
		for _, a := range out.Allocations {
			allocated[a.Request] = a
		}
		roomFor := func(r draw.Request, used map[slotKey]int) bool {
			for _, s := range rec.Slots {
				k := keyOf(s.Location, s.Start)
				if slices.Contains(r.Preferences, s.Location) && capacity[k]-used[k] >= r.Size {
					return true
				}
			}
			return false
		}

		// Priority phase: in (registered_at, id) order.
		byAge := slices.Clone(rec.Requests)
		sort.Slice(byAge, func(i, j int) bool {
			if !byAge[i].RegisteredAt.Equal(byAge[j].RegisteredAt) {
				return byAge[i].RegisteredAt.Before(byAge[j].RegisteredAt)
			}
			return byAge[i].ID < byAge[j].ID
		})
		budget := int(draw.Budget(rec.Slots, rec.PriorityShareBP))
		used := map[slotKey]int{}
		persons := 0
		for _, r := range byAge {
			a, ok := allocated[r.ID]
			if ok && a.Phase == draw.PhasePriority {
				used[keyOf(a.Location, a.Start)] += r.Size
				persons += r.Size
				continue
			}
			if persons+r.Size <= budget && roomFor(r, used) {
				t.Fatalf("request %s left out of the priority phase with room and budget", r.ID)
			}
		}

		// Lottery phase: in HMAC order, after every priority placement.
		seed, _ := hex.DecodeString(out.Seed)
		root, _ := hex.DecodeString(out.RequestsRoot)
		var beacon []byte
		if out.Beacon != nil {
			beacon, _ = hex.DecodeString(out.Beacon.Value)
		}
		key := sha256.Sum256(slices.Concat(seed, root, beacon))
		mac := func(id string) []byte {
			m := hmac.New(sha256.New, key[:])
			m.Write([]byte(id))
			return m.Sum(nil)
		}
		byMAC := slices.Clone(rec.Requests)
		sort.Slice(byMAC, func(i, j int) bool { return bytes.Compare(mac(byMAC[i].ID), mac(byMAC[j].ID)) < 0 })
		for _, r := range byMAC {
			a, ok := allocated[r.ID]
			if ok && a.Phase == draw.PhasePriority {
				continue
			}
			if ok {
				used[keyOf(a.Location, a.Start)] += r.Size
				continue
			}
			if roomFor(r, used) {
				t.Fatalf("request %s (size %d, preferences %v) left out with room at its lottery turn", r.ID, r.Size, r.Preferences)
			}
		}
	})
}

// TestPropertyVerifyAndRoundTrip checks that the output of Run verifies,
// survives Encode and Decode unchanged, and that changing an allocation is
// caught.
func TestPropertyVerifyAndRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		out := mustRun(t, genRecord(t))
		if err := draw.Verify(out); err != nil {
			t.Fatalf("Verify(Run(rec)): %v", err)
		}
		var buf bytes.Buffer
		if err := draw.Encode(&buf, out); err != nil {
			t.Fatal(err)
		}
		back, err := draw.Decode(&buf)
		if err != nil {
			t.Fatalf("Decode(Encode(rec)): %v", err)
		}
		if diff := cmp.Diff(out, back); diff != "" {
			t.Fatalf("round trip differs (-out +decoded):\n%s", diff)
		}
		if len(out.Allocations) == 0 {
			return
		}
		i := rapid.IntRange(0, len(out.Allocations)-1).Draw(t, "tampered")
		bad := *back
		bad.Allocations = slices.Clone(back.Allocations)
		bad.Allocations[i].Start = bad.Allocations[i].Start.Add(time.Minute)
		err = draw.Verify(&bad)
		var d *draw.Difference
		if !errors.As(err, &d) {
			t.Fatalf("Verify after tampering allocations[%d]: got %v, want a difference", i, err)
		}
		if want := "allocations[" + strconv.Itoa(i) + "]"; d.Location != want {
			t.Fatalf("difference at: got %s, want %s", d.Location, want)
		}
	})
}
