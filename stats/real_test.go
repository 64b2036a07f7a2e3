package stats

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/senda-platform/senda"
	"github.com/xuri/excelize/v2"
)

// The published files live in the shared data folder beside the
// repository. These tests fail, never skip, when a file is missing.
const (
	swFile   = "sw-land-border-encounters-fy22-fy25-aug.csv"
	usbpFile = "usbp-encounters-monthly-fy2000-fy2025m11.xlsx"
)

func sharedPath(name string) string {
	return filepath.Join("..", "..", "shared", "data", "cbp", name)
}

var parsed = map[string]*Dataset{}

// mustParseShared parses a shared file once per test binary.
func mustParseShared(tb testing.TB, name string) *Dataset {
	tb.Helper()
	if ds, ok := parsed[name]; ok {
		return ds
	}
	ds, err := ParseFile(sharedPath(name))
	if err != nil {
		tb.Fatalf("ParseFile(%s): %v", name, err)
	}
	parsed[name] = ds
	return ds
}

func sumRows(rows []Row, keep func(Row) bool) int64 {
	var s int64
	for _, r := range rows {
		if keep(r) {
			s += r.Encounters
		}
	}
	return s
}

func TestSharedSWLandBorder(t *testing.T) {
	ds := mustParseShared(t, swFile)
	if ds.Key != KeySWLandBorder {
		t.Errorf("Key = %q, want %q", ds.Key, KeySWLandBorder)
	}
	if len(ds.Rows) != 1936 {
		t.Errorf("len(Rows) = %d, want 1936 (the file's data lines)", len(ds.Rows))
	}
	if len(ds.Warnings) != 0 {
		t.Errorf("Warnings = %v, want none", ds.Warnings)
	}
	feb2024 := MonthOf(2024, time.February)
	oct2024 := MonthOf(2024, time.October)
	// Each expected number was computed with awk from the CSV, summing
	// column 9 (Encounter Count) over the lines whose Fiscal Year and
	// Month (abbv) (and other columns as named) match.
	tests := []struct {
		name string
		keep func(Row) bool
		want int64
	}{
		// SW land border total, February 2024 (FY2024 FEB): 189,913
		{"total Feb 2024", func(r Row) bool { return r.Month == feb2024 }, 189913},
		// U.S. Border Patrol only, February 2024 (FY2024 FEB): 140,641
		{"USBP Feb 2024", func(r Row) bool { return r.Month == feb2024 && r.Component == ComponentUSBP }, 140641},
		// Citizenship Grouping Mexico, February 2024 (FY2024 FEB): 62,994
		{"Mexico Feb 2024", func(r Row) bool { return r.Month == feb2024 && r.Citizenship == "Mexico" }, 62994},
		// SW land border total, October 2024 (Fiscal Year "2025 (FYTD)", OCT): 106,321
		{"total Oct 2024", func(r Row) bool { return r.Month == oct2024 }, 106321},
		// USBP, citizenship Other, October 2024 (FY2025 OCT): 18,695
		{"USBP Other Oct 2024", func(r Row) bool {
			return r.Month == oct2024 && r.Component == ComponentUSBP && r.CitizenshipISO == OtherCode
		}, 18695},
		// Office of Field Operations, December 2022 (FY2023 DEC): 30,297
		{"OFO Dec 2022", func(r Row) bool { return r.Month == MonthOf(2022, time.December) && r.Component == ComponentOFO }, 30297},
		// Title 42, May 2023 (FY2023 MAY): 32,446
		{"Title 42 May 2023", func(r Row) bool { return r.Month == MonthOf(2023, time.May) && r.Title == "Title 42" }, 32446},
		// Fiscal year 2024, all months: 2,135,005
		{"FY2024", func(r Row) bool { return r.FiscalYear == 2024 }, 2135005},
		// The whole file: 7,421,677
		{"all", func(Row) bool { return true }, 7421677},
	}
	for _, tt := range tests {
		if got := sumRows(ds.Rows, tt.keep); got != tt.want {
			t.Errorf("%s: got %d, want %d", tt.name, got, tt.want)
		}
	}
	first, last := ds.Rows[0].Month, ds.Rows[len(ds.Rows)-1].Month
	if first != MonthOf(2021, time.October) || last != MonthOf(2025, time.August) {
		t.Errorf("span = %v..%v, want 2021-10..2025-08", first, last)
	}
	for _, r := range ds.Rows {
		if r.Region != RegionSouthwest || r.AOR != "" || r.FiscalYear != r.Month.FiscalYear() {
			t.Fatalf("row %+v: want region %q, empty aor and fiscal year of its month", r, RegionSouthwest)
		}
	}
}

func TestSharedSWIdempotent(t *testing.T) {
	a, err := ParseFile(sharedPath(swFile))
	if err != nil {
		t.Fatal(err)
	}
	b, err := ParseFile(sharedPath(swFile))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("two parses differ (-first +second):\n%s", diff)
	}
	if len(a.SHA256) != 64 {
		t.Errorf("SHA256 = %q, want 64 hex digits", a.SHA256)
	}
	if ch := Diff(a.Rows, b.Rows); len(ch.Added)+len(ch.Removed)+len(ch.Changed) != 0 {
		t.Errorf("Diff of a file with itself: %d added, %d removed, %d changed; want none", len(ch.Added), len(ch.Removed), len(ch.Changed))
	}
}

func TestSharedUSBPWorkbook(t *testing.T) {
	ds := mustParseShared(t, usbpFile)
	if ds.Key != KeyUSBPMonthly {
		t.Errorf("Key = %q, want %q", ds.Key, KeyUSBPMonthly)
	}
	// The "Monthly Rgn and Citp" sheet has 14,889 data rows.
	if len(ds.Rows) != 14889 {
		t.Errorf("len(Rows) = %d, want 14889", len(ds.Rows))
	}
	if len(ds.Warnings) != 0 {
		t.Errorf("Warnings = %v, want none", ds.Warnings)
	}
	first, last := ds.Rows[0].Month, ds.Rows[len(ds.Rows)-1].Month
	if first != MonthOf(1999, time.October) || last != MonthOf(2024, time.November) {
		t.Errorf("span = %v..%v, want 1999-10..2024-11", first, last)
	}
	feb2024 := MonthOf(2024, time.February)
	// Read by hand in the sheet "Monthly Rgn and Citp": FY 2024, "05
	// February", Southwest Land Border, Mexico: 49,920; the sheet's 32 SW
	// cells of that month add up to 140,680.
	if got := sumRows(ds.Rows, func(r Row) bool {
		return r.Month == feb2024 && r.Region == RegionSouthwest && r.CitizenshipISO == "MX"
	}); got != 49920 {
		t.Errorf("USBP SW Mexico Feb 2024: got %d, want 49920", got)
	}
	if got := sumRows(ds.Rows, func(r Row) bool { return r.Month == feb2024 && r.Region == RegionSouthwest }); got != 140680 {
		t.Errorf("USBP SW Feb 2024: got %d, want 140680", got)
	}
	for _, r := range ds.Rows {
		if r.Component != ComponentUSBP || r.AOR != "" || r.Demographic != "" || r.Title != "" || r.EncounterType != "" {
			t.Fatalf("row %+v: want component %q and empty aor, demographic, title, encounter type", r, ComponentUSBP)
		}
	}
}

// TestSharedCrossCheck compares Border Patrol southwest totals of the CBP
// CSV with the OHSS workbook for the months both cover (October 2021 to
// November 2024). OHSS rounds every published cell to the nearest 10: its
// "Monthly Region" sheet is within 5 of the CSV's exact USBP total (for
// example February 2024: CSV 140,641, workbook 140,640) but for October
// 2024, which CBP revised after OHSS's release (CSV 56,520, workbook
// 56,530), so the bound is 10; and the
// region-by-citizenship cells the import reads, each rounded on its own,
// add up to within 0.2% of it.
func TestSharedCrossCheck(t *testing.T) {
	sw := mustParseShared(t, swFile)
	wb := mustParseShared(t, usbpFile)
	csvUSBP := map[Month]int64{}
	for _, r := range sw.Rows {
		if r.Component == ComponentUSBP {
			csvUSBP[r.Month] += r.Encounters
		}
	}
	wbSW := map[Month]int64{}
	for _, r := range wb.Rows {
		if r.Region == RegionSouthwest {
			wbSW[r.Month] += r.Encounters
		}
	}
	published := monthlyRegionSW(t)
	n := 0
	for m := MonthOf(2021, time.October); m <= MonthOf(2024, time.November); m++ {
		c, ok := csvUSBP[m]
		if !ok {
			t.Fatalf("CSV has no USBP rows for %v", m)
		}
		p, ok := published[m]
		if !ok {
			t.Fatalf("workbook sheet Monthly Region has no SW row for %v", m)
		}
		if d := p - c; d < -10 || d > 10 {
			t.Errorf("%v: workbook Monthly Region SW %d, CSV USBP %d: differ by %d, want at most 10", m, p, c, d)
		}
		if d := wbSW[m] - c; d*500 > c || -d*500 > c {
			t.Errorf("%v: imported workbook rows SW %d, CSV USBP %d: differ by more than 0.2%%", m, wbSW[m], c)
		}
		n++
	}
	if n != 38 {
		t.Errorf("compared %d months, want 38", n)
	}
}

// monthlyRegionSW reads the workbook's "Monthly Region" sheet directly.
func monthlyRegionSW(t *testing.T) map[Month]int64 {
	t.Helper()
	f, err := excelize.OpenFile(sharedPath(usbpFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("Monthly Region", excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	out := map[Month]int64{}
	for _, r := range rows[1:] {
		if len(r) < 4 || r[2] != RegionSouthwest {
			continue
		}
		fy, ok1 := parseFiscalYear(r[0])
		mo, ok2 := parseFiscalMonthName(r[1])
		n, ok3 := parseQuantity(r[3])
		if !ok1 || !ok2 || !ok3 {
			t.Fatalf("Monthly Region row %q unreadable", r)
		}
		out[FiscalMonthOf(fy, mo)] = n
	}
	return out
}

// TestSharedCitizenshipsMapped checks that every citizenship label of the
// published files, in every sheet of the workbook, has an ISO code.
func TestSharedCitizenshipsMapped(t *testing.T) {
	labels := map[string]bool{}
	for _, r := range mustParseShared(t, swFile).Rows {
		labels[r.Citizenship] = true
	}
	f, err := excelize.OpenFile(sharedPath(usbpFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, s := range f.GetSheetList() {
		rows, err := f.GetRows(s)
		if err != nil {
			t.Fatal(err)
		}
		col := -1
		for i, h := range rows[0] {
			if normHeader(h) == "citizenship" {
				col = i
			}
		}
		if col < 0 {
			continue
		}
		for _, r := range rows[1:] {
			if col < len(r) {
				labels[r[col]] = true
			}
		}
	}
	if len(labels) < 160 {
		t.Errorf("found %d labels, want at least 160", len(labels))
	}
	for l := range labels {
		code, ok := CitizenshipCode(l)
		if !ok {
			t.Errorf("citizenship %q has no ISO code", l)
		}
		if code == OtherCode && l != "Other" && l != "Unknown" {
			t.Errorf("citizenship %q maps to Other", l)
		}
	}
}

func TestSharedFilesPresent(t *testing.T) {
	for _, n := range []string{swFile, usbpFile, "README.md"} {
		if _, err := os.Stat(sharedPath(n)); err != nil {
			t.Errorf("shared file %s: %v", n, err)
		}
	}
}

func TestSharedUSBPWorkbookTruncated(t *testing.T) {
	data, err := os.ReadFile(sharedPath(usbpFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{4, 1000, len(data) / 2, len(data) - 100} {
		ds, err := Parse("usbp.xlsx", data[:n])
		if err == nil || ds != nil {
			t.Errorf("Parse of the first %d bytes: got %v, %v; want an error and no dataset", n, ds, err)
			continue
		}
		var se *senda.Error
		if !errors.As(err, &se) || se.Fields[0].Key != "stats.import.bad_workbook" || se.Fields[0].Location != "usbp.xlsx" {
			t.Errorf("Parse of the first %d bytes: error %v, want stats.import.bad_workbook at usbp.xlsx", n, err)
		}
	}
}

// TestSharedQuery runs the engine on the real Southwest file. The numbers
// are the awk month totals above: December 2023 (FY2024 DEC) 301,981 is the
// highest month of the file; January 2024 176,195, the highest January
// (others: 154,874 in 2022, 157,358 in 2023, 61,448 in 2025); November
// 2023 242,399; the other Decembers 179,253 (2021), 252,315 (2022) and
// 96,037 (2024).
func TestSharedQuery(t *testing.T) {
	e := NewEngine()
	if err := e.Load(mustParseShared(t, swFile)); err != nil {
		t.Fatal(err)
	}
	if err := e.Load(mustParseShared(t, usbpFile)); err != nil {
		t.Fatal(err)
	}
	res := mustQuery(t, e, QueryArgs{By: []string{"month"}, From: "2023-12", To: "2024-01", Compare: []string{"mom,rank,record"}})
	want := "month,encounters,mom_prev,mom_change,mom_pct,rank,rank_of,record_month,record_encounters,is_record\n" +
		"2023-12,301981,242399,59582,24.58,1,4,2023-12,301981,true\n" +
		"2024-01,176195,301981,-125786,-41.65,1,4,2023-12,301981,false\n"
	if diff := cmp.Diff(want, csvOf(t, res)); diff != "" {
		t.Errorf("CSV (-want +got):\n%s", diff)
	}
	// Fiscal year 2024, all months: 2,135,005.
	res = mustQuery(t, e, QueryArgs{By: []string{"fiscal_year"}, Where: []string{"fiscal_year=2024"}})
	if got := res.Rows[0].Count; got != 2135005 {
		t.Errorf("FY2024: got %d, want 2135005", got)
	}
	// The workbook is a separate dataset, read only when named.
	res = mustQuery(t, e, QueryArgs{Dataset: KeyUSBPMonthly, Where: []string{"region=Southwest Land Border", "month=2024-02", "citizenship=mx"}})
	if got := res.Rows[0].Count; got != 49920 {
		t.Errorf("workbook SW Mexico Feb 2024: got %d, want 49920", got)
	}
}
