package policy_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/senda-platform/senda/internal/peakheap"
	"github.com/senda-platform/senda/policy"
	"github.com/senda-platform/senda/profile"
)

// The speed target: screening 1,000,000 profiles against every shipped
// programme takes at most 3 x (evaluating one compiled rule 12,000,000
// times + decoding 1,000,000 profiles from JSON). The three benchmarks
// below measure each side with the same number of goroutines
// (GOMAXPROCS). Run them with
//
//	go test ./policy -run '^$' -bench '1M$|12M$' -benchtime 1x
//
// Profiles come from a pool of benchPool distinct random profiles, used in
// turn; nothing is cached per profile, so each is screened from scratch.

const (
	benchProfiles = 1_000_000
	benchPool     = 100_000
)

var (
	benchOnce sync.Once
	benchGen  []profile.Profile
	benchJSON [][]byte
)

func benchData(b *testing.B) ([]profile.Profile, [][]byte) {
	b.Helper()
	benchOnce.Do(func() {
		r := rand.New(rand.NewPCG(7, 11))
		pick := picker(func(n int) int { return r.IntN(n) })
		benchGen = make([]profile.Profile, benchPool)
		benchJSON = make([][]byte, benchPool)
		for i := range benchGen {
			benchGen[i] = genProfile(pick, fmt.Sprintf("p%07d", i))
			line, err := json.Marshal(benchGen[i])
			if err != nil {
				panic(err)
			}
			benchJSON[i] = line
		}
	})
	return benchGen, benchJSON
}

// parallel runs work(from, to) over [0, n) split among GOMAXPROCS
// goroutines and reports throughput and memory.
func parallel(b *testing.B, n int, unit string, work func(from, to int)) {
	b.Helper()
	workers := runtime.GOMAXPROCS(0)
	peak := peakheap.Track()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				work(n*w/workers, n*(w+1)/workers)
			}()
		}
		wg.Wait()
	}
	elapsed := time.Since(start)
	b.StopTimer()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	total := float64(n) * float64(b.N)
	b.ReportMetric(total/elapsed.Seconds(), unit+"/s")
	b.ReportMetric(float64(elapsed.Nanoseconds())/total, "ns/"+unit)
	b.ReportMetric(elapsed.Seconds()/float64(b.N), "s/run")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/total, "B-alloc/"+unit)
	b.ReportMetric(float64(peak())/(1<<20), "MiB-peak-heap-inuse")
}

// BenchmarkScreen1M screens 1,000,000 profiles against the 12 shipped
// programmes (12,000,000 programme results, every criterion explained).
func BenchmarkScreen1M(b *testing.B) {
	pack := shippedPack(b)
	gen, _ := benchData(b)
	asOf := day("2024-01-01")
	households := make([]profile.Household, len(gen))
	for i := range gen {
		households[i] = household(gen[i])
	}
	var results atomic.Int64
	parallel(b, benchProfiles, "profiles", func(from, to int) {
		sc := pack.NewScreener(asOf, "en")
		n := 0
		for i := from; i < to; i++ {
			k := i % len(gen)
			n += len(sc.Screen(&gen[k].Person, &households[k]))
		}
		results.Add(int64(n))
	})
	if got := results.Load(); got != int64(b.N)*benchProfiles*12 {
		b.Fatalf("got %d results, want %d", got, int64(b.N)*benchProfiles*12)
	}
}

// BenchmarkOneRule12M evaluates one compiled rule (the nationality
// criterion of chnv_parole, which reads the role, nationality, birth date,
// marriage and household) 12,000,000 times: 12 times for each of
// 1,000,000 profiles, as a programme would be for each of 12 programmes.
func BenchmarkOneRule12M(b *testing.B) {
	pack := shippedPack(b)
	gen, _ := benchData(b)
	asOf := day("2024-01-01")
	households := make([]profile.Household, len(gen))
	for i := range gen {
		households[i] = household(gen[i])
	}
	var passed atomic.Int64
	parallel(b, benchProfiles, "profiles", func(from, to int) {
		load, eval := policy.OneRule(pack, "chnv_parole", "nationality", asOf)
		n := 0
		for i := from; i < to; i++ {
			k := i % len(gen)
			load(&gen[k].Person, &households[k])
			for range 12 {
				if eval() {
					n++
				}
			}
		}
		passed.Add(int64(n))
	})
	b.ReportMetric(float64(passed.Load())/float64(b.N)/12e6, "pass-ratio")
}

// BenchmarkScan1M decodes 1,000,000 profiles from JSON lines with the
// strict decoder of ScreenJSONL.
func BenchmarkScan1M(b *testing.B) {
	_, lines := benchData(b)
	var bytes atomic.Int64
	parallel(b, benchProfiles, "profiles", func(from, to int) {
		n := 0
		for i := from; i < to; i++ {
			line := lines[i%len(lines)]
			if _, err := policy.DecodeLine(line); err != nil {
				panic(err)
			}
			n += len(line)
		}
		bytes.Add(int64(n))
	})
	b.ReportMetric(float64(bytes.Load())/float64(b.N)/benchProfiles, "B/profile")
}
