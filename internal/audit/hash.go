package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// Genesis is the prev_hash of the first entry: 64 zeros.
const Genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// TimeLayout is the form of At in the hashed serialisation and in exports:
// RFC 3339, UTC, exactly six fractional digits.
const TimeLayout = "2006-01-02T15:04:05.000000Z"

// Canonical returns the serialisation of e that its hash covers: one JSON
// array, without spaces, of
//
//	[seq, at, actor_id, actor_role, actor_scope, on_behalf_of, action,
//	 record_type, record_id, subject, fields, reason, remote, request_id]
//
// where seq is a number, at a string in TimeLayout, fields an array of
// strings and the rest strings. Strings are escaped as Python's json.dumps
// does by default (ASCII only): \" \\ \b \f \n \r \t, any other character
// outside space to tilde as \uXXXX in lower-case hex, characters beyond the
// Basic Multilingual Plane as a UTF-16 surrogate pair. PrevHash and Hash are
// not part of it; see Hash.
func Canonical(e Entry) []byte {
	return appendCanonical(make([]byte, 0, 256), &e)
}

// Hash returns the hash e must carry: the lower-case hex SHA-256 of
// Canonical(e) followed by the 64 characters of e.PrevHash.
func Hash(e Entry) string {
	var buf [512]byte
	return hashInto(buf[:0], &e)
}

// hashInto computes the hash of e using buf as scratch space.
func hashInto(buf []byte, e *Entry) string {
	return hashFields(buf, e, "")
}

// hashFields computes the hash of e with the fields array given in its
// canonical text form, or taken from e.Fields when fields is empty.
func hashFields(buf []byte, e *Entry, fields string) string {
	b := appendCanonicalFields(buf, e, fields)
	b = append(b, e.PrevHash...)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func appendCanonical(b []byte, e *Entry) []byte { return appendCanonicalFields(b, e, "") }

func appendCanonicalFields(b []byte, e *Entry, fields string) []byte {
	b = append(b, '[')
	b = strconv.AppendInt(b, e.Seq, 10)
	b = append(b, ',', '"')
	b = e.At.UTC().AppendFormat(b, TimeLayout)
	b = append(b, '"')
	for _, s := range [...]string{e.ActorID, e.ActorRole, e.ActorScope, e.OnBehalfOf, e.Action, e.RecordType, e.RecordID, e.Subject} {
		b = append(b, ',')
		b = appendString(b, s)
	}
	b = append(b, ',')
	if fields != "" {
		b = append(b, fields...)
	} else {
		b = appendStrings(b, e.Fields)
	}
	for _, s := range [...]string{e.Reason, e.Remote, e.RequestID} {
		b = append(b, ',')
		b = appendString(b, s)
	}
	return append(b, ']')
}

// appendStrings appends a JSON array of strings, [] for none. It is also the
// stored form of the fields column.
func appendStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

const hexDigits = "0123456789abcdef"

// appendString appends s as an ASCII-only JSON string. Invalid UTF-8 (which
// Append refuses) is read as U+FFFD.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			if c == '"' || c == '\\' {
				b = append(b, '\\')
			}
			b = append(b, c)
			i++
			continue
		}
		r, size := rune(c), 1
		if c >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		i += size
		switch r {
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			if r >= 0x10000 {
				r1, r2 := utf16.EncodeRune(r)
				b = appendU(b, r1)
				b = appendU(b, r2)
			} else {
				b = appendU(b, r)
			}
		}
	}
	return append(b, '"')
}

func appendU(b []byte, r rune) []byte {
	return append(b, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
}

// canonicalArray reports whether s is exactly appendStrings of some list of
// valid strings: what the fields column holds. It accepts nothing else, so
// the stored text and the list it stands for determine each other.
func canonicalArray(s string) bool {
	if len(s) < 2 || s[0] != '[' || s[len(s)-1] != ']' {
		return false
	}
	s = s[1 : len(s)-1]
	for first := true; s != ""; first = false {
		if !first {
			if s[0] != ',' {
				return false
			}
			s = s[1:]
		}
		n := canonicalString(s)
		if n == 0 {
			return false
		}
		s = s[n:]
	}
	return true
}

// canonicalString returns the length of the canonical JSON string (as
// appendString writes it) at the start of s, or 0 when there is none.
func canonicalString(s string) int {
	if s == "" || s[0] != '"' {
		return 0
	}
	for i := 1; i < len(s); {
		c := s[i]
		switch {
		case c == '"':
			return i + 1
		case c < 0x20 || c >= 0x7f:
			return 0
		case c != '\\':
			i++
			continue
		}
		if i+1 >= len(s) {
			return 0
		}
		switch s[i+1] {
		case '"', '\\', 'b', 'f', 'n', 'r', 't':
			i += 2
			continue
		case 'u':
		default:
			return 0
		}
		r, ok := hex4(s[i+2:])
		if !ok {
			return 0
		}
		i += 6
		switch {
		case r >= 0x20 && r < 0x7f, r == '\b', r == '\f', r == '\n', r == '\r', r == '\t':
			return 0 // written as itself or with a short escape
		case r >= 0xdc00 && r < 0xe000:
			return 0 // a low surrogate without a high one
		case r >= 0xd800 && r < 0xdc00:
			if i+6 > len(s) || s[i] != '\\' || s[i+1] != 'u' {
				return 0
			}
			r2, ok := hex4(s[i+2:])
			if !ok || r2 < 0xdc00 || r2 >= 0xe000 {
				return 0
			}
			i += 6
		}
	}
	return 0
}

// hex4 reads four lower-case hex digits.
func hex4(s string) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	var r rune
	for i := range 4 {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// formatAt renders an instant as in the hashed serialisation.
func formatAt(t time.Time) string { return t.UTC().Format(TimeLayout) }
