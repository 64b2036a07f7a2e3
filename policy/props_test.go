package policy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/policy"
	"github.com/senda-platform/senda/profile"
)

func rapidPicker(t *rapid.T) picker {
	return func(n int) int { return rapid.IntRange(0, n-1).Draw(t, "n") }
}

func drawAsOf(t *rapid.T) time.Time {
	return day("2021-01-01").AddDate(0, 0, rapid.IntRange(0, 5*366).Draw(t, "as_of"))
}

// exprPack exercises the parts of CEL the shipped pack does not use.
var exprPack = `
version: "x1"
effective_from: 2021-01-01
description: {es: x, en: x, ht: x, pt: x, fr: x}
texts:
  open_pass: {es: x, en: x, ht: x, pt: x, fr: x}
  open_fail: {es: x, en: x, ht: x, pt: x, fr: x}
  open_hint: {es: x, en: x, ht: x, pt: x, fr: x}
  no_end_date: {es: x, en: x, ht: x, pt: x, fr: x}
  needs_info: {es: x, en: x, ht: x, pt: x, fr: x}
  needs_fields: {es: x, en: x, ht: x, pt: x, fr: x}
  undecided: {es: x, en: x, ht: x, pt: x, fr: x}
lists:
  four: [CU, HT, NI, VE]
programs:
  - id: x
    name: {es: x, en: x, ht: x, pt: x, fr: x}
    description: {es: x, en: x, ht: x, pt: x, fr: x}
    handled_by: x
    effective_from: 2021-01-01
    sources: [{url: "https://example.org", applied_from: 2021-01-01}]
    criteria:
` + exprCriteria

var exprList = []string{
	"person.irregular_entries.exists_one(e, e.country == 'US')",
	"person.irregular_entries.map(e, e.country).exists(c, c in ['MX', 'PA'])",
	"size(person.irregular_entries.filter(e, e.voluntary_departure)) < 2",
	"person.other_nationalities == ['VE']",
	"person.other_nationalities.map(n, n == person.nationality).all(b, !b)",
	"size(person.current_city) > 3 || person.current_city.startsWith('Ci') || person.current_city.endsWith('z') || person.current_city.contains('ua')",
	"age_on(person.birth_date, as_of) >= 21 ? person.married : !person.married",
	"add_days(person.passport_expiry_date, 30) > as_of && add_years(as_of, 1) > person.passport_expiry_date",
	"person.nationality in person.other_nationalities",
	"household.members.all(m, m.travelling_with || age_under(m.birth_date, 18, as_of))",
	"household.members.exists(m, m.relationship == 'spouse' && m.nationality in lists.four)",
	"principal(household).birth_date == person.birth_date",
	"[person.nationality, person.current_country].exists(c, c == 'MX')",
	"person.us_misdemeanor_convictions >= 1 || person.us_felony_conviction == person.married",
	"cel.bind(k, person.irregular_entries.filter(e, e.date > date('2023-01-01')).size(), k == 0 || k > 2)",
	"person.interdicted_at_sea_dates.all(d, d < as_of) && undecided() || person.has_passport",
	"person.role != 'principal' && (person.host_country_status < 'r' || person.north_of_19th_parallel)",
	"person.us_removal_order_dates.exists(a, person.us_removal_order_dates.exists(b, a != b))",
	"timestamp('2023-06-01T12:00:00Z') < as_of == person.p1_referral",
}

var exprCriteria = func() string {
	var b strings.Builder
	for i, e := range exprList {
		fmt.Fprintf(&b, "      - id: e%d\n        expr: %q\n        pass: {es: x, en: x, ht: x, pt: x, fr: x}\n        fail: {es: x, en: x, ht: x, pt: x, fr: x}\n        hint: {es: x, en: x, ht: x, pt: x, fr: x}\n", i, e)
	}
	return b.String()
}()

// The compact evaluator gives the results of cel-go's interpreter for
// every shipped criterion and for expressions using the rest of the
// subset, on random profiles and dates.
func TestCompactEvaluatorMatchesCEL(t *testing.T) {
	extra, err := policy.Parse("expr.yaml", []byte(exprPack))
	if err != nil {
		t.Fatalf("%v %v", err, err.(*senda.Error).Fields)
	}
	reg, err := policy.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	packs := append(reg.Packs(), extra)
	rapid.Check(t, func(t *rapid.T) {
		pr := genProfile(rapidPicker(t), "p")
		if rapid.Bool().Draw(t, "city") {
			pr.CurrentCity = str(rapid.SampledFrom([]string{"Ciudad Juárez", "Tijuana", "Cúcuta", "Quito", "Lima"}).Draw(t, "city name"))
		}
		asOf := drawAsOf(t)
		for _, p := range packs {
			if diffs := policy.CrossCheck(p, pr.Person, household(pr), asOf); len(diffs) > 0 {
				t.Fatalf("as of %s:\n%s", asOf.Format(time.DateOnly), strings.Join(diffs, "\n"))
			}
		}
	})
}

// outcomes reduces results to what order must not change.
func outcomes(rs []policy.Result) []string {
	var out []string
	for _, r := range rs {
		for _, c := range r.Criteria {
			v := "null"
			if c.Passed != nil {
				v = fmt.Sprint(*c.Passed)
			}
			out = append(out, fmt.Sprintf("%s %s %s %s %v %s", r.Program, r.Result, c.ID, v, c.Needs, c.Explanation))
		}
	}
	return out
}

func shuffled[T any](t *rapid.T, s []T, label string) []T {
	if len(s) == 0 {
		return s
	}
	return rapid.Permutation(s).Draw(t, label)
}

// Results do not depend on the order of list answers.
func TestResultsIndependentOfListOrder(t *testing.T) {
	pack := shippedPack(t)
	rapid.Check(t, func(t *rapid.T) {
		pr := genProfile(rapidPicker(t), "p")
		h := household(pr)
		if len(h.Members) >= 2 && rapid.Bool().Draw(t, "two principals") {
			// Screening does not validate: contradictory answers too must
			// not make the order matter.
			rel := profile.RelPrincipal
			h.Members = slices.Clone(h.Members)
			h.Members[0].Relationship, h.Members[1].Relationship = &rel, &rel
		}
		asOf := drawAsOf(t)
		want := outcomes(pack.Screen(pr.Person, h, asOf))

		p := pr.Person
		p.OtherNationalities = shuffled(t, p.OtherNationalities, "other_nationalities")
		p.PermanentResidenceCountries = shuffled(t, p.PermanentResidenceCountries, "permanent_residence_countries")
		p.RefugeeStatusCountries = shuffled(t, p.RefugeeStatusCountries, "refugee_status_countries")
		p.IrregularEntries = shuffled(t, p.IrregularEntries, "irregular_entries")
		p.InterdictedAtSeaDates = shuffled(t, p.InterdictedAtSeaDates, "interdicted_at_sea_dates")
		p.USRemovalOrderDates = shuffled(t, p.USRemovalOrderDates, "us_removal_order_dates")
		h2 := h
		h2.Members = shuffled(t, h.Members, "members")
		got := outcomes(pack.Screen(p, h2, asOf))
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("results changed with the order of lists (-before +after):\n%s", diff)
		}
	})
}

// The output of ScreenJSONL does not depend on the order of the input
// lines: each person gets the same lines.
func TestScreenJSONLIndependentOfLineOrder(t *testing.T) {
	pack := shippedPack(t)
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 12).Draw(t, "people")
		pick := rapidPicker(t)
		var lines []string
		for i := range n {
			b, err := json.Marshal(genProfile(pick, fmt.Sprintf("p%02d", i)))
			if err != nil {
				t.Fatal(err)
			}
			lines = append(lines, string(b))
		}
		asOf := drawAsOf(t)
		run := func(lines []string) []string {
			var out bytes.Buffer
			in := strings.NewReader(strings.Join(lines, "\n") + "\n")
			if err := policy.ScreenJSONL(context.Background(), pack, asOf, nil, in, &out); err != nil {
				t.Fatalf("ScreenJSONL: %v", err)
			}
			got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
			sort.Strings(got)
			return got
		}
		want := run(lines)
		if len(want) != n*len(pack.Programs()) {
			t.Fatalf("got %d lines, want %d", len(want), n*len(pack.Programs()))
		}
		got := run(rapid.Permutation(lines).Draw(t, "order"))
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("output changed with the order of the input (-before +after):\n%s", diff)
		}
	})
}

// Screening never depends on other people screened before with the same
// pack (the engine reuses its memory between people).
func TestScreenerReuseIsClean(t *testing.T) {
	pack := shippedPack(t)
	rapid.Check(t, func(t *rapid.T) {
		asOf := drawAsOf(t)
		sc := pack.NewScreener(asOf, "es")
		pick := rapidPicker(t)
		for i := range rapid.IntRange(1, 5).Draw(t, "people") {
			pr := genProfile(pick, fmt.Sprint(i))
			h := household(pr)
			want := outcomes(pack.ScreenLang("es", pr.Person, h, asOf))
			got := outcomes(sc.Screen(&pr.Person, &h))
			if !slices.Equal(want, got) {
				t.Fatalf("person %d: a reused Screener gives %v, want %v", i, got, want)
			}
		}
	})
}

// Outcomes are Screen's results without their texts: the same results,
// criterion states and needed questions, with a Screener reused between
// people.
func TestOutcomesAreScreenWithoutTexts(t *testing.T) {
	pack := shippedPack(t)
	rapid.Check(t, func(t *rapid.T) {
		asOf := drawAsOf(t)
		sc := pack.NewScreener(asOf, "en")
		pick := rapidPicker(t)
		for i := range rapid.IntRange(1, 5).Draw(t, "people") {
			pr := genProfile(pick, fmt.Sprint(i))
			h := household(pr)
			want := pack.Screen(pr.Person, h, asOf)
			got := sc.Outcomes(&pr.Person, &h)
			if len(got) != len(want) {
				t.Fatalf("person %d: %d outcomes, want %d", i, len(got), len(want))
			}
			for k, r := range want {
				o := got[k]
				var states []uint8
				var needs [][]string
				for _, c := range r.Criteria {
					switch {
					case c.Passed == nil:
						states, needs = append(states, policy.StateUndecided), append(needs, c.Needs)
					case *c.Passed:
						states = append(states, policy.StatePassed)
					default:
						states = append(states, policy.StateFailed)
					}
				}
				if o.Program != r.Program || o.Result != r.Result || !slices.Equal(o.States, states) ||
					!slices.EqualFunc(o.Needs, needs, slices.Equal[[]string]) {
					t.Fatalf("person %d, %s: outcome %+v, want %s %v %v", i, r.Program, o, r.Result, states, needs)
				}
			}
		}
	})
}
