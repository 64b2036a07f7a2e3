package dedupe

import (
	"math"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestFold(t *testing.T) {
	tests := []struct{ in, want string }{
		{"José", "jose"},
		{"Nadège", "nadege"},
		{"MUÑOZ", "munoz"},
		{"Zúñiga", "zuniga"},
		{"D'Amour", "damour"},
		{"O’Neil", "oneil"},
		{"François", "fransois"},
		{"Gonçalves", "gonsalves"},
		{"Jean-Baptiste", "jean baptiste"},
		{"  ana   MARIA ", "ana maria"},
		{"Jose\u0301", "jose"}, // decomposed accent
		{"Straße", "strasse"},
		{"Bjørn Ærø", "bjorn aero"},
		{"Thélusma", "thelusma"},
		{"Taïna", "taina"},
		{"Łukasz", "lukasz"},
		{"Σοφία", "σοφια"}, // other scripts are kept, marks removed
		{"Nguyễn", "nguyen"},
		{"", ""},
		{"--", ""},
	}
	for _, tt := range tests {
		if got := Fold(tt.in); got != tt.want {
			t.Errorf("Fold(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTokens(t *testing.T) {
	tests := []struct {
		in   []string
		want []string
	}{
		{[]string{"de la Cruz"}, []string{"cruz"}},
		{[]string{"Saint-Louis"}, []string{"saintlouis"}},
		{[]string{"St Louis"}, []string{"saintlouis"}},
		{[]string{"Ste-Fleur"}, []string{"saintfleur"}},
		{[]string{"dos Santos", "Silva"}, []string{"santos", "silva"}},
		{[]string{"Van der Berg"}, []string{"berg"}},
		{[]string{"De"}, []string{"de"}},
		{[]string{"María José"}, []string{"maria", "jose"}},
		{nil, []string{}},
	}
	for _, tt := range tests {
		got := Tokens(tt.in)
		if diff := cmp.Diff(tt.want, got); diff != "" && !(len(tt.want) == 0 && len(got) == 0) {
			t.Errorf("Tokens(%q) mismatch (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestPhonetic(t *testing.T) {
	same := [][]string{
		{"hernandez", "ernandes", "hernandes"},
		{"rodriguez", "rodrigues"},
		{"gonzalez", "gonsales"},
		{"yesenia", "jesenia"},
		{"ximena", "jimena"},
		{"castillo", "castiyo"},
		{"guillermo", "guiyermo"},
		{"fransois", "fransua", "franswa"},
		{"philippe", "filip"},
		{"thelusma", "telusma"},
		{"mackenson", "makenson"},
		{"quispe", "kispe"},
		{"zuniga", "suniga"},
		{"vasquez", "basques", "vazquez"},
		{"chavez", "chaves"},
		{"yepez", "llepez", "jepes"},
		{"joseph", "jozef"},
		{"gutierrez", "gutierres"},
		{"cardenas", "kardenas"},
		{"dubois", "duboix", "dubua"},
	}
	for _, group := range same {
		want := Phonetic(group[0])
		for _, w := range group[1:] {
			if got := Phonetic(w); got != want {
				t.Errorf("Phonetic(%q) = %q, want %q as for %q", w, got, want, group[0])
			}
		}
	}
	different := [][2]string{{"maria", "pedro"}, {"garcia", "gomez"}, {"jean", "pierre"}, {"luis", "lopez"}}
	for _, d := range different {
		if Phonetic(d[0]) == Phonetic(d[1]) {
			t.Errorf("Phonetic(%q) = Phonetic(%q) = %q, want different", d[0], d[1], Phonetic(d[0]))
		}
	}
	if got := Phonetic(""); got != "" {
		t.Errorf("Phonetic(\"\") = %q, want empty", got)
	}
}

func TestJaroWinkler(t *testing.T) {
	tests := []struct {
		a, b string
		want float64
	}{
		{"martha", "marhta", 0.9611},
		{"dwayne", "duane", 0.84},
		{"dixon", "dicksonx", 0.8133},
		{"abc", "abc", 1},
		{"abc", "xyz", 0},
		{"", "abc", 0},
	}
	for _, tt := range tests {
		got := jaroWinkler(tt.a, tt.b)
		if math.Abs(got-tt.want) > 0.0005 {
			t.Errorf("jaroWinkler(%q, %q) = %.4f, want %.4f", tt.a, tt.b, got, tt.want)
		}
		if rev := jaroWinkler(tt.b, tt.a); rev != got {
			t.Errorf("jaroWinkler is not symmetric on %q, %q: %.4f vs %.4f", tt.a, tt.b, got, rev)
		}
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"rodriguez", "rodriguez", 0},
		{"rodriguez", "rodrigues", 1},
		{"rodriguez", "rodriquez", 1},
		{"rodriguez", "rodirguez", 1}, // neighbours swapped
		{"rodriguez", "rodriguezz", 1},
		{"rodriguez", "odriguez", 1},
		{"rodriguez", "rodrgs", 3}, // beyond the limit
		{"abc", "", 3},
	}
	for _, tt := range tests {
		if got := editDistance(tt.a, tt.b, 2); got != min(tt.want, 3) {
			t.Errorf("editDistance(%q, %q, 2) = %d, want %d", tt.a, tt.b, got, min(tt.want, 3))
		}
	}
}

// FuzzFold checks that folding never panics, gives valid UTF-8, is
// idempotent, and that the phonetic key of any folded word can be taken.
func FuzzFold(f *testing.F) {
	for _, s := range []string{"José María", "Jean-Baptiste", "D'Amour", "Σοφία", "\xff\xfe", "Jose\u0301", "ǅ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		folded := Fold(s)
		if !utf8.ValidString(folded) {
			t.Fatalf("Fold(%q) = %q is not valid UTF-8", s, folded)
		}
		if again := Fold(folded); again != folded {
			t.Fatalf("Fold is not idempotent: Fold(%q) = %q, Fold of that = %q", s, folded, again)
		}
		for _, w := range Tokens([]string{s}) {
			_ = Phonetic(w)
		}
	})
}
