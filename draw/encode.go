package draw

import (
	"io"
	"strconv"
	"time"
	"unicode/utf8"
)

// Encode writes rec in its canonical form: the fields in the order of the
// format, one per line, each slot, request and allocation as one compact
// object on its own line, every time in UTC as YYYY-MM-DDTHH:MM:SSZ, and a
// final newline. "requests_root" is left out when empty, "beacon" when nil
// and "allocations" when nil (an input record); an empty, non-nil
// allocations list is written as []. The output of Run always has both.
func Encode(w io.Writer, rec *Record) error {
	_, err := w.Write(appendRecord(nil, rec))
	return err
}

// MarshalJSON returns the canonical form of rec (see Encode).
func (rec *Record) MarshalJSON() ([]byte, error) { return appendRecord(nil, rec), nil }

// MarshalJSON writes s with its start in UTC.
func (s Slot) MarshalJSON() ([]byte, error) { return appendSlot(nil, s), nil }

// MarshalJSON writes r with registered_at in UTC.
func (r Request) MarshalJSON() ([]byte, error) { return appendRequest(nil, r), nil }

// MarshalJSON writes a with its start in UTC.
func (a Allocation) MarshalJSON() ([]byte, error) { return appendAllocationBytes(nil, a), nil }

func appendRecord(b []byte, rec *Record) []byte {
	b = append(b, "{\n  \"format\": "...)
	b = appendString(b, rec.Format)
	b = append(b, ",\n  \"service_date\": "...)
	b = appendString(b, rec.ServiceDate)
	b = append(b, ",\n  \"commitment\": "...)
	b = appendString(b, rec.Commitment)
	b = append(b, ",\n  \"seed\": "...)
	b = appendString(b, rec.Seed)
	if rec.RequestsRoot != "" {
		b = append(b, ",\n  \"requests_root\": "...)
		b = appendString(b, rec.RequestsRoot)
	}
	if bc := rec.Beacon; bc != nil {
		b = append(b, ",\n  \"beacon\": {\"source\":"...)
		b = appendString(b, bc.Source)
		b = append(b, ",\"round\":"...)
		b = strconv.AppendInt(b, bc.Round, 10)
		b = append(b, ",\"value\":"...)
		b = appendString(b, bc.Value)
		b = append(b, '}')
	}
	b = append(b, ",\n  \"priority_share_bp\": "...)
	b = strconv.AppendInt(b, int64(rec.PriorityShareBP), 10)
	b = append(b, ",\n  \"slots\": ["...)
	for i, s := range rec.Slots {
		b = listItem(b, i)
		b = appendSlot(b, s)
	}
	b = listEnd(b, len(rec.Slots))
	b = append(b, ",\n  \"requests\": ["...)
	for i, r := range rec.Requests {
		b = listItem(b, i)
		b = appendRequest(b, r)
	}
	b = listEnd(b, len(rec.Requests))
	if rec.Allocations != nil {
		b = append(b, ",\n  \"allocations\": ["...)
		for i, a := range rec.Allocations {
			b = listItem(b, i)
			b = appendAllocationBytes(b, a)
		}
		b = listEnd(b, len(rec.Allocations))
	}
	return append(b, "\n}\n"...)
}

func listItem(b []byte, i int) []byte {
	if i > 0 {
		b = append(b, ',')
	}
	return append(b, "\n    "...)
}

func listEnd(b []byte, n int) []byte {
	if n > 0 {
		b = append(b, "\n  "...)
	}
	return append(b, ']')
}

func appendSlot(b []byte, s Slot) []byte {
	b = append(b, `{"location":`...)
	b = appendString(b, s.Location)
	b = append(b, `,"start":"`...)
	b = appendTime(b, s.Start)
	b = append(b, `","capacity":`...)
	b = strconv.AppendInt(b, int64(s.Capacity), 10)
	return append(b, '}')
}

func appendRequest(b []byte, r Request) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, r.ID)
	b = append(b, `,"size":`...)
	b = strconv.AppendInt(b, int64(r.Size), 10)
	b = append(b, `,"registered_at":"`...)
	b = appendTime(b, r.RegisteredAt)
	b = append(b, `","preferences":[`...)
	for i, p := range r.Preferences {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, p)
	}
	return append(b, "]}"...)
}

func appendAllocationBytes(b []byte, a Allocation) []byte {
	b = append(b, `{"request":`...)
	b = appendString(b, a.Request)
	b = append(b, `,"location":`...)
	b = appendString(b, a.Location)
	b = append(b, `,"start":"`...)
	b = appendTime(b, a.Start)
	b = append(b, `","phase":`...)
	b = appendString(b, string(a.Phase))
	return append(b, '}')
}

// appendTime appends t in UTC as YYYY-MM-DDTHH:MM:SSZ, dropping any
// fraction of a second.
func appendTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	y, mo, d := t.Date()
	if y < 0 || y > 9999 {
		return t.AppendFormat(b, timeLayout)
	}
	h, mi, s := t.Clock()
	two := func(b []byte, v int) []byte { return append(b, byte('0'+v/10), byte('0'+v%10)) }
	b = two(two(b, y/100), y%100)
	b = two(append(b, '-'), int(mo))
	b = two(append(b, '-'), d)
	b = two(append(b, 'T'), h)
	b = two(append(b, ':'), mi)
	b = two(append(b, ':'), s)
	return append(b, 'Z')
}

// appendString appends s as a JSON string, escaping only what JSON
// requires and replacing invalid UTF-8 with U+FFFD.
func appendString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		// Copy the longest run that needs no escaping at once.
		j := i
		for j < len(s) && s[j] >= 0x20 && s[j] != '"' && s[j] != '\\' && s[j] < utf8.RuneSelf {
			j++
		}
		b = append(b, s[i:j]...)
		if i = j; i == len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return append(b, '"')
}
