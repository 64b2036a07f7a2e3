package eligibility

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/senda-platform/senda/household"
	"github.com/senda-platform/senda/internal/peakheap"
	"github.com/senda-platform/senda/internal/store"
	"github.com/senda-platform/senda/internal/storetest"
	"github.com/senda-platform/senda/policy"
	"github.com/senda-platform/senda/profile"
)

// The speed target of bulk screening: 1,000,000 profiles read from the
// store, screened against every shipped programme and their results
// written, in at most 10 s, and in at most 3 x (evaluating one compiled
// rule 12,000,000 times + decoding 1,000,000 profiles from JSON), both
// measured in the same run. Run it with
//
//	go test ./internal/eligibility -run '^$' -bench BulkScreen1M -benchtime 1x
//
// The store holds 400,000 households of one to four members (1,000,000
// profiles) whose screening profiles are current; the run checks that
// they are (the query a real run makes), reads them, screens each member
// for the twelve programmes and writes one sealed row of results per
// household, in batches. Member facts come from a pool of benchPool
// random profiles.

const benchPool = 20_000

// benchProfiles is 1,000,000, or SENDA_BENCH_PROFILES for a quicker look.
var benchProfiles = func() int {
	if n, err := strconv.Atoi(os.Getenv("SENDA_BENCH_PROFILES")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}()

func BenchmarkBulkScreen1M(b *testing.B) {
	for _, e := range storetest.Engines {
		b.Run(string(e), func(b *testing.B) { benchBulk(b, e) })
	}
}

func benchBulk(b *testing.B, e store.Dialect) {
	ctx := context.Background()
	db := storetest.New(b, e)
	s := newService(b, db, "2024-01-01")
	pool := benchPeople(b)
	households := fillStore(b, s, pool)
	if e == store.Postgres {
		// The steady state of a database, which autovacuum and the
		// checkpointer would reach on their own while the run is measured:
		// statistics gathered, visibility map and hint bits set, the loading
		// checkpointed.
		for _, q := range []string{`VACUUM (ANALYZE) households, screening_profiles`, `CHECKPOINT`} {
			if _, err := db.Writer().ExecContext(ctx, q); err != nil {
				b.Fatal(err)
			}
		}
	}
	pack, err := s.At(ctx, s.Today())
	if err != nil {
		b.Fatal(err)
	}
	rule, scan := benchBaselines(b, pack, pool)

	peak := peakheap.Track()
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	pg0 := pgCPU()
	start := time.Now()
	var run *Run
	for range b.N {
		run, err = s.RunAll(ctx, managerAll, time.Time{})
		if err != nil {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(start) / time.Duration(b.N)
	serverCPU := pgCPU() - pg0
	b.StopTimer()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if run.Profiles != benchProfiles || run.Households != households || run.Synced != 0 {
		b.Fatalf("run: %d profiles in %d households (%d synced), want %d in %d", run.Profiles, run.Households, run.Synced, benchProfiles, households)
	}
	b.ReportMetric(float64(benchProfiles)/elapsed.Seconds(), "profiles/s")
	b.ReportMetric(elapsed.Seconds(), "s/run")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N)/float64(benchProfiles), "B-alloc/profile")
	b.ReportMetric(float64(peak())/(1<<20), "MiB-peak-heap-inuse")
	b.ReportMetric(rule.Seconds(), "s-rule12M")
	b.ReportMetric(scan.Seconds(), "s-scan1M")
	b.ReportMetric(elapsed.Seconds()/(3*(rule+scan).Seconds()), "of-3x-target")
	b.ReportMetric(elapsed.Seconds()/(10*float64(benchProfiles)/1e6), "of-10s-target")
	if e == store.Postgres {
		b.ReportMetric(serverCPU.Seconds(), "server-cpu-s")
	}
}

// benchPeople draws the pool of member facts.
func benchPeople(b *testing.B) []profile.Person {
	b.Helper()
	gen := rapid.Custom(func(t *rapid.T) profile.Person {
		p := genProfile(t, "x")
		return p.Person
	})
	pool := make([]profile.Person, benchPool)
	for i := range pool {
		pool[i] = gen.Example(i)
		pool[i].ID, pool[i].Role = "", nil
	}
	return pool
}

// fillStore stores households of one to four members until they hold
// benchProfiles profiles, with their compact screening profiles current,
// and returns the number of households.
func fillStore(b *testing.B, s *Service, pool []profile.Person) int {
	b.Helper()
	ctx := context.Background()
	rels := []profile.Relationship{profile.RelPrincipal, profile.RelSpouse, profile.RelChild, profile.RelChild}
	const perTx = 5000
	made, k, n := 0, 0, 0
	for made < benchProfiles {
		var hrows [][]any
		var prows []store.ScreeningProfileRow
		for len(hrows) < perTx && made < benchProfiles {
			size := min(1+n%4, benchProfiles-made)
			h := household.Household{ID: store.NewID(), Place: "MX", Members: make([]household.Member, size)}
			for j := range h.Members {
				h.Members[j] = household.Member{ID: fmt.Sprintf("m%d-%d", n, j), Relationship: rels[j], BirthDate: "1990-05-17", Screening: pool[k%len(pool)]}
				k++
			}
			if n%3 == 0 {
				h.Address = &household.Address{Line1: "1 Main St", City: "Houston", State: "TX", ZIP: "77002"}
			}
			ps := h.Profiles()
			hrows = append(hrows, []any{h.ID, fmt.Sprintf("MXB%07d", n), "MX", "bench", "submitted", 1, size, "VE", []byte{0}, int64(1), int64(1)})
			prows = append(prows, store.ScreeningProfileRow{HouseholdID: h.ID, HouseholdVersion: 1, Status: "submitted", Place: "MX", Members: size,
				Format: ProfileFormat, Data: s.Keys.Seal(EncodeProfiles(nil, ps), store.ScreeningProfilePlace(h.ID))})
			made += size
			n++
		}
		err := s.DB.Update(ctx, func(tx *store.Tx) error {
			for start := 0; start < len(hrows); start += 500 {
				end := min(len(hrows), start+500)
				var q strings.Builder
				q.WriteString(`INSERT INTO households (id, receipt, place, created_by, status, version, size, nationality, data, created_at, updated_at) VALUES `)
				var args []any
				for i := start; i < end; i++ {
					if i > start {
						q.WriteString(", ")
					}
					q.WriteString("(")
					for c := range hrows[i] {
						if c > 0 {
							q.WriteString(", ")
						}
						fmt.Fprintf(&q, "$%d", len(args)+c+1)
					}
					q.WriteString(")")
					args = append(args, hrows[i]...)
				}
				if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
					return err
				}
			}
			return tx.PutScreeningProfiles(ctx, prows)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return n
}

// benchBaselines measures, with GOMAXPROCS goroutines, one compiled rule
// evaluated 12,000,000 times (12 times for each of 1,000,000 profiles:
// a programme of twelve copies of CHNV's nationality criterion, screened
// once per profile) and decoding 1,000,000 profiles from JSON lines.
func benchBaselines(b *testing.B, pack *policy.Pack, pool []profile.Person) (rule, scan time.Duration) {
	b.Helper()
	c := chnvNationality(b, pack)
	var yaml strings.Builder
	yaml.WriteString(benchPackHead)
	for i := range 12 {
		fmt.Fprintf(&yaml, "      - id: c%d\n        expr: %q\n%s", i, c.Expr, benchTexts)
	}
	one, err := policy.Parse("rule.yaml", []byte(yaml.String()))
	if err != nil {
		b.Fatal(describe(err))
	}
	hs := make([]profile.Household, len(pool))
	lines := make([][]byte, len(pool))
	for i := range pool {
		hs[i] = profile.Household{Members: []profile.Member{{Relationship: profile.Ptr(profile.RelPrincipal), Nationality: profile.Ptr("VE"), TravellingWith: profile.Ptr(true)}}}
		p := pool[i]
		p.ID = fmt.Sprintf("p%d", i)
		lines[i], err = json.Marshal(profile.Profile{Person: p, Household: &hs[i]})
		if err != nil {
			b.Fatal(err)
		}
	}
	asOf := day("2024-01-01")
	var evals atomic.Int64
	rule = parallel(func(from, to int) {
		sc := one.NewScreener(asOf, "en")
		n := 0
		for i := from; i < to; i++ {
			k := i % len(pool)
			n += len(sc.Screen(&pool[k], &hs[k])[0].Criteria) - 1
		}
		evals.Add(int64(n))
	})
	if evals.Load() != 12*int64(benchProfiles) {
		b.Fatalf("got %d evaluations, want %d", evals.Load(), 12*benchProfiles)
	}
	scan = parallel(func(from, to int) {
		for i := from; i < to; i++ {
			var p profile.Profile
			dec := json.NewDecoder(bytes.NewReader(lines[i%len(lines)]))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&p); err != nil {
				panic(err)
			}
		}
	})
	return rule, scan
}

func chnvNationality(b *testing.B, pack *policy.Pack) policy.Criterion {
	pr, _ := pack.Program("chnv_parole")
	for _, c := range pr.Criteria {
		if c.ID == "nationality" {
			return c
		}
	}
	b.Fatal("no chnv_parole.nationality")
	return policy.Criterion{}
}

const benchPackHead = `version: "rule"
effective_from: 2021-01-01
description: {en: one rule, es: una regla, ht: yon règ, pt: uma regra, fr: une règle}
texts:
  open_pass: {en: "open {from} {to}", es: "abierto {from} {to}", ht: "louvri {from} {to}", pt: "aberto {from} {to}", fr: "ouvert {from} {to}"}
  open_fail: {en: "closed {from} {to}", es: "cerrado {from} {to}", ht: "fèmen {from} {to}", pt: "fechado {from} {to}", fr: "fermé {from} {to}"}
  open_hint: {en: other, es: otra, ht: lòt, pt: outra, fr: autre}
  no_end_date: {en: none, es: ninguna, ht: okenn, pt: nenhuma, fr: aucune}
  needs_info: {en: "need {condition}", es: "falta {condition}", ht: "manke {condition}", pt: "falta {condition}", fr: "manque {condition}"}
  needs_fields: {en: "ask {fields}", es: "pregunte {fields}", ht: "mande {fields}", pt: "pergunte {fields}", fr: "demandez {fields}"}
  undecided: {en: "decide {condition}", es: "decida {condition}", ht: "deside {condition}", pt: "decida {condition}", fr: "décidez {condition}"}
programs:
  - id: rule
    name: {en: rule, es: regla, ht: règ, pt: regra, fr: règle}
    description: {en: rule, es: regla, ht: règ, pt: regra, fr: règle}
    handled_by: nobody
    effective_from: 2021-01-01
    sources:
      - {url: "https://example.org/", applied_from: 2021-01-01, confidence: U}
    criteria:
`

const benchTexts = `        pass: {en: yes, es: sí, ht: wi, pt: sim, fr: oui}
        fail: {en: no, es: "no", ht: non, pt: não, fr: non}
        hint: {en: ask, es: pregunte, ht: mande, pt: pergunte, fr: demandez}
`

// parallel runs work(from, to) over [0, benchProfiles) split among
// GOMAXPROCS goroutines and returns how long it took.
func parallel(work func(from, to int)) time.Duration {
	workers := runtime.GOMAXPROCS(0)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work(benchProfiles*w/workers, benchProfiles*(w+1)/workers)
		}()
	}
	wg.Wait()
	return time.Since(start)
}

// pgCPU is the processor time the PostgreSQL server processes of this
// machine have used so far (Linux; zero elsewhere).
func pgCPU() time.Duration {
	ents, _ := os.ReadDir("/proc")
	var t int64
	for _, e := range ents {
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil || !strings.Contains(string(b), "(postgres)") {
			continue
		}
		f := strings.Fields(string(b)[strings.LastIndex(string(b), ")")+2:])
		u, _ := strconv.ParseInt(f[11], 10, 64)
		s, _ := strconv.ParseInt(f[12], 10, 64)
		t += u + s
	}
	return time.Duration(t) * 10 * time.Millisecond
}
