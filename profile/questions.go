package profile

import (
	"embed"
	"encoding/json"
	"reflect"
	"strings"
	"sync"
)

// Languages lists the languages every question and every policy text exists
// in: Spanish, English, Haitian Creole, Portuguese and French.
var Languages = []string{"es", "en", "ht", "pt", "fr"}

//go:embed questions.*.json
var questionFiles embed.FS

// QuestionKey returns the message-catalogue key of the plain-words question
// that asks for the field at path, e.g. "profile.q.us_supporter_with_i134a"
// or "profile.q.household.members.birth_date".
func QuestionKey(path string) string { return "profile.q." + path }

var (
	catalogueOnce sync.Once
	catalogues    map[string]map[string]string
	catalogueErr  error
)

// Questions returns the question catalogue of lang (one of Languages): key ->
// text. It returns nil for another language.
func Questions(lang string) map[string]string {
	catalogueOnce.Do(loadCatalogues)
	return catalogues[lang]
}

// Question returns the question asking for the field at path in lang,
// falling back to English, then to the key itself.
func Question(lang, path string) string {
	key := QuestionKey(path)
	if q, ok := Questions(baseLang(lang))[key]; ok {
		return q
	}
	if q, ok := Questions("en")[key]; ok {
		return q
	}
	return key
}

func baseLang(lang string) string {
	lang = strings.ToLower(lang)
	if i := strings.IndexAny(lang, "-_"); i > 0 {
		lang = lang[:i]
	}
	return lang
}

func loadCatalogues() {
	catalogues = map[string]map[string]string{}
	for _, lang := range Languages {
		b, err := questionFiles.ReadFile("questions." + lang + ".json")
		if err != nil {
			catalogueErr = err
			return
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			catalogueErr = err
			return
		}
		catalogues[lang] = m
	}
}

// Paths returns the path of every answerable field, in schema order:
// person fields by JSON name ("birth_date"), fields of list elements after
// their list ("irregular_entries.date"), household fields under
// "household." ("household.members.travelling_with"). The person's and
// members' ids are not questions and are left out.
func Paths() []string {
	var out []string
	out = appendPaths(out, reflect.TypeFor[Person](), "")
	out = appendPaths(out, reflect.TypeFor[Household](), "household.")
	return out
}

func appendPaths(out []string, t reflect.Type, prefix string) []string {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" || name == "id" {
			continue
		}
		out = append(out, prefix+name)
		et := f.Type
		for et.Kind() == reflect.Pointer || et.Kind() == reflect.Slice {
			et = et.Elem()
		}
		if et.Kind() == reflect.Struct {
			out = appendPaths(out, et, prefix+name+".")
		}
	}
	return out
}
