package draw

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/senda-platform/senda"
)

// Limits on a draw record. Decode and Run reject records beyond them, which
// bounds the memory a hostile record can claim.
const (
	MaxInputBytes  = 256 << 20 // size of a JSON record
	MaxRequests    = 1_000_000
	MaxSlots       = 10_000
	MaxIDBytes     = 128 // request id length
	MaxCodeBytes   = 32  // location code length
	MaxSize        = 1000
	MaxCapacity    = 100_000
	MaxPreferences = 3
	MaxSourceBytes = 256 // beacon source length
	MaxBeaconBytes = 512 // decoded beacon value length
	MaxFieldErrors = 100 // field errors listed by one error
	maxRound       = 1<<53 - 1
	maxDepth       = 64 // nesting of arrays and objects, unknown fields included
)

const (
	timeLayout = "2006-01-02T15:04:05Z"
	dateLayout = "2006-01-02"
)

// Decode reads one draw record from r strictly: the input must be valid
// UTF-8 JSON holding one object, with no unknown and no repeated keys, every
// required field present with the right type, integers without fraction or
// exponent, and every value within the rules of docs/draw/SPEC.md. A missing
// priority_share_bp is DefaultPriorityShareBP.
//
// On failure it returns a *senda.Error with code invalid and key
// "draw.invalid_record" whose Fields list every problem found (at most
// MaxFieldErrors), each at a location such as "requests[3].registered_at".
// A JSON syntax error stops decoding; its location is "line L, column C".
func Decode(r io.Reader) (*Record, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxInputBytes+1))
	if err != nil {
		return nil, &senda.Error{Code: senda.CodeInvalid, Key: "draw.read_failed", Err: err}
	}
	if len(data) > MaxInputBytes {
		return nil, invalidRecord([]senda.FieldError{{
			Location: "", Key: "draw.json.too_large", Args: map[string]any{"max": MaxInputBytes},
		}})
	}
	if !utf8.Valid(data) {
		off := 0
		for off < len(data) {
			r, n := utf8.DecodeRune(data[off:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			off += n
		}
		return nil, invalidRecord([]senda.FieldError{{Location: position(data, off), Key: "draw.json.utf8"}})
	}
	p := &parser{data: data}
	rec, ok, err := p.record()
	if err == nil {
		p.space()
		if p.pos < len(p.data) {
			p.fields = append(p.fields, senda.FieldError{Location: position(data, p.pos), Key: "draw.json.trailing"})
			return nil, invalidRecord(p.fields)
		}
	}
	if err != nil {
		se := err.(*syntaxError)
		p.fields = append(p.fields, senda.FieldError{
			Location: position(data, se.off), Key: "draw.json.syntax", Args: map[string]any{"detail": se.msg},
		})
		return nil, invalidRecord(p.fields)
	}
	if !ok { // not an object: nothing more to say
		return nil, invalidRecord(p.fields)
	}
	fields := p.fields
	for _, f := range validate(rec) {
		if !covered(p.fields, f.Location) {
			fields = appendField(fields, f)
		}
	}
	if len(fields) > 0 {
		return nil, invalidRecord(fields)
	}
	return rec, nil
}

// covered reports whether loc is, or lies inside, a location that already
// has an error.
func covered(fields []senda.FieldError, loc string) bool {
	for _, f := range fields {
		if f.Location == "" {
			continue
		}
		if loc == f.Location || strings.HasPrefix(loc, f.Location+".") || strings.HasPrefix(loc, f.Location+"[") {
			return true
		}
	}
	return false
}

func appendField(fields []senda.FieldError, f senda.FieldError) []senda.FieldError {
	switch {
	case len(fields) < MaxFieldErrors:
		return append(fields, f)
	case len(fields) == MaxFieldErrors:
		return append(fields, senda.FieldError{Key: "draw.too_many_errors", Args: map[string]any{"max": MaxFieldErrors}})
	}
	return fields
}

// position turns a byte offset into "line L, column C" (both from 1,
// columns counted in bytes).
func position(data []byte, off int) string {
	off = min(max(off, 0), len(data))
	line := 1 + bytes.Count(data[:off], []byte{'\n'})
	col := off - bytes.LastIndexByte(data[:off], '\n')
	return "line " + strconv.Itoa(line) + ", column " + strconv.Itoa(col)
}

// syntaxError stops decoding: the input is not JSON (or nests too deeply).
type syntaxError struct {
	off int
	msg string
}

func (e *syntaxError) Error() string { return e.msg }

// segment is one step of the path to the value being read: an object key,
// or an array index when idx >= 0.
type segment struct {
	key string
	idx int
}

// parser is a strict JSON reader over the whole input. Values are read by
// what the record expects at each place; a value of the wrong type is
// reported and skipped, and reading goes on.
type parser struct {
	data   []byte
	pos    int
	depth  int
	path   []segment
	fields []senda.FieldError
	codes  map[string]string // location codes seen, to share their memory
}

// loc renders the current path, such as "requests[3].registered_at".
func (p *parser) loc() string {
	var b strings.Builder
	for i, s := range p.path {
		if s.idx >= 0 {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.idx))
			b.WriteByte(']')
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s.key)
	}
	return b.String()
}

func (p *parser) add(key string, args map[string]any) {
	p.fields = appendField(p.fields, senda.FieldError{Location: p.loc(), Key: key, Args: args})
}

func (p *parser) fail(msg string) error {
	return &syntaxError{off: p.pos, msg: msg}
}

func (p *parser) space() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// peek skips white space and returns the next byte, or 0 at the end.
func (p *parser) peek() byte {
	p.space()
	if p.pos < len(p.data) {
		return p.data[p.pos]
	}
	return 0
}

func (p *parser) expect(c byte) error {
	if p.peek() != c {
		if p.pos >= len(p.data) {
			return p.fail("unexpected end of input")
		}
		return p.fail("expected " + strconv.QuoteRune(rune(c)))
	}
	p.pos++
	return nil
}

// skipValue reads and discards one value of any type.
func (p *parser) skipValue() error {
	switch c := p.peek(); {
	case c == '{' || c == '[':
		return p.skipComposite()
	case c == '"':
		_, err := p.stringValue()
		return err
	case c == '-' || (c >= '0' && c <= '9'):
		_, _, err := p.number()
		return err
	case c == 't':
		return p.literal("true")
	case c == 'f':
		return p.literal("false")
	case c == 'n':
		return p.literal("null")
	case c == 0:
		return p.fail("unexpected end of input")
	}
	return p.fail("invalid character " + strconv.QuoteRune(rune(p.data[p.pos])))
}

func (p *parser) skipComposite() error {
	open := p.data[p.pos]
	p.depth++
	if p.depth > maxDepth {
		return p.fail("nested too deeply")
	}
	p.pos++
	closer := byte(']')
	if open == '{' {
		closer = '}'
	}
	if p.peek() == closer {
		p.pos++
		p.depth--
		return nil
	}
	for {
		if open == '{' {
			if p.peek() != '"' {
				return p.fail("expected a string key")
			}
			if _, err := p.stringValue(); err != nil {
				return err
			}
			if err := p.expect(':'); err != nil {
				return err
			}
		}
		if err := p.skipValue(); err != nil {
			return err
		}
		switch p.peek() {
		case ',':
			p.pos++
		case closer:
			p.pos++
			p.depth--
			return nil
		default:
			return p.fail("expected ',' or " + strconv.QuoteRune(rune(closer)))
		}
	}
}

func (p *parser) literal(word string) error {
	if !bytes.HasPrefix(p.data[p.pos:], []byte(word)) {
		return p.fail("invalid literal")
	}
	p.pos += len(word)
	return nil
}

// number reads a JSON number and reports its value when it is an integer
// without fraction or exponent that fits in an int64.
func (p *parser) number() (v int64, isInt bool, err error) {
	d := p.data
	i := p.pos
	neg := i < len(d) && d[i] == '-'
	if neg {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
			n++
		}
		return n
	}
	start := i
	if n := digits(); n == 0 || (n > 1 && d[start] == '0') {
		p.pos = start
		return 0, false, p.fail("invalid number")
	}
	isInt = true
	var u uint64
	for _, c := range d[start:i] {
		if u > (1<<63)/10 {
			isInt = false
		}
		u = u*10 + uint64(c-'0')
	}
	if u > 1<<63 || (u == 1<<63 && !neg) {
		isInt = false
	}
	if i < len(d) && d[i] == '.' {
		i++
		isInt = false
		if digits() == 0 {
			p.pos = i
			return 0, false, p.fail("invalid number")
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		isInt = false
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if digits() == 0 {
			p.pos = i
			return 0, false, p.fail("invalid number")
		}
	}
	p.pos = i
	if !isInt {
		return 0, false, nil
	}
	if neg {
		return -int64(u), true, nil
	}
	return int64(u), true, nil
}

// stringValue reads a JSON string. Invalid surrogate escapes become
// U+FFFD.
func (p *parser) stringValue() (string, error) {
	d := p.data
	p.pos++ // the opening quote
	start := p.pos
	for i := start; i < len(d); i++ {
		switch c := d[i]; {
		case c == '"':
			p.pos = i + 1
			return string(d[start:i]), nil
		case c == '\\':
			return p.escapedString(start)
		case c < 0x20:
			p.pos = i
			return "", p.fail("control character in string")
		}
	}
	p.pos = len(d)
	return "", p.fail("unexpected end of input in string")
}

func (p *parser) escapedString(start int) (string, error) {
	d := p.data
	var b []byte
	i := start
	for i < len(d) {
		c := d[i]
		switch {
		case c == '"':
			p.pos = i + 1
			return string(b), nil
		case c < 0x20:
			p.pos = i
			return "", p.fail("control character in string")
		case c != '\\':
			b = append(b, c)
			i++
			continue
		}
		if i+1 >= len(d) {
			break
		}
		i += 2
		switch d[i-1] {
		case '"', '\\', '/':
			b = append(b, d[i-1])
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, ok := hex4(d, i)
			if !ok {
				p.pos = i
				return "", p.fail("invalid \\u escape")
			}
			i += 4
			if utf16.IsSurrogate(r) {
				r2, ok := rune(0), false
				if i+6 <= len(d) && d[i] == '\\' && d[i+1] == 'u' {
					r2, ok = hex4(d, i+2)
				}
				if dec := utf16.DecodeRune(r, r2); ok && dec != utf8.RuneError {
					r = dec
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			b = utf8.AppendRune(b, r)
		default:
			p.pos = i - 1
			return "", p.fail("invalid escape")
		}
	}
	p.pos = len(d)
	return "", p.fail("unexpected end of input in string")
}

func hex4(d []byte, i int) (rune, bool) {
	if i+4 > len(d) {
		return 0, false
	}
	var r rune
	for _, c := range d[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// wrongType reports a value of the wrong type and skips it.
func (p *parser) wrongType(want string) error {
	p.add("draw.field.type", map[string]any{"want": want})
	return p.skipValue()
}

func (p *parser) str(dst *string) (bool, error) {
	if p.peek() != '"' {
		return false, p.wrongType("string")
	}
	s, err := p.stringValue()
	*dst = s
	return err == nil, err
}

// code reads a string that is usually a location code, sharing the memory
// of repeated codes.
func (p *parser) code(dst *string) error {
	var s string
	ok, err := p.str(&s)
	if ok && len(s) <= MaxCodeBytes {
		if c, seen := p.codes[s]; seen {
			s = c
		} else if len(p.codes) < 4096 {
			if p.codes == nil {
				p.codes = map[string]string{}
			}
			p.codes[s] = s
		}
	}
	*dst = s
	return err
}

func (p *parser) integer(dst *int64) error {
	if c := p.peek(); c != '-' && (c < '0' || c > '9') {
		return p.wrongType("integer")
	}
	v, ok, err := p.number()
	if err == nil && !ok {
		p.add("draw.field.type", map[string]any{"want": "integer"})
	}
	*dst = v
	return err
}

// intField reads an integer into an int, clamping values out of range to
// values that validate rejects.
func (p *parser) intField(dst *int) error {
	var v int64
	err := p.integer(&v)
	*dst = int(min(max(v, -1<<31), 1<<31))
	return err
}

// timeField reads a time written exactly as YYYY-MM-DDTHH:MM:SSZ or, when
// offset is true, also YYYY-MM-DDTHH:MM:SS+hh:mm or -hh:mm.
func (p *parser) timeField(offset bool, dst *time.Time) error {
	var s string
	ok, err := p.str(&s)
	if !ok {
		return err
	}
	t, ok := parseTime(s, offset)
	if !ok {
		layout := timeLayout
		if offset {
			layout = "RFC 3339 in whole seconds"
		}
		p.add("draw.field.time", map[string]any{"want": layout})
		return nil
	}
	*dst = t
	return nil
}

// object reads an object whose known keys are keys. field is called with
// the index of each known key and must read its value; unknown and
// repeated keys are reported and their values skipped. seen has bit k set
// when keys[k] was present; ok is false when the value is not an object.
func (p *parser) object(keys []string, field func(k int) error) (seen uint32, ok bool, err error) {
	if p.peek() != '{' {
		return 0, false, p.wrongType("object")
	}
	p.depth++
	if p.depth > maxDepth {
		return 0, false, p.fail("nested too deeply")
	}
	p.pos++
	if p.peek() == '}' {
		p.pos++
		p.depth--
		return 0, true, nil
	}
	var unknown map[string]bool
	for {
		if p.peek() != '"' {
			return 0, false, p.fail("expected a string key")
		}
		key, err := p.stringValue()
		if err != nil {
			return 0, false, err
		}
		if err := p.expect(':'); err != nil {
			return 0, false, err
		}
		p.path = append(p.path, segment{key: key, idx: -1})
		k := -1
		for i, name := range keys {
			if name == key {
				k = i
				break
			}
		}
		switch {
		case k >= 0 && seen&(1<<k) == 0:
			seen |= 1 << k
			err = field(k)
		case k >= 0 || unknown[key]:
			p.add("draw.field.duplicate_key", nil)
			err = p.skipValue()
		default:
			if unknown == nil {
				unknown = map[string]bool{}
			}
			if len(unknown) < MaxFieldErrors {
				unknown[key] = true
			}
			p.add("draw.field.unknown", nil)
			err = p.skipValue()
		}
		p.path = p.path[:len(p.path)-1]
		if err != nil {
			return 0, false, err
		}
		switch p.peek() {
		case ',':
			p.pos++
		case '}':
			p.pos++
			p.depth--
			return seen, true, nil
		default:
			return 0, false, p.fail("expected ',' or '}'")
		}
	}
}

// array reads an array, calling elem for at most limit elements and
// reporting the array when it has more.
func (p *parser) array(limit int, elem func(i int) error) error {
	if p.peek() != '[' {
		return p.wrongType("array")
	}
	p.depth++
	if p.depth > maxDepth {
		return p.fail("nested too deeply")
	}
	p.pos++
	if p.peek() == ']' {
		p.pos++
		p.depth--
		return nil
	}
	for i := 0; ; i++ {
		var err error
		if i < limit {
			p.path = append(p.path, segment{idx: i})
			err = elem(i)
			p.path = p.path[:len(p.path)-1]
		} else {
			if i == limit {
				p.add("draw.field.count", map[string]any{"max": limit})
			}
			err = p.skipValue()
		}
		if err != nil {
			return err
		}
		switch p.peek() {
		case ',':
			p.pos++
		case ']':
			p.pos++
			p.depth--
			return nil
		default:
			return p.fail("expected ',' or ']'")
		}
	}
}

// required reports each of keys[:n] whose bit is not set in seen.
func (p *parser) required(seen uint32, keys []string, n int) {
	for k, key := range keys[:n] {
		if seen&(1<<k) == 0 {
			p.path = append(p.path, segment{key: key, idx: -1})
			p.add("draw.field.required", nil)
			p.path = p.path[:len(p.path)-1]
		}
	}
}

// Keys of each object; the required ones come first.
var (
	recordKeys     = []string{"format", "service_date", "commitment", "seed", "slots", "requests", "requests_root", "beacon", "priority_share_bp", "allocations"}
	beaconKeys     = []string{"source", "round", "value"}
	slotKeys       = []string{"location", "start", "capacity"}
	requestKeys    = []string{"id", "size", "registered_at", "preferences"}
	allocationKeys = []string{"request", "location", "start", "phase"}
)

func (p *parser) record() (*Record, bool, error) {
	rec := &Record{PriorityShareBP: DefaultPriorityShareBP}
	str := func(dst *string) error { _, err := p.str(dst); return err }
	seen, ok, err := p.object(recordKeys, func(k int) error {
		switch recordKeys[k] {
		case "format":
			return str(&rec.Format)
		case "service_date":
			return str(&rec.ServiceDate)
		case "commitment":
			return str(&rec.Commitment)
		case "seed":
			return str(&rec.Seed)
		case "requests_root":
			return str(&rec.RequestsRoot)
		case "beacon":
			return p.beacon(rec)
		case "priority_share_bp":
			return p.intField(&rec.PriorityShareBP)
		case "slots":
			rec.Slots = []Slot{}
			return p.array(MaxSlots, func(int) error {
				rec.Slots = append(rec.Slots, Slot{})
				return p.slot(&rec.Slots[len(rec.Slots)-1])
			})
		case "requests":
			rec.Requests = []Request{}
			return p.array(MaxRequests, func(int) error {
				rec.Requests = append(rec.Requests, Request{})
				return p.request(&rec.Requests[len(rec.Requests)-1])
			})
		default: // allocations
			rec.Allocations = []Allocation{}
			return p.array(MaxRequests, func(int) error {
				rec.Allocations = append(rec.Allocations, Allocation{})
				return p.allocation(&rec.Allocations[len(rec.Allocations)-1])
			})
		}
	})
	if err != nil {
		return nil, false, err
	}
	if ok {
		p.required(seen, recordKeys, 6)
	}
	return rec, ok, nil
}

// beacon reads the beacon object; null is the same as no beacon.
func (p *parser) beacon(rec *Record) error {
	if p.peek() == 'n' {
		return p.literal("null")
	}
	b := &Beacon{}
	seen, ok, err := p.object(beaconKeys, func(k int) error {
		switch k {
		case 0:
			_, err := p.str(&b.Source)
			return err
		case 1:
			return p.integer(&b.Round)
		default:
			_, err := p.str(&b.Value)
			return err
		}
	})
	if ok {
		p.required(seen, beaconKeys, 3)
		rec.Beacon = b
	}
	return err
}

func (p *parser) slot(s *Slot) error {
	seen, ok, err := p.object(slotKeys, func(k int) error {
		switch k {
		case 0:
			return p.code(&s.Location)
		case 1:
			return p.timeField(true, &s.Start)
		default:
			return p.intField(&s.Capacity)
		}
	})
	if ok {
		p.required(seen, slotKeys, 3)
	}
	return err
}

func (p *parser) request(r *Request) error {
	seen, ok, err := p.object(requestKeys, func(k int) error {
		switch k {
		case 0:
			_, err := p.str(&r.ID)
			return err
		case 1:
			return p.intField(&r.Size)
		case 2:
			return p.timeField(false, &r.RegisteredAt)
		default:
			r.Preferences = make([]string, 0, 3)
			return p.array(MaxPreferences, func(int) error {
				var s string
				err := p.code(&s)
				r.Preferences = append(r.Preferences, s)
				return err
			})
		}
	})
	if ok {
		p.required(seen, requestKeys, 4)
	}
	return err
}

func (p *parser) allocation(a *Allocation) error {
	seen, ok, err := p.object(allocationKeys, func(k int) error {
		switch k {
		case 0:
			_, err := p.str(&a.Request)
			return err
		case 1:
			return p.code(&a.Location)
		case 2:
			return p.timeField(true, &a.Start)
		default:
			var s string
			_, err := p.str(&s)
			a.Phase = Phase(s)
			return err
		}
	})
	if ok {
		p.required(seen, allocationKeys, 4)
	}
	return err
}
