package statsvc

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/senda-platform/senda/internal/store"
	"github.com/senda-platform/senda/internal/storetest"
	"github.com/senda-platform/senda/stats"
)

const usbpFile = "usbp-encounters-monthly-fy2000-fy2025m11.xlsx"

// BenchmarkImport stores the OHSS workbook (14,889 cells) as a first
// version on each engine: parse excluded, one transaction with the rows,
// the version and its changed cells, then the engine rebuilt.
func BenchmarkImport(b *testing.B) {
	ds, err := stats.ParseFile(sharedPath(usbpFile))
	if err != nil {
		b.Fatal(err)
	}
	for _, e := range storetest.Engines {
		b.Run(string(e), func(b *testing.B) {
			ctx := context.Background()
			var total time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				db := storetest.New(b, e)
				s := New(db)
				b.StartTimer()
				start := time.Now()
				if _, err := s.Import(ctx, ds, "bench"); err != nil {
					b.Fatal(err)
				}
				total += time.Since(start)
			}
			b.ReportMetric(float64(len(ds.Rows))*float64(b.N)/total.Seconds(), "cells/s")
		})
	}
}

// BenchmarkQuery runs a dashboard query (every month of the workbook, with
// month-over-month and record comparisons) through the service: the
// per-query check of the stored versions plus the in-memory engine.
func BenchmarkQuery(b *testing.B) {
	ds, err := stats.ParseFile(sharedPath(usbpFile))
	if err != nil {
		b.Fatal(err)
	}
	for _, e := range storetest.Engines {
		b.Run(string(e), func(b *testing.B) {
			ctx := context.Background()
			s := New(storetest.New(b, e))
			if _, err := s.Import(ctx, ds, "bench"); err != nil {
				b.Fatal(err)
			}
			args := stats.QueryArgs{Dataset: stats.KeyUSBPMonthly, By: []string{"month"}, Compare: []string{"mom", "record"}}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, res, err := s.Query(ctx, args); err != nil || len(res.Rows) != 302 {
					b.Fatalf("got %d rows, %v", len(res.Rows), err)
				}
			}
		})
	}
}

// BenchmarkRebuild measures what a node pays when another node imported: the
// dataset's rows read from the store and its table rebuilt.
func BenchmarkRebuild(b *testing.B) {
	ds, err := stats.ParseFile(sharedPath(usbpFile))
	if err != nil {
		b.Fatal(err)
	}
	for _, e := range storetest.Engines {
		b.Run(string(e), func(b *testing.B) {
			ctx := context.Background()
			db := storetest.New(b, e)
			if _, err := New(db).Import(ctx, ds, "bench"); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				s := New(db)
				if _, err := s.Encounters(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(ds.Rows)), "cells")
		})
	}
}

// BenchmarkOperations builds the operations dataset from 20,000 households
// over a year and ten offices and queries it by month and metric.
func BenchmarkOperations(b *testing.B) {
	ctx := context.Background()
	db := storetest.New(b, store.SQLite)
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	nats := []string{"HT", "VE", "CU", "NI", "CO", "EC", "HN", "GT"}
	const n = 20000
	err := db.Update(ctx, func(tx *store.Tx) error {
		for i := 0; i < n; i++ {
			tx.Now = start.Add(time.Duration(i) * (365 * 24 * time.Hour / n))
			h := store.HouseholdRow{ID: fmt.Sprintf("h%06d", i), Receipt: fmt.Sprintf("R%06d", i), Place: fmt.Sprintf("GT/SMO-%03d", i%10),
				CreatedBy: "bench", Status: "submitted", Size: 1 + i%5, Nationality: nats[i%len(nats)], Data: []byte("sealed")}
			if err := tx.InsertHousehold(ctx, h); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	s := New(db)
	s.OpsMaxAge = time.Nanosecond // rebuild every time
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, res, err := s.QueryOperations(ctx, stats.QueryArgs{By: []string{"month", "metric"}}, "*")
		if err != nil || len(res.Rows) != 24 {
			b.Fatalf("got %d rows, %v", len(res.Rows), err)
		}
	}
	b.ReportMetric(n, "households")
}
