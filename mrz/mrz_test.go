package mrz

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/senda-platform/senda"
)

var testNow = time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)

type specimen struct {
	name  string
	lines []string
	want  *Document
}

func checks(fields ...string) map[string]bool {
	m := map[string]bool{}
	for _, f := range fields {
		m[f] = true
	}
	return m
}

// The specimens of ICAO Doc 9303 (8th edition): Part 4 (TD3), Part 5 (TD1),
// Part 6 (TD2), and Part 11 appendix D.2 for document numbers longer than 9
// characters.
var specimens = []specimen{
	{
		name: "TD3 Part 4",
		lines: []string{
			"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
			"L898902C36UTO7408122F1204159ZE184226B<<<<<10",
		},
		want: &Document{
			Format: TD3, DocumentCode: "P", IssuingState: "UTO",
			Surnames: []string{"ERIKSSON"}, GivenNames: []string{"ANNA", "MARIA"},
			DocumentNumber: "L898902C3", Nationality: "UTO", BirthDate: "1974-08-12", Sex: "F",
			ExpiryDate: "2012-04-15", OptionalData: "ZE184226B",
			CheckDigits: checks(FieldDocumentNumber, FieldBirthDate, FieldExpiryDate, FieldOptionalData, FieldComposite),
			Expired:     true,
		},
	},
	{
		name: "TD1 Part 5",
		lines: []string{
			"I<UTOD231458907<<<<<<<<<<<<<<<",
			"7408122F1204159UTO<<<<<<<<<<<6",
			"ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
		},
		want: &Document{
			Format: TD1, DocumentCode: "I", IssuingState: "UTO",
			Surnames: []string{"ERIKSSON"}, GivenNames: []string{"ANNA", "MARIA"},
			DocumentNumber: "D23145890", Nationality: "UTO", BirthDate: "1974-08-12", Sex: "F",
			ExpiryDate:  "2012-04-15",
			CheckDigits: checks(FieldDocumentNumber, FieldBirthDate, FieldExpiryDate, FieldComposite),
			Expired:     true,
		},
	},
	{
		name: "TD2 Part 6",
		lines: []string{
			"I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
			"D231458907UTO7408122F1204159<<<<<<<6",
		},
		want: &Document{
			Format: TD2, DocumentCode: "I", IssuingState: "UTO",
			Surnames: []string{"ERIKSSON"}, GivenNames: []string{"ANNA", "MARIA"},
			DocumentNumber: "D23145890", Nationality: "UTO", BirthDate: "1974-08-12", Sex: "F",
			ExpiryDate:  "2012-04-15",
			CheckDigits: checks(FieldDocumentNumber, FieldBirthDate, FieldExpiryDate, FieldComposite),
			Expired:     true,
		},
	},
	{
		name: "TD1 long document number, Part 11 D.2",
		lines: []string{
			"I<UTOD23145890<7349<<<<<<<<<<<",
			"3407127M9507122UTO<<<<<<<<<<<2",
			"STEVENSON<<PETER<JOHN<<<<<<<<<",
		},
		want: &Document{
			Format: TD1, DocumentCode: "I", IssuingState: "UTO",
			Surnames: []string{"STEVENSON"}, GivenNames: []string{"PETER", "JOHN"},
			DocumentNumber: "D23145890734", Nationality: "UTO", BirthDate: "1934-07-12", Sex: "M",
			ExpiryDate:  "1995-07-12",
			CheckDigits: checks(FieldDocumentNumber, FieldBirthDate, FieldExpiryDate, FieldComposite),
			Expired:     true,
		},
	},
	{
		name: "TD2 long document number, Part 11 D.2",
		lines: []string{
			"I<UTOSTEVENSON<<PETER<JOHN<<<<<<<<<<",
			"D23145890<UTO3407127M95071227349<<<8",
		},
		want: &Document{
			Format: TD2, DocumentCode: "I", IssuingState: "UTO",
			Surnames: []string{"STEVENSON"}, GivenNames: []string{"PETER", "JOHN"},
			DocumentNumber: "D23145890734", Nationality: "UTO", BirthDate: "1934-07-12", Sex: "M",
			ExpiryDate:  "1995-07-12",
			CheckDigits: checks(FieldDocumentNumber, FieldBirthDate, FieldExpiryDate, FieldComposite),
			Expired:     true,
		},
	},
}

func TestSpecimens(t *testing.T) {
	for _, s := range specimens {
		t.Run(s.name, func(t *testing.T) {
			got, err := ParseAt(testNow, s.lines...)
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if diff := cmp.Diff(s.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
			if !got.Valid() {
				t.Errorf("Valid() = false, want true")
			}
		})
	}
}

func TestCheckDigit(t *testing.T) {
	tests := []struct {
		in   string
		want byte
	}{
		{"L898902C3", '6'},
		{"740812", '2'},
		{"120415", '9'},
		{"ZE184226B<<<<<", '1'},
		{"L898902C3674081221204159ZE184226B<<<<<1", '0'},
		{"D23145890", '7'},
		{"D23145890734", '9'},
		{"<<<<<<<<<", '0'},
		{"", '0'},
	}
	for _, tt := range tests {
		if got := CheckDigit(tt.in); got != tt.want {
			t.Errorf("CheckDigit(%q) = %c, want %c", tt.in, got, tt.want)
		}
	}
}

// checkPos is where a check digit sits: line and index.
type checkPos struct{ line, index int }

var checkPositions = map[Format]map[string]checkPos{
	TD3: {
		FieldDocumentNumber: {1, 9}, FieldBirthDate: {1, 19}, FieldExpiryDate: {1, 27},
		FieldOptionalData: {1, 42}, FieldComposite: {1, 43},
	},
	TD2: {FieldDocumentNumber: {1, 9}, FieldBirthDate: {1, 19}, FieldExpiryDate: {1, 27}, FieldComposite: {1, 35}},
	TD1: {FieldDocumentNumber: {0, 14}, FieldBirthDate: {1, 6}, FieldExpiryDate: {1, 14}, FieldComposite: {1, 29}},
}

// fixComposite recomputes the composite check digit of a zone.
func fixComposite(f Format, ls []string) []string {
	ls = append([]string(nil), ls...)
	switch f {
	case TD3:
		ls[1] = ls[1][:43] + cd(ls[1][0:10]+ls[1][13:20]+ls[1][21:43])
	case TD2:
		ls[1] = ls[1][:35] + cd(ls[1][0:10]+ls[1][13:20]+ls[1][21:35])
	case TD1:
		ls[1] = ls[1][:29] + cd(ls[0][5:30]+ls[1][0:7]+ls[1][8:15]+ls[1][18:29])
	}
	return ls
}

func setChar(ls []string, line, index int, c byte) []string {
	ls = append([]string(nil), ls...)
	b := []byte(ls[line])
	b[index] = c
	ls[line] = string(b)
	return ls
}

// TestCheckDigitFailures breaks each check digit of each specimen alone
// (recomputing the composite so that only that field fails) and expects the
// field to be named, with the document still returned.
func TestCheckDigitFailures(t *testing.T) {
	for _, s := range specimens[:3] {
		for field, p := range checkPositions[s.want.Format] {
			t.Run(s.name+"/"+field, func(t *testing.T) {
				orig := s.lines[p.line][p.index]
				bad := byte('0' + (orig-'0'+1)%10)
				lines := setChar(s.lines, p.line, p.index, bad)
				if field != FieldComposite {
					lines = fixComposite(s.want.Format, lines)
				}
				doc, err := ParseAt(testNow, lines...)
				want := []senda.FieldError{{
					Location: field, Key: KeyCheckDigit,
					Args: map[string]any{"expected": string(orig), "got": string(bad)},
				}}
				if diff := cmp.Diff(want, fieldErrorsOf(t, err)); diff != "" {
					t.Errorf("field errors mismatch (-want +got):\n%s", diff)
				}
				if doc == nil {
					t.Fatalf("got nil document, want the parsed document")
				}
				if doc.CheckDigits[field] {
					t.Errorf("CheckDigits[%s] = true, want false", field)
				}
				if doc.DocumentNumber != s.want.DocumentNumber {
					t.Errorf("DocumentNumber = %q, want %q", doc.DocumentNumber, s.want.DocumentNumber)
				}
			})
		}
	}
}

func TestLongNumberCheckDigitFailure(t *testing.T) {
	lines := fixComposite(TD1, setChar(specimens[3].lines, 0, 18, '8'))
	_, err := ParseAt(testNow, lines...)
	want := []senda.FieldError{{Location: FieldDocumentNumber, Key: KeyCheckDigit, Args: map[string]any{"expected": "9", "got": "8"}}}
	if diff := cmp.Diff(want, fieldErrorsOf(t, err)); diff != "" {
		t.Errorf("field errors mismatch (-want +got):\n%s", diff)
	}
}

// TestAllFailuresAtOnce corrupts data so that several check digits fail and
// expects every failing field named in one error.
func TestAllFailuresAtOnce(t *testing.T) {
	lines := setChar(specimens[0].lines, 1, 0, 'M') // document number
	lines = setChar(lines, 1, 15, '1')              // birth date 741812: also not a date
	lines = setChar(lines, 1, 30, 'F')              // optional data
	_, err := ParseAt(testNow, lines...)
	var locs []string
	for _, f := range fieldErrorsOf(t, err) {
		locs = append(locs, f.Location+" "+f.Key)
	}
	want := []string{
		"document_number mrz.check_digit",
		"birth_date mrz.check_digit",
		"birth_date mrz.date",
		"optional_data mrz.check_digit",
		"composite mrz.check_digit",
	}
	if diff := cmp.Diff(want, locs); diff != "" {
		t.Errorf("errors mismatch (-want +got):\n%s", diff)
	}
}

func fieldErrorsOf(t *testing.T, err error) []senda.FieldError {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one")
	}
	var e *senda.Error
	if !errors.As(err, &e) {
		t.Fatalf("got error of type %T, want *senda.Error", err)
	}
	if e.Code != senda.CodeInvalid || e.Key != KeyInvalid {
		t.Errorf("got code %q key %q, want %q %q", e.Code, e.Key, senda.CodeInvalid, KeyInvalid)
	}
	return e.Fields
}

func TestShape(t *testing.T) {
	td3 := specimens[0].lines
	tests := []struct {
		name  string
		lines []string
		want  []senda.FieldError // nil: parses as the TD3 specimen
	}{
		{"lowercase", []string{strings.ToLower(td3[0]), strings.ToLower(td3[1])}, nil},
		{"surrounding white space", []string{"  " + td3[0] + "\t", "\n" + td3[1] + " \r\n"}, nil},
		{"one string of lines", []string{td3[0] + "\n" + td3[1] + "\n"}, nil},
		{"one string with CRLF", []string{"\r\n" + td3[0] + "\r\n" + td3[1]}, nil},
		{"no lines", nil, []senda.FieldError{{Location: "lines", Key: KeyLines, Args: map[string]any{"got": 0, "want": []int{2, 3}}}}},
		{"one line", []string{td3[0]}, []senda.FieldError{{Location: "lines", Key: KeyLines, Args: map[string]any{"got": 1, "want": []int{2, 3}}}}},
		{"four lines", []string{td3[0], td3[1], td3[1], td3[1]}, []senda.FieldError{{Location: "lines", Key: KeyLines, Args: map[string]any{"got": 4, "want": []int{2, 3}}}}},
		{"two lines of 30", []string{strings.Repeat("<", 30), strings.Repeat("<", 30)}, []senda.FieldError{{Location: "lines", Key: KeyFormat, Args: map[string]any{"got": []int{30, 30}}}}},
		{"line 2 short", []string{td3[0], td3[1][:43]}, []senda.FieldError{{Location: "line2", Key: KeyLength, Args: map[string]any{"want": 44, "got": 43}}}},
		{"line 1 long", []string{td3[0] + "<", td3[1]}, []senda.FieldError{{Location: "line1", Key: KeyLength, Args: map[string]any{"want": 44, "got": 45}}}},
		{"asterisk", []string{td3[0], "L898902C3*" + td3[1][10:]}, []senda.FieldError{{Location: "line2", Key: KeyCharset, Args: map[string]any{"position": 10}}}},
		{"inner space", []string{"P<UTOERIKSSON  ANNA<MARIA<<<<<<<<<<<<<<<<<<<", td3[1]}, []senda.FieldError{{Location: "line1", Key: KeyCharset, Args: map[string]any{"position": 14}}}},
		{"accented letter", []string{"P<UTOÉRIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<", td3[1]}, []senda.FieldError{{Location: "line1", Key: KeyCharset, Args: map[string]any{"position": 6}}}},
		{
			"length and charset at once",
			[]string{td3[0][:40], strings.Replace(td3[1], "UTO", "U-O", 1)},
			[]senda.FieldError{
				{Location: "line1", Key: KeyLength, Args: map[string]any{"want": 44, "got": 40}},
				{Location: "line2", Key: KeyCharset, Args: map[string]any{"position": 12}},
			},
		},
		{
			"TD1 line of wrong length",
			[]string{specimens[1].lines[0], specimens[1].lines[1] + "<", specimens[1].lines[2]},
			[]senda.FieldError{{Location: "line2", Key: KeyLength, Args: map[string]any{"want": 30, "got": 31}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := ParseAt(testNow, tt.lines...)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("got error %v, want none", err)
				}
				if diff := cmp.Diff(specimens[0].want, doc, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("mismatch (-want +got):\n%s", diff)
				}
				return
			}
			if doc != nil {
				t.Errorf("got a document, want nil for a zone of the wrong shape")
			}
			if diff := cmp.Diff(tt.want, fieldErrorsOf(t, err)); diff != "" {
				t.Errorf("field errors mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// td3With returns the TD3 specimen with the characters at line 2 index i
// replaced by s and every check digit recomputed.
func td3With(i int, s string) []string {
	ls := append([]string(nil), specimens[0].lines...)
	l2 := ls[1][:i] + s + ls[1][i+len(s):]
	l2 = l2[:9] + cd(l2[0:9]) + l2[10:19] + cd(l2[13:19]) + l2[20:27] + cd(l2[21:27]) + l2[28:42] + cd(l2[28:42]) + l2[43:]
	ls[1] = l2
	return fixComposite(TD3, ls)
}

func TestDates(t *testing.T) {
	tests := []struct {
		name           string
		birth, expiry  string
		wantB, wantE   string
		wantErrs       []string
		wantExpiredNow bool
	}{
		{"specimen", "740812", "120415", "1974-08-12", "2012-04-15", nil, true},
		{"born this year before today", "260301", "360301", "2026-03-01", "2036-03-01", nil, false},
		{"born today", "260314", "360314", "2026-03-14", "2036-03-14", nil, false},
		{"yy after today is last century", "260315", "360315", "1926-03-15", "2036-03-15", nil, false},
		{"born 1999", "991231", "300101", "1999-12-31", "2030-01-01", nil, false},
		{"born 2000", "000101", "300101", "2000-01-01", "2030-01-01", nil, false},
		{"leap day", "000229", "280229", "2000-02-29", "2028-02-29", nil, false},
		{"expiry 50 years ahead", "800101", "760101", "1980-01-01", "2076-01-01", nil, false},
		{"expiry more than 50 years ahead", "800101", "770101", "1980-01-01", "1977-01-01", nil, true},
		{"expires today", "800101", "260314", "1980-01-01", "2026-03-14", nil, false},
		{"expired yesterday", "800101", "260313", "1980-01-01", "2026-03-13", nil, true},
		{"unknown day", "7408<<", "300101", "1974-08", "2030-01-01", nil, false},
		{"unknown month and day", "74<<<<", "300101", "1974", "2030-01-01", nil, false},
		{"unknown birth date", "<<<<<<", "300101", "", "2030-01-01", nil, false},
		{"partial expiry this month", "800101", "2603<<", "1980-01-01", "2026-03", nil, false},
		{"partial expiry last month", "800101", "2602<<", "1980-01-01", "2026-02", nil, true},
		{"month 13", "741312", "300101", "", "2030-01-01", []string{"birth_date mrz.date"}, false},
		{"month 0", "740012", "300101", "", "2030-01-01", []string{"birth_date mrz.date"}, false},
		{"february 30", "740230", "300101", "", "2030-01-01", []string{"birth_date mrz.date"}, false},
		{"february 29 of a common year", "800101", "270229", "1980-01-01", "", []string{"expiry_date mrz.date"}, false},
		{"day 32", "740832", "300101", "", "2030-01-01", []string{"birth_date mrz.date"}, false},
		{"letter in a date", "74O812", "300101", "", "2030-01-01", []string{"birth_date mrz.date"}, false},
		{"known day, unknown month", "74<<12", "300101", "", "2030-01-01", []string{"birth_date mrz.date"}, false},
		{"odd filler", "7408<2", "300101", "", "2030-01-01", []string{"birth_date mrz.date"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l2 := specimens[0].lines[1]
			l2 = l2[:13] + tt.birth + l2[19:21] + tt.expiry + l2[27:]
			lines := td3With(0, l2)
			doc, err := ParseAt(testNow, lines...)
			var got []string
			if err != nil {
				for _, f := range fieldErrorsOf(t, err) {
					got = append(got, f.Location+" "+f.Key)
				}
			}
			if diff := cmp.Diff(tt.wantErrs, got); diff != "" {
				t.Errorf("errors mismatch (-want +got):\n%s", diff)
			}
			if doc == nil {
				t.Fatalf("got nil document")
			}
			if doc.BirthDate != tt.wantB || doc.ExpiryDate != tt.wantE {
				t.Errorf("got birth %q expiry %q, want %q %q", doc.BirthDate, doc.ExpiryDate, tt.wantB, tt.wantE)
			}
			if doc.Expired != tt.wantExpiredNow {
				t.Errorf("Expired = %v, want %v", doc.Expired, tt.wantExpiredNow)
			}
		})
	}
}

func TestExpiredOn(t *testing.T) {
	day := func(s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	tests := []struct {
		expiry, on string
		want       bool
	}{
		{"2026-03-14", "2026-03-14", false},
		{"2026-03-14", "2026-03-15", true},
		{"2026-03-14", "2025-12-31", false},
		{"2026-03", "2026-03-31", false},
		{"2026-03", "2026-04-01", true},
		{"2026", "2026-12-31", false},
		{"2026", "2027-01-01", true},
		{"", "2099-01-01", false},
	}
	for _, tt := range tests {
		d := &Document{ExpiryDate: tt.expiry}
		if got := d.ExpiredOn(day(tt.on)); got != tt.want {
			t.Errorf("ExpiredOn(%s) with expiry %q = %v, want %v", tt.on, tt.expiry, got, tt.want)
		}
	}
	// The calendar day is taken in the location of t.
	late := time.Date(2026, 3, 14, 23, 30, 0, 0, time.FixedZone("UTC-6", -6*3600)) // 2026-03-15 in UTC
	if (&Document{ExpiryDate: "2026-03-14"}).ExpiredOn(late) {
		t.Errorf("ExpiredOn(late evening of the expiry day, local) = true, want false")
	}
	var nilDoc *Document
	if nilDoc.ExpiredOn(testNow) {
		t.Errorf("nil document ExpiredOn = true, want false")
	}
}

func TestFields(t *testing.T) {
	td3 := specimens[0].lines
	tests := []struct {
		name     string
		lines    []string
		check    func(d *Document) string
		wantErrs []string
	}{
		{"sex X", []string{td3[0], td3With(20, "X")[1]}, func(d *Document) string { return d.Sex }, nil},
		{"sex filler", []string{td3[0], td3With(20, "<")[1]}, func(d *Document) string { return d.Sex }, nil},
		{"sex Q", []string{td3[0], td3With(20, "Q")[1]}, func(d *Document) string { return d.Sex }, []string{"sex mrz.sex"}},
		{"visa", []string{"V" + td3[0][1:], td3[1]}, func(d *Document) string { return d.DocumentCode }, []string{"document_code mrz.document_code"}},
		{"digit code", []string{"1" + td3[0][1:], td3[1]}, func(d *Document) string { return d.DocumentCode }, []string{"document_code mrz.document_code"}},
		{"two-letter code", []string{"PD" + td3[0][2:], td3[1]}, func(d *Document) string { return d.DocumentCode }, nil},
		{
			"Germany D<<",
			[]string{"P<D<<MUSTERMANN<<ERIKA<<<<<<<<<<<<<<<<<<<<<<", td3With(10, "D<<")[1]},
			func(d *Document) string { return d.IssuingState + "/" + d.Nationality }, nil,
		},
		{
			"compound names",
			[]string{"P<UTODE<LA<CRUZ<<MARIA<<JOSE<<<<<<<<<<<<<<<<", td3[1]},
			func(d *Document) string {
				return strings.Join(d.Surnames, " ") + "/" + strings.Join(d.GivenNames, " ")
			}, nil,
		},
		{
			"mononym",
			[]string{"P<UTOANNA<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<", td3[1]},
			func(d *Document) string { return strings.Join(d.Surnames, " ") + "/" + strings.Join(d.GivenNames, " ") }, nil,
		},
		{
			"truncated name",
			[]string{"P<UTOVERYLONGSURNAMEINDEED<<GIVENNAMESTOOLON", td3[1]},
			func(d *Document) string {
				if d.NamesTruncated {
					return "truncated"
				}
				return "whole"
			}, nil,
		},
	}
	wants := map[string]string{
		"sex X": "X", "sex filler": "X", "sex Q": "", "visa": "V", "digit code": "1", "two-letter code": "PD",
		"Germany D<<": "D/D", "compound names": "DE LA CRUZ/MARIA JOSE", "mononym": "ANNA/", "truncated name": "truncated",
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := ParseAt(testNow, tt.lines...)
			var got []string
			if err != nil {
				for _, f := range fieldErrorsOf(t, err) {
					got = append(got, f.Location+" "+f.Key)
				}
			}
			if diff := cmp.Diff(tt.wantErrs, got); diff != "" {
				t.Errorf("errors mismatch (-want +got):\n%s", diff)
			}
			if doc == nil {
				t.Fatalf("got nil document")
			}
			if tt.check != nil {
				if g := tt.check(doc); g != wants[tt.name] {
					t.Errorf("got %q, want %q", g, wants[tt.name])
				}
			}
		})
	}
}

// TestFillerCheckDigits accepts a filler in the check digit position of an
// empty optional data field and of an empty document number.
func TestFillerCheckDigits(t *testing.T) {
	ls := td3With(28, "<<<<<<<<<<<<<<")
	ls = fixComposite(TD3, setChar(ls, 1, 42, '<'))
	doc, err := ParseAt(testNow, ls...)
	if err != nil {
		t.Fatalf("empty personal number with filler check digit: got error %v, want none", err)
	}
	if doc.OptionalData != "" {
		t.Errorf("OptionalData = %q, want empty", doc.OptionalData)
	}
	ls = fixComposite(TD3, setChar(td3With(0, "<<<<<<<<<"), 1, 9, '<'))
	if _, err := ParseAt(testNow, ls...); err != nil {
		t.Errorf("empty document number with filler check digit: got error %v, want none", err)
	}
	ls = fixComposite(TD3, setChar(specimens[0].lines, 1, 9, '<'))
	if _, err := ParseAt(testNow, ls...); err == nil {
		t.Errorf("document number with filler check digit: got no error, want one")
	}
}

func TestJSON(t *testing.T) {
	doc, err := ParseAt(testNow, specimens[0].lines...)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"format":"TD3","document_code":"P","issuing_state":"UTO","surnames":["ERIKSSON"],` +
		`"given_names":["ANNA","MARIA"],"names_truncated":false,"document_number":"L898902C3",` +
		`"nationality":"UTO","birth_date":"1974-08-12","sex":"F","expiry_date":"2012-04-15",` +
		`"optional_data":"ZE184226B","optional_data_2":"","check_digits":{"birth_date":true,` +
		`"composite":true,"document_number":true,"expiry_date":true,"optional_data":true},"expired":true}`
	if string(b) != want {
		t.Errorf("got JSON\n%s\nwant\n%s", b, want)
	}
}

func TestLogValueRedacts(t *testing.T) {
	doc, err := ParseAt(testNow, specimens[0].lines...)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("read", "doc", doc)
	for _, secret := range []string{"ERIKSSON", "ANNA", "L898902C3", "1974", "ZE184226B"} {
		if strings.Contains(buf.String(), secret) {
			t.Errorf("log line %q contains %q", buf.String(), secret)
		}
	}
	if !strings.Contains(buf.String(), "TD3") {
		t.Errorf("log line %q does not name the format", buf.String())
	}
}

func TestErrorsDoNotCarryTheZone(t *testing.T) {
	lines := setChar(specimens[0].lines, 1, 9, '5')
	_, err := ParseAt(testNow, lines...)
	if err == nil {
		t.Fatal("got no error, want one")
	}
	msg := err.Error()
	if strings.Contains(msg, "L898902C3") || strings.Contains(msg, "ERIKSSON") {
		t.Errorf("error %q carries the zone", msg)
	}
	if !strings.Contains(msg, FieldDocumentNumber) {
		t.Errorf("error %q does not name the failing field", msg)
	}
}
