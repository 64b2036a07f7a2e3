// Package i18n holds Senda's message catalogues and picks a language for each
// request. Every user-facing string comes from a catalogue: handlers and
// templates refer to keys, never to text.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"sort"
	"strings"
	"sync"

	"golang.org/x/text/language"
)

// Languages Senda speaks, in the order the switcher shows them.
var Languages = []string{"es", "en", "ht", "pt", "fr"}

// Default is used when nothing else is known: most applicants read Spanish.
const Default = "es"

// Names are the native names shown in the language switcher.
var Names = map[string]string{"es": "Español", "en": "English", "ht": "Kreyòl ayisyen", "pt": "Português", "fr": "Français"}

// CookieName remembers a chosen language.
const CookieName = "senda_lang"

//go:embed catalog/*.json
var files embed.FS

var (
	loadOnce sync.Once
	catalog  map[string]map[string]string
	loadErr  error
	matcher  = language.NewMatcher([]language.Tag{
		language.Spanish, language.English, language.MustParse("ht"), language.Portuguese, language.French,
	})
)

// Catalog returns the messages of every language, keyed by language then key.
func Catalog() (map[string]map[string]string, error) {
	loadOnce.Do(func() {
		catalog, loadErr = load(files)
	})
	return catalog, loadErr
}

// Has reports whether key exists in the catalogue.
func Has(key string) bool {
	c, _ := Catalog()
	_, ok := c["en"][key]
	return ok
}

// load merges the catalogue files catalog/<area>.<lang>.json. A key defined
// twice for one language is an error.
func load(fsys fs.FS) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	for _, l := range Languages {
		out[l] = map[string]string{}
	}
	names, err := fs.Glob(fsys, "catalog/*.json")
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		base := strings.TrimSuffix(path.Base(name), ".json")
		dot := strings.LastIndexByte(base, '.')
		if dot < 0 || !Supported(base[dot+1:]) {
			return nil, fmt.Errorf("catalogue %s: name it <area>.<lang>.json with lang one of %v", name, Languages)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("catalogue %s: %w", name, err)
		}
		lang := out[base[dot+1:]]
		for k, v := range m {
			if _, dup := lang[k]; dup {
				return nil, fmt.Errorf("catalogue %s: key %q is defined twice", name, k)
			}
			lang[k] = v
		}
	}
	return out, nil
}

// T returns the message key in lang with {name} placeholders filled from
// args. A missing translation falls back to English, then to the key itself.
func T(lang, key string, args map[string]any) string {
	c, err := Catalog()
	if err != nil {
		return key
	}
	msg, ok := c[lang][key]
	if !ok {
		if msg, ok = c["en"][key]; !ok {
			return key
		}
	}
	if len(args) == 0 || !strings.Contains(msg, "{") {
		return msg
	}
	names := make([]string, 0, len(args))
	for k := range args {
		names = append(names, k)
	}
	sort.Strings(names)
	pairs := make([]string, 0, 2*len(args))
	for _, k := range names {
		pairs = append(pairs, "{"+k+"}", fmt.Sprint(args[k]))
	}
	return strings.NewReplacer(pairs...).Replace(msg)
}

// Supported reports whether lang is one of Languages.
func Supported(lang string) bool {
	for _, l := range Languages {
		if l == lang {
			return true
		}
	}
	return false
}

// Negotiate picks the language of a request: an explicit ?lang=, then the
// remembered cookie, then Accept-Language, then Default.
func Negotiate(r *http.Request) string {
	if l := r.URL.Query().Get("lang"); Supported(l) {
		return l
	}
	if c, err := r.Cookie(CookieName); err == nil && Supported(c.Value) {
		return c.Value
	}
	return Match(r.Header.Get("Accept-Language"))
}

// Match picks the best supported language for an Accept-Language header.
func Match(accept string) string {
	if strings.TrimSpace(accept) == "" {
		return Default
	}
	tags, _, err := language.ParseAcceptLanguage(accept)
	if err != nil || len(tags) == 0 {
		return Default
	}
	_, idx, conf := matcher.Match(tags...)
	if conf == language.No {
		return Default
	}
	return Languages[idx]
}
