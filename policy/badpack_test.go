package policy_test

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/policy"
)

const tx = "{es: x, en: x, ht: x, pt: x, fr: x}"

// goodPack is a small valid pack; bad-pack cases replace one part of it.
var goodPack = `version: "t1"
effective_from: 2023-01-01
description: ` + tx + `
texts:
  open_pass: ` + tx + `
  open_fail: ` + tx + `
  open_hint: ` + tx + `
  no_end_date: ` + tx + `
  needs_info: ` + tx + `
  needs_fields: ` + tx + `
  undecided: ` + tx + `
lists:
  four: [CU, HT, NI, VE]
programs:
  - id: chnv_parole
    name: ` + tx + `
    description: ` + tx + `
    handled_by: USCIS
    effective_from: 2022-10-18
    effective_to: 2025-03-24
    sources:
      - {url: "https://www.uscis.gov/CHNV", applied_from: 2022-10-18}
    criteria:
      - id: nationality
        expr: person.nationality in lists.four
        pass: ` + tx + `
        fail: ` + tx + `
        hint: ` + tx + `
      - id: supporter
        expr: person.us_supporter_with_i134a
        pass: ` + tx + `
        fail: ` + tx + `
        hint: ` + tx + `
`

func TestGoodPackLoads(t *testing.T) {
	p, err := policy.Parse("pack.yaml", []byte(goodPack))
	if err != nil {
		t.Fatal(err)
	}
	if p.Version() != "t1" || p.EffectiveFrom() != "2023-01-01" {
		t.Errorf("got version %s from %s", p.Version(), p.EffectiveFrom())
	}
}

func TestBadPacksAreRefused(t *testing.T) {
	const crit = "pack.yaml: programs[chnv_parole].criteria[supporter]"
	const prog = "pack.yaml: programs[chnv_parole]"
	supporter := "expr: person.us_supporter_with_i134a"
	cases := []struct {
		name     string
		old, new string
		loc, key string
	}{
		{"YAML syntax error", "    handled_by: USCIS", "    handled_by: [USCIS", "pack.yaml: line 17", policy.KeyYAMLSyntax},
		{"unknown field in a criterion", supporter, supporter + "\n        weight: 3", crit, policy.KeyUnknownField},
		{"unknown field in a programme", "    handled_by: USCIS", "    handled_by: USCIS\n    owner: x", prog, policy.KeyUnknownField},
		{"unknown top-level field", "lists:", "colour: blue\nlists:", "pack.yaml: line 12", policy.KeyUnknownField},
		{"wrong type", "    handled_by: USCIS", "    handled_by: {a: b}", prog, policy.KeyWrongType},
		{"criterion date that is not a date", supporter, supporter + "\n        effective_from: 2023-02-30", crit, policy.KeyBadDate},
		{"CEL syntax error", supporter, "expr: person.us_supporter_with_i134a &&", crit, policy.KeyExprSyntax},
		{"unknown profile field", supporter, "expr: person.has_sponsor", crit, policy.KeyExprType},
		{"type error", supporter, "expr: person.nationality == 3", crit, policy.KeyExprType},
		{"result not a bool", supporter, "expr: person.nationality", crit, policy.KeyExprNotBool},
		{"division", supporter, "expr: size(person.other_nationalities) / 2 == 1", crit, policy.KeyExprForbidden},
		{"indexing", supporter, "expr: person.other_nationalities[0] == 'VE'", crit, policy.KeyExprForbidden},
		{"has()", supporter, "expr: has(person.nationality)", crit, policy.KeyExprType},
		{"dyn()", supporter, "expr: dyn(person.nationality) == 'VE'", crit, policy.KeyExprForbidden},
		{"a value without a static type", supporter, "expr: \"[1, 'a'].size() == 2\"", crit, policy.KeyExprDyn},
		{"string conversion", supporter, "expr: string(person.us_misdemeanor_convictions) == '1'", crit, policy.KeyExprForbidden},
		{"arithmetic", supporter, "expr: person.us_misdemeanor_convictions + 1 > 2", crit, policy.KeyExprForbidden},
		{"timestamp from a field", supporter, "expr: timestamp(person.current_city) < as_of", crit, policy.KeyExprForbidden},
		{"date() of a field", supporter, "expr: date(person.current_city) < as_of", crit, policy.KeyExprSyntax},
		{"age not a literal", supporter, "expr: age_at_least(person.birth_date, person.us_misdemeanor_convictions, as_of)", crit, policy.KeyExprLiteral},
		{"cost too high", supporter, "expr: 'person.irregular_entries.all(a, person.irregular_entries.all(b, person.us_removal_order_dates.all(c, person.interdicted_at_sea_dates.all(d, a.date < d))))'", crit, policy.KeyExprCost},
		{"missing language", "        hint: " + tx + "\n", "        hint: {es: x, en: x}\n", "pack.yaml: programs[chnv_parole].criteria[nationality]", policy.KeyMissingText},
		{"duplicate criterion id", "      - id: supporter", "      - id: nationality", "pack.yaml: programs[chnv_parole].criteria[nationality]", policy.KeyDuplicateID},
		{"reserved criterion id", "      - id: supporter", "      - id: open", "pack.yaml: programs[chnv_parole].criteria[open]", policy.KeyBadID},
		{"criterion dates in the wrong order", supporter, supporter + "\n        effective_from: 2024-01-01\n        effective_to: 2023-01-01", crit, policy.KeyDateOrder},
		{"programme dates in the wrong order", "    effective_to: 2025-03-24", "    effective_to: 2020-01-01", prog, policy.KeyDateOrder},
		{"no source", "      - {url: \"https://www.uscis.gov/CHNV\", applied_from: 2022-10-18}", "      []", prog, policy.KeyMissing},
		{"bad source URL", "https://www.uscis.gov/CHNV", "uscis.gov", prog + ".sources[0]", policy.KeyBadURL},
		{"no version", `version: "t1"`, `version: ""`, "pack.yaml: version", policy.KeyMissing},
		{"empty expression", supporter, "expr: ''", crit, policy.KeyMissing},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(goodPack, c.old) {
				t.Fatalf("the good pack has no %q", c.old)
			}
			src := strings.Replace(goodPack, c.old, c.new, 1)
			p, err := policy.Parse("pack.yaml", []byte(src))
			if err == nil {
				t.Fatalf("loaded version %s; want a refusal", p.Version())
			}
			checkRefusal(t, err, "pack.yaml", c.loc, c.key)
		})
	}
}

// checkRefusal checks that err is an invalid-pack error with a field error
// at loc with key.
func checkRefusal(t *testing.T, err error, file, loc, key string) {
	t.Helper()
	var se *senda.Error
	if !errors.As(err, &se) {
		t.Fatalf("got %T %v, want *senda.Error", err, err)
	}
	if se.Code != senda.CodeInvalid || se.Key != policy.KeyInvalidPack {
		t.Errorf("got code %s key %s, want invalid %s", se.Code, se.Key, policy.KeyInvalidPack)
	}
	var found bool
	for _, f := range se.Fields {
		if f.Location == loc && f.Key == key {
			found = true
			if f.Args["file"] != file {
				t.Errorf("got file %v, want %s", f.Args["file"], file)
			}
			if msg, _ := f.Args["message"].(string); msg == "" {
				t.Errorf("field error %s has no message", loc)
			}
		}
	}
	if !found {
		var got []string
		for _, f := range se.Fields {
			got = append(got, f.Location+" "+f.Key+" "+f.Args["message"].(string))
		}
		t.Errorf("got field errors\n%s\nwant one at %q with key %s", strings.Join(got, "\n"), loc, key)
	}
}

func TestBadPackDirectoryNamesTheFile(t *testing.T) {
	header, programs, _ := strings.Cut(goodPack, "programs:\n")
	bad := strings.Replace(programs, "expr: person.us_supporter_with_i134a", "expr: person.us_supporter_with_i134a ||", 1)
	fsys := fstest.MapFS{
		"v/pack.yaml": {Data: []byte(header)},
		"v/chnv.yaml": {Data: []byte("programs:\n" + bad)},
	}
	_, err := policy.Load(fsys, "v")
	checkRefusal(t, err, "v/chnv.yaml", "v/chnv.yaml: programs[chnv_parole].criteria[supporter]", policy.KeyExprSyntax)

	fsys["v/other.yaml"] = &fstest.MapFile{Data: []byte("version: \"t2\"\n")}
	fsys["v/chnv.yaml"] = &fstest.MapFile{Data: []byte("programs:\n" + programs)}
	_, err = policy.Load(fsys, "v")
	checkRefusal(t, err, "v/pack.yaml", "v/pack.yaml", policy.KeyDuplicateID)

	if _, err := policy.Load(fsys, "nowhere"); !senda.IsNotFound(err) {
		t.Errorf("loading a missing pack: got %v, want not_found", err)
	}
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	if _, err := policy.LoadFile(dir + "/missing.yaml"); !senda.IsNotFound(err) {
		t.Errorf("got %v, want not_found", err)
	}
}
