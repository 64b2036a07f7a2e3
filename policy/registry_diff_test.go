package policy_test

import (
	"fmt"
	"io/fs"
	"path"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/policy"
	"github.com/senda-platform/senda/profile"
)

const shippedVersionDir = policy.ShippedDir + "/2025.1"

// packFS copies the shipped pack into dir of a new file system with its
// version and effective date replaced and the given text replacements
// (file name -> old -> new) applied.
func packFS(t *testing.T, dir, version, from string, edits map[string][2]string) fstest.MapFS {
	t.Helper()
	out := fstest.MapFS{}
	entries, err := fs.ReadDir(policy.ShippedFS(), shippedVersionDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := fs.ReadFile(policy.ShippedFS(), path.Join(shippedVersionDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		if e.Name() == "pack.yaml" {
			s = strings.Replace(s, `version: "2025.1"`, `version: "`+version+`"`, 1)
			s = strings.Replace(s, "effective_from: 2021-03-09", "effective_from: "+from, 1)
		}
		if ed, ok := edits[e.Name()]; ok {
			if !strings.Contains(s, ed[0]) {
				t.Fatalf("%s does not contain %q", e.Name(), ed[0])
			}
			s = strings.Replace(s, ed[0], ed[1], 1)
		}
		out[path.Join(dir, e.Name())] = &fstest.MapFile{Data: []byte(s)}
	}
	return out
}

// The second version used by the registry and Diff tests: Venezuelan
// passports lose their grace period, and Venezuelans who hold another
// nationality first may get TPS.
var v2Edits = map[string][2]string{
	"02_chnv_parole.yaml": {
		"(person.passport_expiry_date > as_of ||\n            (person.nationality == 'VE' && add_years(person.passport_expiry_date, 5) > as_of))",
		"person.passport_expiry_date > as_of"},
	"11_tps_venezuela.yaml": {
		`"person.nationality == 'VE' || ('VE' in person.other_nationalities && undecided())"`,
		`"person.nationality == 'VE' || 'VE' in person.other_nationalities"`},
}

func loadV2(t *testing.T) *policy.Pack {
	t.Helper()
	p, err := policy.Load(packFS(t, "v2", "2025.2", "2024-06-01", v2Edits), "v2")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRegistryAt(t *testing.T) {
	v1 := shippedPack(t)
	v2 := loadV2(t)
	reg, err := policy.NewRegistry(v2, v1)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ asOf, want string }{
		{"2021-03-09", "2025.1"},
		{"2024-05-31", "2025.1"},
		{"2024-06-01", "2025.2"},
		{"2030-01-01", "2025.2"},
	} {
		p, err := reg.At(day(c.asOf))
		if err != nil {
			t.Fatalf("At(%s): %v", c.asOf, err)
		}
		if p.Version() != c.want {
			t.Errorf("At(%s): got version %s, want %s", c.asOf, p.Version(), c.want)
		}
	}
	if _, err := reg.At(day("2021-03-08")); !senda.IsNotFound(err) {
		t.Errorf("At before every version: got %v, want not_found", err)
	}
	if got, err := reg.Version("2025.1"); err != nil || got != v1 {
		t.Errorf("Version(2025.1): got %v, %v", got, err)
	}
	if _, err := reg.Version("9"); !senda.IsNotFound(err) {
		t.Errorf("Version(9): got %v, want not_found", err)
	}
	if err := reg.Add(v1); senda.ErrorCode(err) != senda.CodeConflict {
		t.Errorf("adding a version twice: got %v, want conflict", err)
	}
	v3, err := policy.Load(packFS(t, "v3", "2025.3", "2024-06-01", nil), "v3")
	if err != nil {
		t.Fatal(err)
	}
	if err := reg.Add(v3); senda.ErrorCode(err) != senda.CodeConflict {
		t.Errorf("adding a second version effective the same day: got %v, want conflict", err)
	}
}

func TestPublishingKeepsPastResults(t *testing.T) {
	v1 := shippedPack(t)
	reg, err := policy.NewRegistry(v1)
	if err != nil {
		t.Fatal(err)
	}
	p, h := chnvBase()
	p.PassportExpiryDate = date("2020-01-01")
	asOf := day("2024-07-01")
	pack, _ := reg.At(asOf)
	before := pack.Screen(p, h, asOf, "chnv_parole")[0]
	if before.Result != policy.Eligible || before.PolicyVersion != "2025.1" {
		t.Fatalf("got %s under %s, want eligible under 2025.1", before.Result, before.PolicyVersion)
	}
	if err := reg.Add(loadV2(t)); err != nil {
		t.Fatal(err)
	}
	pack, _ = reg.At(asOf)
	after := pack.Screen(p, h, asOf, "chnv_parole")[0]
	if after.Result != policy.Ineligible || after.PolicyVersion != "2025.2" {
		t.Errorf("got %s under %s, want ineligible under 2025.2", after.Result, after.PolicyVersion)
	}
	if before.Result != policy.Eligible || before.PolicyVersion != "2025.1" {
		t.Errorf("publishing changed a past result to %s under %s", before.Result, before.PolicyVersion)
	}
	old, err := reg.Version("2025.1")
	if err != nil {
		t.Fatal(err)
	}
	if again := old.Screen(p, h, asOf, "chnv_parole")[0]; again.Result != policy.Eligible {
		t.Errorf("the old version now gives %s, want eligible", again.Result)
	}
}

func TestLoadRegistry(t *testing.T) {
	fsys := packFS(t, "packs/2025.1", "2025.1", "2021-03-09", nil)
	for name, f := range packFS(t, "packs/2025.2", "2025.2", "2024-06-01", v2Edits) {
		fsys[name] = f
	}
	reg, err := policy.LoadRegistry(fsys, "packs")
	if err != nil {
		t.Fatal(err)
	}
	var versions []string
	for _, p := range reg.Packs() {
		versions = append(versions, p.Version())
	}
	if diff := cmp.Diff([]string{"2025.1", "2025.2"}, versions); diff != "" {
		t.Errorf("versions (-want +got):\n%s", diff)
	}
	reg2, err := policy.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(reg2.Packs()); n != 1 {
		t.Errorf("got %d shipped versions, want 1", n)
	}
	var ids []string
	for _, pr := range reg2.Packs()[0].Programs() {
		ids = append(ids, pr.ID)
	}
	want := []string{"cbp_one_appointment", "chnv_parole", "frp", "smo_registration_co", "smo_registration_cr",
		"smo_registration_ec", "smo_registration_gt", "usrap_referral", "h2a", "h2b", "tps_venezuela", "ead_parolee"}
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Errorf("shipped programmes (-want +got):\n%s", diff)
	}
}

type person struct {
	id    string
	p     profile.Person
	h     profile.Household
	attrs map[string]string
}

func each(people []person) func(yield func(string, profile.Person, profile.Household, map[string]string) bool) {
	return func(yield func(string, profile.Person, profile.Household, map[string]string) bool) {
		for _, x := range people {
			if !yield(x.id, x.p, x.h, x.attrs) {
				return
			}
		}
	}
}

func TestDiff(t *testing.T) {
	v1, v2 := shippedPack(t), loadV2(t)
	a, ah := chnvBase()
	a.PassportExpiryDate = date("2020-01-01")
	b, bh := tpsBase()
	b.Nationality, b.OtherNationalities = str("CO"), []string{"VE"}
	c, ch := chnvBase()
	people := []person{
		{"c", c, ch, map[string]string{"office": "SMO-CO"}},
		{"b", b, bh, map[string]string{"office": "USCIS"}},
		{"a", a, ah, map[string]string{"office": "SMO-CO"}},
	}
	rep := policy.Diff(v1, v2, day("2024-01-01"), each(people))
	if rep.FromVersion != "2025.1" || rep.ToVersion != "2025.2" || rep.AsOf != "2024-01-01" {
		t.Errorf("got %s -> %s on %s", rep.FromVersion, rep.ToVersion, rep.AsOf)
	}
	if rep.Screened != 3 || rep.Affected != 2 {
		t.Errorf("got %d screened, %d affected; want 3, 2", rep.Screened, rep.Affected)
	}
	wantChanges := []policy.ChangeCount{
		{Change: policy.Change{Program: "chnv_parole", From: policy.Eligible, To: policy.Ineligible}, Count: 1,
			By: map[string]map[string]int{"nationality": {"VE": 1}, "office": {"SMO-CO": 1}}},
		{Change: policy.Change{Program: "tps_venezuela", From: policy.NeedsInfo, To: policy.Eligible}, Count: 1,
			By: map[string]map[string]int{"nationality": {"CO": 1}, "office": {"USCIS": 1}}},
	}
	if diff := cmp.Diff(wantChanges, rep.Changes); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	for _, pd := range rep.Programs {
		want := policy.ProgramDiff{Program: pd.Program}
		switch pd.Program {
		case "chnv_parole":
			want.Lost, want.Changed = 1, 1
		case "tps_venezuela":
			want.Gained, want.Changed = 1, 1
		}
		if pd != want {
			t.Errorf("got %+v, want %+v", pd, want)
		}
	}
	wantSample := []policy.Affected{
		{ID: "a", Changes: []policy.Change{{Program: "chnv_parole", From: policy.Eligible, To: policy.Ineligible}}},
		{ID: "b", Changes: []policy.Change{{Program: "tps_venezuela", From: policy.NeedsInfo, To: policy.Eligible}}},
	}
	if diff := cmp.Diff(wantSample, rep.Sample); diff != "" {
		t.Errorf("sample (-want +got):\n%s", diff)
	}
	if same := policy.Diff(v1, v1, day("2024-01-01"), each(people)); same.Affected != 0 || len(same.Changes) != 0 {
		t.Errorf("a pack against itself: got %d affected", same.Affected)
	}
}

func TestDiffSampleIsBoundedAndStable(t *testing.T) {
	v1, v2 := shippedPack(t), loadV2(t)
	var people []person
	for i := range 3 * policy.DiffSampleSize {
		p, h := chnvBase()
		p.ID = fmt.Sprintf("p%03d", (i*37)%(3*policy.DiffSampleSize))
		p.PassportExpiryDate = date("2020-01-01")
		people = append(people, person{p.ID, p, h, nil})
	}
	rep := policy.Diff(v1, v2, day("2024-01-01"), each(people))
	if rep.Affected != len(people) || len(rep.Sample) != policy.DiffSampleSize {
		t.Fatalf("got %d affected and a sample of %d, want %d and %d", rep.Affected, len(rep.Sample), len(people), policy.DiffSampleSize)
	}
	for i, a := range rep.Sample {
		if want := fmt.Sprintf("p%03d", i); a.ID != want {
			t.Fatalf("sample[%d] is %s, want %s (the smallest ids)", i, a.ID, want)
		}
	}
	stopped := 0
	policy.Diff(v1, v2, day("2024-01-01"), func(yield func(string, profile.Person, profile.Household, map[string]string) bool) {
		for _, x := range people {
			stopped++
			if !yield(x.id, x.p, x.h, nil) {
				return
			}
		}
	})
	if stopped != len(people) {
		t.Errorf("Diff stopped the iteration after %d people, want all %d", stopped, len(people))
	}
}

// A what-if report does not depend on the order people are read in.
func TestDiffIndependentOfOrder(t *testing.T) {
	v1, v2 := shippedPack(t), loadV2(t)
	rapid.Check(t, func(t *rapid.T) {
		pick := rapidPicker(t)
		var people []person
		for i := range rapid.IntRange(1, 30).Draw(t, "people") {
			pr := genProfile(pick, fmt.Sprintf("p%02d", i))
			people = append(people, person{pr.ID, pr.Person, household(pr), map[string]string{"office": pick.of("A", "B")}})
		}
		asOf := drawAsOf(t)
		want := policy.Diff(v1, v2, asOf, each(people))
		got := policy.Diff(v1, v2, asOf, each(rapid.Permutation(people).Draw(t, "order")))
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("report changed with the order (-before +after):\n%s", diff)
		}
	})
}
