package audit

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/senda-platform/senda/internal/store"
	"github.com/senda-platform/senda/internal/storetest"
)

// fill writes n chained entries straight into the table, many rows per
// statement and many statements per transaction, as fast as the engine takes
// them.
func fill(b *testing.B, db *store.DB, n int) {
	b.Helper()
	const rows, perTx = 100, 100_000
	var q strings.Builder
	q.WriteString(`INSERT INTO audit_log (` + columns + `) VALUES `)
	for r := range rows {
		if r > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(")
		for c := range 16 {
			if c > 0 {
				q.WriteString(", ")
			}
			fmt.Fprintf(&q, "$%d", r*16+c+1)
		}
		q.WriteString(")")
	}
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	prev := Genesis
	buf := make([]byte, 0, 1024)
	args := make([]any, 0, rows*16)
	var tx *sql.Tx
	var st *sql.Stmt
	for i := 0; i < n; i++ {
		if i%perTx == 0 {
			var err error
			if tx, err = db.Writer().BeginTx(ctx, nil); err != nil {
				b.Fatal(err)
			}
			if st, err = tx.PrepareContext(ctx, q.String()); err != nil {
				b.Fatal(err)
			}
		}
		e := sample(i)
		e.Seq, e.At, e.PrevHash = int64(i+1), at.Add(time.Duration(i)*time.Second), prev
		e.Hash = hashInto(buf[:0], &e)
		prev = e.Hash
		args = append(args, e.Seq, store.Micros(e.At), e.ActorID, e.ActorRole, e.ActorScope, e.OnBehalfOf, e.Action,
			e.RecordType, e.RecordID, e.Subject, string(appendStrings(buf[:0], e.Fields)), e.Reason, e.Remote, e.RequestID, e.PrevHash, e.Hash)
		if len(args) == cap(args) {
			if _, err := st.ExecContext(ctx, args...); err != nil {
				b.Fatal(err)
			}
			args = args[:0]
		}
		if (i+1)%perTx == 0 || i+1 == n {
			if len(args) > 0 {
				b.Fatalf("fill needs n to be a multiple of %d", rows)
			}
			st.Close()
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkVerify verifies a log of a million entries on SQLite.
func BenchmarkVerify(b *testing.B) {
	const n = 1_000_000
	db := storetest.New(b, store.SQLite)
	start := time.Now()
	fill(b, db, n)
	b.Logf("built %d entries in %s", n, time.Since(start).Round(time.Millisecond))
	b.ReportAllocs()
	for b.Loop() {
		res, err := Verify(ctx, db)
		if err != nil {
			b.Fatal(err)
		}
		if res.Broken != nil || res.Entries != n {
			b.Fatalf("got %+v, %v", res, res.Broken)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}

// BenchmarkAppend appends one entry per transaction, as a request does, on
// each engine.
func BenchmarkAppend(b *testing.B) {
	for _, e := range storetest.Engines {
		b.Run(string(e), func(b *testing.B) {
			db := storetest.New(b, e)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				err := db.Update(ctx, func(tx *store.Tx) error {
					_, err := Append(ctx, tx, sample(i))
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
		})
	}
}

// BenchmarkAppendParallel appends from many goroutines at once, one entry
// per transaction: the appenders take turns on the trail.
func BenchmarkAppendParallel(b *testing.B) {
	for _, e := range storetest.Engines {
		b.Run(string(e), func(b *testing.B) {
			db := storetest.New(b, e)
			b.SetParallelism(4)
			b.RunParallel(func(pb *testing.PB) {
				for i := 0; pb.Next(); i++ {
					err := db.Update(ctx, func(tx *store.Tx) error {
						_, err := Append(ctx, tx, sample(i))
						return err
					})
					if err != nil {
						b.Error(fmt.Errorf("append: %w", err))
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
		})
	}
}

// BenchmarkAppendInTransaction appends many entries in one transaction: the
// cost of Append itself, without a commit per entry.
func BenchmarkAppendInTransaction(b *testing.B) {
	for _, e := range storetest.Engines {
		b.Run(string(e), func(b *testing.B) {
			db := storetest.New(b, e)
			b.ReportAllocs()
			err := db.Update(ctx, func(tx *store.Tx) error {
				i := 0
				for b.Loop() {
					if _, err := Append(ctx, tx, sample(i)); err != nil {
						return err
					}
					i++
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
		})
	}
}
