package stats

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/senda-platform/senda"
)

func mustReadTestdata(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestParseNationwideFixture(t *testing.T) {
	ds, err := Parse("nationwide.csv", mustReadTestdata(t, "nationwide-sample.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if ds.Key != KeyNationwide {
		t.Errorf("Key = %q, want %q", ds.Key, KeyNationwide)
	}
	if len(ds.Rows) != 12 {
		t.Fatalf("len(Rows) = %d, want 12", len(ds.Rows))
	}
	// The first row in canonical order: FY2022 NOV is November 2021.
	want := Row{
		Month: MonthOf(2021, time.November), FiscalYear: 2022, Component: ComponentOFO,
		Region: "Northern Land Border", AOR: "Seattle Field Office", Demographic: "Single Adults",
		Citizenship: "UKRAINE", CitizenshipISO: "UA", Title: "Title 42", EncounterType: "Expulsions", Encounters: 2,
	}
	if diff := cmp.Diff(want, ds.Rows[0]); diff != "" {
		t.Errorf("first row (-want +got):\n%s", diff)
	}
	isos := map[string]string{}
	for _, r := range ds.Rows {
		isos[r.Citizenship] = r.CitizenshipISO
	}
	wantISO := map[string]string{
		"MEXICO": "MX", "CHINA, PEOPLES REPUBLIC OF": "CN", "CANADA": "CA", "MYANMAR (BURMA)": "MM",
		"OTHER": "Other", "VENEZUELA": "VE", "INDIA": "IN", "HAITI": "HT", "UKRAINE": "UA", "HONDURAS": "HN", "ECUADOR": "EC",
	}
	if diff := cmp.Diff(wantISO, isos); diff != "" {
		t.Errorf("ISO codes (-want +got):\n%s", diff)
	}
	// December 2023 (FY2024 DEC): 2841 + 5 + 52 + 94 + 0.
	if got := sumRows(ds.Rows, func(r Row) bool { return r.Month == MonthOf(2023, time.December) }); got != 2992 {
		t.Errorf("Dec 2023 total: got %d, want 2992", got)
	}
	// October 2024 comes from "2025 (FYTD)": 459 + 239.
	if got := sumRows(ds.Rows, func(r Row) bool { return r.Month == MonthOf(2024, time.October) }); got != 698 {
		t.Errorf("Oct 2024 total: got %d, want 698", got)
	}
}

func TestParseBOMAndCRLF(t *testing.T) {
	data := mustReadTestdata(t, "sw-bom-crlf.csv")
	ds, err := Parse("sw.csv", data)
	if err != nil {
		t.Fatal(err)
	}
	plain := strings.ReplaceAll(strings.TrimPrefix(string(data), "\uFEFF"), "\r\n", "\n")
	ds2, err := Parse("sw.csv", []byte(plain))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ds.Rows, ds2.Rows); diff != "" {
		t.Errorf("rows differ with BOM and CRLF (-with +without):\n%s", diff)
	}
	if ds.SHA256 == ds2.SHA256 {
		t.Errorf("different bytes, same hash %s", ds.SHA256)
	}
	want := []Row{
		{Month: MonthOf(2024, time.February), FiscalYear: 2024, Component: ComponentOFO, Region: RegionSouthwest, Demographic: "Single Adults", Citizenship: "Mexico", CitizenshipISO: "MX", Title: "Title 8", EncounterType: "Inadmissibles", Encounters: 20},
		{Month: MonthOf(2024, time.February), FiscalYear: 2024, Component: ComponentUSBP, Region: RegionSouthwest, Demographic: "Single Adults", Citizenship: "Mexico", CitizenshipISO: "MX", Title: "Title 8", EncounterType: "Apprehensions", Encounters: 100},
		{Month: MonthOf(2024, time.March), FiscalYear: 2024, Component: ComponentUSBP, Region: RegionSouthwest, Demographic: "Single Adults", Citizenship: "Mexico", CitizenshipISO: "MX", Title: "Title 8", EncounterType: "Apprehensions", Encounters: 150},
		{Month: MonthOf(2025, time.February), FiscalYear: 2025, Component: ComponentUSBP, Region: RegionSouthwest, Demographic: "Single Adults", Citizenship: "Mexico", CitizenshipISO: "MX", Title: "Title 8", EncounterType: "Apprehensions", Encounters: 30},
	}
	if diff := cmp.Diff(want, ds.Rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}

// fieldErrors parses data and returns the field errors (Location: Key).
func fieldErrors(t *testing.T, name string, data []byte) []string {
	t.Helper()
	ds, err := Parse(name, data)
	if err == nil {
		t.Fatalf("Parse(%s): got no error, want one", name)
	}
	if ds != nil {
		t.Errorf("Parse(%s) returned a dataset with its error; want nil (all or nothing)", name)
	}
	var se *senda.Error
	if !errors.As(err, &se) || se.Code != senda.CodeInvalid || se.Key != "stats.import.invalid" {
		t.Fatalf("error = %v, want *senda.Error invalid stats.import.invalid", err)
	}
	var out []string
	for _, f := range se.Fields {
		out = append(out, f.Location+": "+f.Key)
	}
	return out
}

const swHeader = "Fiscal Year,Month Grouping,Month (abbv),Component,Demographic,Citizenship Grouping,Title of Authority,Encounter Type,Encounter Count\n"

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		data string
		want []string
	}{
		{"bad rows", string(mustReadTestdata(t, "sw-bad.csv")), []string{
			"sw.csv: line 3, column 9 (Encounter Count): stats.import.bad_count",
			"sw.csv: line 4, column 3 (Month (abbv)): stats.import.bad_month",
			"sw.csv: line 5, column 1 (Fiscal Year): stats.import.bad_fiscal_year",
			"sw.csv: line 5, column 9 (Encounter Count): stats.import.bad_count",
			"sw.csv: line 6: stats.import.wrong_field_count",
		}},
		{"unknown layout", "Date,Count\n2024-01,5\n", []string{"sw.csv: line 1: stats.import.unknown_layout"}},
		{"missing column", strings.Replace(swHeader, ",Encounter Count", "", 1) + "2024,FYTD,FEB,U.S. Border Patrol,Single Adults,Mexico,Title 8,Apprehensions\n",
			[]string{"sw.csv: line 1: stats.import.missing_column"}},
		{"nationwide missing columns", "Fiscal Year,Month Grouping,Month (abbv),Component,Land Border Region,Demographic,Citizenship,Title of Authority,Encounter Type,Encounter Count\n",
			[]string{"sw.csv: line 1: stats.import.missing_column", "sw.csv: line 1: stats.import.missing_column"}},
		{"empty", "", []string{"sw.csv: line 1: stats.import.empty_file"}},
		{"bom only", "\uFEFF\r\n", []string{"sw.csv: line 1: stats.import.empty_file"}},
		{"header only", swHeader, []string{"sw.csv: line 2: stats.import.no_rows"}},
		{"truncated in a quoted field", swHeader + "2024,FYTD,FEB,U.S. Border Patrol,Single Adults,\"Mex", []string{"sw.csv: line 2, character 52: stats.import.bad_quote"}},
		{"truncated mid line", swHeader + "2024,FYTD,FEB,U.S. Border Patrol,Single Adults,Mexico,Title 8,Apprehensions,100\n2024,FYTD,FEB,U.S. Bor",
			[]string{"sw.csv: line 3: stats.import.wrong_field_count"}},
		{"empty label", swHeader + "2024,FYTD,FEB, ,Single Adults,Mexico,Title 8,Apprehensions,100\n", []string{"sw.csv: line 2, column 4 (Component): stats.import.empty_value"}},
		{"duplicate row", swHeader + "2024,FYTD,FEB,U.S. Border Patrol,Single Adults,Mexico,Title 8,Apprehensions,100\n2024,FYTD,FEB,U.S. Border Patrol,Single Adults,Mexico,Title 8,Apprehensions,1\n",
			[]string{"sw.csv: line 3: stats.import.duplicate_row"}},
		{"bad FYTD", swHeader + "2024 (YTD),FYTD,FEB,U.S. Border Patrol,Single Adults,Mexico,Title 8,Apprehensions,100\n", []string{"sw.csv: line 2, column 1 (Fiscal Year): stats.import.bad_fiscal_year"}},
		{"overflow", swHeader + "2024,FYTD,FEB,U.S. Border Patrol,Single Adults,Mexico,Title 8,Apprehensions,99999999999999999999\n", []string{"sw.csv: line 2, column 9 (Encounter Count): stats.import.bad_count"}},
		{"not a workbook", "PK\x03\x04garbage", []string{"sw.csv: stats.import.bad_workbook"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, fieldErrors(t, "sw.csv", []byte(tt.data))); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseErrorArgs(t *testing.T) {
	_, err := Parse("sw.csv", mustReadTestdata(t, "sw-bad.csv"))
	var se *senda.Error
	if !errors.As(err, &se) {
		t.Fatalf("error = %v, want *senda.Error", err)
	}
	want := map[string]any{"file": "sw.csv", "line": 3, "column": 9, "column_name": "Encounter Count", "value": "many"}
	if diff := cmp.Diff(want, se.Fields[0].Args); diff != "" {
		t.Errorf("Args (-want +got):\n%s", diff)
	}
	if !strings.Contains(err.Error(), "sw.csv: line 3, column 9 (Encounter Count): stats.import.bad_count") {
		t.Errorf("Error() = %q, want it to name file, line and column", err.Error())
	}
}

func TestParseErrorCap(t *testing.T) {
	var b strings.Builder
	b.WriteString(swHeader)
	for i := 0; i < 200; i++ {
		b.WriteString("2024,FYTD,FEB,U.S. Border Patrol,Single Adults,Mexico,Title 8,Apprehensions,x\n")
	}
	got := fieldErrors(t, "sw.csv", []byte(b.String()))
	if len(got) != MaxErrors+1 {
		t.Fatalf("got %d field errors, want %d (the cap and a last one saying so)", len(got), MaxErrors+1)
	}
	if last := got[len(got)-1]; last != "sw.csv: stats.import.too_many_errors" {
		t.Errorf("last error = %q, want the cap notice", last)
	}
}

func TestParseUnknownCitizenshipWarns(t *testing.T) {
	ds, err := Parse("sw.csv", []byte(swHeader+"2024,FYTD,FEB,U.S. Border Patrol,Single Adults,Atlantis,Title 8,Apprehensions,3\n"))
	if err != nil {
		t.Fatal(err)
	}
	if ds.Rows[0].CitizenshipISO != OtherCode {
		t.Errorf("ISO = %q, want %q", ds.Rows[0].CitizenshipISO, OtherCode)
	}
	if len(ds.Warnings) != 1 || ds.Warnings[0].Key != "stats.import.unknown_citizenship" || ds.Warnings[0].Location != "sw.csv: line 2, column 6 (Citizenship Grouping)" {
		t.Errorf("Warnings = %+v, want one stats.import.unknown_citizenship at line 2, column 6", ds.Warnings)
	}
}

func TestParseColumnOrderAndExtraColumns(t *testing.T) {
	data := "Encounter Count,Fiscal Year,Month Grouping,Month (abbv),Component,Demographic,Citizenship Grouping,Title of Authority,Encounter Type,Note\n" +
		"\"1,234\",2023,FYTD,oct,U.S. Border Patrol,UAC,Honduras,Title 8,Apprehensions,x\n"
	ds, err := Parse("sw.csv", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	r := ds.Rows[0]
	if r.Encounters != 1234 || r.Month != MonthOf(2022, time.October) || r.CitizenshipISO != "HN" {
		t.Errorf("row = %+v, want 1234 encounters in 2022-10 from HN", r)
	}
}

func TestParseFileMissing(t *testing.T) {
	_, err := ParseFile(filepath.Join("testdata", "no-such-file.csv"))
	if !senda.IsNotFound(err) {
		t.Errorf("ParseFile(missing) = %v, want not_found", err)
	}
}
