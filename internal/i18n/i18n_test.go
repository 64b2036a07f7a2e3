package i18n

import (
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Every language has exactly the same keys, no empty message, and the same
// placeholders as English.
func TestCataloguesComplete(t *testing.T) {
	c, err := Catalog()
	if err != nil {
		t.Fatal(err)
	}
	keys := func(m map[string]string) []string {
		var ks []string
		for k := range m {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		return ks
	}
	en := c["en"]
	if len(en) < 50 {
		t.Fatalf("got %d English messages, want the whole catalogue", len(en))
	}
	for _, l := range Languages {
		if diff := cmp.Diff(keys(en), keys(c[l])); diff != "" {
			t.Errorf("%s keys differ from en (-en +%s):\n%s", l, l, diff)
		}
		for k, v := range c[l] {
			if strings.TrimSpace(v) == "" {
				t.Errorf("%s %s is empty", l, k)
			}
			if got, want := placeholders(v), placeholders(en[k]); !cmp.Equal(got, want) {
				t.Errorf("%s %s has placeholders %v, en has %v", l, k, got, want)
			}
		}
	}
}

func placeholders(s string) []string {
	var out []string
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			break
		}
		out = append(out, s[i:i+j+1])
		s = s[i+j+1:]
	}
	sort.Strings(out)
	return out
}

func TestT(t *testing.T) {
	if got := T("ht", "error.too_many.detail", map[string]any{"seconds": 30}); got != "Tann 30 segonn epi eseye ankò." {
		t.Errorf("got %q", got)
	}
	if got := T("xx", "nav.home", nil); got != "Home" {
		t.Errorf("unknown language: got %q, want the English text", got)
	}
	if got := T("es", "no.such.key", nil); got != "no.such.key" {
		t.Errorf("unknown key: got %q, want the key", got)
	}
}

func TestNegotiate(t *testing.T) {
	tests := []struct {
		url, cookie, accept, want string
	}{
		{"/", "", "", "es"},
		{"/", "", "fr-CA,fr;q=0.9,en;q=0.5", "fr"},
		{"/", "", "ht", "ht"},
		{"/", "", "pt-BR", "pt"},
		{"/", "", "de-DE", "es"},
		{"/", "", "de, en;q=0.5", "en"},
		{"/", "en", "fr", "en"},
		{"/", "xx", "fr", "fr"},
		{"/?lang=ht", "en", "fr", "ht"},
		{"/?lang=zz", "", "pt", "pt"},
		{"/", "", ";;;garbage,,", "es"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", tt.url, nil)
		if tt.cookie != "" {
			r.Header.Set("Cookie", CookieName+"="+tt.cookie)
		}
		r.Header.Set("Accept-Language", tt.accept)
		if got := Negotiate(r); got != tt.want {
			t.Errorf("Negotiate(%s, cookie %q, %q) = %q, want %q", tt.url, tt.cookie, tt.accept, got, tt.want)
		}
	}
}

func FuzzMatch(f *testing.F) {
	for _, s := range []string{"", "es", "fr-CA,fr;q=0.9", "*;q=0", "en;q=abc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if l := Match(s); !Supported(l) {
			t.Fatalf("Match(%q) = %q, not a supported language", s, l)
		}
	})
}
