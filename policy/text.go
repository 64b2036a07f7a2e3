package policy

import "strings"

// Text is a text in the five languages of Senda. Every pack text must be
// given in all five.
type Text struct {
	ES string `yaml:"es" json:"es"`
	EN string `yaml:"en" json:"en"`
	HT string `yaml:"ht" json:"ht"`
	PT string `yaml:"pt" json:"pt"`
	FR string `yaml:"fr" json:"fr"`
}

// DefaultLang is the language of texts when none is asked for or the one
// asked for is not available.
const DefaultLang = "en"

// In returns the text in lang: a language code ("es", "ht") or a BCP 47
// tag whose language is one of them ("es-MX"). Other languages get English.
func (t Text) In(lang string) string {
	switch baseLang(lang) {
	case "es":
		return t.ES
	case "ht":
		return t.HT
	case "pt":
		return t.PT
	case "fr":
		return t.FR
	}
	return t.EN
}

// numLangs is the number of languages of a Text.
const numLangs = 5

// langIndex returns the index of lang in profile.Languages (es, en, ht,
// pt, fr); English for any other.
func langIndex(lang string) int {
	switch lang {
	case "es":
		return 0
	case "ht":
		return 2
	case "pt":
		return 3
	case "fr":
		return 4
	}
	return 1
}

// at returns the text in the language of index i (see langIndex).
func (t *Text) at(i int) string {
	switch i {
	case 0:
		return t.ES
	case 2:
		return t.HT
	case 3:
		return t.PT
	case 4:
		return t.FR
	}
	return t.EN
}

// missing returns the languages t lacks.
func (t Text) missing() []string {
	var out []string
	for _, l := range []struct{ code, s string }{{"es", t.ES}, {"en", t.EN}, {"ht", t.HT}, {"pt", t.PT}, {"fr", t.FR}} {
		if strings.TrimSpace(l.s) == "" {
			out = append(out, l.code)
		}
	}
	return out
}

func baseLang(lang string) string {
	lang = strings.ToLower(lang)
	if i := strings.IndexAny(lang, "-_"); i > 0 {
		lang = lang[:i]
	}
	return lang
}
