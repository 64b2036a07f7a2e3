package dedupe

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// Fold returns text in the form names are compared in: lower case ASCII
// letters and digits, words separated by one space. Diacritics are removed
// (José -> jose, Nadège -> nadege, Muñoz -> munoz); ç becomes s (François ->
// fransois, as it sounds); ß, æ, œ, ø and other letters that do not decompose
// are spelled out; apostrophes vanish (D'Amour -> damour); every other
// character that is not a letter or digit separates words. Letters of other
// scripts are kept as they are.
func Fold(s string) string {
	if isPlainASCII(s) {
		return foldASCII(s)
	}
	folded, slow := foldPass(s)
	if slow {
		// Letters outside the table: decompose, drop their marks, and fold
		// what that leaves.
		if stripped, _, err := transform.String(stripper(), folded); err == nil {
			folded, _ = foldPass(stripped)
		}
	}
	return folded
}

// foldPass folds s rune by rune and reports whether it kept letters that
// the table does not spell.
func foldPass(s string) (string, bool) {
	var out strings.Builder
	out.Grow(len(s))
	space := true
	slow := false
	for _, r := range s {
		r = unicode.ToLower(r)
		switch {
		case r < utf8.RuneSelf && (('a' <= r && r <= 'z') || ('0' <= r && r <= '9')):
			out.WriteByte(byte(r))
			space = false
		case r == '\'' || r == '’' || r == 'ʼ' || r == '`' || r == '´':
		case unicode.Is(unicode.Mn, r):
			// a combining mark of decomposed input
		case r >= latinLo && r < latinHi && latinFold[r-latinLo] != "":
			out.WriteString(latinFold[r-latinLo])
			space = false
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			out.WriteRune(r)
			space = false
			slow = true
		default:
			if !space {
				out.WriteByte(' ')
				space = true
			}
		}
	}
	return strings.TrimRight(out.String(), " "), slow
}

// latinFold spells the letters of Latin-1 and Latin Extended-A/B in ASCII,
// computed once by decomposing each (NFD) and removing its combining marks,
// with the exceptions that do not decompose written out.
const latinLo, latinHi = 0xC0, 0x250

var latinFold = func() [latinHi - latinLo]string {
	var t [latinHi - latinLo]string
	special := map[rune]string{
		'ç': "s", 'ß': "ss", 'æ': "ae", 'œ': "oe", 'ø': "o", 'đ': "d", 'ð': "d", 'ł': "l", 'ı': "i", 'þ': "th",
		'ŀ': "l", 'ħ': "h", 'ŧ': "t", 'ƒ': "f",
	}
	strip := stripper()
	for r := rune(latinLo); r < latinHi; r++ {
		lower := unicode.ToLower(r)
		if sp, ok := special[lower]; ok {
			t[r-latinLo] = sp
			continue
		}
		d, _, err := transform.String(strip, string(lower))
		strip.Reset()
		if err != nil {
			continue
		}
		var b strings.Builder
		for _, c := range d {
			if sp, ok := special[c]; ok {
				b.WriteString(sp)
			} else {
				b.WriteRune(c)
			}
		}
		if d = b.String(); d != "" && isPlainASCII(d) {
			t[r-latinLo] = strings.ToLower(d)
		}
	}
	return t
}()

// stripper decomposes, removes combining marks and recomposes. A transformer
// is stateful, so each call gets its own.
func stripper() transform.Transformer {
	return transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
}

func isPlainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func foldASCII(s string) string {
	b := make([]byte, 0, len(s))
	space := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z':
			b = append(b, c+'a'-'A')
			space = false
		case ('a' <= c && c <= 'z') || ('0' <= c && c <= '9'):
			b = append(b, c)
			space = false
		case c == '\'' || c == '`':
		default:
			if !space {
				b = append(b, ' ')
				space = true
			}
		}
	}
	for len(b) > 0 && b[len(b)-1] == ' ' {
		b = b[:len(b)-1]
	}
	return string(b)
}

// particles are words of names that carry no identity of their own and are
// often dropped or added: "de la Cruz", "dos Santos", "van der Berg".
var particles = map[string]bool{
	"de": true, "del": true, "la": true, "las": true, "los": true, "lo": true, "y": true, "e": true,
	"da": true, "das": true, "do": true, "dos": true, "di": true, "du": true, "des": true,
	"le": true, "les": true, "van": true, "von": true, "der": true, "den": true,
}

// saints are spellings of "saint" that Haitian surnames join to the next
// word: Saint-Louis, St Louis, St-Louis and Saintlouis all give saintlouis.
var saints = map[string]bool{"saint": true, "sainte": true, "st": true, "ste": true, "sen": true, "sent": true}

// Tokens folds the parts of a name and splits them into words, dropping
// particles and joining "saint" to the word after it. A name made only of
// particles keeps them.
func Tokens(parts []string) []string {
	words := make([]string, 0, 4)
	for _, p := range parts {
		f := Fold(p)
		for f != "" {
			w, rest, _ := strings.Cut(f, " ")
			words = append(words, w)
			f = rest
		}
	}
	out := make([]string, 0, len(words))
	for i := 0; i < len(words); i++ {
		w := words[i]
		if saints[w] && i+1 < len(words) {
			out = append(out, "saint"+words[i+1])
			i++
			continue
		}
		if particles[w] {
			continue
		}
		out = append(out, w)
	}
	if len(out) == 0 {
		return words
	}
	return out
}

// Phonetic returns a key of a folded word that is the same for common
// spellings of the same sound in Spanish, Portuguese, French and Haitian
// Creole. The word is rewritten left to right:
//
//   - ch, sh -> x; ph -> f; th -> t; qu, q, k, ck -> k; c before e, i, y ->
//     s, other c -> k; gu before e, i -> g; g before e, i, y -> j; z -> s;
//     v -> b; w -> u; x -> j at the start (Ximena, Jimena), s elsewhere;
//   - y before a vowel -> j at the start (Yesenia, Jesenia) and a consonant y
//     elsewhere; ll -> j at the start and y elsewhere (Castillo, Castiyo);
//     any other y -> i;
//   - ou -> u, eau and au -> o, oi -> ua, and a final -ois or -oix -> ua
//     (François, Fransua, Franswa); h that is not
//     part of ch, sh, ph or th is silent and dropped (Hernández, Ernandes);
//
// then repeated letters are written once, and the key is the first letter
// followed by the consonants (vowels after the first letter are dropped):
// Rodríguez and Rodrigues give rdrgs, Chávez and Chaves xbs, Mackenson and
// Makenson mknsn.
func Phonetic(w string) string {
	if w == "" {
		return ""
	}
	src := w
	var stack [48]byte
	buf := stack[:0]
	n := len(src)
	at := func(i int) byte {
		if i < n {
			return src[i]
		}
		return 0
	}
	for i := 0; i < n; i++ {
		c := src[i]
		next := at(i + 1)
		switch c {
		case 'c':
			switch {
			case next == 'h':
				buf = append(buf, 'x')
				i++
			case next == 'e' || next == 'i' || next == 'y':
				buf = append(buf, 's')
			case next == 'k' || next == 'c' && at(i+2) != 'e' && at(i+2) != 'i':
				buf = append(buf, 'k')
				i++
			default:
				buf = append(buf, 'k')
			}
		case 's':
			if next == 'h' {
				buf = append(buf, 'x')
				i++
			} else {
				buf = append(buf, 's')
			}
		case 'p':
			if next == 'h' {
				buf = append(buf, 'f')
				i++
			} else {
				buf = append(buf, 'p')
			}
		case 't':
			if next == 'h' {
				i++
			}
			buf = append(buf, 't')
		case 'l':
			switch {
			case next == 'l' && i == 0:
				buf = append(buf, 'j')
				i++
			case next == 'l':
				buf = append(buf, 'y')
				i++
			default:
				buf = append(buf, 'l')
			}
		case 'q':
			buf = append(buf, 'k')
			if next == 'u' {
				i++
			}
		case 'k':
			buf = append(buf, 'k')
		case 'g':
			switch {
			case next == 'u' && (at(i+2) == 'e' || at(i+2) == 'i'):
				buf = append(buf, 'g')
				i++
			case next == 'e' || next == 'i' || next == 'y':
				buf = append(buf, 'j')
			default:
				buf = append(buf, 'g')
			}
		case 'z':
			buf = append(buf, 's')
		case 'v':
			buf = append(buf, 'b')
		case 'w':
			buf = append(buf, 'u')
		case 'x':
			if i == 0 {
				buf = append(buf, 'j')
			} else {
				buf = append(buf, 's')
			}
		case 'y':
			switch {
			case i == 0 && isVowel(next):
				buf = append(buf, 'j')
			case i > 0 && isVowel(next):
				buf = append(buf, 'y')
			default:
				buf = append(buf, 'i')
			}
		case 'h':
			// silent
		case 'o':
			switch {
			case next == 'i' && i+3 == n && (at(i+2) == 's' || at(i+2) == 'x'):
				// French -ois, -oix: the last letter is silent
				buf = append(buf, 'u', 'a')
				i += 2
			case next == 'u':
				buf = append(buf, 'u')
				i++
			case next == 'i':
				buf = append(buf, 'u', 'a')
				i++
			default:
				buf = append(buf, 'o')
			}
		case 'e':
			if next == 'a' && at(i+2) == 'u' {
				buf = append(buf, 'o')
				i += 2
			} else {
				buf = append(buf, 'e')
			}
		case 'a':
			if next == 'u' {
				buf = append(buf, 'o')
				i++
			} else {
				buf = append(buf, 'a')
			}
		default:
			buf = append(buf, c)
		}
	}
	if len(buf) == 0 {
		return ""
	}
	key := buf[:1]
	last := buf[0]
	for _, c := range buf[1:] {
		if c == last {
			continue
		}
		last = c
		if isVowel(c) {
			continue
		}
		key = append(key, c)
	}
	return string(key)
}

func isVowel(c byte) bool {
	switch c {
	case 'a', 'e', 'i', 'o', 'u':
		return true
	}
	return false
}

// jaroWinkler returns the Jaro-Winkler similarity of two byte strings, 0..1.
func jaroWinkler(a, b string) float64 {
	if a == b {
		return 1
	}
	la, lb := len(a), len(b)
	if la == 0 || lb == 0 {
		return 0
	}
	if la > lb {
		a, b = b, a
		la, lb = lb, la
	}
	window := lb/2 - 1
	if window < 0 {
		window = 0
	}
	var amBuf, bmBuf [64]bool
	var am, bm []bool
	if lb <= 64 {
		am, bm = amBuf[:la], bmBuf[:lb]
	} else {
		am, bm = make([]bool, la), make([]bool, lb)
	}
	matches := 0
	for i := 0; i < la; i++ {
		lo, hi := i-window, i+window+1
		if lo < 0 {
			lo = 0
		}
		if hi > lb {
			hi = lb
		}
		for j := lo; j < hi; j++ {
			if !bm[j] && a[i] == b[j] {
				am[i], bm[j] = true, true
				matches++
				break
			}
		}
	}
	if matches == 0 {
		return 0
	}
	trans := 0
	j := 0
	for i := 0; i < la; i++ {
		if !am[i] {
			continue
		}
		for !bm[j] {
			j++
		}
		if a[i] != b[j] {
			trans++
		}
		j++
	}
	m := float64(matches)
	jaro := (m/float64(la) + m/float64(lb) + (m-float64(trans)/2)/m) / 3
	prefix := 0
	for prefix < 4 && prefix < la && a[prefix] == b[prefix] {
		prefix++
	}
	return jaro + float64(prefix)*0.1*(1-jaro)
}
