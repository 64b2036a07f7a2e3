package stats

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/senda-platform/senda"
	"github.com/xuri/excelize/v2"
)

// usbpHeader is the header of the workbook sheet the USBP import reads:
// monthly counts by region and citizenship ("Monthly Rgn and Citp" in the
// published file). It is the finest monthly cut of the workbook; its other
// monthly sheets (count, region, citizenship, family status, sector, region
// and family status, region and sector) each split the same encounters
// another way, so reading more than one would count them twice.
var usbpHeader = []string{"fiscal year", "month", "region", "citizenship", "quantity"}

func parseWorkbook(name string, data []byte, errs *errList) *Dataset {
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		errs.add(name, "stats.import.bad_workbook", map[string]any{"cause": clip(err.Error())})
		return nil
	}
	defer f.Close()
	sheet := ""
	for _, s := range f.GetSheetList() {
		if h := firstRow(f, s); len(h) >= len(usbpHeader) && equalHeader(h[:len(usbpHeader)], usbpHeader) {
			sheet = s
			break
		}
	}
	if sheet == "" {
		errs.add(name, "stats.import.unknown_layout", map[string]any{"sheets": clip(strings.Join(f.GetSheetList(), ", "))})
		return nil
	}
	rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		errs.add(fmt.Sprintf("%s: sheet %q", name, sheet), "stats.import.bad_workbook", map[string]any{"sheet": sheet, "cause": clip(err.Error())})
		return nil
	}
	header := rows[0]
	ds := &Dataset{Key: KeyUSBPMonthly}
	seen := map[cellKey]int{}
	warned := map[string]bool{}
	for i, rec := range rows[1:] {
		line := i + 2
		if blank(rec) {
			continue
		}
		ok := true
		cell := func(c int) string {
			if c < len(rec) {
				return strings.TrimSpace(rec[c])
			}
			return ""
		}
		fail := func(c int, key string) {
			ok = false
			col, _ := excelize.ColumnNumberToName(c + 1)
			errs.add(fmt.Sprintf("%s: sheet %q, row %d, column %s (%s)", name, sheet, line, col, strings.Join(strings.Fields(header[c]), " ")), key,
				map[string]any{"sheet": sheet, "line": line, "column": col, "column_name": strings.Join(strings.Fields(header[c]), " "), "value": clip(cell(c))})
		}
		fy, fyOK := parseFiscalYear(cell(0))
		if !fyOK {
			fail(0, "stats.import.bad_fiscal_year")
		}
		mo, moOK := parseFiscalMonthName(cell(1))
		if !moOK {
			fail(1, "stats.import.bad_month")
		}
		region, cit := cell(2), cell(3)
		if region == "" {
			fail(2, "stats.import.empty_value")
		}
		if cit == "" {
			fail(3, "stats.import.empty_value")
		}
		n, nOK := parseQuantity(cell(4))
		if !nOK {
			fail(4, "stats.import.bad_count")
		}
		if errs.full {
			return nil
		}
		if !ok {
			continue
		}
		code, known := CitizenshipCode(cit)
		if !known && !warned[cit] {
			warned[cit] = true
			ds.Warnings = append(ds.Warnings, senda.FieldError{
				Location: fmt.Sprintf("%s: sheet %q, row %d, column D (Citizenship)", name, sheet, line),
				Key:      "stats.import.unknown_citizenship",
				Args:     map[string]any{"file": name, "sheet": sheet, "line": line, "value": clip(cit)},
			})
		}
		row := Row{
			Month: FiscalMonthOf(fy, mo), FiscalYear: fy, Component: ComponentUSBP, Region: region,
			Citizenship: cit, CitizenshipISO: code, Encounters: n,
		}
		k := row.key()
		if first, dup := seen[k]; dup {
			if !errs.add(fmt.Sprintf("%s: sheet %q, row %d", name, sheet, line), "stats.import.duplicate_row", map[string]any{"sheet": sheet, "line": line, "first_line": first}) {
				return nil
			}
			continue
		}
		seen[k] = line
		ds.Rows = append(ds.Rows, row)
	}
	if len(ds.Rows) == 0 && len(errs.fields) == 0 {
		errs.add(fmt.Sprintf("%s: sheet %q, row 2", name, sheet), "stats.import.no_rows", map[string]any{"sheet": sheet, "line": 2})
	}
	return ds
}

func firstRow(f *excelize.File, sheet string) []string {
	it, err := f.Rows(sheet)
	if err != nil {
		return nil
	}
	defer it.Close()
	for it.Next() {
		cols, err := it.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil
		}
		if !blank(cols) {
			return cols
		}
	}
	return nil
}

func equalHeader(got, want []string) bool {
	for i := range want {
		if normHeader(got[i]) != want[i] {
			return false
		}
	}
	return true
}

func blank(rec []string) bool {
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// parseFiscalMonthName reads the workbook's month cells, "01 October"
// through "12 September" (the number is the month of the fiscal year), or
// a bare month name.
func parseFiscalMonthName(s string) (time.Month, bool) {
	f := strings.Fields(s)
	if len(f) == 0 || len(f) > 2 {
		return 0, false
	}
	name := f[len(f)-1]
	var m time.Month
	for c := time.January; c <= time.December; c++ {
		if strings.EqualFold(c.String(), name) {
			m = c
		}
	}
	if m == 0 {
		return 0, false
	}
	if len(f) == 2 {
		n, err := strconv.Atoi(f[0])
		if err != nil || n != (int(m)+2)%12+1 {
			return 0, false
		}
	}
	return m, true
}

// parseQuantity reads a count cell: an integer, possibly stored as a float
// with no fraction.
func parseQuantity(s string) (int64, bool) {
	if n, ok := parseCount(s); ok {
		return n, true
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 || v != math.Trunc(v) || v > 1e15 {
		return 0, false
	}
	return int64(v), true
}
