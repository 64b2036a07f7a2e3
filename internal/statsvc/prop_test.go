package statsvc

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/senda-platform/senda/internal/store"
	"github.com/senda-platform/senda/internal/storetest"
	"github.com/senda-platform/senda/stats"
)

// release draws a release of a small dataset: some of six months, each with
// some cells of two components by three citizenships.
func release(t *rapid.T, key string) *stats.Dataset {
	ds := &stats.Dataset{Key: key, File: key + ".csv"}
	cits := []string{"Mexico", "Guatemala", "Other"}
	codes := map[string]string{"Mexico": "MX", "Guatemala": "GT", "Other": "Other"}
	for m := 1; m <= 6; m++ {
		if !rapid.Bool().Draw(t, fmt.Sprintf("month%d", m)) {
			continue
		}
		month := stats.MonthOf(2024, time.Month(m))
		for _, comp := range []string{stats.ComponentOFO, stats.ComponentUSBP} {
			for _, c := range cits {
				if rapid.IntRange(0, 3).Draw(t, "keep") == 0 {
					continue
				}
				ds.Rows = append(ds.Rows, stats.Row{Month: month, FiscalYear: month.FiscalYear(), Component: comp, Region: stats.RegionSouthwest,
					Citizenship: c, CitizenshipISO: codes[c], Title: "Title 8", EncounterType: "Apprehensions",
					Encounters: int64(rapid.IntRange(0, 40).Draw(t, "n"))})
			}
		}
	}
	if len(ds.Rows) == 0 {
		ds.Rows = append(ds.Rows, stats.Row{Month: stats.MonthOf(2024, time.March), FiscalYear: 2024, Component: stats.ComponentUSBP,
			Region: stats.RegionSouthwest, Citizenship: "Mexico", CitizenshipISO: "MX", Title: "Title 8", EncounterType: "Apprehensions", Encounters: 7})
	}
	// The same rows are the same file.
	h := sha256.New()
	for _, r := range ds.Rows {
		fmt.Fprintf(h, "%v|%s|%s|%d\n", r.Month, r.Component, r.Citizenship, r.Encounters)
	}
	ds.SHA256 = hex.EncodeToString(h.Sum(nil))
	return ds
}

// Any sequence of releases, some repeated, leaves the store holding exactly
// stats.Merge of the distinct releases in order; a repeated file changes
// nothing; every version's recorded changes are stats.Diff's.
func TestReleasesMergeProperty(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := New(db)
		n := 0
		rapid.Check(t, func(t *rapid.T) {
			n++
			key := fmt.Sprintf("prop-%d", n)
			var model []stats.Row
			seen := map[string]int{}
			var files []*stats.Dataset
			for i, count := 0, rapid.IntRange(1, 5).Draw(t, "releases"); i < count; i++ {
				var ds *stats.Dataset
				if len(files) > 0 && rapid.IntRange(0, 3).Draw(t, "repeat") == 0 {
					ds = files[rapid.IntRange(0, len(files)-1).Draw(t, "which")]
				} else {
					ds = release(t, key)
				}
				files = append(files, ds)
				got, err := s.Import(ctx, ds, "prop")
				if err != nil {
					t.Fatal(err)
				}
				if v, ok := seen[ds.SHA256]; ok {
					if !got.Unchanged || got.Version != v {
						t.Fatalf("repeated file: got %+v, want unchanged version %d", got, v)
					}
				} else {
					ch := stats.Diff(model, ds.Rows)
					if got.Unchanged || got.Version != len(seen)+1 || got.Added != len(ch.Added) || got.Removed != len(ch.Removed) || got.Changed != len(ch.Changed) {
						t.Fatalf("new file: got %+v, want version %d with %d added, %d removed, %d changed", got, len(seen)+1, len(ch.Added), len(ch.Removed), len(ch.Changed))
					}
					seen[ds.SHA256] = got.Version
					model = stats.Merge(model, ds.Rows)
					d, err := s.VersionDiff(ctx, key, got.Version, 0, 0)
					if err != nil || len(d.Cells) != len(ch.Added)+len(ch.Removed)+len(ch.Changed) || len(d.Totals) != len(ch.Months) {
						t.Fatalf("diff of version %d: %d cells, %d months, %v", got.Version, len(d.Cells), len(d.Totals), err)
					}
				}
				if diff := cmp.Diff(model, storedRows(t, db, key)); diff != "" {
					t.Fatalf("stored rows differ from the merged releases (-want +got):\n%s", diff)
				}
			}
			var want int64
			for _, r := range model {
				want += r.Encounters
			}
			_, res, err := s.Query(ctx, stats.QueryArgs{Dataset: key})
			if err != nil || res.Rows[0].Count != want {
				t.Fatalf("engine total: got %+v, %v; want %d", res.Rows, err, want)
			}
		})
	})
}
