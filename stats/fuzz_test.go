package stats

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/senda-platform/senda"
)

// FuzzParseCSV checks that no input panics the CSV parser and that a parse
// is all or nothing: rows and no error, or an invalid *senda.Error and no
// dataset.
func FuzzParseCSV(f *testing.F) {
	for _, name := range []string{"nationwide-sample.csv", "sw-bom-crlf.csv", "sw-bad.csv"} {
		f.Add(mustReadTestdata(f, name))
	}
	real, err := os.ReadFile(sharedPath(swFile))
	if err != nil {
		f.Fatal(err)
	}
	lines := strings.SplitAfter(string(real), "\n")
	f.Add([]byte(strings.Join(lines[:20], "")))
	f.Add([]byte(swHeader + "2025 (FYTD),FYTD,OCT,U.S. Border Patrol,UAC,Other,Title 8,Apprehensions,504"))
	f.Add([]byte(swHeader + "2024,FYTD,FEB,\"U.S.\"\" Border\",UAC,Other,Title 8,Apprehensions,\"1,504\"\r\n"))
	f.Add([]byte("\uFEFF"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ds, err := Parse("fuzz.csv", data)
		if err != nil {
			if ds != nil {
				t.Fatalf("got a dataset and an error %v", err)
			}
			var se *senda.Error
			if !errors.As(err, &se) || se.Code != senda.CodeInvalid || len(se.Fields) == 0 || len(se.Fields) > MaxErrors+1 {
				t.Fatalf("error %v: want invalid *senda.Error with 1..%d fields", err, MaxErrors+1)
			}
			return
		}
		if len(ds.Rows) == 0 {
			t.Fatalf("no error and no rows")
		}
		for _, r := range ds.Rows {
			if r.Encounters < 0 || r.FiscalYear != r.Month.FiscalYear() || r.Citizenship == "" {
				t.Fatalf("bad row %+v", r)
			}
		}
		if _, err := NewTable(ds.Rows); err != nil {
			t.Fatalf("NewTable: %v", err)
		}
	})
}
