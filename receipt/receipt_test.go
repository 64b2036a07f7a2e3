package receipt

import (
	"errors"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/senda-platform/senda"
)

func TestNew(t *testing.T) {
	tests := []struct {
		prefix string
		seq    uint64
		want   string
	}{
		{"GT", 1234, "GT-0001234-"},
		{"gt", 1234, "GT-0001234-"},
		{"GT-GUA", 123, "GT-GUA-0000123-"},
		{"gtgua", 123, "GT-GUA-0000123-"},
		{"MX", 0, "MX-0000000-"},
		{"MX", 12345678, "MX-12345678-"},
		{"CO", 18446744073709551615, "CO-18446744073709551615-"},
	}
	for _, tt := range tests {
		got, err := New(tt.prefix, tt.seq)
		if err != nil {
			t.Errorf("New(%q, %d): got error %v, want none", tt.prefix, tt.seq, err)
			continue
		}
		if !strings.HasPrefix(got, tt.want) || len(got) != len(tt.want)+1 {
			t.Errorf("New(%q, %d) = %q, want %q and a check character", tt.prefix, tt.seq, got, tt.want)
		}
		if c := got[len(got)-1]; !strings.ContainsRune(checkAlphabet, rune(c)) {
			t.Errorf("New(%q, %d) = %q: check character %q outside %q", tt.prefix, tt.seq, got, c, checkAlphabet)
		}
	}
}

// TestKnownValues pins the algorithm. GT-0001234: G=16, T=29, then the
// digits, folded as s = (3s + v) mod 31 give 15, 14, 11, 2, 7, 23, 10, 3;
// the check value is (31 - 3*3) mod 31 = 22, written P.
func TestKnownValues(t *testing.T) {
	tests := []struct {
		prefix string
		seq    uint64
		want   string
	}{
		{"GT", 1234, "GT-0001234-P"},
		{"GT", 1, "GT-0000001-7"},
		{"MX-TAP", 42, "MX-TAP-0000042-8"},
		{"CO", 9999999, "CO-9999999-A"},
		{"EC", 10000000, "EC-10000000-U"},
	}
	for _, tt := range tests {
		if got, err := New(tt.prefix, tt.seq); err != nil || got != tt.want {
			t.Errorf("New(%q, %d) = %q, %v; want %q", tt.prefix, tt.seq, got, err, tt.want)
		}
	}
}

func TestNewRejectsPrefix(t *testing.T) {
	for _, p := range []string{"", "G", "GTM", "GTGU", "GTGUAX", "G1", "GÜ", "12"} {
		_, err := New(p, 1)
		if key := errKey(t, err); key != KeyPrefix {
			t.Errorf("New(%q): got key %q, want %q", p, key, KeyPrefix)
		}
	}
}

func TestParse(t *testing.T) {
	valid, err := New("GT", 1234)
	if err != nil {
		t.Fatal(err)
	}
	check := valid[len(valid)-1:]
	office, err := New("GT-GUA", 98765)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in         string
		wantPrefix string
		wantSeq    uint64
		wantKey    string
	}{
		{valid, "GT", 1234, ""},
		{strings.ToLower(valid), "GT", 1234, ""},
		{"GT0001234" + check, "GT", 1234, ""},
		{" g t - 000 1234 - " + strings.ToLower(check) + " ", "GT", 1234, ""},
		{"GT.0001234." + check, "GT", 1234, ""},
		{office, "GT-GUA", 98765, ""},
		{strings.ReplaceAll(office, "-", ""), "GT-GUA", 98765, ""},
		{"GT-001234-" + check, "", 0, KeyFormat},   // too few digits
		{"GT-00001234-" + check, "", 0, KeyFormat}, // padded with one zero too many
		{"GT-0001234", "", 0, KeyFormat},           // no check character: 1234 is too short
		{"GT-0001234-" + check + "X", "", 0, KeyFormat},
		{"G-0001234-" + check, "", 0, KeyFormat},
		{"GTM-0001234-" + check, "", 0, KeyFormat},
		{"GT-00O1234-" + check, "", 0, KeyFormat},
		{"GT-0001234-*", "", 0, KeyCheck},
		{"GT-99999999999999999999-1", "", 0, KeyFormat}, // overflows uint64
		{"", "", 0, KeyFormat},
		{"ÉT-0001234-" + check, "", 0, KeyFormat},
	}
	for _, tt := range tests {
		prefix, seq, err := Parse(tt.in)
		if tt.wantKey != "" {
			if key := errKey(t, err); key != tt.wantKey {
				t.Errorf("Parse(%q): got key %q, want %q", tt.in, key, tt.wantKey)
			}
			continue
		}
		if err != nil {
			t.Errorf("Parse(%q): got error %v, want none", tt.in, err)
			continue
		}
		if prefix != tt.wantPrefix || seq != tt.wantSeq {
			t.Errorf("Parse(%q) = %q, %d; want %q, %d", tt.in, prefix, seq, tt.wantPrefix, tt.wantSeq)
		}
	}
	// Every wrong check character is rejected with receipt.check.
	for i := 0; i < len(checkAlphabet); i++ {
		c := checkAlphabet[i : i+1]
		if c == check {
			continue
		}
		if key := errKey(t, func() error { _, _, err := Parse("GT-0001234-" + c); return err }()); key != KeyCheck {
			t.Errorf("Parse(GT-0001234-%s): got key %q, want %q", c, key, KeyCheck)
		}
	}
}

func errKey(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var e *senda.Error
	if !errors.As(err, &e) {
		t.Fatalf("got error of type %T, want *senda.Error", err)
	}
	if e.Code != senda.CodeInvalid {
		t.Errorf("got code %q, want %q", e.Code, senda.CodeInvalid)
	}
	return e.Key
}

var genPrefix = rapid.Custom(func(t *rapid.T) string {
	n := rapid.SampledFrom([]int{2, 5}).Draw(t, "prefix_len")
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('A' + rapid.IntRange(0, 25).Draw(t, "letter"))
	}
	return displayPrefix(string(b))
})

var genSeq = rapid.Custom(func(t *rapid.T) uint64 {
	if rapid.Bool().Draw(t, "small") {
		return rapid.Uint64Range(0, 9_999_999).Draw(t, "seq")
	}
	return rapid.Uint64().Draw(t, "seq")
})

func TestRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		prefix, seq := genPrefix.Draw(t, "prefix"), genSeq.Draw(t, "seq")
		s, err := New(prefix, seq)
		if err != nil {
			t.Fatalf("New(%q, %d): %v", prefix, seq, err)
		}
		p, q, err := Parse(s)
		if err != nil || p != prefix || q != seq {
			t.Fatalf("Parse(New(%q, %d) = %q) = %q, %d, %v", prefix, seq, s, p, q, err)
		}
	})
}

const symbols = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

// TestDetectsSubstitutions replaces each character of a valid number by
// every other letter and digit and expects Parse to reject every one.
func TestDetectsSubstitutions(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s, _ := New(genPrefix.Draw(t, "prefix"), genSeq.Draw(t, "seq"))
		compact := []byte(strings.ReplaceAll(s, "-", ""))
		for i := range compact {
			orig := compact[i]
			for j := 0; j < len(symbols); j++ {
				if symbols[j] == orig {
					continue
				}
				compact[i] = symbols[j]
				if _, _, err := Parse(string(compact)); err == nil {
					t.Fatalf("%q with position %d changed to %c: accepted", s, i, symbols[j])
				}
			}
			compact[i] = orig
		}
	})
}

// TestDetectsTranspositions swaps every pair of adjacent unequal characters
// of a valid number, with and without its dashes, and expects Parse to
// reject every one.
func TestDetectsTranspositions(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s, _ := New(genPrefix.Draw(t, "prefix"), genSeq.Draw(t, "seq"))
		compact := []byte(strings.ReplaceAll(s, "-", ""))
		for i := 0; i+1 < len(compact); i++ {
			if compact[i] == compact[i+1] {
				continue
			}
			compact[i], compact[i+1] = compact[i+1], compact[i]
			if _, _, err := Parse(string(compact)); err == nil {
				t.Fatalf("%q with positions %d and %d swapped: accepted", s, i, i+1)
			}
			compact[i], compact[i+1] = compact[i+1], compact[i]
		}
	})
}

// TestDetectsAllSmall checks every substitution and transposition
// exhaustively for every sequence below 5,000 under two prefixes.
func TestDetectsAllSmall(t *testing.T) {
	for _, prefix := range []string{"GT", "MX-TAP"} {
		for seq := uint64(0); seq < 5_000; seq++ {
			s, err := New(prefix, seq)
			if err != nil {
				t.Fatal(err)
			}
			compact := []byte(strings.ReplaceAll(s, "-", ""))
			for i := range compact {
				orig := compact[i]
				for j := 0; j < len(symbols); j++ {
					if symbols[j] == orig {
						continue
					}
					compact[i] = symbols[j]
					if _, _, err := Parse(string(compact)); err == nil {
						t.Fatalf("%q with position %d changed to %c: accepted", s, i, symbols[j])
					}
				}
				compact[i] = orig
				if i+1 < len(compact) && compact[i] != compact[i+1] {
					compact[i], compact[i+1] = compact[i+1], compact[i]
					if _, _, err := Parse(string(compact)); err == nil {
						t.Fatalf("%q with positions %d and %d swapped: accepted", s, i, i+1)
					}
					compact[i], compact[i+1] = compact[i+1], compact[i]
				}
			}
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"GT-0001234-K", "gt gua 0000123 7", "", "GT-", "GT-99999999999999999999-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		prefix, seq, err := Parse(s)
		if err != nil {
			if key := errKey(t, err); key != KeyFormat && key != KeyCheck {
				t.Fatalf("Parse(%q): got key %q", s, key)
			}
			return
		}
		again, err := New(prefix, seq)
		if err != nil {
			t.Fatalf("New(Parse(%q)): %v", s, err)
		}
		canon := func(x string) string {
			return strings.ToUpper(strings.Map(func(r rune) rune {
				if strings.ContainsRune(" -._\t", r) {
					return -1
				}
				return r
			}, x))
		}
		if canon(again) != canon(s) {
			t.Fatalf("Parse(%q) then New gives %q", s, again)
		}
	})
}
