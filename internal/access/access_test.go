package access

import "testing"

func TestScope(t *testing.T) {
	tests := []struct {
		scope, place string
		want         bool
	}{
		{"*", "CO/SMO-BOG", true},
		{"GT", "GT/SMO-GUA", true},
		{"GT", "GT", true},
		{"GT", "CO/SMO-BOG", false},
		{"GT", "GTX/SMO", false},
		{"GT/SMO-GUA", "GT/SMO-GUA", true},
		{"GT/SMO-GUA", "GT/SMO-XEL", false},
		{"GT/SMO-GUA", "GT", false},
		{"US/POE-SYS", "US/POE-SYS", true},
		{"", "GT", false},
	}
	for _, tt := range tests {
		if got := Scope(tt.scope).Contains(tt.place); got != tt.want {
			t.Errorf("Scope(%q).Contains(%q) = %v, want %v", tt.scope, tt.place, got, tt.want)
		}
	}
	for _, s := range []string{"*", "GT", "GT/SMO-GUA", "US/POE-SYS"} {
		if _, ok := ParseScope(s); !ok {
			t.Errorf("ParseScope(%q) refused", s)
		}
	}
	for _, s := range []string{"", "gt", "GTM", "GT/", "GT/a", "GT/SMO/X", "**", "GT/SMO GUA"} {
		if _, ok := ParseScope(s); ok {
			t.Errorf("ParseScope(%q) accepted", s)
		}
	}
	if !Scope("GT").Covers("GT/SMO-GUA") || Scope("GT/SMO-GUA").Covers("GT") || Scope("GT").Covers("*") || !Scope("*").Covers("*") {
		t.Error("Covers")
	}
}

func TestRuleAllows(t *testing.T) {
	r := Roles(Admin, Auditor)
	if !r.Allows(Admin) || r.Allows(Applicant) || r.Allows("") {
		t.Error("Roles rule")
	}
	if !Public.Allows("") {
		t.Error("Public must allow anonymous callers")
	}
	if (Rule{}).Allows(Admin) {
		t.Error("an empty rule must allow nobody")
	}
}
