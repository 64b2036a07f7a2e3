package policy_test

import (
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/senda-platform/senda/policy"
	"github.com/senda-platform/senda/profile"
)

// shippedPack returns the shipped pack in effect on 2024-01-01.
func shippedPack(t testing.TB) *policy.Pack {
	t.Helper()
	reg, err := policy.Shipped()
	if err != nil {
		t.Fatalf("load the shipped packs: %v", err)
	}
	p, err := reg.At(day("2024-01-01"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

var (
	ptr = profile.Ptr[bool]
	yes = ptr(true)
	no  = ptr(false)
)

func str(s string) *string                          { return &s }
func date(s string) *profile.Date                   { d := profile.Date(s); return &d }
func birth(s string) *profile.PartialDate           { d := profile.PartialDate(s); return &d }
func role(r profile.Role) *profile.Role             { return &r }
func host(s profile.HostStatus) *profile.HostStatus { return &s }

// row is one case of a programme's table: the base profile edited, the
// outcome wanted and the criteria that decide it - those that failed for
// ineligible, those left undecided for needs_info - with, for needs_info,
// the questions named.
type row struct {
	name  string
	asOf  string // the table's date when empty
	edit  func(p *profile.Person, h *profile.Household)
	want  policy.Outcome
	crits []string
	needs []string
}

// runTable screens every row for program and checks its outcome and the
// criteria that decided it.
func runTable(t *testing.T, program, asOf string, base func() (profile.Person, profile.Household), rows []row) {
	t.Helper()
	pack := shippedPack(t)
	if _, ok := pack.Program(program); !ok {
		t.Fatalf("the shipped pack has no programme %s", program)
	}
	names := map[string]bool{}
	for _, r := range rows {
		if names[r.name] {
			t.Fatalf("two rows are named %q", r.name)
		}
		names[r.name] = true
		t.Run(r.name, func(t *testing.T) {
			p, h := base()
			if r.edit != nil {
				r.edit(&p, &h)
			}
			on := asOf
			if r.asOf != "" {
				on = r.asOf
			}
			if err := (profile.Profile{Person: p, Household: &h}).Validate(); err != nil {
				t.Fatalf("the row's profile is not valid: %v", err)
			}
			res := pack.Screen(p, h, day(on), program)
			if len(res) != 1 {
				t.Fatalf("got %d results, want 1", len(res))
			}
			got := res[0]
			if got.Result != r.want {
				t.Errorf("got %s, want %s\n%s", got.Result, r.want, dump(got))
			}
			if got.PolicyVersion != pack.Version() {
				t.Errorf("got policy version %q, want %q", got.PolicyVersion, pack.Version())
			}
			var decisive, needs []string
			for _, c := range got.Criteria {
				switch {
				case r.want == policy.Ineligible && c.Passed != nil && !*c.Passed:
					decisive = append(decisive, c.ID)
				case r.want == policy.NeedsInfo && c.Passed == nil:
					decisive = append(decisive, c.ID)
					needs = append(needs, c.Needs...)
				}
				if c.Explanation == "" {
					t.Errorf("criterion %s has no explanation", c.ID)
				}
				if (c.Passed == nil || !*c.Passed) && c.Hint == "" {
					t.Errorf("criterion %s did not pass and has no hint", c.ID)
				}
			}
			sort.Strings(needs)
			needs = slices.Compact(needs)
			if diff := cmp.Diff(r.crits, decisive); diff != "" {
				t.Errorf("deciding criteria (-want +got):\n%s\n%s", diff, dump(got))
			}
			if r.want == policy.NeedsInfo {
				if diff := cmp.Diff(r.needs, needs); diff != "" {
					t.Errorf("questions to answer (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func dump(r policy.Result) string {
	var b strings.Builder
	b.WriteString(r.Program + " " + string(r.Result) + "\n")
	for _, c := range r.Criteria {
		v := "null"
		if c.Passed != nil {
			v = map[bool]string{true: "true", false: "false"}[*c.Passed]
		}
		b.WriteString("  " + c.ID + " " + v + " " + strings.Join(c.Needs, ",") + "\n")
	}
	return b.String()
}
