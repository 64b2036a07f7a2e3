package draw

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"math/bits"
	"slices"
	"strings"
)

// Budget returns the priority budget in persons: the total capacity C of
// the slots times priorityShareBP / 10000, rounded down. Negative
// capacities count as zero and the share is clamped to 0..10000.
func Budget(slots []Slot, priorityShareBP int) int64 {
	var c int64
	for _, s := range slots {
		c += int64(max(s.Capacity, 0))
	}
	bp := int64(min(max(priorityShareBP, 0), 10000))
	return c/10000*bp + c%10000*bp/10000 // c*bp/10000 without overflow
}

// Allocate runs the two phases of the draw on validated inputs (see
// Decode and Run) and returns the allocations in placement order: the
// priority phase first, then the lottery. key is the lottery key
// (LotteryKey). Times are compared as instants.
//
// It selects requests in order lazily instead of sorting them all: it takes
// the next batch of the smallest keys with a selection, sorts only that
// batch, and between batches drops the requests that can no longer be
// placed, stopping once capacity (or the priority budget) is used up.
// Allocate does not validate its input: requests of size below 1 are never
// placed, and requests with equal ids are ordered by their position.
func Allocate(slots []Slot, reqs []Request, key []byte, priorityShareBP int) []Allocation {
	a := newAllocator(slots, reqs)
	budget := Budget(slots, priorityShareBP)
	if budget > 0 {
		a.priority(budget)
	}
	a.lottery(key)
	return a.out
}

type allocator struct {
	slots    []Slot
	reqs     []Request
	locSlots [][]int32 // per location: its slots by start, then position
	rem      []int64   // per slot: remaining capacity
	maxRem   []int64   // per location: the largest remaining capacity of its slots
	totalRem int64
	prefAt   []uint32 // request i prefers locations prefs[prefAt[i]:prefAt[i+1]]
	prefs    []int32
	placed   []bool
	items    []item // the current phase's requests, in no order
	out      []Allocation
}

func newAllocator(slots []Slot, reqs []Request) *allocator {
	a := &allocator{slots: slots, reqs: reqs, rem: make([]int64, len(slots)), out: []Allocation{}}
	locs := make(map[string]int32)
	for j, s := range slots {
		l, ok := locs[s.Location]
		if !ok {
			l = int32(len(a.locSlots))
			locs[s.Location] = l
			a.locSlots = append(a.locSlots, nil)
		}
		a.locSlots[l] = append(a.locSlots[l], int32(j))
		a.rem[j] = int64(max(s.Capacity, 0))
		a.totalRem += a.rem[j]
	}
	a.maxRem = make([]int64, len(a.locSlots))
	for l, js := range a.locSlots {
		slices.SortStableFunc(js, func(x, y int32) int { return slots[x].Start.Compare(slots[y].Start) })
		a.updateMax(int32(l))
	}
	a.prefAt = make([]uint32, len(reqs)+1)
	a.prefs = make([]int32, 0, len(reqs)*2)
	// Most requests name the same few codes: a small direct-mapped cache
	// in front of the map.
	var cacheCode [64]string
	var cacheLoc [64]int32
	for i := range reqs {
		for _, code := range reqs[i].Preferences {
			if code == "" {
				continue
			}
			h := (int(code[0])*31 + int(code[len(code)-1])*7 + len(code)) & 63
			if cacheCode[h] == code {
				a.prefs = append(a.prefs, cacheLoc[h])
				continue
			}
			if l, ok := locs[code]; ok {
				a.prefs = append(a.prefs, l)
				cacheCode[h], cacheLoc[h] = code, l
			}
		}
		a.prefAt[i+1] = uint32(len(a.prefs))
	}
	a.placed = make([]bool, len(reqs))
	a.items = make([]item, 0, len(reqs))
	return a
}

func (a *allocator) updateMax(l int32) {
	var m int64
	for _, j := range a.locSlots[l] {
		m = max(m, a.rem[j])
	}
	a.maxRem[l] = m
}

// fits reports whether request i could be placed now if its size is at
// most limit.
func (a *allocator) fits(i uint32, limit int64) bool {
	size := int64(a.reqs[i].Size)
	if size < 1 || size > limit || size > a.totalRem {
		return false
	}
	for _, l := range a.prefs[a.prefAt[i]:a.prefAt[i+1]] {
		if a.maxRem[l] >= size {
			return true
		}
	}
	return false
}

// place puts request i in the earliest slot with room of its first
// preferred location that has one.
func (a *allocator) place(i uint32, phase Phase) bool {
	size := int64(a.reqs[i].Size)
	if size < 1 {
		return false
	}
	for _, l := range a.prefs[a.prefAt[i]:a.prefAt[i+1]] {
		if a.maxRem[l] < size {
			continue
		}
		for _, j := range a.locSlots[l] {
			if a.rem[j] < size {
				continue
			}
			top := a.rem[j] == a.maxRem[l]
			a.rem[j] -= size
			a.totalRem -= size
			if top {
				a.updateMax(l)
			}
			a.placed[i] = true
			a.out = append(a.out, Allocation{
				Request:  a.reqs[i].ID,
				Location: a.slots[j].Location,
				Start:    a.slots[j].Start,
				Phase:    phase,
			})
			return true
		}
	}
	return false
}

// item is a request in a phase's order: k is the leading part of its sort
// key, i the request (or its position in a side table).
type item struct {
	k uint64
	i uint32
}

func (a *allocator) priority(budget int64) {
	a.items = a.items[:0]
	for i := range a.reqs {
		if a.fits(uint32(i), budget) {
			a.items = append(a.items, item{k: uint64(a.reqs[i].RegisteredAt.Unix()) ^ 1<<63, i: uint32(i)})
		}
	}
	cmp := func(x, y item) int {
		if x.k != y.k {
			if x.k < y.k {
				return -1
			}
			return 1
		}
		if c := strings.Compare(a.reqs[x.i].ID, a.reqs[y.i].ID); c != 0 {
			return c
		}
		return int(x.i) - int(y.i)
	}
	used := int64(0)
	visitInOrder(a.items, cmp, batchSize(budget),
		func(it item) bool {
			size := int64(a.reqs[it.i].Size)
			if used+size <= budget && a.place(it.i, PhasePriority) {
				used += size
			}
			return used == budget || a.totalRem == 0
		},
		func(it item) bool { return a.fits(it.i, budget-used) })
}

// lottery places the remaining requests in the order of HMAC(key, id). An
// item keeps the first 8 bytes of the HMAC; the full HMACs are computed
// again only to break the rare ties on those.
func (a *allocator) lottery(key []byte) {
	if a.totalRem == 0 {
		return
	}
	mac := hmac.New(sha256.New, key)
	var id []byte
	var sum [sha256.Size]byte
	a.items = a.items[:0]
	for i := range a.reqs {
		if a.placed[i] || !a.fits(uint32(i), a.totalRem) {
			continue
		}
		id = append(id[:0], a.reqs[i].ID...)
		mac.Reset()
		mac.Write(id)
		mac.Sum(sum[:0])
		a.items = append(a.items, item{k: lotteryPrefix(sum[:]), i: uint32(i)})
	}
	full := func(i uint32) []byte {
		mac.Reset()
		mac.Write([]byte(a.reqs[i].ID))
		return mac.Sum(nil)
	}
	cmp := func(x, y item) int {
		if x.k != y.k {
			if x.k < y.k {
				return -1
			}
			return 1
		}
		if c := bytes.Compare(full(x.i), full(y.i)); c != 0 {
			return c
		}
		if c := strings.Compare(a.reqs[x.i].ID, a.reqs[y.i].ID); c != 0 {
			return c
		}
		return int(x.i) - int(y.i)
	}
	visitInOrder(a.items, cmp, batchSize(a.totalRem),
		func(it item) bool {
			a.place(it.i, PhaseLottery)
			return a.totalRem == 0
		},
		func(it item) bool { return a.fits(it.i, a.totalRem) })
}

// lotteryPrefix returns the leading 8 bytes of an HMAC as a number that
// orders like them. It is a variable so that tests can force ties.
var lotteryPrefix = prefix64

func prefix64(sum []byte) uint64 { return binary.BigEndian.Uint64(sum) }

// batchSize is the first batch for a phase that can place at most persons
// persons: enough that one batch usually finishes the phase.
func batchSize(persons int64) int {
	return int(min(2*persons+256, 1<<30))
}

// visitInOrder calls visit on items in ascending cmp order until it returns
// true. It sorts only batches of the smallest remaining items (k, then 4k,
// ...) and, between batches, drops the items for which keep is false.
// keep must stay false for an item once false.
func visitInOrder(items []item, cmp func(x, y item) int, k int, visit func(item) bool, keep func(item) bool) {
	rest := items
	for len(rest) > 0 {
		if k >= len(rest) {
			k = len(rest)
		} else {
			selectSmallest(rest, k, cmp)
		}
		batch := rest[:k]
		slices.SortFunc(batch, cmp)
		for _, it := range batch {
			if visit(it) {
				return
			}
		}
		rest = rest[k:]
		w := 0
		for _, it := range rest {
			if keep(it) {
				rest[w] = it
				w++
			}
		}
		rest = rest[:w]
		k = min(4*k, 1<<30)
	}
}

// selectSmallest reorders a so that a[:k] holds its k smallest items in
// some order (0 < k < len(a)). It is a quickselect with a median-of-three
// pivot that falls back to sorting after too many rounds.
func selectSmallest(a []item, k int, cmp func(x, y item) int) {
	lo, hi := 0, len(a) // the k-th smallest is in a[lo:hi]
	rounds := 2*bits.Len(uint(len(a))) + 8
	for hi-lo > 12 {
		if rounds == 0 {
			slices.SortFunc(a[lo:hi], cmp)
			return
		}
		rounds--
		m := lo + (hi-lo)/2
		// Median of three into a[lo]; it is the pivot.
		if cmp(a[m], a[lo]) < 0 {
			a[m], a[lo] = a[lo], a[m]
		}
		if cmp(a[hi-1], a[m]) < 0 {
			a[hi-1], a[m] = a[m], a[hi-1]
			if cmp(a[m], a[lo]) < 0 {
				a[m], a[lo] = a[lo], a[m]
			}
		}
		a[lo], a[m] = a[m], a[lo]
		p := a[lo]
		// Hoare partition of a[lo+1:hi] around p: items are distinct.
		i, j := lo+1, hi-1
		for {
			for i <= j && cmp(a[i], p) < 0 {
				i++
			}
			for i <= j && cmp(a[j], p) > 0 {
				j--
			}
			if i >= j {
				break
			}
			a[i], a[j] = a[j], a[i]
			i++
			j--
		}
		// a[lo+1:i] < p, a[i:hi] > p; put p at i-1.
		a[lo], a[i-1] = a[i-1], a[lo]
		switch pos := i - 1; {
		case k <= pos:
			hi = pos
		case k == pos+1:
			return
		default:
			lo = pos + 1
		}
	}
	slices.SortFunc(a[lo:hi], cmp)
}
