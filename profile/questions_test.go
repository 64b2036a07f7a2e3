package profile_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/profile"
)

// Every answerable field has a question in every language, and the
// catalogues hold no other key.
func TestQuestionCatalogues(t *testing.T) {
	paths := profile.Paths()
	for _, lang := range profile.Languages {
		cat := profile.Questions(lang)
		if cat == nil {
			t.Fatalf("no catalogue for %s", lang)
		}
		for _, p := range paths {
			if q := cat[profile.QuestionKey(p)]; q == "" {
				t.Errorf("%s: no question for %s", lang, p)
			}
		}
		for key := range cat {
			if !slices.ContainsFunc(paths, func(p string) bool { return profile.QuestionKey(p) == key }) {
				t.Errorf("%s: key %s names no field", lang, key)
			}
		}
	}
	if got := profile.Question("es-MX", "us_supporter_with_i134a"); got == "" || got == profile.QuestionKey("us_supporter_with_i134a") {
		t.Errorf("got %q for es-MX", got)
	}
	if got, want := profile.Question("de", "nationality"), profile.Questions("en")[profile.QuestionKey("nationality")]; got != want {
		t.Errorf("got %q for an unknown language, want the English %q", got, want)
	}
}

func TestValidate(t *testing.T) {
	rel := profile.Relationship("cousin")
	bad := profile.Profile{
		Person: profile.Person{
			Nationality:        profile.Ptr("ven"),
			BirthDate:          profile.Ptr(profile.PartialDate("1990-02-30")),
			OtherNationalities: []string{"CO", "x"},
			IrregularEntries:   []profile.Entry{{Country: "MX", Date: "2023-13-01"}},
		},
		Household: &profile.Household{Members: []profile.Member{{Relationship: &rel}}},
	}
	var se *senda.Error
	if err := bad.Validate(); !errors.As(err, &se) || se.Code != senda.CodeInvalid {
		t.Fatalf("got %v, want an invalid error", err)
	}
	var got []string
	for _, f := range se.Fields {
		got = append(got, f.Location+" "+f.Key)
	}
	want := []string{
		"id profile.required",
		"nationality profile.pattern",
		"other_nationalities[1] profile.pattern",
		"birth_date profile.partial_date",
		"irregular_entries[0].date profile.date",
		"household.members[0].relationship profile.enum",
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("got field errors %v, want %v", got, want)
	}
	two := profile.Profile{Person: profile.Person{ID: "a", Role: profile.Ptr(profile.RolePrincipal)},
		Household: &profile.Household{Members: []profile.Member{{Relationship: profile.Ptr(profile.RelPrincipal)}}}}
	if err := two.Validate(); !errors.As(err, &se) || se.Fields[0].Key != profile.KeyPrincipals {
		t.Errorf("two principals: got %v, want %s", err, profile.KeyPrincipals)
	}
	good := profile.Profile{Person: profile.Person{ID: "a", BirthDate: profile.Ptr(profile.PartialDate("1990"))}}
	if err := good.Validate(); err != nil {
		t.Errorf("a valid profile: %v", err)
	}
}
