package audit

import (
	"fmt"
	"testing"
	"time"

	"github.com/senda-platform/senda/internal/store"
	"github.com/senda-platform/senda/internal/storetest"
)

// fill writes n chained entries straight into the table, in large
// transactions, as fast as the engine takes them.
func fill(b *testing.B, db *store.DB, n int) {
	b.Helper()
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	prev := Genesis
	buf := make([]byte, 0, 1024)
	const batch = 50_000
	for start := 0; start < n; start += batch {
		tx, err := db.Writer().BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		st, err := tx.PrepareContext(ctx, `INSERT INTO audit_log (`+columns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`)
		if err != nil {
			b.Fatal(err)
		}
		for i := start; i < min(start+batch, n); i++ {
			e := sample(i)
			e.Seq, e.At, e.PrevHash = int64(i+1), at.Add(time.Duration(i)*time.Second), prev
			e.Hash = hashInto(buf[:0], &e)
			prev = e.Hash
			if _, err := st.ExecContext(ctx, e.Seq, store.Micros(e.At), e.ActorID, e.ActorRole, e.ActorScope, e.OnBehalfOf, e.Action,
				e.RecordType, e.RecordID, e.Subject, string(appendStrings(buf[:0], e.Fields)), e.Reason, e.Remote, e.RequestID, e.PrevHash, e.Hash); err != nil {
				b.Fatal(err)
			}
		}
		st.Close()
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
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
