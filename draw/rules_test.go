package draw_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/senda-platform/senda/draw"
)

func TestBudget(t *testing.T) {
	tests := []struct {
		capacities []int
		bp         int
		want       int64
	}{
		{[]int{7}, 2500, 1},      // 1.75 rounds down
		{[]int{4, 4}, 2500, 2},   // exact
		{[]int{3}, 3333, 0},      // 0.9999
		{[]int{10000}, 1, 1},     // one basis point
		{[]int{9999}, 1, 0},      // just under
		{nil, 2500, 0},           // no slots
		{[]int{0, 0}, 10000, 0},  // zero capacity
		{[]int{2, 3}, 10000, 5},  // everything
		{[]int{1450}, 2500, 362}, // a typical day: 362.5
		{[]int{100000, 100000}, 9999, 199980},
	}
	for _, tt := range tests {
		var slots []draw.Slot
		for _, c := range tt.capacities {
			slots = append(slots, draw.Slot{Location: "A", Capacity: c})
		}
		if got := draw.Budget(slots, tt.bp); got != tt.want {
			t.Errorf("Budget(%v, %d): got %d, want %d", tt.capacities, tt.bp, got, tt.want)
		}
	}
}

// slot builds a slot from "LOC HH:MM cap" on the service date, in UTC
// unless the time carries an offset ("LOC 09:00-06:00 cap").
func slot(tb testing.TB, spec string) draw.Slot {
	var loc, hm string
	var c int
	if _, err := fmt.Sscanf(spec, "%s %s %d", &loc, &hm, &c); err != nil {
		tb.Fatalf("bad slot %q: %v", spec, err)
	}
	zone := "Z"
	if len(hm) > 5 {
		hm, zone = hm[:5], hm[5:]
	}
	return draw.Slot{Location: loc, Start: mustTime(tb, "2025-03-01T"+hm+":00"+zone), Capacity: c}
}

// request builds a request from "ID size second PREF,PREF": registered at
// 2025-02-01T12:00:00Z plus second seconds.
func request(tb testing.TB, spec string) draw.Request {
	var id, prefs string
	var size, sec int
	if _, err := fmt.Sscanf(spec, "%s %d %d %s", &id, &size, &sec, &prefs); err != nil {
		tb.Fatalf("bad request %q: %v", spec, err)
	}
	at := time.Date(2025, 2, 1, 12, 0, 0, 0, time.UTC).Add(time.Duration(sec) * time.Second)
	return draw.Request{ID: id, Size: size, RegisteredAt: at, Preferences: strings.Split(prefs, ",")}
}

// short writes an allocation as "ID LOC HH:MM phase" (HH:MM in UTC).
func short(a draw.Allocation) string {
	return fmt.Sprintf("%s %s %s %s", a.Request, a.Location, a.Start.UTC().Format("15:04"), a.Phase)
}

func TestRules(t *testing.T) {
	tests := []struct {
		name     string
		bp       int
		slots    []string
		requests []string
		priority []string // in order
		lottery  []string // as a set (order follows the HMACs)
	}{
		{
			name:     "budget rounds down: 7 * 2500 / 10000 = 1",
			bp:       2500,
			slots:    []string{"A 09:00 7"},
			requests: []string{"R1 1 0 A", "R2 1 1 A"},
			priority: []string{"R1 A 09:00 priority"},
			lottery:  []string{"R2 A 09:00 lottery"},
		},
		{
			name:  "a family over the budget is passed over for a later smaller request",
			bp:    5000, // B = 5
			slots: []string{"A 09:00 10"},
			requests: []string{
				"F1 4 0 A", // used 4
				"F2 3 1 A", // 7 > 5: passed over
				"S1 1 2 A", // used 5
				"T1 2 3 A", // 7 > 5: passed over
			},
			priority: []string{"F1 A 09:00 priority", "S1 A 09:00 priority"},
			lottery:  []string{"F2 A 09:00 lottery", "T1 A 09:00 lottery"},
		},
		{
			name:     "the budget limits only the priority phase",
			bp:       1000, // 11 * 1000 / 10000: B = 1
			slots:    []string{"A 09:00 1", "A 10:00 10"},
			requests: []string{"R1 3 0 A", "R2 3 1 A", "R3 4 2 A", "R4 1 3 A"},
			priority: []string{"R4 A 09:00 priority"},
			lottery:  []string{"R1 A 10:00 lottery", "R2 A 10:00 lottery", "R3 A 10:00 lottery"},
		},
		{
			name:     "preference order wins over an earlier slot elsewhere",
			bp:       10000,
			slots:    []string{"A 10:00 2", "B 09:00 2"},
			requests: []string{"R1 1 0 A,B", "R2 1 1 B,A", "R3 2 2 A,B"},
			priority: []string{"R1 A 10:00 priority", "R2 B 09:00 priority"},
			lottery:  []string{},
			// R3 needs 2: A has 1 left, B has 1 left; the lottery cannot place it either.
		},
		{
			name:     "a family too large for its first choice goes to its second",
			bp:       10000,
			slots:    []string{"A 09:00 2", "B 11:00 5"},
			requests: []string{"R1 1 0 A", "R2 2 1 A,B"},
			priority: []string{"R1 A 09:00 priority", "R2 B 11:00 priority"},
		},
		{
			name:  "earliest slot with room, by instant, not by position",
			bp:    10000,
			slots: []string{"A 11:00 5", "A 09:00 2", "A 10:00 5"},
			requests: []string{
				"R1 1 0 A", // 09:00, leaves 1
				"R2 3 1 A", // 09:00 too small: 10:00, leaves 2
				"R3 1 2 A", // 09:00, leaves 0
				"R4 3 3 A", // 11:00
			},
			priority: []string{"R1 A 09:00 priority", "R2 A 10:00 priority", "R3 A 09:00 priority", "R4 A 11:00 priority"},
		},
		{
			name:     "starts are compared as instants across offsets",
			bp:       10000,
			slots:    []string{"A 09:00-06:00 1", "A 14:00 1"}, // 15:00Z, 14:00Z
			requests: []string{"R1 1 0 A", "R2 1 1 A"},
			priority: []string{"R1 A 14:00 priority", "R2 A 15:00 priority"},
		},
		{
			name:  "same registration second: ties broken by id bytes",
			bp:    5000, // B = 1
			slots: []string{"A 09:00 2"},
			// "B" (0x42) < "a" (0x61) < "b"; "R10" < "R9".
			requests: []string{"b 1 5 A", "a 1 5 A", "B 1 5 A"},
			priority: []string{"B A 09:00 priority"},
			lottery:  []string{"?"}, // one of a and b: checked by TestLotteryOrder
		},
		{
			name:     "ids compare as bytes, not as numbers",
			bp:       10000,
			slots:    []string{"A 09:00 1"},
			requests: []string{"R9 1 0 A", "R10 1 0 A"},
			priority: []string{"R10 A 09:00 priority"},
		},
		{
			name:     "older registration first regardless of input order",
			bp:       10000,
			slots:    []string{"A 09:00 1"},
			requests: []string{"Z 1 1 A", "Y 1 0 A"},
			priority: []string{"Y A 09:00 priority"},
		},
		{
			name:     "no slots",
			bp:       2500,
			slots:    nil,
			requests: []string{"R1 1 0 A", "R2 2 1 B"},
		},
		{
			name:     "no requests",
			bp:       2500,
			slots:    []string{"A 09:00 5"},
			requests: nil,
		},
		{
			name:     "zero-capacity slots are skipped",
			bp:       10000,
			slots:    []string{"A 08:00 0", "A 09:00 0", "A 10:00 1"},
			requests: []string{"R1 1 0 A", "R2 1 1 A"},
			priority: []string{"R1 A 10:00 priority"},
		},
		{
			name:     "only zero capacity",
			bp:       2500,
			slots:    []string{"A 08:00 0", "B 09:00 0"},
			requests: []string{"R1 1 0 A,B"},
		},
		{
			name:     "a preferred location without slots never matches",
			bp:       10000,
			slots:    []string{"A 09:00 1"},
			requests: []string{"R1 1 0 ZZZ,A"},
			priority: []string{"R1 A 09:00 priority"},
		},
		{
			name:     "a group larger than every slot is never placed",
			bp:       10000,
			slots:    []string{"A 09:00 3", "A 10:00 3"},
			requests: []string{"R1 4 0 A", "R2 3 1 A"},
			priority: []string{"R2 A 09:00 priority"},
		},
		{
			name:     "share 0: everything by lottery",
			bp:       0,
			slots:    []string{"A 09:00 3"},
			requests: []string{"R1 1 0 A", "R2 2 1 A"},
			lottery:  []string{"R1 A 09:00 lottery", "R2 A 09:00 lottery"},
		},
		{
			name:     "equal slots: the first in the record is tried first (3 then 2)",
			bp:       10000,
			slots:    []string{"A 09:00 3", "A 09:00 2"},
			requests: []string{"R1 2 0 A", "R2 3 1 A"},
			priority: []string{"R1 A 09:00 priority"},
			// R1 takes 2 of the first slot; neither slot has 3 left for R2.
		},
		{
			name:     "equal slots: the first in the record is tried first (2 then 3)",
			bp:       10000,
			slots:    []string{"A 09:00 2", "A 09:00 3"},
			requests: []string{"R1 2 0 A", "R2 3 1 A"},
			priority: []string{"R1 A 09:00 priority", "R2 A 09:00 priority"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var slots []draw.Slot
			for _, s := range tt.slots {
				slots = append(slots, slot(t, s))
			}
			var reqs []draw.Request
			for _, r := range tt.requests {
				reqs = append(reqs, request(t, r))
			}
			out, err := draw.Run(newRecord(tt.name, tt.bp, slots, reqs))
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			var priority, lottery []string
			for _, a := range out.Allocations {
				if a.Phase == draw.PhasePriority {
					if len(lottery) > 0 {
						t.Errorf("priority allocation %s after lottery ones", short(a))
					}
					priority = append(priority, short(a))
				} else {
					lottery = append(lottery, short(a))
				}
			}
			if diff := cmp.Diff(tt.priority, priority, cmpEmpty); diff != "" {
				t.Errorf("priority phase (-want +got):\n%s", diff)
			}
			if len(tt.lottery) == 1 && tt.lottery[0] == "?" {
				if len(lottery) != 1 {
					t.Errorf("lottery: got %v, want one allocation", lottery)
				}
				return
			}
			slices.Sort(lottery)
			want := slices.Sorted(slices.Values(tt.lottery))
			if diff := cmp.Diff(want, lottery, cmpEmpty); diff != "" {
				t.Errorf("lottery phase (-want +got):\n%s", diff)
			}
		})
	}
}

// cmpEmpty treats nil and empty slices as equal.
var cmpEmpty = cmp.Comparer(func(a, b []string) bool { return slices.Equal(a, b) })

// TestLotteryOrder checks the lottery order against HMAC-SHA256(K, id)
// computed here from the definition of K.
func TestLotteryOrder(t *testing.T) {
	ids := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	for _, withBeacon := range []bool{false, true} {
		var reqs []draw.Request
		for _, id := range ids {
			reqs = append(reqs, request(t, id+" 1 0 A"))
		}
		rec := newRecord(fmt.Sprint("order", withBeacon), 0, []draw.Slot{slot(t, "A 09:00 3")}, reqs)
		var beacon []byte
		if withBeacon {
			beacon = []byte{0xde, 0xad, 0xbe, 0xef}
			rec.Beacon = &draw.Beacon{Source: "test", Round: 7, Value: "deadbeef"}
		}
		out, err := draw.Run(rec)
		if err != nil {
			t.Fatal(err)
		}
		seed, _ := hex.DecodeString(rec.Seed)
		var lines []string
		for _, id := range slices.Sorted(slices.Values(ids)) {
			lines = append(lines, id+"|1|2025-02-01T12:00:00Z|A\n")
		}
		root := sha256.Sum256([]byte(strings.Join(lines, "")))
		if got, want := out.RequestsRoot, hex.EncodeToString(root[:]); got != want {
			t.Fatalf("requests_root: got %s, want %s", got, want)
		}
		k := sha256.Sum256(append(append(seed, root[:]...), beacon...))
		if got := draw.LotteryKey(seed, root[:], beacon); !bytes.Equal(got, k[:]) {
			t.Fatalf("LotteryKey: got %x, want %x", got, k)
		}
		mac := func(id string) []byte {
			m := hmac.New(sha256.New, k[:])
			m.Write([]byte(id))
			return m.Sum(nil)
		}
		want := slices.Clone(ids)
		slices.SortFunc(want, func(a, b string) int { return bytes.Compare(mac(a), mac(b)) })
		want = want[:3]
		var got []string
		for _, a := range out.Allocations {
			got = append(got, a.Request)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("beacon %v: lottery winners (-want +got):\n%s", withBeacon, diff)
		}
	}
}

func TestCommitment(t *testing.T) {
	// SHA-256 of 32 zero bytes.
	const want = "66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925"
	if got := draw.Commitment(make([]byte, 32)); got != want {
		t.Errorf("Commitment(zeros): got %s, want %s", got, want)
	}
	// SHA-256 of the empty string.
	const empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	if got := draw.RequestsRoot(nil); got != empty {
		t.Errorf("RequestsRoot(nil): got %s, want %s", got, empty)
	}
	reqs := []draw.Request{
		request(t, "b 2 0 A,B"),
		{ID: "a", Size: 1, RegisteredAt: mustTime(t, "2025-02-01T06:00:00-06:00"), Preferences: []string{"C"}},
	}
	text := "a|1|2025-02-01T12:00:00Z|C\nb|2|2025-02-01T12:00:00Z|A,B\n"
	sum := sha256.Sum256([]byte(text))
	if got, want := draw.RequestsRoot(reqs), hex.EncodeToString(sum[:]); got != want {
		t.Errorf("RequestsRoot: got %s, want %s (of %q)", got, want, text)
	}
}
