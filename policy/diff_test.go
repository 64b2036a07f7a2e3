package policy_test

import (
	"testing"

	"github.com/senda-platform/senda/policy"
)

func TestChangeCountBreakdown(t *testing.T) {
	c := policy.ChangeCount{By: map[string]map[string]int{policy.AttrNationality: {"VE": 3, "CU": 1, "": 1, "HT": 3}}}
	if got, want := c.Breakdown(policy.AttrNationality, "?"), "HT 3, VE 3, ? 1, CU 1"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if got := c.Breakdown("office", "?"); got != "" {
		t.Fatalf("a breakdown with no counts: got %q", got)
	}
}
