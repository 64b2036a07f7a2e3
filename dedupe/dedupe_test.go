package dedupe

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// background is a synthetic population that gives the scenarios below
// realistic word frequencies and prior odds.
var background = func() []Person {
	people := generate(5_000, 42).people
	for i := range people {
		people[i].ID = "bg" + people[i].ID
		people[i].HouseholdID = "bg" + people[i].HouseholdID
	}
	return people
}()

// TestScenarios checks the decision on typical pairs, each placed in the
// background population.
func TestScenarios(t *testing.T) {
	type person = Person
	base := person{
		ID: "a", HouseholdID: "ha", GivenNames: []string{"Yesenia", "Carolina"}, Surnames: []string{"Hernández", "Quintero"},
		BirthDate: "1991-06-14", Sex: "F", Nationalities: []string{"VE"},
	}
	with := func(f func(p *person)) person {
		p := base
		p.ID, p.HouseholdID = "b", "hb"
		p.GivenNames = slices.Clone(base.GivenNames)
		p.Surnames = slices.Clone(base.Surnames)
		f(&p)
		return p
	}
	tests := []struct {
		name        string
		docA        []string // documents of the first person
		b           person
		want        bool
		wantReasons []string // reasons that must be among the pair's
	}{
		{"identical", nil, with(func(p *person) {}), true, []string{ReasonBirthDate, ReasonSurnames, ReasonGivenNames}},
		{"accents dropped, upper case", nil, with(func(p *person) {
			p.GivenNames = []string{"YESENIA", "CAROLINA"}
			p.Surnames = []string{"HERNANDEZ", "QUINTERO"}
		}), true, []string{ReasonSurnames}},
		{"surnames swapped", nil, with(func(p *person) { p.Surnames = []string{"Quintero", "Hernández"} }), true, []string{ReasonSurnamesSwapped}},
		{"second surname missing", nil, with(func(p *person) { p.Surnames = []string{"Hernández"} }), true, []string{ReasonSurnameMissing}},
		{"middle name missing", nil, with(func(p *person) { p.GivenNames = []string{"Yesenia"} }), true, []string{ReasonGivenMissing}},
		{"other spellings", nil, with(func(p *person) {
			p.GivenNames = []string{"Jesenia", "Karolina"}
			p.Surnames = []string{"Ernandes", "Kintero"}
		}), true, []string{ReasonSurnamesSimilar, ReasonGivenSimilar}},
		{"typo", nil, with(func(p *person) { p.Surnames = []string{"Hernnadez", "Quintero"} }), true, []string{ReasonSurnamesSimilar}},
		{"year only", nil, with(func(p *person) { p.BirthDate = "1991" }), true, []string{ReasonBirthPartial}},
		{"day and month swapped", nil, with(func(p *person) { p.BirthDate = "1991-14-06" }), true, nil},
		{"one day off", nil, with(func(p *person) { p.BirthDate = "1991-06-15" }), true, []string{ReasonBirthNear}},
		{"same document, names mangled", []string{"V-12.345.678"}, with(func(p *person) {
			p.DocumentNumbers = []string{"v12345678"}
			p.GivenNames = []string{"Yessenia"}
			p.Surnames = []string{"Hernandes"}
			p.BirthDate = ""
		}), true, []string{ReasonDocument}},
		{"same household", nil, with(func(p *person) { p.HouseholdID = "ha" }), false, nil},
		{"twin sister", nil, with(func(p *person) { p.GivenNames = []string{"Daniela", "Sofía"} }), false, nil},
		{"mother of the same name", nil, with(func(p *person) { p.BirthDate = "1966-02-03" }), false, nil},
		{"brother", nil, with(func(p *person) { p.GivenNames = []string{"Yeison", "Carlos"}; p.Sex = "M"; p.BirthDate = "1993-01-30" }), false, nil},
		{"other family", nil, with(func(p *person) { p.Surnames = []string{"Gómez", "Rojas"} }), false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := base
			a.DocumentNumbers = tt.docA
			people := append(slices.Clone(background), a, tt.b)
			var got *Pair
			for _, p := range Candidates(people, Options{}) {
				if p.A == "a" && p.B == "b" {
					got = &p
				}
			}
			if (got != nil) != tt.want {
				t.Fatalf("proposed = %v, want %v", got != nil, tt.want)
			}
			if got == nil {
				return
			}
			for _, r := range tt.wantReasons {
				if !slices.Contains(got.Reasons, r) {
					t.Errorf("reasons %v lack %q", got.Reasons, r)
				}
			}
			if got.Score < DefaultThreshold || got.Score > 1 {
				t.Errorf("score %v outside [%v, 1]", got.Score, DefaultThreshold)
			}
		})
	}
}

// TestOversizedBlocks checks that a block larger than MaxBlock is skipped
// and counted, while pairs found through other keys are still found.
func TestOversizedBlocks(t *testing.T) {
	var people []Person
	for i := 0; i < 60; i++ {
		people = append(people, Person{
			ID: "p" + strconv.Itoa(i), HouseholdID: "h" + strconv.Itoa(i),
			GivenNames: []string{"María"}, Surnames: []string{"García"}, BirthDate: "1990",
		})
	}
	people[0].DocumentNumbers = []string{"AB123456"}
	people[1].DocumentNumbers = []string{"ab 123456"}
	res := Match(people, Options{MaxBlock: 10})
	if res.Stats.SkippedBlocks == 0 || res.Stats.SkippedKeys < 60 {
		t.Errorf("stats %+v: want skipped blocks counted", res.Stats)
	}
	found := false
	for _, p := range res.Pairs {
		if p.A == "p0" && p.B == "p1" {
			found = true
		}
	}
	if !found {
		t.Errorf("pair sharing a document not found; pairs %v", res.Pairs)
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		want date
	}{
		{"1991-06-14", date{1991, 6, 14}},
		{" 1991-06 ", date{1991, 6, 0}},
		{"1991", date{1991, 0, 0}},
		{"1991-13-01", date{1991, 0, 0}},
		{"1991-06-32", date{1991, 6, 0}},
		{"91-06-14", date{}},
		{"14/06/1991", date{}},
		{"", date{}},
		{"0000", date{}},
	}
	for _, tt := range tests {
		if got := parseDate(tt.in); got != tt.want {
			t.Errorf("parseDate(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestDocumentKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"V-12.345.678", "V12345678"},
		{"pp 123 456", "PP123456"},
		{"A1", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := DocumentKey(tt.in); got != tt.want {
			t.Errorf("DocumentKey(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

var genName = rapid.SampledFrom([]string{
	"José", "JOSE", "María", "Maria", "Jean-Baptiste", "Pierre", "St Louis", "Saint-Louis", "de la Cruz", "De",
	"H", "h.", "Ñ", "", " ", "Σοφία", "\xff", "Lwi", "Louis", "Yan", "Jean", "Xóchitl", "'", "O'Neil", "Nguyễn",
})

var genPerson = rapid.Custom(func(t *rapid.T) Person {
	return Person{
		HouseholdID:     rapid.SampledFrom([]string{"", "h1", "h2", "h3", "h4"}).Draw(t, "household"),
		GivenNames:      rapid.SliceOfN(genName, 0, 3).Draw(t, "given"),
		Surnames:        rapid.SliceOfN(genName, 0, 3).Draw(t, "surnames"),
		BirthDate:       rapid.SampledFrom([]string{"", "1990", "1990-05", "1990-05-04", "1990-04-05", "1991-05-04", "2000-02-30", "x"}).Draw(t, "birth"),
		Sex:             rapid.SampledFrom([]string{"", "M", "F", "X", "m"}).Draw(t, "sex"),
		Nationalities:   rapid.SliceOfN(rapid.SampledFrom([]string{"VE", "HT", "ve", ""}), 0, 2).Draw(t, "nat"),
		DocumentNumbers: rapid.SliceOfN(rapid.SampledFrom([]string{"AB123456", "ab-123456", "X1", "CD987654"}), 0, 2).Draw(t, "docs"),
	}
})

// TestCandidatesProperties: pairs are across households, ordered, scored
// within range, sorted, unique, and the same whatever the input order and
// the number of workers.
func TestCandidatesProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		people := rapid.SliceOfN(genPerson, 0, 40).Draw(t, "people")
		for i := range people {
			people[i].ID = "p" + strconv.Itoa(i)
		}
		threshold := rapid.Float64Range(0.05, 0.95).Draw(t, "threshold")
		household := map[string]string{}
		for _, p := range people {
			household[p.ID] = p.HouseholdID
		}
		got := Candidates(people, Options{Threshold: threshold, Workers: 1})
		seen := map[[2]string]bool{}
		for i, p := range got {
			if p.A >= p.B {
				t.Fatalf("pair %v: A not before B", p)
			}
			if h := household[p.A]; h != "" && h == household[p.B] {
				t.Fatalf("pair %v within household %q", p, h)
			}
			if p.Score < threshold || p.Score > 1 {
				t.Fatalf("pair %v: score outside [%v, 1]", p, threshold)
			}
			if i > 0 && got[i-1].Score < p.Score {
				t.Fatalf("pairs not sorted by score at %d", i)
			}
			if seen[[2]string{p.A, p.B}] {
				t.Fatalf("pair %v twice", p)
			}
			seen[[2]string{p.A, p.B}] = true
		}
		shuffled := slices.Clone(people)
		r := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 1))
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		again := Candidates(shuffled, Options{Threshold: threshold, Workers: 3})
		if diff := cmp.Diff(got, again); diff != "" {
			t.Fatalf("result depends on input order or workers (-first +second):\n%s", diff)
		}
	})
}
