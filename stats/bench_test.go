package stats

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

// The benchmarks aggregate 10,000,000 synthetic encounter rows (January
// 2000 to December 2025, nine dimensions) by three dimensions (citizenship,
// component, demographic) over the ten years 2015-01..2024-12, and compare
// the engine with a bare scan and with SQLite's GROUP BY on the same rows.
// The data is built once per benchmark binary, only when a benchmark runs
// (the SQLite copy only for BenchmarkSQLiteGroupBy: loading it takes
// minutes, and one GROUP BY some twenty seconds).
//
//	go test ./stats -run '^$' -bench 'BareScan|Aggregate' -benchtime 20x
//	go test ./stats -run '^$' -bench SQLite -timeout 30m
const benchRows = 10_000_000

var (
	benchOnce  sync.Once
	benchTable *Table
	benchDims  = [][]string{
		nil, // month
		nil, // fiscal year
		{ComponentOFO, ComponentUSBP},
		{RegionSouthwest, "Northern Land Border", "Other"},
		nil, // aor
		{"Accompanied Minors", "FMUA", "Single Adults", "UAC"},
		nil, // citizenship
		{"Title 42", "Title 8"},
		{"Apprehensions", "Expulsions", "Inadmissibles"},
	}
	benchFrom = MonthOf(2015, time.January)
	benchTo   = MonthOf(2024, time.December)
)

// benchRow returns the i-th synthetic row, the same on every call.
func benchRow(rng *rand.Rand, vals []string) int64 {
	m := MonthOf(2000, time.January) + Month(rng.IntN(26*12))
	vals[0], vals[1] = m.String(), strconv.Itoa(m.FiscalYear())
	for d, opts := range benchDims {
		if opts != nil {
			vals[d] = opts[rng.IntN(len(opts))]
		}
	}
	vals[4] = "AOR " + strconv.Itoa(rng.IntN(25))
	vals[6] = benchCitizenship[1+rng.IntN(40)]
	return int64(1 + rng.IntN(2000))
}

var benchCitizenship = func() []string {
	var out []string
	for _, c := range citizenships {
		out = append(out, c.labels[0])
	}
	return out
}()

func benchData(b *testing.B) *Table {
	benchOnce.Do(func() {
		start := time.Now()
		bl := NewBuilder(encounterSchema)
		bl.Grow(benchRows)
		rng := rand.New(rand.NewPCG(1, 2))
		vals := make([]string, len(encounterSchema.Dimensions))
		for i := 0; i < benchRows; i++ {
			n := benchRow(rng, vals)
			if err := bl.Add(vals, n); err != nil {
				panic(err)
			}
		}
		benchTable = bl.Build()
		b.Logf("built %d rows in %v", benchRows, time.Since(start))
	})
	return benchTable
}

func benchQuery() Query {
	return Query{By: []string{DimCitizenship, DimComponent, DimDemographic}, From: benchFrom, To: benchTo}
}

// bareScan sums the counts of all rows into a dense array by the
// citizenship code column: the floor for any aggregation.
func bareScan(t *Table) []int64 {
	col := t.cols[encounterSchema.Index(DimCitizenship)]
	acc := make([]int64, len(col.values))
	codes := col.codes[:len(t.counts)]
	for i, n := range t.counts {
		acc[codes[i]] += n
	}
	return acc
}

// minTime runs fn n times and returns the fastest run.
func minTime(n int, fn func()) time.Duration {
	best := time.Duration(1<<63 - 1)
	for i := 0; i < n; i++ {
		s := time.Now()
		fn()
		best = min(best, time.Since(s))
	}
	return best
}

func benchEngine(b *testing.B) *Engine {
	e := NewEngine()
	e.LoadTable(KeySWLandBorder, benchData(b))
	return e
}

func BenchmarkBareScan(b *testing.B) {
	t := benchData(b)
	b.ResetTimer()
	for b.Loop() {
		bareScan(t)
	}
	b.ReportMetric(float64(benchRows)/(float64(b.Elapsed().Nanoseconds())/float64(b.N))*1e3, "Mrows/s")
}

// BenchmarkAggregate3Dims reports the engine's time and its ratio to a bare
// scan timed in the same run (x_bare_scan; the target is at most 3).
func BenchmarkAggregate3Dims(b *testing.B) {
	benchAggregate(b, benchQuery())
}

// BenchmarkAggregate3DimsAllYears is the same query over every month.
func BenchmarkAggregate3DimsAllYears(b *testing.B) {
	q := benchQuery()
	q.From, q.To = 0, 0
	benchAggregate(b, q)
}

func benchAggregate(b *testing.B, q Query) {
	e := benchEngine(b)
	t := benchData(b)
	lo, hi := t.rowRange(q.From, q.To)
	b.ResetTimer()
	for b.Loop() {
		if _, err := e.Query(q); err != nil {
			b.Fatal(err)
		}
	}
	op := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	bare := minTime(5, func() { bareScan(t) })
	b.ReportMetric(op/float64(bare.Nanoseconds()), "x_bare_scan")
	b.ReportMetric(float64(bare.Nanoseconds()), "bare_scan_ns")
	b.ReportMetric(float64(hi-lo)/float64(benchRows), "rows_in_range")
}

var (
	sqliteOnce sync.Once
	sqliteDB   *sql.DB
	sqliteErr  error
)

// benchSQLite loads the same 10M rows into an in-memory SQLite database,
// in one transaction with a prepared statement.
func benchSQLite(b *testing.B) *sql.DB {
	sqliteOnce.Do(func() {
		start := time.Now()
		db, err := sql.Open("sqlite", ":memory:")
		if err != nil {
			sqliteErr = err
			return
		}
		db.SetMaxOpenConns(1) // one connection: one in-memory database
		if _, err := db.Exec(`CREATE TABLE encounters (month TEXT, fiscal_year INTEGER, component TEXT, region TEXT,
			aor TEXT, demographic TEXT, citizenship TEXT, title TEXT, encounter_type TEXT, encounters INTEGER)`); err != nil {
			sqliteErr = err
			return
		}
		tx, err := db.Begin()
		if err != nil {
			sqliteErr = err
			return
		}
		st, err := tx.Prepare(`INSERT INTO encounters VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`)
		if err != nil {
			sqliteErr = err
			return
		}
		rng := rand.New(rand.NewPCG(1, 2))
		vals := make([]string, len(encounterSchema.Dimensions))
		for i := 0; i < benchRows; i++ {
			n := benchRow(rng, vals)
			fy, _ := strconv.Atoi(vals[1])
			if _, err := st.Exec(vals[0], fy, vals[2], vals[3], vals[4], vals[5], vals[6], vals[7], vals[8], n); err != nil {
				sqliteErr = err
				return
			}
		}
		st.Close()
		if sqliteErr = tx.Commit(); sqliteErr != nil {
			return
		}
		sqliteDB = db
		b.Logf("loaded %d rows into SQLite in %v", benchRows, time.Since(start))
	})
	if sqliteErr != nil {
		b.Fatal(sqliteErr)
	}
	return sqliteDB
}

const sqliteGroupBy = `SELECT citizenship, component, demographic, SUM(encounters) FROM encounters
	WHERE month BETWEEN $1 AND $2 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`

func sqliteQuery(b *testing.B, db *sql.DB) [][]string {
	rows, err := db.Query(sqliteGroupBy, benchFrom.String(), benchTo.String())
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		var c, comp, d string
		var n int64
		if err := rows.Scan(&c, &comp, &d, &n); err != nil {
			b.Fatal(err)
		}
		out = append(out, []string{c, comp, d, strconv.FormatInt(n, 10)})
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	return out
}

// BenchmarkSQLiteGroupBy times SQLite's GROUP BY on the same rows and
// reports how many times slower it is than the engine timed in the same run
// (x_engine; the target is at least 100). It also checks both agree.
func BenchmarkSQLiteGroupBy(b *testing.B) {
	e := benchEngine(b)
	db := benchSQLite(b)
	b.ResetTimer()
	var got [][]string
	for b.Loop() {
		got = sqliteQuery(b, db)
	}
	op := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.StopTimer()
	var res Result
	eng := minTime(5, func() {
		var err error
		if res, err = e.Query(benchQuery()); err != nil {
			b.Fatal(err)
		}
	})
	var want [][]string
	for _, r := range res.Rows {
		want = append(want, append(slices.Clone(r.Values), strconv.FormatInt(r.Count, 10)))
	}
	if !slices.EqualFunc(got, want, slices.Equal) {
		b.Fatalf("SQLite and the engine disagree: %d and %d rows; first %v vs %v", len(got), len(want), first(got), first(want))
	}
	b.ReportMetric(op/float64(eng.Nanoseconds()), "x_engine")
	b.ReportMetric(float64(eng.Nanoseconds()), "engine_ns")
}

func first(r [][]string) string {
	if len(r) == 0 {
		return "none"
	}
	return fmt.Sprint(r[0])
}
