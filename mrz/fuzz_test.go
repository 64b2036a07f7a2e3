package mrz

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/senda-platform/senda"
)

// FuzzParse feeds arbitrary lines to Parse. Invariants: it never panics; an
// error is a *senda.Error naming at least one field; a nil error means every
// check digit verified; a parsed zone, lower-cased and padded with white
// space, reads the same; and a parsed document written back as a zone reads
// back to the same document.
func FuzzParse(f *testing.F) {
	for _, s := range specimens {
		l3 := ""
		if len(s.lines) == 3 {
			l3 = s.lines[2]
		}
		f.Add(s.lines[0], s.lines[1], l3)
	}
	td3 := specimens[0].lines
	f.Add(td3[0], setChar(td3, 1, 9, '7')[1], "")
	f.Add(td3[0], td3With(13, "7408<<")[1], "")
	f.Add(td3[0], td3With(28, "<<<<<<<<<<<<<<")[1], "")
	f.Add(strings.ToLower(td3[0]), td3[1], "")
	f.Add(td3[0]+"\n"+td3[1], "", "")
	f.Add("", "", "")
	f.Add("I<UTOD23145890<73<<<<<<<<<<<<<", "3407127M9507122UTO<<<<<<<<<<<2", "STEVENSON<<<<<<<<<<<<<<<<<<<<<")
	f.Add("I<UTOD23145890<<<<<<<<<<<<<<<<", "<<<<<<<<<<<<<<<UTO<<<<<<<<<<<0", "<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<")
	f.Add("I<UTO<<<<<<<<<<", "D23145890<UTO3407127M9507122734<<<<8", "")
	f.Fuzz(func(t *testing.T, l1, l2, l3 string) {
		lines := []string{l1, l2}
		if l3 != "" {
			lines = append(lines, l3)
		}
		if l2 == "" && l3 == "" {
			lines = lines[:1]
		}
		doc, err := ParseAt(testNow, lines...)
		if err != nil {
			var e *senda.Error
			if !errors.As(err, &e) || e.Code != senda.CodeInvalid || len(e.Fields) == 0 {
				t.Fatalf("got error %#v, want an invalid *senda.Error with fields", err)
			}
			if doc != nil {
				for _, fe := range e.Fields {
					if fe.Key == KeyCheckDigit && doc.CheckDigits[fe.Location] {
						t.Errorf("field %s reported failing but CheckDigits says it verifies", fe.Location)
					}
				}
			}
			return
		}
		if doc == nil {
			t.Fatalf("got nil document and nil error")
		}
		if !doc.Valid() || len(doc.CheckDigits) < 4 {
			t.Fatalf("no error but check digits %v", doc.CheckDigits)
		}
		// Lower-cased and padded input reads the same.
		var variant []string
		for _, l := range lines {
			variant = append(variant, " "+strings.ToLower(l)+"\t")
		}
		again, err := ParseAt(testNow, variant...)
		if err != nil {
			t.Fatalf("lower-cased zone: got error %v, want none", err)
		}
		if diff := cmp.Diff(doc, again, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("lower-cased zone reads differently (-want +got):\n%s", diff)
		}
		// Written back and read again, the document is the same.
		written := write(doc)
		back, err := ParseAt(testNow, written...)
		if err != nil {
			t.Fatalf("written zone: got error %v, want none", err)
		}
		opts := []cmp.Option{cmpopts.EquateEmpty(), cmpopts.IgnoreFields(Document{}, "NamesTruncated")}
		if diff := cmp.Diff(doc, back, opts...); diff != "" {
			t.Errorf("written zone reads differently (-want +got):\n%s", diff)
		}
	})
}
