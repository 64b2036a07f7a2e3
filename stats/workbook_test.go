package stats

import (
	"bytes"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"
)

// workbook builds an .xlsx with one sheet of the given rows.
func workbook(t *testing.T, sheet string, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(sheet, cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

var usbpHead = []any{"Fiscal\nYear", "Month", "Region", "Citizenship", "Quantity"}

func TestWorkbookFixture(t *testing.T) {
	data := workbook(t, "Any Name", [][]any{
		usbpHead,
		{2024, "03 December", "Southwest Land Border", "Mexico", 1230},
		{2024, "03 December", "Coastal Border", "Cuba", 40},
		{"2025 (FYTD)", "01 October", "Northern Land Border", "Canada", 10},
		{},
	})
	ds, err := Parse("usbp.xlsx", data)
	if err != nil {
		t.Fatal(err)
	}
	base := Row{Component: ComponentUSBP}
	r1, r2, r3 := base, base, base
	r1.Month, r1.FiscalYear, r1.Region, r1.Citizenship, r1.CitizenshipISO, r1.Encounters = MonthOf(2023, time.December), 2024, "Coastal Border", "Cuba", "CU", 40
	r2.Month, r2.FiscalYear, r2.Region, r2.Citizenship, r2.CitizenshipISO, r2.Encounters = MonthOf(2023, time.December), 2024, "Southwest Land Border", "Mexico", "MX", 1230
	r3.Month, r3.FiscalYear, r3.Region, r3.Citizenship, r3.CitizenshipISO, r3.Encounters = MonthOf(2024, time.October), 2025, "Northern Land Border", "Canada", "CA", 10
	if diff := cmp.Diff([]Row{r1, r2, r3}, ds.Rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if ds.Key != KeyUSBPMonthly {
		t.Errorf("Key = %q, want %q", ds.Key, KeyUSBPMonthly)
	}
}

func TestWorkbookErrors(t *testing.T) {
	tests := []struct {
		name string
		rows [][]any
		want []string
	}{
		{"other layout", [][]any{{"Fiscal Year", "Month", "Quantity"}, {2024, "01 October", 5}}, []string{"usbp.xlsx: stats.import.unknown_layout"}},
		{"bad cells", [][]any{
			usbpHead,
			{2024, "02 October", "Southwest Land Border", "Mexico", 10},
			{2024, "01 October", "Southwest Land Border", "", "ten"},
		}, []string{
			`usbp.xlsx: sheet "S", row 2, column B (Month): stats.import.bad_month`,
			`usbp.xlsx: sheet "S", row 3, column D (Citizenship): stats.import.empty_value`,
			`usbp.xlsx: sheet "S", row 3, column E (Quantity): stats.import.bad_count`,
		}},
		{"no rows", [][]any{usbpHead}, []string{`usbp.xlsx: sheet "S", row 2: stats.import.no_rows`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, fieldErrors(t, "usbp.xlsx", workbook(t, "S", tt.rows))); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}
