package statsvc

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/internal/access"
	"github.com/senda-platform/senda/internal/store"
	"github.com/senda-platform/senda/internal/storetest"
	"github.com/senda-platform/senda/stats"
)

// The published files live in the shared data folder beside the repository.
const swFile = "sw-land-border-encounters-fy22-fy25-aug.csv"

func sharedPath(name string) string {
	return filepath.Join("..", "..", "..", "shared", "data", "cbp", name)
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// newerRelease returns a "newer release" of the Southwest file: the real
// file with one count revised (Border Patrol, single adults, Mexico, Title
// 8 apprehensions, February 2024: 27,810 -> 27,815), one cell dropped (Field
// Operations, FMUA, Guatemala, Title 8 inadmissibles, March 2024: 320) and a
// new month, September 2025, with the same 30 cells as August 2025.
func newerRelease(t testing.TB) []byte {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(string(mustRead(t, sharedPath(swFile))), "\r\n"), "\r\n")
	var out []string
	var sep []string
	edits := 0
	for _, l := range lines {
		switch l {
		case "2024,FYTD,FEB,U.S. Border Patrol,Single Adults,Mexico,Title 8,Apprehensions,27810":
			l = strings.TrimSuffix(l, "27810") + "27815"
			edits++
		case "2024,FYTD,MAR,Office of Field Operations,FMUA,Guatemala,Title 8,Inadmissibles,320":
			edits++
			continue
		}
		if strings.HasPrefix(l, "2025 (FYTD),FYTD,AUG,") {
			sep = append(sep, strings.Replace(l, ",AUG,", ",SEP,", 1))
		}
		out = append(out, l)
	}
	if edits != 2 || len(sep) != 30 {
		t.Fatalf("the shared file changed: %d edits, %d August 2025 lines; want 2 and 30", edits, len(sep))
	}
	return []byte(strings.Join(append(out, sep...), "\r\n") + "\r\n")
}

func total(t testing.TB, s *Service, args stats.QueryArgs) int64 {
	t.Helper()
	_, res, err := s.Query(context.Background(), args)
	if err != nil {
		t.Fatalf("query %+v: %v", args, err)
	}
	if len(res.Rows) != 1 {
		t.Fatalf("query %+v: got %d rows, want 1", args, len(res.Rows))
	}
	return res.Rows[0].Count
}

// fataler is what storedRows needs of a *testing.T or a *rapid.T.
type fataler interface {
	Helper()
	Fatal(args ...any)
}

func storedRows(t fataler, db *store.DB, key string) []stats.Row {
	t.Helper()
	var rows []store.StatsRow
	if err := db.View(context.Background(), func(tx *store.Tx) (err error) {
		rows, err = tx.StatsRows(context.Background(), key)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	out, err := fromStore(rows)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestImportIdempotentAndRevisions(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := New(db)
		data := mustRead(t, sharedPath(swFile))
		first, err := s.ImportFile(ctx, swFile, data, "cli")
		if err != nil {
			t.Fatal(err)
		}
		want := Imported{Dataset: stats.KeySWLandBorder, Version: 1, File: swFile, SHA256: first.SHA256, Rows: 1936,
			FirstMonth: "2021-10", LastMonth: "2025-08", Months: 47, Added: 1936}
		if diff := cmp.Diff(want, *first); diff != "" {
			t.Errorf("first import (-want +got):\n%s", diff)
		}
		// Published monthly totals, summed by hand from the file.
		if got := total(t, s, stats.QueryArgs{Where: []string{"month=2024-02"}}); got != 189913 {
			t.Errorf("February 2024: got %d, want 189913", got)
		}
		if got := total(t, s, stats.QueryArgs{}); got != 7421677 {
			t.Errorf("whole file: got %d, want 7421677", got)
		}
		before := storedRows(t, db, stats.KeySWLandBorder)

		// The same file again changes nothing.
		again, err := s.ImportFile(ctx, "renamed.csv", data, "cli")
		if err != nil {
			t.Fatal(err)
		}
		if !again.Unchanged || again.Version != 1 || again.File != swFile {
			t.Errorf("second import: got %+v, want unchanged version 1 named %s", again, swFile)
		}
		if diff := cmp.Diff(before, storedRows(t, db, stats.KeySWLandBorder)); diff != "" {
			t.Errorf("rows changed on re-import (-before +after):\n%s", diff)
		}

		// A newer release replaces the months it covers and records what changed.
		newer := newerRelease(t)
		ds, err := stats.Parse("sw-fy25-sep.csv", newer)
		if err != nil {
			t.Fatal(err)
		}
		second, err := s.Import(ctx, ds, "cli")
		if err != nil {
			t.Fatal(err)
		}
		if second.Version != 2 || second.Unchanged || second.Added != 30 || second.Removed != 1 || second.Changed != 1 || second.Months != 48 {
			t.Errorf("newer release: got %+v, want version 2 with 30 added, 1 removed, 1 changed over 48 months", second)
		}
		if diff := cmp.Diff(stats.Merge(before, ds.Rows), storedRows(t, db, stats.KeySWLandBorder)); diff != "" {
			t.Errorf("stored rows differ from Merge (-want +got):\n%s", diff)
		}
		if got := total(t, s, stats.QueryArgs{Where: []string{"month=2024-02"}}); got != 189918 {
			t.Errorf("February 2024 after revision: got %d, want 189918", got)
		}
		if got, want := total(t, s, stats.QueryArgs{Where: []string{"month=2025-09"}}), total(t, s, stats.QueryArgs{Where: []string{"month=2025-08"}}); got != want {
			t.Errorf("September 2025: got %d, want August's %d", got, want)
		}

		d, err := s.VersionDiff(ctx, stats.KeySWLandBorder, 2, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !d.Current || len(d.Cells) != 32 || d.NextOffset != 0 {
			t.Fatalf("diff of version 2: current %v, %d cells, next %d; want current, 32 cells, no next page", d.Current, len(d.Cells), d.NextOffset)
		}
		wantFeb := Cell{Change: "changed", Month: "2024-02", FiscalYear: 2024, Component: stats.ComponentUSBP, Region: stats.RegionSouthwest,
			Demographic: "Single Adults", Citizenship: "Mexico", CitizenshipISO: "MX", Title: "Title 8", EncounterType: "Apprehensions", Before: 27810, After: 27815}
		if diff := cmp.Diff(wantFeb, d.Cells[0]); diff != "" {
			t.Errorf("first changed cell (-want +got):\n%s", diff)
		}
		if c := d.Cells[1]; c.Change != "removed" || c.Month != "2024-03" || c.Citizenship != "Guatemala" || c.Before != 320 || c.After != 0 {
			t.Errorf("second changed cell: got %+v, want Guatemala March 2024 removed (320)", c)
		}
		var feb, sep MonthTotal
		for _, m := range d.Totals {
			switch m.Month {
			case "2024-02":
				feb = m
			case "2025-09":
				sep = m
			}
		}
		if feb != (MonthTotal{Month: "2024-02", Before: 189913, After: 189918, Change: 5}) || sep.Before != 0 || sep.After == 0 {
			t.Errorf("month totals: February %+v, September %+v", feb, sep)
		}
		// Paging through the cells.
		p1, err := s.VersionDiff(ctx, stats.KeySWLandBorder, 2, 0, 20)
		if err != nil {
			t.Fatal(err)
		}
		p2, err := s.VersionDiff(ctx, stats.KeySWLandBorder, 2, p1.NextOffset, 20)
		if err != nil {
			t.Fatal(err)
		}
		if p1.NextOffset != 20 || p2.NextOffset != 0 || !cmp.Equal(append(p1.Cells, p2.Cells...), d.Cells) {
			t.Errorf("pages: next %d then %d, %d+%d cells; want 20, 0 and the same 32 cells", p1.NextOffset, p2.NextOffset, len(p1.Cells), len(p2.Cells))
		}
		if _, err := s.VersionDiff(ctx, stats.KeySWLandBorder, 3, 0, 0); !senda.IsNotFound(err) {
			t.Errorf("diff of version 3: got %v, want not_found", err)
		}
		v1, err := s.VersionDiff(ctx, stats.KeySWLandBorder, 1, 0, 10)
		if err != nil || v1.Current || v1.Added != 1936 || len(v1.Cells) != 10 || v1.NextOffset != 10 {
			t.Errorf("diff of version 1: %+v, %v", v1, err)
		}

		// Importing the first release again is a no-op too: its bytes were seen.
		if again, err := s.ImportFile(ctx, swFile, data, "cli"); err != nil || !again.Unchanged || again.Version != 1 {
			t.Errorf("first release after the second: got %+v, %v; want unchanged version 1", again, err)
		}
		list, err := s.Datasets(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].Version != 2 || len(list[0].Versions) != 2 || !list[0].Versions[1].Current || list[0].LastMonth != "2025-09" || list[0].Rows != 1965 {
			t.Errorf("datasets: %+v", list)
		}
	})
}

// A bad file imports nothing: the parse fails before any write.
func TestBadFileImportsNothing(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := New(db)
		data := mustRead(t, sharedPath(swFile))
		bad := bytes.Replace(data, []byte("Apprehensions,27810"), []byte("Apprehensions,27,81O"), 1)
		_, err := s.ImportFile(ctx, "bad.csv", bad, "cli")
		var se *senda.Error
		if !errors.As(err, &se) || se.Key != "stats.import.invalid" || len(se.Fields) == 0 {
			t.Fatalf("got %v, want stats.import.invalid", err)
		}
		if list, err := s.Datasets(ctx); err != nil || len(list) != 0 {
			t.Errorf("after a bad file: datasets %+v, %v; want none", list, err)
		}
		if _, _, err := s.Query(ctx, stats.QueryArgs{}); senda.ErrorCode(err) != senda.CodeNotFound {
			t.Errorf("query with nothing imported: got %v, want not_found", err)
		}
	})
}

// Two app nodes share one database: a query on one node sees what the other
// imported.
func TestSecondNodeSeesImports(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, b := New(db), New(db)
		if _, err := a.ImportFile(ctx, swFile, mustRead(t, sharedPath(swFile)), "cli"); err != nil {
			t.Fatal(err)
		}
		if got := total(t, b, stats.QueryArgs{Where: []string{"month=2024-02"}}); got != 189913 {
			t.Errorf("node b, February 2024: got %d, want 189913", got)
		}
		if _, err := a.ImportFile(ctx, "newer.csv", newerRelease(t), "cli"); err != nil {
			t.Fatal(err)
		}
		if got := total(t, b, stats.QueryArgs{Where: []string{"month=2024-02"}}); got != 189918 {
			t.Errorf("node b after node a imported a revision: got %d, want 189918", got)
		}
	})
}

func TestExportSuppresses(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := New(db)
		if _, err := s.ImportFile(ctx, swFile, mustRead(t, sharedPath(swFile)), "cli"); err != nil {
			t.Fatal(err)
		}
		ct, err := s.Export(ctx, stats.QueryArgs{Where: []string{"component=Office of Field Operations", "demographic=Accompanied Minors"}, From: "2024-10"}, "citizenship", "month", 0)
		if err != nil {
			t.Fatal(err)
		}
		if ct.Threshold != stats.DefaultThreshold || ct.Hidden.Count() == 0 {
			t.Errorf("threshold %d, %d withheld; want 10 and some withheld", ct.Threshold, ct.Hidden.Count())
		}
		for i := range ct.Cells {
			for j, n := range ct.Cells[i] {
				if n > 0 && n < 10 && !ct.Hidden.Cells[i][j] {
					t.Errorf("%s %s = %d published", ct.RowLabels[i], ct.ColLabels[j], n)
				}
			}
		}
		if _, err := s.Export(ctx, stats.QueryArgs{}, "colour", "", 0); senda.ErrorCode(err) != senda.CodeInvalid {
			t.Errorf("unknown dimension: got %v, want invalid", err)
		}
	})
}

func TestOperationsFromHouseholds(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		add := func(id string, at time.Time, place, nat, status string, size int) {
			db.Now = func() time.Time { return at }
			if err := db.Update(ctx, func(tx *store.Tx) error {
				return tx.InsertHousehold(ctx, store.HouseholdRow{ID: id, Receipt: "R-" + id, Place: place, CreatedBy: "test", Status: status, Size: size, Nationality: nat, Data: []byte("sealed")})
			}); err != nil {
				t.Fatal(err)
			}
		}
		jan := time.Date(2026, 1, 31, 23, 59, 0, 0, time.UTC)
		feb := time.Date(2026, 2, 1, 0, 0, 1, 0, time.UTC)
		add("h1", jan, "GT/SMO-GUA", "HT", "submitted", 4)
		add("h2", jan, "GT/SMO-GUA", "VE", "submitted", 1)
		add("h3", feb, "GT/SMO-GUA", "HT", "submitted", 2)
		add("h4", feb, "CO/SMO-BOG", "VE", "submitted", 3)
		add("h5", feb, "CO/SMO-BOG", "VE", "draft", 5)
		s := New(db)
		_, res, err := s.QueryOperations(ctx, stats.QueryArgs{By: []string{"month,metric"}, Format: "csv"}, "*")
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		stats.WriteCSV(&b, res)
		want := "month,metric,count\n2026-01,people,5\n2026-01,registrations,2\n2026-02,people,5\n2026-02,registrations,2\n"
		if diff := cmp.Diff(want, b.String()); diff != "" {
			t.Errorf("operations by month and metric (-want +got):\n%s", diff)
		}
		// A caller scoped to Guatemala counts only Guatemalan offices.
		_, res, err = s.QueryOperations(ctx, stats.QueryArgs{By: []string{"nationality"}, Where: []string{"metric=registrations"}}, access.Scope("GT"))
		if err != nil {
			t.Fatal(err)
		}
		b.Reset()
		stats.WriteCSV(&b, res)
		if want := "nationality,count\nHT,2\nVE,1\n"; b.String() != want {
			t.Errorf("Guatemala scope: got %q, want %q", b.String(), want)
		}
		// Encounter queries never read the operations dataset.
		if _, _, err := s.Query(ctx, stats.QueryArgs{Dataset: OpsDataset}); senda.ErrorCode(err) != senda.CodeNotFound {
			t.Errorf("encounter query of the operations dataset: got %v, want not_found", err)
		}
		// New records show once the facts are older than OpsMaxAge.
		add("h6", feb, "CO/SMO-BOG", "CO", "submitted", 1)
		s.OpsMaxAge = time.Nanosecond
		_, res, err = s.QueryOperations(ctx, stats.QueryArgs{Where: []string{"metric=registrations"}}, "*")
		if err != nil || res.Rows[0].Count != 5 {
			t.Errorf("after a new registration: got %+v, %v; want 5", res.Rows, err)
		}
	})
}
