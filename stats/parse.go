package stats

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/senda-platform/senda"
)

// MaxErrors is the most field errors one import reports; the parse goes on
// no further once it is reached.
const MaxErrors = 50

// ParseFile reads and parses the file at path; errors name the file by its
// base name.
func ParseFile(path string) (*Dataset, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, &senda.Error{Code: senda.CodeNotFound, Key: "stats.import.file_not_found", Args: map[string]any{"file": filepath.Base(path)}, Err: err}
		}
		return nil, &senda.Error{Code: senda.CodeUnavailable, Key: "stats.import.read_failed", Args: map[string]any{"file": filepath.Base(path)}, Err: err}
	}
	return Parse(filepath.Base(path), data)
}

// ParseReader reads r to its end and parses it as the file called name.
func ParseReader(name string, r io.Reader) (*Dataset, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, &senda.Error{Code: senda.CodeUnavailable, Key: "stats.import.read_failed", Args: map[string]any{"file": name}, Err: err}
	}
	return Parse(name, data)
}

// Parse parses one published file. The layout is recognised from its
// content, never from its name: a workbook (.xlsx) by its sheets, a CSV by
// its header row. name only labels errors and Dataset.File.
//
// The parse is all or nothing: on any error it returns no dataset and a
// *senda.Error (code invalid, key stats.import.invalid) whose Fields list
// every problem found, up to MaxErrors, each located as
// "file: line 12, column 9 (Encounter Count)".
func Parse(name string, data []byte) (*Dataset, error) {
	sum := sha256.Sum256(data)
	var (
		ds   *Dataset
		errs = &errList{file: name}
	)
	if bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		ds = parseWorkbook(name, data, errs)
	} else {
		ds = parseCSV(name, data, errs)
	}
	if err := errs.err(); err != nil {
		return nil, err
	}
	ds.File = name
	ds.SHA256 = hex.EncodeToString(sum[:])
	sortRows(ds.Rows)
	return ds, nil
}

// errList collects the field errors of one file.
type errList struct {
	file   string
	fields []senda.FieldError
	full   bool
}

// add records one error and reports whether the parse may go on.
func (l *errList) add(loc, key string, args map[string]any) bool {
	if l.full {
		return false
	}
	if len(l.fields) == MaxErrors {
		l.full = true
		l.fields = append(l.fields, senda.FieldError{Location: l.file, Key: "stats.import.too_many_errors", Args: map[string]any{"file": l.file, "limit": MaxErrors}})
		return false
	}
	if args == nil {
		args = map[string]any{}
	}
	args["file"] = l.file
	l.fields = append(l.fields, senda.FieldError{Location: loc, Key: key, Args: args})
	return true
}

func (l *errList) err() error {
	if len(l.fields) == 0 {
		return nil
	}
	return &senda.Error{Code: senda.CodeInvalid, Key: "stats.import.invalid", Args: map[string]any{"file": l.file, "errors": len(l.fields)}, Fields: l.fields}
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// CSV column names, as published.
const (
	colFiscalYear    = "Fiscal Year"
	colMonthGrouping = "Month Grouping"
	colMonth         = "Month (abbv)"
	colComponent     = "Component"
	colRegion        = "Land Border Region"
	colAOR           = "Area of Responsibility"
	colAORAbbv       = "AOR (Abbv)"
	colDemographic   = "Demographic"
	colCitGrouping   = "Citizenship Grouping"
	colCitizenship   = "Citizenship"
	colTitle         = "Title of Authority"
	colEncounterType = "Encounter Type"
	colCount         = "Encounter Count"
)

var (
	swColumns = []string{colFiscalYear, colMonthGrouping, colMonth, colComponent, colDemographic,
		colCitGrouping, colTitle, colEncounterType, colCount}
	nationwideColumns = []string{colFiscalYear, colMonthGrouping, colMonth, colComponent, colRegion, colAOR,
		colAORAbbv, colDemographic, colCitizenship, colTitle, colEncounterType, colCount}
)

func normHeader(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

func parseCSV(name string, data []byte, errs *errList) *Dataset {
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	if len(bytes.TrimSpace(data)) == 0 {
		errs.add(name+": line 1", "stats.import.empty_file", nil)
		return nil
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		csvError(name, err, errs)
		return nil
	}
	header = slices.Clone(header) // the reader reuses its record
	pos := map[string]int{}
	for i, h := range header {
		n := normHeader(h)
		if _, dup := pos[n]; dup {
			errs.add(fmt.Sprintf("%s: line 1, column %d (%s)", name, i+1, clip(h)), "stats.import.duplicate_column", map[string]any{"line": 1, "column": i + 1, "column_name": clip(h)})
			continue
		}
		pos[n] = i
	}
	has := func(c string) bool { _, ok := pos[normHeader(c)]; return ok }
	var (
		key  string
		cols []string
	)
	switch {
	case has(colCitGrouping):
		key, cols = KeySWLandBorder, swColumns
	case has(colRegion) || has(colAOR) || has(colAORAbbv) || has(colCitizenship):
		key, cols = KeyNationwide, nationwideColumns
	default:
		errs.add(name+": line 1", "stats.import.unknown_layout", map[string]any{"line": 1, "header": clip(strings.Join(header, ","))})
		return nil
	}
	for _, c := range cols {
		if !has(c) {
			errs.add(name+": line 1", "stats.import.missing_column", map[string]any{"line": 1, "column_name": c, "layout": key})
		}
	}
	if len(errs.fields) > 0 {
		return nil
	}
	idx := func(c string) int { return pos[normHeader(c)] }
	var (
		iFY, iMonth, iComp, iDemo, iTitle, iType, iCount = idx(colFiscalYear), idx(colMonth), idx(colComponent), idx(colDemographic), idx(colTitle), idx(colEncounterType), idx(colCount)
		iCit, iRegion, iAOR                              = -1, -1, -1
	)
	if key == KeySWLandBorder {
		iCit = idx(colCitGrouping)
	} else {
		iCit, iRegion, iAOR = idx(colCitizenship), idx(colRegion), idx(colAOR)
	}
	ds := &Dataset{Key: key}
	seen := map[cellKey]int{}
	warned := map[string]bool{}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			if !csvError(name, err, errs) {
				return nil
			}
			continue
		}
		line, _ := r.FieldPos(0)
		if len(rec) != len(header) {
			if !errs.add(fmt.Sprintf("%s: line %d", name, line), "stats.import.wrong_field_count", map[string]any{"line": line, "want": len(header), "got": len(rec)}) {
				return nil
			}
			continue
		}
		ok := true
		fail := func(i int, k string) {
			ok = false
			errs.add(fmt.Sprintf("%s: line %d, column %d (%s)", name, line, i+1, header[i]), k,
				map[string]any{"line": line, "column": i + 1, "column_name": header[i], "value": clip(rec[i])})
		}
		label := func(i int) string {
			if i < 0 {
				return ""
			}
			v := strings.TrimSpace(rec[i])
			if v == "" {
				fail(i, "stats.import.empty_value")
			}
			return v
		}
		fy, fyOK := parseFiscalYear(rec[iFY])
		if !fyOK {
			fail(iFY, "stats.import.bad_fiscal_year")
		}
		mo, moOK := monthAbbrev[strings.ToUpper(strings.TrimSpace(rec[iMonth]))]
		if !moOK {
			fail(iMonth, "stats.import.bad_month")
		}
		row := Row{
			Component:     label(iComp),
			Demographic:   label(iDemo),
			Citizenship:   label(iCit),
			Title:         label(iTitle),
			EncounterType: label(iType),
		}
		if key == KeySWLandBorder {
			row.Region = RegionSouthwest
		} else {
			row.Region, row.AOR = label(iRegion), label(iAOR)
		}
		n, nOK := parseCount(rec[iCount])
		if !nOK {
			fail(iCount, "stats.import.bad_count")
		}
		if errs.full {
			return nil
		}
		if !ok {
			continue
		}
		row.Month = FiscalMonthOf(fy, mo)
		row.FiscalYear = fy
		row.Encounters = n
		code, known := CitizenshipCode(row.Citizenship)
		row.CitizenshipISO = code
		if !known && !warned[row.Citizenship] {
			warned[row.Citizenship] = true
			ds.Warnings = append(ds.Warnings, senda.FieldError{
				Location: fmt.Sprintf("%s: line %d, column %d (%s)", name, line, iCit+1, header[iCit]),
				Key:      "stats.import.unknown_citizenship",
				Args:     map[string]any{"file": name, "line": line, "value": clip(row.Citizenship)},
			})
		}
		k := row.key()
		if first, dup := seen[k]; dup {
			if !errs.add(fmt.Sprintf("%s: line %d", name, line), "stats.import.duplicate_row", map[string]any{"line": line, "first_line": first}) {
				return nil
			}
			continue
		}
		seen[k] = line
		ds.Rows = append(ds.Rows, row)
	}
	if len(ds.Rows) == 0 && len(errs.fields) == 0 {
		errs.add(name+": line 2", "stats.import.no_rows", map[string]any{"line": 2})
	}
	return ds
}

// csvError records a CSV syntax error and reports whether the parse may go
// on.
func csvError(name string, err error, errs *errList) bool {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		key := "stats.import.bad_csv"
		if errors.Is(pe.Err, csv.ErrQuote) || errors.Is(pe.Err, csv.ErrBareQuote) {
			key = "stats.import.bad_quote"
		}
		return errs.add(fmt.Sprintf("%s: line %d, character %d", name, pe.Line, pe.Column), key, map[string]any{"line": pe.Line, "character": pe.Column, "start_line": pe.StartLine})
	}
	return errs.add(name, "stats.import.bad_csv", map[string]any{"cause": err.Error()})
}

// parseFiscalYear reads "2024" or "2025 (FYTD)".
func parseFiscalYear(s string) (int, bool) {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '('); i >= 0 {
		if !strings.EqualFold(strings.TrimSpace(s[i:]), "(FYTD)") {
			return 0, false
		}
		s = strings.TrimSpace(s[:i])
	}
	if len(s) != 4 {
		return 0, false
	}
	y, err := strconv.Atoi(s)
	if err != nil || y < 1900 || s[0] == '+' || s[0] == '-' {
		return 0, false
	}
	return y, true
}

// parseCount reads a non-negative integer, with or without thousands
// separators ("1,234").
func parseCount(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, ",") {
		parts := strings.Split(s, ",")
		if len(parts[0]) < 1 || len(parts[0]) > 3 {
			return 0, false
		}
		for _, p := range parts[1:] {
			if len(p) != 3 {
				return 0, false
			}
		}
		s = strings.Join(parts, "")
	}
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}
