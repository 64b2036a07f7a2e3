package policy_test

import (
	"testing"

	"github.com/senda-platform/senda/profile"
)

// chnvBase is a Venezuelan principal in Colombia who meets every criterion
// on 2023-06-01.
func chnvBase() (profile.Person, profile.Household) {
	return profile.Person{
		ID:                          "p1",
		Role:                        role(profile.RolePrincipal),
		Nationality:                 str("VE"),
		OtherNationalities:          []string{},
		BirthDate:                   birth("1994-05-01"),
		CurrentCountry:              str("CO"),
		HasPassport:                 yes,
		PassportExpiryDate:          date("2027-01-01"),
		USSupporterWithI134A:        yes,
		USRemovalOrderDates:         []profile.Date{},
		IrregularEntries:            []profile.Entry{},
		InterdictedAtSeaDates:       []profile.Date{},
		PermanentResidenceCountries: []string{},
		RefugeeStatusCountries:      []string{},
	}, profile.Household{Members: []profile.Member{}}
}

func nat(n string) func(*profile.Person, *profile.Household) {
	return func(p *profile.Person, _ *profile.Household) { p.Nationality = str(n) }
}

// withPrincipal makes the person a family member (r) of a principal of
// nationality n who travels with them or not.
func withPrincipal(r profile.Role, n string, travelling *bool) func(*profile.Person, *profile.Household) {
	return func(p *profile.Person, h *profile.Household) {
		p.Role = role(r)
		rel := profile.RelPrincipal
		h.Members = append(h.Members, profile.Member{ID: "principal", Relationship: &rel, Nationality: str(n), TravellingWith: travelling})
	}
}

func entry(country, d string, vd *bool) profile.Entry {
	return profile.Entry{Country: country, Date: profile.Date(d), VoluntaryDeparture: vd}
}

func edits(fs ...func(*profile.Person, *profile.Household)) func(*profile.Person, *profile.Household) {
	return func(p *profile.Person, h *profile.Household) {
		for _, f := range fs {
			f(p, h)
		}
	}
}

func TestCHNVParole(t *testing.T) {
	type P = profile.Person
	type H = profile.Household
	rows := []row{
		{name: "eligible Venezuelan principal", want: in},

		// Opening and closing dates.
		{name: "Venezuelan the day before the process opened", asOf: "2022-10-17", want: out, crits: []string{"open", "nationality"}},
		{name: "Venezuelan on the opening day", asOf: "2022-10-18", want: in},
		{name: "Cuban the day before Cubans could apply", asOf: "2023-01-05", edit: nat("CU"), want: out, crits: []string{"nationality"}},
		{name: "Cuban on the first day", asOf: "2023-01-06", edit: nat("CU"), want: in},
		{name: "Haitian on the first day", asOf: "2023-01-06", edit: nat("HT"), want: in},
		{name: "Nicaraguan the day before", asOf: "2023-01-05", edit: nat("NI"), want: out, crits: []string{"nationality"}},
		{name: "last day before the termination", asOf: "2025-03-24", want: in},
		{name: "day of the termination notice", asOf: "2025-03-25", want: out, crits: []string{"open"}},

		// Nationality and family members.
		{name: "Colombian principal", edit: nat("CO"), want: out, crits: []string{"nationality"}},
		{name: "nationality unknown", edit: func(p *P, _ *H) { p.Nationality = nil },
			want: ni, crits: []string{"nationality"}, needs: []string{"nationality"}},
		{name: "Colombian spouse travelling with a Venezuelan principal", edit: edits(nat("CO"), withPrincipal(profile.RoleSpouse, "VE", yes)), want: in},
		{name: "Colombian spouse of a principal not travelling", edit: edits(nat("CO"), withPrincipal(profile.RoleSpouse, "VE", no)), want: out, crits: []string{"nationality"}},
		{name: "Colombian spouse with dual nationality and residence elsewhere is exempt",
			edit: edits(nat("CO"), withPrincipal(profile.RoleSpouse, "CU", yes), func(p *P, _ *H) {
				p.OtherNationalities = []string{"ES"}
				p.PermanentResidenceCountries = []string{"CO"}
			}), want: in},
		{name: "Colombian spouse of a Cuban principal before Cubans could apply", asOf: "2023-01-05",
			edit: edits(nat("CO"), withPrincipal(profile.RoleSpouse, "CU", yes)), want: out, crits: []string{"nationality"}},
		{name: "Colombian child aged 20 travelling with the principal",
			edit: edits(nat("CO"), withPrincipal(profile.RoleChild, "VE", yes), func(p *P, _ *H) {
				p.BirthDate, p.Married = birth("2002-06-02"), no
			}), want: in},
		{name: "Colombian child who turned 21 that day",
			edit: edits(nat("CO"), withPrincipal(profile.RoleChild, "VE", yes), func(p *P, _ *H) {
				p.BirthDate, p.Married = birth("2002-06-01"), no
			}), want: out, crits: []string{"nationality"}},
		{name: "Colombian married child",
			edit: edits(nat("CO"), withPrincipal(profile.RoleChild, "VE", yes), func(p *P, _ *H) {
				p.BirthDate, p.Married = birth("2004-01-01"), yes
			}), want: out, crits: []string{"nationality"}},
		{name: "Colombian spouse whose household is not given",
			edit: edits(nat("CO"), func(p *P, h *H) { p.Role = role(profile.RoleSpouse); h.Members = nil }),
			want: ni, crits: []string{"nationality"}, needs: []string{"household.members"}},

		// Dual nationals, residence and refugee status elsewhere.
		{name: "Venezuelan also Colombian", edit: func(p *P, _ *H) { p.OtherNationalities = []string{"CO"} }, want: out, crits: []string{"no_other_nationality"}},
		{name: "Venezuelan also Cuban", edit: func(p *P, _ *H) { p.OtherNationalities = []string{"CU"} }, want: in},
		{name: "Venezuelan also Ukrainian (a similar process)", edit: func(p *P, _ *H) { p.OtherNationalities = []string{"UA"} }, want: in},
		{name: "Venezuelan also Spanish and Cuban in any order", edit: func(p *P, _ *H) { p.OtherNationalities = []string{"CU", "ES"} }, want: out, crits: []string{"no_other_nationality"}},
		{name: "other nationalities unknown", edit: func(p *P, _ *H) { p.OtherNationalities = nil },
			want: ni, crits: []string{"no_other_nationality"}, needs: []string{"other_nationalities"}},
		{name: "permanent resident of Colombia", edit: func(p *P, _ *H) { p.PermanentResidenceCountries = []string{"CO"} }, want: out, crits: []string{"no_status_elsewhere"}},
		{name: "refugee in Colombia", edit: func(p *P, _ *H) { p.RefugeeStatusCountries = []string{"CO"} }, want: out, crits: []string{"no_status_elsewhere"}},

		// Outside the United States.
		{name: "in the United States", edit: func(p *P, _ *H) { p.CurrentCountry = str("US") }, want: out, crits: []string{"outside_us"}},
		{name: "in Venezuela itself", edit: func(p *P, _ *H) { p.CurrentCountry = str("VE") }, want: in},

		// Passport and the Venezuelan five-year grace.
		{name: "Venezuelan passport expired, within five years", edit: func(p *P, _ *H) { p.PassportExpiryDate = date("2020-01-01") }, want: in},
		{name: "Venezuelan passport expired five years and a day before", edit: func(p *P, _ *H) { p.PassportExpiryDate = date("2018-06-01") }, want: out, crits: []string{"passport"}},
		{name: "Venezuelan passport expired five years before, minus a day", edit: func(p *P, _ *H) { p.PassportExpiryDate = date("2018-06-02") }, want: in},
		{name: "Cuban passport expiring on the screening date", asOf: "2023-06-01", edit: edits(nat("CU"), func(p *P, _ *H) { p.PassportExpiryDate = date("2023-06-01") }), want: out, crits: []string{"passport"}},
		{name: "Cuban passport expiring the next day", edit: edits(nat("CU"), func(p *P, _ *H) { p.PassportExpiryDate = date("2023-06-02") }), want: in},
		{name: "Cuban passport expired within five years gets no grace", edit: edits(nat("CU"), func(p *P, _ *H) { p.PassportExpiryDate = date("2022-01-01") }), want: out, crits: []string{"passport"}},
		{name: "no passport", edit: func(p *P, _ *H) { p.HasPassport = no }, want: out, crits: []string{"passport"}},
		{name: "passport unknown", edit: func(p *P, _ *H) { p.HasPassport = nil }, want: ni, crits: []string{"passport"}, needs: []string{"has_passport"}},
		{name: "passport expiry unknown", edit: func(p *P, _ *H) { p.PassportExpiryDate = nil }, want: ni, crits: []string{"passport"}, needs: []string{"passport_expiry_date"}},

		// Supporter.
		{name: "no supporter", edit: func(p *P, _ *H) { p.USSupporterWithI134A = no }, want: out, crits: []string{"supporter"}},
		{name: "supporter unknown", edit: func(p *P, _ *H) { p.USSupporterWithI134A = nil }, want: ni, crits: []string{"supporter"}, needs: []string{"us_supporter_with_i134a"}},

		// Removal within five years.
		{name: "removal order exactly five years before", edit: func(p *P, _ *H) { p.USRemovalOrderDates = []profile.Date{"2018-06-01"} }, want: out, crits: []string{"no_recent_removal"}},
		{name: "removal order five years and a day before", edit: func(p *P, _ *H) { p.USRemovalOrderDates = []profile.Date{"2018-05-31"} }, want: in},

		// Irregular entries after the notice dates.
		{name: "Venezuelan entered Mexico irregularly on the notice date", edit: func(p *P, _ *H) { p.IrregularEntries = []profile.Entry{entry("MX", "2022-10-19", nil)} }, want: in},
		{name: "Venezuelan entered Mexico irregularly the day after", edit: func(p *P, _ *H) { p.IrregularEntries = []profile.Entry{entry("MX", "2022-10-20", nil)} }, want: out, crits: []string{"no_irregular_entry"}},
		{name: "Venezuelan entered Panama irregularly after the notice", edit: func(p *P, _ *H) { p.IrregularEntries = []profile.Entry{entry("PA", "2023-02-01", nil)} }, want: out, crits: []string{"no_irregular_entry"}},
		{name: "Venezuelan entered Costa Rica irregularly (not a bar)", edit: func(p *P, _ *H) { p.IrregularEntries = []profile.Entry{entry("CR", "2023-02-01", nil)} }, want: in},
		{name: "Cuban entered Mexico irregularly on 2023-01-09", edit: edits(nat("CU"), func(p *P, _ *H) { p.IrregularEntries = []profile.Entry{entry("MX", "2023-01-09", nil)} }), want: in},
		{name: "Cuban entered Mexico irregularly on 2023-01-10", edit: edits(nat("CU"), func(p *P, _ *H) { p.IrregularEntries = []profile.Entry{entry("MX", "2023-01-10", nil)} }), want: out, crits: []string{"no_irregular_entry"}},
		{name: "one US entry ended by voluntary departure", edit: func(p *P, _ *H) { p.IrregularEntries = []profile.Entry{entry("US", "2023-02-01", yes)} }, want: in},
		{name: "two US entries ended by voluntary departure", edit: func(p *P, _ *H) {
			p.IrregularEntries = []profile.Entry{entry("US", "2023-02-01", yes), entry("US", "2023-03-01", yes)}
		}, want: out, crits: []string{"no_irregular_entry"}},
		{name: "US entry without voluntary departure", edit: func(p *P, _ *H) { p.IrregularEntries = []profile.Entry{entry("US", "2023-02-01", no)} }, want: out, crits: []string{"no_irregular_entry"}},
		{name: "US entry, voluntary departure unknown", edit: func(p *P, _ *H) { p.IrregularEntries = []profile.Entry{entry("US", "2023-02-01", nil)} },
			want: ni, crits: []string{"no_irregular_entry"}, needs: []string{"irregular_entries.voluntary_departure"}},
		{name: "irregular entries unknown", edit: func(p *P, _ *H) { p.IrregularEntries = nil },
			want: ni, crits: []string{"no_irregular_entry"}, needs: []string{"irregular_entries"}},
		{name: "Colombian spouse follows the Venezuelan principal's cut-off", edit: edits(nat("CO"), withPrincipal(profile.RoleSpouse, "VE", yes), func(p *P, _ *H) {
			p.IrregularEntries = []profile.Entry{entry("MX", "2022-12-01", nil)}
		}), want: out, crits: []string{"no_irregular_entry"}},

		// Maritime interdiction of Cubans and Haitians after 2023-04-27.
		{name: "Cuban interdicted at sea on 2023-04-27", edit: edits(nat("CU"), func(p *P, _ *H) { p.InterdictedAtSeaDates = []profile.Date{"2023-04-27"} }), want: in},
		{name: "Cuban interdicted at sea on 2023-04-28", edit: edits(nat("CU"), func(p *P, _ *H) { p.InterdictedAtSeaDates = []profile.Date{"2023-04-28"} }), want: out, crits: []string{"no_maritime_interdiction"}},
		{name: "Haitian interdicted at sea after 2023-04-27", edit: edits(nat("HT"), func(p *P, _ *H) { p.InterdictedAtSeaDates = []profile.Date{"2023-05-10"} }), want: out, crits: []string{"no_maritime_interdiction"}},
		{name: "Venezuelan interdicted at sea (no such bar)", edit: func(p *P, _ *H) { p.InterdictedAtSeaDates = []profile.Date{"2023-05-10"} }, want: in},
		{name: "Cuban interdictions unknown before the bar took effect", asOf: "2023-04-27", edit: edits(nat("CU"), func(p *P, _ *H) { p.InterdictedAtSeaDates = nil }), want: in},

		// Minors.
		{name: "child of 10 travelling with a parent", edit: func(p *P, _ *H) { p.BirthDate, p.TravellingWithParentOrGuardian = birth("2013-01-01"), yes }, want: in},
		{name: "unaccompanied child of 10", edit: func(p *P, _ *H) { p.BirthDate, p.TravellingWithParentOrGuardian = birth("2013-01-01"), no }, want: out, crits: []string{"accompanied_minor"}},
		{name: "child, company unknown", edit: func(p *P, _ *H) { p.BirthDate = birth("2013-01-01") },
			want: ni, crits: []string{"accompanied_minor"}, needs: []string{"travelling_with_parent_or_guardian"}},
		{name: "turned 18 on the screening date, alone", edit: func(p *P, _ *H) { p.BirthDate, p.TravellingWithParentOrGuardian = birth("2005-06-01"), no }, want: in},
		{name: "18 the next day, alone", edit: func(p *P, _ *H) { p.BirthDate, p.TravellingWithParentOrGuardian = birth("2005-06-02"), no }, want: out, crits: []string{"accompanied_minor"}},
		{name: "born in 2005 (17 or 18), alone", edit: func(p *P, _ *H) { p.BirthDate, p.TravellingWithParentOrGuardian = birth("2005"), no },
			want: ni, crits: []string{"accompanied_minor"}, needs: []string{"birth_date"}},
		{name: "born in May 2005 (18 either way), alone", edit: func(p *P, _ *H) { p.BirthDate, p.TravellingWithParentOrGuardian = birth("2005-05"), no }, want: in},
	}
	runTable(t, "chnv_parole", "2023-06-01", chnvBase, rows)
}
