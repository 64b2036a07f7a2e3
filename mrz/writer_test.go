package mrz

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"pgregory.net/rapid"
)

// write formats d as a zone with every check digit computed: the inverse of
// Parse for documents whose fields fit their format.
func write(d *Document) []string {
	sex := d.Sex
	if sex == "X" || sex == "" {
		sex = "<"
	}
	name := strings.Join(d.Surnames, "<")
	if len(d.GivenNames) > 0 {
		name += "<<" + strings.Join(d.GivenNames, "<")
	}
	birth, expiry := zoneDate(d.BirthDate), zoneDate(d.ExpiryDate)
	dates := birth + cd(birth) + sex + expiry + cd(expiry)
	switch d.Format {
	case TD1:
		num, opt := numberField(d.DocumentNumber, d.OptionalData, 15)
		l1 := pad(d.DocumentCode, 2) + pad(d.IssuingState, 3) + num + opt
		l2 := dates + pad(d.Nationality, 3) + pad(d.OptionalData2, 11)
		l2 += cd(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29])
		return []string{l1, l2, pad(name, 30)}
	case TD2:
		num, opt := numberField(d.DocumentNumber, d.OptionalData, 7)
		l1 := pad(d.DocumentCode, 2) + pad(d.IssuingState, 3) + pad(name, 31)
		l2 := num + pad(d.Nationality, 3) + dates + opt
		l2 += cd(l2[0:10] + l2[13:20] + l2[21:35])
		return []string{l1, l2}
	default:
		l1 := pad(d.DocumentCode, 2) + pad(d.IssuingState, 3) + pad(name, 39)
		num := pad(d.DocumentNumber, 9)
		opt := pad(d.OptionalData, 14)
		l2 := num + cd(num) + pad(d.Nationality, 3) + dates + opt + cd(opt)
		l2 += cd(l2[0:10] + l2[13:20] + l2[21:43])
		return []string{l1, l2}
	}
}

// numberField returns the 10 characters of a document number and its check
// digit, and the optional data field of width w, overflowing a number longer
// than 9 characters into it.
func numberField(num, opt string, w int) (string, string) {
	if len(num) <= 9 {
		f := pad(num, 9)
		return f + cd(f), pad(opt, w)
	}
	rest := num[9:] + cd(num)
	if opt != "" {
		rest += "<" + opt
	}
	return num[:9] + "<", pad(rest, w)
}

func cd(s string) string { return string(CheckDigit(s)) }

func pad(s string, n int) string {
	if len(s) >= n {
		return s[:n]
	}
	return s + strings.Repeat("<", n-len(s))
}

// zoneDate turns YYYY-MM-DD, YYYY-MM, YYYY or "" into YYMMDD with fillers.
func zoneDate(iso string) string {
	s := strings.ReplaceAll(iso, "-", "")
	if len(s) >= 4 {
		s = s[2:]
	}
	return pad(s, 6)
}

var propNow = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

func genToken(alphabet string, minLen, maxLen int) *rapid.Generator[string] {
	return rapid.Custom(func(t *rapid.T) string {
		n := rapid.IntRange(minLen, maxLen).Draw(t, "len")
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[rapid.IntRange(0, len(alphabet)-1).Draw(t, "c")]
		}
		return string(b)
	})
}

const (
	letters  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	alphanum = letters + "0123456789"
)

func genDate(t *rapid.T, label string, from, days int, partial bool) string {
	d := propNow.AddDate(0, 0, from+rapid.IntRange(0, days).Draw(t, label)).Format(time.DateOnly)
	if !partial {
		return d
	}
	switch rapid.IntRange(0, 9).Draw(t, label+"_known") {
	case 0:
		return ""
	case 1:
		return d[:4]
	case 2:
		return d[:7]
	}
	return d
}

func genDocument(t *rapid.T) *Document {
	f := rapid.SampledFrom([]Format{TD1, TD2, TD3}).Draw(t, "format")
	d := &Document{Format: f, CheckDigits: map[string]bool{
		FieldDocumentNumber: true, FieldBirthDate: true, FieldExpiryDate: true, FieldComposite: true,
	}}
	first := "P"
	if f != TD3 {
		first = rapid.SampledFrom([]string{"I", "A", "C"}).Draw(t, "code")
	}
	d.DocumentCode = first + genToken(letters, 0, 1).Draw(t, "code2")
	d.IssuingState = genToken(letters, 1, 3).Draw(t, "state")
	d.Nationality = genToken(letters, 1, 3).Draw(t, "nationality")
	d.Surnames = rapid.SliceOfN(genToken(letters, 1, 6), 1, 2).Draw(t, "surnames")
	d.GivenNames = rapid.SliceOfN(genToken(letters, 1, 6), 0, 2).Draw(t, "given")
	d.Sex = rapid.SampledFrom([]string{"M", "F", "X"}).Draw(t, "sex")
	d.BirthDate = genDate(t, "birth", -36000, 36000, true)
	d.ExpiryDate = genDate(t, "expiry", -17500, 35500, rapid.Bool().Draw(t, "partial_expiry"))
	switch f {
	case TD3:
		d.DocumentNumber = genToken(alphanum, 1, 9).Draw(t, "number")
		d.OptionalData = genToken(alphanum, 0, 14).Draw(t, "optional")
		d.CheckDigits[FieldOptionalData] = true
	case TD2:
		d.DocumentNumber = genToken(alphanum, 1, 12).Draw(t, "number")
		room := 7
		if len(d.DocumentNumber) > 9 {
			room = 7 - (len(d.DocumentNumber) - 9) - 2
		}
		d.OptionalData = genToken(alphanum, 0, max(room, 0)).Draw(t, "optional")
	case TD1:
		d.DocumentNumber = genToken(alphanum, 1, 14).Draw(t, "number")
		room := 15
		if len(d.DocumentNumber) > 9 {
			room = 15 - (len(d.DocumentNumber) - 9) - 2
		}
		d.OptionalData = genToken(alphanum, 0, max(room, 0)).Draw(t, "optional")
		d.OptionalData2 = genToken(alphanum, 0, 11).Draw(t, "optional2")
	}
	d.Expired = d.ExpiredOn(propNow)
	return d
}

// TestRoundTrip writes generated documents as zones and parses them back.
func TestRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		want := genDocument(t)
		lines := write(want)
		got, err := ParseAt(propNow, lines...)
		if err != nil {
			t.Fatalf("ParseAt(%q): got error %v, want none", lines, err)
		}
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("ParseAt(write(doc)) mismatch (-want +got):\n%s", diff)
		}
	})
}

// TestWriterSpecimens checks the test writer against the ICAO specimens, so
// that the round trip is anchored to the specification and not only to the
// parser.
func TestWriterSpecimens(t *testing.T) {
	for _, s := range specimens {
		got := write(s.want)
		if diff := cmp.Diff(s.lines, got); diff != "" {
			t.Errorf("%s: write mismatch (-want +got):\n%s", s.name, diff)
		}
	}
}
