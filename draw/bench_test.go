package draw_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/senda-platform/senda/draw"
)

// benchDay builds a large day: 8 locations with 20 slots of 9 persons
// each (1,440 persons), and n requests of 1 to 6 persons with one to three
// preferences, registered over four months.
func benchDay(n int) ([]draw.Slot, []draw.Request) {
	rng := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2025, 3, 1, 14, 0, 0, 0, time.UTC)
	var slots []draw.Slot
	for _, loc := range codes {
		for h := range 20 {
			slots = append(slots, draw.Slot{Location: loc, Start: base.Add(time.Duration(h) * 20 * time.Minute), Capacity: 9})
		}
	}
	sizes := []int{1, 1, 1, 1, 1, 1, 2, 2, 3, 3, 4, 5, 6}
	reqs := make([]draw.Request, n)
	for i := range reqs {
		perm := rng.Perm(len(codes))
		prefs := make([]string, 1+rng.IntN(3))
		for j := range prefs {
			prefs[j] = codes[perm[j]]
		}
		reqs[i] = draw.Request{
			ID: fmt.Sprintf("%08x-%04x-%04x-%04x-%012x",
				rng.Uint32(), rng.Uint32()&0xffff, rng.Uint32()&0xffff, rng.Uint32()&0xffff, rng.Uint64()&0xffffffffffff),
			Size:         sizes[rng.IntN(len(sizes))],
			RegisteredAt: base.Add(-time.Duration(rng.IntN(120*24*3600)) * time.Second),
			Preferences:  prefs,
		}
	}
	return slots, reqs
}

// calibrate does the least any draw must do: scan the requests, compute
// one HMAC per request and sort the HMACs. It returns the time of each
// part.
func calibrate(reqs []draw.Request, key []byte) (scan, macs, sorting time.Duration) {
	t0 := time.Now()
	persons := 0
	for i := range reqs {
		persons += reqs[i].Size + len(reqs[i].Preferences) + len(reqs[i].ID)
	}
	t1 := time.Now()
	keys := make([][sha256.Size]byte, len(reqs))
	mac := hmac.New(sha256.New, key)
	var id []byte
	for i := range reqs {
		id = append(id[:0], reqs[i].ID...)
		mac.Reset()
		mac.Write(id)
		mac.Sum(keys[i][:0])
	}
	t2 := time.Now()
	slices.SortFunc(keys, func(a, b [sha256.Size]byte) int { return bytes.Compare(a[:], b[:]) })
	t3 := time.Now()
	if persons < 0 {
		panic("unreachable")
	}
	return t1.Sub(t0), t2.Sub(t1), t3.Sub(t2)
}

// BenchmarkDraw1M allocates a day of 1,000,000 requests. Next to ns/op it
// reports the calibration (scan + 1M HMACs + sorting 1M keys) measured in
// the same run, interleaved with the draw, and the ratio draw/calibration.
func BenchmarkDraw1M(b *testing.B) {
	slots, reqs := benchDay(1_000_000)
	key := draw.LotteryKey(make([]byte, 32), make([]byte, 32), nil)
	var scan, macs, sorting, drawTime time.Duration
	placed := 0
	for b.Loop() {
		t0 := time.Now()
		out := draw.Allocate(slots, reqs, key, draw.DefaultPriorityShareBP)
		drawTime += time.Since(t0)
		placed = len(out)
		b.StopTimer()
		s, m, o := calibrate(reqs, key)
		scan, macs, sorting = scan+s, macs+m, sorting+o
		b.StartTimer()
	}
	n := float64(b.N)
	calib := float64(scan+macs+sorting) / n
	b.ReportMetric(calib, "calib-ns/op")
	b.ReportMetric(float64(scan)/n, "calib-scan-ns/op")
	b.ReportMetric(float64(macs)/n, "calib-hmac-ns/op")
	b.ReportMetric(float64(sorting)/n, "calib-sort-ns/op")
	b.ReportMetric(float64(drawTime)/n/calib, "ratio")
	b.ReportMetric(float64(placed), "allocations")
}

// BenchmarkAllocateSmall is a typical small day: 20,000 requests.
func BenchmarkAllocateSmall(b *testing.B) {
	slots, reqs := benchDay(20_000)
	key := draw.LotteryKey(make([]byte, 32), make([]byte, 32), nil)
	for b.Loop() {
		draw.Allocate(slots, reqs, key, draw.DefaultPriorityShareBP)
	}
}
