package audit

import (
	"testing"

	"github.com/senda-platform/senda/internal/store"
	"github.com/senda-platform/senda/internal/storetest"
)

func BenchmarkZZVerify200k(b *testing.B) {
	db := storetest.New(b, store.SQLite)
	fill(b, db, 200_000)
	for b.Loop() {
		if _, err := Verify(ctx, db); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(200000*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}
