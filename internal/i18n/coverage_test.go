package i18n

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// messageKey finds string literals in the areas whose dotted names are
// message keys.
var messageKey = regexp.MustCompile(`"((?:mrz|receipt|draw|validation|error|policy|profile|stats|auth|household|appointments?|audit|page|web|register)\.[a-z0-9_]+(?:\.[a-z0-9_]+)*)"`)

// notMessages are literals in those areas that name something else: audit
// actions, outbox templates, internal causes never shown to users.
var notMessages = map[string]bool{
	"household.read": true, "household.create": true, "household.update": true, "household.delete": true,
	"household.sealed": true, "household.receipt": true, "household.import_read": true,
	"auth.code":   true,
	"draw.commit": true, "draw.close": true, "draw.run": true, "draw.publish": true,
}

// TestEveryMessageKeyIsTranslated scans the code for message keys and fails
// when one has no text: every user-facing string comes from the catalogues.
func TestEveryMessageKeyIsTranslated(t *testing.T) {
	c, err := Catalog()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join("..", "..")
	missing := map[string][]string{}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".") && path != root) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range messageKey.FindAllStringSubmatch(string(b), -1) {
			k := m[1]
			if notMessages[k] || strings.HasPrefix(k, "profile.q.") || strings.HasPrefix(k, "household.members") {
				continue
			}
			if _, ok := c["en"][k]; ok {
				continue
			}
			if _, ok := c["en"][k+".title"]; ok {
				continue
			}
			rel, _ := filepath.Rel(root, path)
			missing[k] = append(missing[k], rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range missing {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Errorf("message key %q (used in %s) has no text in the catalogues", k, strings.Join(dedup(missing[k]), ", "))
	}
}

func dedup(s []string) []string {
	sort.Strings(s)
	out := s[:0]
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}
