package policy_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/senda-platform/senda/policy"
	"github.com/senda-platform/senda/profile"
)

// Every field a criterion can name in Needs has a question to ask.
func TestNeedsNameQuestions(t *testing.T) {
	for _, lang := range profile.Languages {
		cat := profile.Questions(lang)
		for _, path := range policy.FieldPaths() {
			if cat[profile.QuestionKey(path)] == "" {
				t.Errorf("%s: no question for %s", lang, path)
			}
		}
	}
}

func TestLocalize(t *testing.T) {
	pack := shippedPack(t)
	p, h := chnvBase()
	p.USSupporterWithI134A = nil
	p.HasPassport = ptr(false)
	en := pack.Screen(p, h, day("2023-06-01"), "chnv_parole")[0]
	es := pack.ScreenLang("es-MX", p, h, day("2023-06-01"), "chnv_parole")[0]
	if es.Lang != "es" || en.Lang != "en" {
		t.Fatalf("got languages %s and %s", en.Lang, es.Lang)
	}
	loc := en.Localize("es")
	for i := range es.Criteria {
		if loc.Criteria[i].Explanation != es.Criteria[i].Explanation || loc.Criteria[i].Hint != es.Criteria[i].Hint {
			t.Errorf("criterion %s: Localize gives %q, ScreenLang %q", es.Criteria[i].ID, loc.Criteria[i].Explanation, es.Criteria[i].Explanation)
		}
		if es.Criteria[i].Explanation == en.Criteria[i].Explanation {
			t.Errorf("criterion %s: the Spanish and English explanations are the same: %q", es.Criteria[i].ID, es.Criteria[i].Explanation)
		}
	}
	var supporter policy.CriterionResult
	for _, c := range es.Criteria {
		if c.ID == "supporter" {
			supporter = c
		}
	}
	if !strings.Contains(supporter.Explanation, "us_supporter_with_i134a") || !strings.HasPrefix(supporter.Explanation, "Aún sin decidir") {
		t.Errorf("got %q, want the Spanish needs text naming the question", supporter.Explanation)
	}
	if got := pack.ScreenLang("de", p, h, day("2023-06-01"), "chnv_parole")[0]; got.Lang != "en" {
		t.Errorf("an unknown language gives %s, want en", got.Lang)
	}
}

func TestShippedPackDescribesItself(t *testing.T) {
	pack := shippedPack(t)
	for _, pr := range pack.Programs() {
		if pr.EffectiveFrom == "" || pr.HandledBy == "" || len(pr.Sources) == 0 || len(pr.Criteria) == 0 {
			t.Errorf("%s lacks dates, handler, sources or criteria", pr.ID)
		}
		for _, c := range pr.Criteria {
			if c.Cost > policy.MaxCriterionCost {
				t.Errorf("%s.%s costs %d", pr.ID, c.ID, c.Cost)
			}
		}
	}
	if got, ok := pack.Program("tps_venezuela"); !ok || got.EffectiveTo != "2025-04-02" {
		t.Errorf("got %+v", got)
	}
}

func TestOpenRegistry(t *testing.T) {
	reg, err := policy.OpenRegistry("")
	if err != nil || len(reg.Packs()) != 1 {
		t.Fatalf("shipped: %v", err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "one.yaml")
	if err := os.WriteFile(file, []byte(goodPack), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{file, dir} {
		reg, err := policy.OpenRegistry(path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if v := reg.Packs()[0].Version(); v != "t1" {
			t.Errorf("%s: got version %s", path, v)
		}
	}
	parent := t.TempDir()
	if err := os.MkdirAll(filepath.Join(parent, "a"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(parent, "a", "pack.yaml"), []byte(goodPack), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(parent, "b.yaml"), []byte(strings.Replace(strings.Replace(goodPack, `"t1"`, `"t2"`, 1), "2023-01-01", "2024-01-01", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	reg, err = policy.OpenRegistry(parent)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(reg.Packs()); n != 2 {
		t.Errorf("a directory of versions: got %d packs, want 2", n)
	}
}
