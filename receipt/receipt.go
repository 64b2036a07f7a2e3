// Package receipt makes and reads household receipt numbers: the number an
// applicant quotes on the phone, such as GT-0001234-K or GT-GUA-0001234-K.
//
// A receipt number has three parts separated by dashes:
//
//   - a prefix: a country (two letters, GT) or a country and an office
//     (two letters and three letters, GT-GUA);
//   - a sequence number of at least 7 digits, zero-padded to 7;
//   - one check character.
//
// # The check character
//
// The check character is a weighted sum modulo 31 (a prime) in the manner of
// the ISO 7064 pure systems. The letters and digits of the number, without
// dashes, are given the values 0-9 for digits and 10-35 for A-Z, taken
// modulo 31, and folded left to right as s = (3s + v) mod 31; the check value
// c makes (3s + c) mod 31 zero, and is itself written as a character whose
// value is c.
//
// Every single-character substitution and every transposition of two
// adjacent characters is detected (the property tests check this
// exhaustively):
//
//   - The prefix can only be 2 or 5 letters long. Changing a letter of the
//     prefix into a digit, or the first digit of the sequence into a letter,
//     moves the border between them by one, which gives a prefix of 1, 3, 4
//     or 6 letters: rejected as malformed. So a change that still reads as a
//     receipt number replaces a letter by a letter, a digit by a digit, or
//     the check character by another.
//   - Letters taken modulo 31 are all different from each other, and so are
//     digits. Because 31 is prime, changing one value changes the sum.
//   - Swapping two adjacent unequal letters or digits multiplies their
//     difference by 3 - 1 = 2 times a power of 3, never a multiple of 31. A
//     swap of a letter and a digit moves the border (rejected as above), and
//     the last digit swapped with a check character that is a letter leaves a
//     letter in the sequence (rejected).
//
// The check value is written with the 31 characters 0-9 and A-Z without I, L,
// O, Q and V: I, L and O are read as 1 and 0 on paper, Q looks like O, and B
// and V sound the same in Spanish. A check character is therefore never a
// letter that is easy to mistake, and any such letter dictated in error is
// rejected.
//
// # Reading
//
// Parse accepts what people type or dictate: lower case, spaces, dashes,
// dots and underscores anywhere. It rejects numbers that are not in the
// canonical form (a sequence of fewer than 7 digits, or padded with more
// zeros than needed), so that every receipt number has exactly one spelling.
package receipt

import (
	"strconv"
	"strings"

	"github.com/senda-platform/senda"
)

// Message catalogue keys of the errors.
const (
	KeyCheck  = "receipt.check"  // the check character does not match
	KeyFormat = "receipt.format" // not PREFIX-SEQUENCE-CHECK
	KeyPrefix = "receipt.prefix" // New: the prefix is not a country or a country and office
)

// SeqDigits is the width to which the sequence is zero-padded.
const SeqDigits = 7

// checkAlphabet writes check values 0-30.
const checkAlphabet = "0123456789ABCDEFGHJKMNPRSTUWXYZ"

const modulus = 31

// New returns the receipt number of sequence seq under prefix, in canonical
// form: prefix, dash, sequence zero-padded to 7 digits, dash, check
// character. The prefix is a country (2 letters, "GT") or a country and an
// office (2 + 3 letters, "GT-GUA" or "GTGUA"), in any case. The error is a
// *senda.Error (code invalid, key receipt.prefix) for any other prefix.
func New(prefix string, seq uint64) (string, error) {
	p, ok := compactPrefix(prefix)
	if !ok {
		return "", senda.Errorf(senda.CodeInvalid, KeyPrefix, map[string]any{"example": "GT-GUA"})
	}
	digits := pad(seq)
	return displayPrefix(p) + "-" + digits + "-" + string(checkAlphabet[checkValue(p+digits)]), nil
}

// compactPrefix upper-cases prefix and drops its separators, and reports
// whether it is 2 or 5 letters.
func compactPrefix(prefix string) (string, bool) {
	b := make([]byte, 0, 5)
	for i := 0; i < len(prefix); i++ {
		c := prefix[i]
		switch {
		case isSeparator(c):
			continue
		case 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		case c < 'A' || c > 'Z':
			return "", false
		}
		b = append(b, c)
	}
	return string(b), validPrefixLen(len(b))
}

func validPrefixLen(n int) bool { return n == 2 || n == 5 }

// displayPrefix writes a compact prefix as "GT" or "GT-GUA".
func displayPrefix(p string) string {
	if len(p) == 5 {
		return p[:2] + "-" + p[2:]
	}
	return p
}

func isSeparator(c byte) bool {
	return c == ' ' || c == '-' || c == '.' || c == '_' || c == '\t'
}

// Parse reads a receipt number, tolerating lower case and spaces, dashes,
// dots and underscores anywhere, and returns its prefix as New writes it
// ("GT" or "GT-GUA") and its sequence. The error is a *senda.Error with code
// invalid and key receipt.format when the text is not a receipt number, or
// receipt.check when the check character does not match.
func Parse(s string) (prefix string, seq uint64, err error) {
	compact := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isSeparator(c):
			continue
		case 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		}
		compact = append(compact, c)
	}
	n := 0
	for n < len(compact) && 'A' <= compact[n] && compact[n] <= 'Z' {
		n++
	}
	if !validPrefixLen(n) || len(compact) < n+SeqDigits+1 {
		return "", 0, formatError()
	}
	p := string(compact[:n])
	digits := string(compact[n : len(compact)-1])
	check := compact[len(compact)-1]
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return "", 0, formatError()
		}
	}
	seq, convErr := strconv.ParseUint(digits, 10, 64)
	if convErr != nil || pad(seq) != digits {
		return "", 0, formatError()
	}
	if check != checkAlphabet[checkValue(p+digits)] {
		return "", 0, senda.Errorf(senda.CodeInvalid, KeyCheck, nil)
	}
	return displayPrefix(p), seq, nil
}

func formatError() error {
	return senda.Errorf(senda.CodeInvalid, KeyFormat, map[string]any{"example": "GT-0001234-K"})
}

func pad(seq uint64) string {
	s := strconv.FormatUint(seq, 10)
	if len(s) < SeqDigits {
		s = strings.Repeat("0", SeqDigits-len(s)) + s
	}
	return s
}

// value is the value of a letter or digit: 0-9, and A-Z as 10-35.
func value(c byte) int {
	if '0' <= c && c <= '9' {
		return int(c - '0')
	}
	return int(c-'A') + 10
}

// checkValue returns c in 0..30 such that (3s + c) mod 31 = 0, where s
// folds the letters and digits of body as s = (3s + value) mod 31.
func checkValue(body string) int {
	s := 0
	for i := 0; i < len(body); i++ {
		s = (3*s + value(body[i])) % modulus
	}
	return (modulus - 3*s%modulus) % modulus
}
