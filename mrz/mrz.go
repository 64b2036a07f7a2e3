// Package mrz reads the machine-readable zone (MRZ) of identity documents as
// specified by ICAO Doc 9303: TD1 cards (3 lines of 30 characters), TD2 cards
// (2 lines of 36) and TD3 passports (2 lines of 44).
//
// Parse checks the shape of the zone, verifies every check digit (document
// number, birth date, expiry date, the TD3 personal number and the composite)
// and extracts the fields. Every problem is reported at once as a
// *senda.Error whose Fields name the failing fields; when the zone has the
// right shape but some field is wrong, the parsed Document is returned
// alongside the error so that a caller can show what was read.
//
// Input is normalised before it is read: surrounding white space is removed
// from each line, ASCII lower-case letters are upper-cased, and a single
// argument holding several lines separated by newlines is split into them.
// Nothing else is corrected: a character outside [A-Z0-9<] is an error.
//
// The package never panics on any input and never logs; its errors never
// carry the zone itself, only field names, positions and check digits.
package mrz

import (
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/senda-platform/senda"
)

// Format is the size of a machine-readable travel document.
type Format string

// Formats of ICAO 9303.
const (
	TD1 Format = "TD1" // cards: 3 lines of 30 characters
	TD2 Format = "TD2" // cards: 2 lines of 36 characters
	TD3 Format = "TD3" // passports: 2 lines of 44 characters
)

// Field names used in Document.CheckDigits and as FieldError.Location.
const (
	FieldDocumentCode   = "document_code"
	FieldDocumentNumber = "document_number"
	FieldBirthDate      = "birth_date"
	FieldExpiryDate     = "expiry_date"
	FieldOptionalData   = "optional_data"
	FieldComposite      = "composite"
	FieldSex            = "sex"
	FieldLines          = "lines"
)

// Message catalogue keys of the errors.
const (
	KeyInvalid      = "mrz.invalid"       // the top-level key of every error
	KeyLines        = "mrz.lines"         // wrong number of lines; Args: got
	KeyFormat       = "mrz.format"        // line lengths fit no format; Args: got
	KeyLength       = "mrz.length"        // a line of the wrong length; Args: want, got
	KeyCharset      = "mrz.charset"       // a character outside [A-Z0-9<]; Args: position
	KeyCheckDigit   = "mrz.check_digit"   // Args: expected, got
	KeyDate         = "mrz.date"          // not a date (YYMMDD, or YYMM<<, YY<<<<, <<<<<<)
	KeySex          = "mrz.sex"           // not M, F, X or <
	KeyDocumentCode = "mrz.document_code" // not a letter, or a visa (V), which this package does not read
)

// Document is what the zone says. Dates are ISO 8601 (YYYY-MM-DD), or
// YYYY-MM or YYYY when the zone marks the day or the month unknown with
// fillers, or empty when the whole date is unknown. Text fields have their
// trailing fillers removed.
type Document struct {
	Format         Format   `json:"format"`
	DocumentCode   string   `json:"document_code"`
	IssuingState   string   `json:"issuing_state"`
	Surnames       []string `json:"surnames"`
	GivenNames     []string `json:"given_names"`
	NamesTruncated bool     `json:"names_truncated"`
	DocumentNumber string   `json:"document_number"`
	Nationality    string   `json:"nationality"`
	BirthDate      string   `json:"birth_date"`
	Sex            string   `json:"sex"`
	ExpiryDate     string   `json:"expiry_date"`
	// OptionalData is the TD3 personal number, or the optional data of line
	// 1 (TD1) or line 2 (TD2).
	OptionalData string `json:"optional_data"`
	// OptionalData2 is the optional data of TD1 line 2; empty otherwise.
	OptionalData2 string `json:"optional_data_2"`
	// CheckDigits tells, for each check digit the format has, whether it
	// verifies: document_number, birth_date, expiry_date, optional_data
	// (TD3 only) and composite.
	CheckDigits map[string]bool `json:"check_digits"`
	// Expired is ExpiredOn the reference date given to ParseAt.
	Expired bool `json:"expired"`
}

// LogValue keeps personal data out of logs: only the format, the document
// code, the issuing state and whether it expired are shown.
func (d *Document) LogValue() slog.Value {
	if d == nil {
		return slog.StringValue("<nil>")
	}
	return slog.GroupValue(
		slog.String("format", string(d.Format)),
		slog.String("document_code", d.DocumentCode),
		slog.String("issuing_state", d.IssuingState),
		slog.Bool("expired", d.Expired),
	)
}

// ExpiredOn reports whether the document had expired on the calendar day of
// t (in t's location). A document is valid through its expiry day. A partial
// expiry date (YYYY-MM or YYYY) expires after the last day of that month or
// year; an unknown expiry date never expires.
func (d *Document) ExpiredOn(t time.Time) bool {
	if d == nil || d.ExpiryDate == "" {
		return false
	}
	return d.ExpiryDate < prefix(t.Format(time.DateOnly), len(d.ExpiryDate))
}

// Valid reports whether every check digit verified.
func (d *Document) Valid() bool {
	if d == nil {
		return false
	}
	for _, ok := range d.CheckDigits {
		if !ok {
			return false
		}
	}
	return true
}

// Parse reads a zone using today's date to resolve centuries and to compute
// Expired. See ParseAt.
func Parse(lines ...string) (*Document, error) {
	return ParseAt(time.Now(), lines...)
}

// ParseAt reads a zone given as its lines (or as one string of lines
// separated by newlines), using now to resolve the century of two-digit
// years and to compute Expired:
//
//   - a birth date is taken in the current century unless that puts it after
//     now, in which case it is taken in the previous one (so in 2026, "26"
//     born before today is 2026 and "27" is 1927);
//   - an expiry date is taken in the current century unless that puts it more
//     than 50 years after now, in which case it is taken in the previous one
//     (so in 2026, "76" is 2076 and "77" is 1977).
//
// The error is nil or a *senda.Error with code invalid and key mrz.invalid
// whose Fields list every problem. If the zone has the wrong number of lines,
// a line of the wrong length or a character outside [A-Z0-9<], the Document
// is nil. Otherwise the Document is returned even when check digits, dates,
// the sex or the document code are wrong.
func ParseAt(now time.Time, lines ...string) (*Document, error) {
	ls := normalise(lines)
	var errs fieldErrors
	var format Format
	var width int
	switch len(ls) {
	case 3:
		format, width = TD1, 30
	case 2:
		switch {
		case len(ls[0]) == 44 || (len(ls[0]) != 36 && len(ls[1]) == 44):
			format, width = TD3, 44
		case len(ls[0]) == 36 || len(ls[1]) == 36:
			format, width = TD2, 36
		default:
			errs.add(FieldLines, KeyFormat, map[string]any{"got": []int{len(ls[0]), len(ls[1])}})
		}
	default:
		errs.add(FieldLines, KeyLines, map[string]any{"got": len(ls), "want": []int{2, 3}})
		return nil, errs.err()
	}
	for i, l := range ls {
		loc := "line" + strconv.Itoa(i+1)
		if width != 0 && len(l) != width {
			errs.add(loc, KeyLength, map[string]any{"want": width, "got": len(l)})
		}
		if p := badChar(l); p > 0 {
			errs.add(loc, KeyCharset, map[string]any{"position": p})
		}
	}
	if len(errs) > 0 {
		return nil, errs.err()
	}
	var p parser
	p.now = now
	switch format {
	case TD1:
		p.td1(ls[0], ls[1], ls[2])
	case TD2:
		p.td2(ls[0], ls[1])
	default:
		p.td3(ls[0], ls[1])
	}
	p.doc.Expired = p.doc.ExpiredOn(now)
	return &p.doc, p.errs.err()
}

// normalise splits a single multi-line argument, trims white space and
// upper-cases ASCII letters.
func normalise(lines []string) []string {
	if len(lines) == 1 && strings.ContainsAny(lines[0], "\n\r") {
		var ls []string
		for _, l := range strings.FieldsFunc(lines[0], func(r rune) bool { return r == '\n' || r == '\r' }) {
			if strings.TrimSpace(l) != "" {
				ls = append(ls, l)
			}
		}
		lines = ls
	}
	out := make([]string, len(lines))
	for i, l := range lines {
		l = strings.TrimSpace(l)
		b := []byte(l)
		for j, c := range b {
			if 'a' <= c && c <= 'z' {
				b[j] = c - 'a' + 'A'
			}
		}
		out[i] = string(b)
	}
	return out
}

// badChar returns the 1-based byte position of the first character outside
// [A-Z0-9<], or 0.
func badChar(l string) int {
	for i := 0; i < len(l); i++ {
		if !isMRZChar(l[i]) {
			return i + 1
		}
	}
	return 0
}

func isMRZChar(c byte) bool {
	return ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') || c == '<'
}

type fieldErrors []senda.FieldError

func (e *fieldErrors) add(loc, key string, args map[string]any) {
	*e = append(*e, senda.FieldError{Location: loc, Key: key, Args: args})
}

func (e fieldErrors) err() error {
	if len(e) == 0 {
		return nil
	}
	return &senda.Error{Code: senda.CodeInvalid, Key: KeyInvalid, Fields: e}
}

// CheckDigit returns the ICAO 9303 check digit of s: the sum of the values of
// its characters (0-9 as themselves, A-Z as 10-35, < and anything else as 0)
// weighted 7, 3, 1 repeating, modulo 10.
func CheckDigit(s string) byte {
	weights := [3]int{7, 3, 1}
	sum := 0
	for i := 0; i < len(s); i++ {
		sum += charValue(s[i]) * weights[i%3]
	}
	return byte('0' + sum%10)
}

func charValue(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'A' <= c && c <= 'Z':
		return int(c-'A') + 10
	}
	return 0
}

type parser struct {
	now  time.Time
	doc  Document
	errs fieldErrors
}

// check verifies the check digit cd of data and records the result under
// field. A filler check digit is accepted for a field made only of fillers.
func (p *parser) check(field, data string, cd byte) {
	want := CheckDigit(data)
	ok := cd == want || (cd == '<' && strings.Trim(data, "<") == "")
	p.doc.CheckDigits[field] = ok
	if !ok {
		p.errs.add(field, KeyCheckDigit, map[string]any{"expected": string(want), "got": string(cd)})
	}
}

func (p *parser) header(l string) {
	p.doc.CheckDigits = map[string]bool{}
	p.doc.DocumentCode = trimFill(l[0:2])
	p.doc.IssuingState = trimFill(l[2:5])
	if c := l[0]; c < 'A' || c > 'Z' || c == 'V' {
		p.errs.add(FieldDocumentCode, KeyDocumentCode, nil)
	}
}

// number reads a document number field and its check digit. On TD1 and TD2
// a number longer than 9 characters continues in the optional data: the
// check digit position holds a filler and the rest of the number followed by
// its check digit opens the optional data, ended by a filler. It returns the
// optional data left after the number.
func (p *parser) number(field string, cd byte, opt string, overflow bool) string {
	if overflow && cd == '<' && !strings.Contains(field, "<") && opt != "" && opt[0] != '<' {
		end := strings.IndexByte(opt, '<')
		if end < 0 {
			end = len(opt)
		}
		rest := opt[:end]
		p.doc.DocumentNumber = field + rest[:len(rest)-1]
		p.check(FieldDocumentNumber, p.doc.DocumentNumber, rest[len(rest)-1])
		return strings.TrimLeft(opt[end:], "<")
	}
	p.doc.DocumentNumber = trimFill(field)
	p.check(FieldDocumentNumber, field, cd)
	return opt
}

func (p *parser) names(field string) {
	p.doc.NamesTruncated = field[len(field)-1] != '<'
	field = strings.TrimRight(field, "<")
	primary, secondary, _ := strings.Cut(field, "<<")
	p.doc.Surnames = components(primary)
	p.doc.GivenNames = components(secondary)
}

func components(s string) []string {
	out := []string{}
	for _, c := range strings.Split(s, "<") {
		if c != "" {
			out = append(out, c)
		}
	}
	return out
}

func (p *parser) sex(c byte) {
	switch c {
	case 'M', 'F':
		p.doc.Sex = string(c)
	case 'X', '<':
		p.doc.Sex = "X"
	default:
		p.errs.add(FieldSex, KeySex, nil)
	}
}

func (p *parser) dates(birth string, birthCD byte, expiry string, expiryCD byte) {
	p.check(FieldBirthDate, birth, birthCD)
	if d, ok := p.date(birth, false); ok {
		p.doc.BirthDate = d
	} else {
		p.errs.add(FieldBirthDate, KeyDate, nil)
	}
	p.check(FieldExpiryDate, expiry, expiryCD)
	if d, ok := p.date(expiry, true); ok {
		p.doc.ExpiryDate = d
	} else {
		p.errs.add(FieldExpiryDate, KeyDate, nil)
	}
}

// date converts YYMMDD (or YYMM<<, YY<<<<, <<<<<<) to ISO 8601, resolving the
// century against p.now.
func (p *parser) date(s string, expiry bool) (string, bool) {
	known := strings.IndexByte(s, '<')
	if known < 0 {
		known = 6
	}
	if known != 0 && known != 2 && known != 4 && known != 6 {
		return "", false
	}
	if strings.Trim(s[known:], "<") != "" || !allDigits(s[:known]) {
		return "", false
	}
	if known == 0 {
		return "", true
	}
	yy, _ := strconv.Atoi(s[0:2])
	month, day := 0, 0
	if known >= 4 {
		month, _ = strconv.Atoi(s[2:4])
		if month < 1 || month > 12 {
			return "", false
		}
	}
	if known == 6 {
		day, _ = strconv.Atoi(s[4:6])
		if day < 1 || day > 31 {
			return "", false
		}
	}
	nowY := p.now.Year()
	year := nowY - mod(nowY, 100) + yy
	if expiry {
		if year > nowY+50 {
			year -= 100
		} else if year < nowY-50 {
			year += 100
		}
	} else if d := format(year, month, day); d > prefix(p.now.Format(time.DateOnly), len(d)) {
		year -= 100
	}
	if day != 0 {
		t := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
		if t.Day() != day {
			return "", false
		}
	}
	return format(year, month, day), true
}

func prefix(s string, n int) string {
	if n < len(s) {
		return s[:n]
	}
	return s
}

func mod(a, b int) int {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}

func format(year, month, day int) string {
	b := make([]byte, 0, 10)
	b = appendPadded(b, year, 4)
	if month != 0 {
		b = append(b, '-')
		b = appendPadded(b, month, 2)
	}
	if day != 0 {
		b = append(b, '-')
		b = appendPadded(b, day, 2)
	}
	return string(b)
}

func appendPadded(b []byte, n, width int) []byte {
	s := strconv.Itoa(n)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func trimFill(s string) string { return strings.TrimRight(s, "<") }

// td3 reads a passport zone (2 x 44).
func (p *parser) td3(l1, l2 string) {
	p.doc.Format = TD3
	p.header(l1)
	p.names(l1[5:44])
	p.number(l2[0:9], l2[9], "", false)
	p.doc.Nationality = trimFill(l2[10:13])
	p.dates(l2[13:19], l2[19], l2[21:27], l2[27])
	p.sex(l2[20])
	p.doc.OptionalData = trimFill(l2[28:42])
	p.check(FieldOptionalData, l2[28:42], l2[42])
	p.check(FieldComposite, l2[0:10]+l2[13:20]+l2[21:43], l2[43])
}

// td2 reads a 2 x 36 card zone.
func (p *parser) td2(l1, l2 string) {
	p.doc.Format = TD2
	p.header(l1)
	p.names(l1[5:36])
	opt := p.number(l2[0:9], l2[9], l2[28:35], true)
	p.doc.Nationality = trimFill(l2[10:13])
	p.dates(l2[13:19], l2[19], l2[21:27], l2[27])
	p.sex(l2[20])
	p.doc.OptionalData = trimFill(opt)
	p.check(FieldComposite, l2[0:10]+l2[13:20]+l2[21:35], l2[35])
}

// td1 reads a 3 x 30 card zone.
func (p *parser) td1(l1, l2, l3 string) {
	p.doc.Format = TD1
	p.header(l1)
	opt := p.number(l1[5:14], l1[14], l1[15:30], true)
	p.doc.OptionalData = trimFill(opt)
	p.dates(l2[0:6], l2[6], l2[8:14], l2[14])
	p.sex(l2[7])
	p.doc.Nationality = trimFill(l2[15:18])
	p.doc.OptionalData2 = trimFill(l2[18:29])
	p.check(FieldComposite, l1[5:30]+l2[0:7]+l2[8:15]+l2[18:29], l2[29])
	p.names(l3)
}
