package reference

import (
	"errors"
	"strings"
	"testing"
	"unicode"

	"pgregory.net/rapid"

	"github.com/senda-platform/senda"
)

// mixCase changes the case of the letters of s where flip says so.
func mixCase(s string, flip []bool) string {
	r := []rune(s)
	for i := range r {
		if i < len(flip) && flip[i] {
			if unicode.IsUpper(r[i]) {
				r[i] = unicode.ToLower(r[i])
			} else {
				r[i] = unicode.ToUpper(r[i])
			}
		}
	}
	return string(r)
}

// TestLookupsIgnoreCase: every code is found whatever the case of its letters.
func TestLookupsIgnoreCase(t *testing.T) {
	countries, subdivisions, locations, languages := Countries(), mustLoad().subdivisions, Locations(), Languages()
	rapid.Check(t, func(t *rapid.T) {
		flip := rapid.SliceOfN(rapid.Bool(), 6, 6).Draw(t, "flip")

		c := rapid.SampledFrom(countries).Draw(t, "country")
		if got, ok := Country(mixCase(c.Alpha2, flip)); !ok || got != c {
			t.Fatalf("Country(%q) = %+v, %v; want %+v, true", mixCase(c.Alpha2, flip), got, ok, c)
		}
		if got, ok := CountryByAlpha3(mixCase(c.Alpha3, flip)); !ok || got != c {
			t.Fatalf("CountryByAlpha3(%q) = %+v, %v; want %+v, true", mixCase(c.Alpha3, flip), got, ok, c)
		}

		s := rapid.SampledFrom(subdivisions).Draw(t, "subdivision")
		if got, ok := Subdivision(mixCase(s.Code, flip)); !ok || got != s {
			t.Fatalf("Subdivision(%q) = %+v, %v; want %+v, true", mixCase(s.Code, flip), got, ok, s)
		}
		found := false
		for _, x := range Subdivisions(mixCase(s.Country, flip)) {
			found = found || x == s
		}
		if !found {
			t.Fatalf("Subdivisions(%q) does not hold %s", mixCase(s.Country, flip), s.Code)
		}

		l := rapid.SampledFrom(locations).Draw(t, "location")
		if got, ok := Location(mixCase(l.Code, flip)); !ok || got != l {
			t.Fatalf("Location(%q) = %+v, %v; want %+v, true", mixCase(l.Code, flip), got, ok, l)
		}

		lang := rapid.SampledFrom(languages).Draw(t, "language")
		if got, ok := Language(mixCase(lang.Code, flip)); !ok || got != lang {
			t.Fatalf("Language(%q) = %+v, %v; want %+v, true", mixCase(lang.Code, flip), got, ok, lang)
		}
	})
}

// TestLookupsFindOnlyTheirCode: whatever the input, a lookup finds either
// nothing or the entry whose code equals it up to case.
func TestLookupsFindOnlyTheirCode(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := rapid.OneOf(
			rapid.String(),
			rapid.StringMatching(`[A-Za-z]{2,3}`),
			rapid.StringMatching(`(POE|SMO|poe|smo)-[A-Za-z]{3}`),
			rapid.StringMatching(`(MX|CO|CR|EC|GT|mx|gt)-[A-Za-z0-9]{1,3}`),
		).Draw(t, "code")
		checkLookups(t, s)
	})
}

type fatalfer interface {
	Fatalf(format string, args ...any)
}

// checkLookups checks that each lookup finds nothing, or the entry whose code
// is s with its ASCII letters upper-cased (lower-cased for languages). No
// other letter folds into a code: "uſ" (long s) is not "US".
func checkLookups(t fatalfer, s string) {
	upper, lower := asciiUpper(s), asciiLower(s)
	ascii := strings.IndexFunc(s, func(r rune) bool { return r > unicode.MaxASCII }) < 0
	check := func(lookup, got, want string, ok bool) {
		if ok && (got != want || !ascii) {
			t.Fatalf("%s(%q) found %q", lookup, s, got)
		}
	}
	c, ok := Country(s)
	check("Country", c.Alpha2, upper, ok)
	c, ok = CountryByAlpha3(s)
	check("CountryByAlpha3", c.Alpha3, upper, ok)
	x, ok := Subdivision(s)
	check("Subdivision", x.Code, upper, ok)
	for _, x := range Subdivisions(s) {
		check("Subdivisions", x.Country, upper, true)
	}
	p, ok := Port(s)
	check("Port", p.Code, upper, ok)
	o, ok := Office(s)
	check("Office", o.Code, upper, ok)
	l, ok := Location(s)
	check("Location", l.Code, upper, ok)
	lang, ok := Language(s)
	check("Language", lang.Code, lower, ok)
}

func FuzzLookups(f *testing.F) {
	for _, s := range []string{"US", "us", "XK", "POE-SYS", "poe-sys", "SMO-GUA", "MX-CMX", "gt-01", "ht", "", "\u017f", "K\u212a", "İS"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkLookups(t, s)
	})
}

// FuzzParseCountries feeds arbitrary bytes as the countries file: parse must
// not panic, must fail with a *senda.Error, or must produce consistent indexes.
func FuzzParseCountries(f *testing.F) {
	valid := validFS(f)
	f.Add(valid[countriesFile].Data)
	f.Add([]byte(`[]`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`[{}]`))
	f.Add([]byte(`[{"alpha2": "US", "alpha3": "USA", "numeric": "840", "name": "x", "common": "x", "name_es": "x"}]`))
	f.Add([]byte(`[{"alpha2": "us", "alpha3": "USA", "numeric": "840", "name": "x", "common": "x", "name_es": "x"}] x`))
	f.Add([]byte(`null`))
	f.Add(valid[countriesFile].Data[:100])
	f.Fuzz(func(t *testing.T, data []byte) {
		m := validFS(t)
		m[countriesFile].Data = data
		tab, err := parse(m)
		if err != nil {
			var e *senda.Error
			if !errors.As(err, &e) || e.Code != senda.CodeInternal {
				t.Fatalf("parse() error %T %v, want an internal *senda.Error", err, err)
			}
			return
		}
		for i, c := range tab.countries {
			if tab.alpha2Index[c.Alpha2] != i || tab.alpha3Index[c.Alpha3] != i {
				t.Fatalf("country %d (%s) is not indexed at %d", i, c.Alpha2, i)
			}
			if !alpha2Pattern.MatchString(c.Alpha2) || !numericPattern.MatchString(c.Numeric) {
				t.Fatalf("parse() accepted %+v", c)
			}
		}
		for _, s := range tab.subdivisions {
			if _, ok := tab.alpha2Index[s.Country]; !ok {
				t.Fatalf("parse() accepted subdivision %s of unknown country %s", s.Code, s.Country)
			}
		}
	})
}
