package policy_test

import (
	"testing"

	"github.com/senda-platform/senda/profile"
)

// usrapBase is a Venezuelan in Colombia with no way in: no referral, no
// parent in the US, no refugee relative.
func usrapBase() (profile.Person, profile.Household) {
	none := profile.AnchorRelationship("none")
	return profile.Person{
		ID:                          "u1",
		Nationality:                 str("VE"),
		BirthDate:                   birth("1990-01-01"),
		Married:                     no,
		CurrentCountry:              str("CO"),
		HostCountryStatus:           host(profile.HostIrregular),
		UNHCRRegistered:             no,
		P1Referral:                  no,
		LawfullyPresentParentInUS:   no,
		RefugeeOrAsyleeRelativeInUS: &none,
	}, profile.Household{}
}

func TestUSRAPReferral(t *testing.T) {
	type P = profile.Person
	type H = profile.Household
	p1 := func(p *P, _ *H) { p.P1Referral = yes }
	cam := func(p *P, _ *H) {
		p.Nationality, p.CurrentCountry, p.BirthDate, p.LawfullyPresentParentInUS = str("HN"), str("HN"), birth("2010-01-01"), yes
	}
	p3 := func(rel string) func(*P, *H) {
		return func(p *P, _ *H) {
			r := profile.AnchorRelationship(rel)
			p.RefugeeOrAsyleeRelativeInUS = &r
			p.RefugeeOrAsyleeRelativeAdmittedOn = date("2019-01-01")
			p.RefugeeOrAsyleeRelativeBirthDate = birth("1985-03-01")
			p.UNHCRRegistered = yes
		}
	}
	rows := []row{
		{name: "no way in", want: out, crits: []string{"access_priority"}},
		{name: "P-1 referral", edit: p1, want: in},
		{name: "P-1 referral, in the United States", edit: edits(p1, country("US")), want: out, crits: []string{"outside_us"}},
		{name: "referral unknown", edit: func(p *P, _ *H) { p.P1Referral = nil }, want: ni, crits: []string{"access_priority"}, needs: []string{"p1_referral"}},
		{name: "first day of FY2023", asOf: "2022-10-01", edit: p1, want: in},
		{name: "before FY2023", asOf: "2022-09-30", edit: p1, want: out, crits: []string{"open"}},
		{name: "last day before the suspension", asOf: "2025-01-26", edit: p1, want: in},
		{name: "suspended", asOf: "2025-01-27", edit: p1, want: out, crits: []string{"open"}},

		// Central American Minors.
		{name: "CAM child in Honduras", edit: cam, want: in},
		{name: "CAM child who turned 21 that day", edit: edits(cam, born("2003-01-01")), want: out, crits: []string{"access_priority"}},
		{name: "CAM child of 20", edit: edits(cam, born("2003-01-02")), want: in},
		{name: "CAM child married", edit: edits(cam, func(p *P, _ *H) { p.Married = yes }), want: out, crits: []string{"access_priority"}},
		{name: "CAM child living in Guatemala", edit: edits(cam, country("GT")), want: out, crits: []string{"access_priority"}},
		{name: "CAM child without a lawfully present parent", edit: edits(cam, func(p *P, _ *H) { p.LawfullyPresentParentInUS = no }), want: out, crits: []string{"access_priority"}},
		{name: "Venezuelan child with a parent in the US (not CAM)", edit: edits(cam, nat("VE"), country("VE")), want: out, crits: []string{"access_priority"}},

		// P-3 family reunification and its five-year anchor.
		{name: "P-3 spouse admitted exactly five years before", edit: p3("spouse"), want: in},
		{name: "P-3 spouse admitted five years and a day before", edit: edits(p3("spouse"), func(p *P, _ *H) { p.RefugeeOrAsyleeRelativeAdmittedOn = date("2018-12-31") }), want: out, crits: []string{"access_priority"}},
		{name: "P-3 parent anchor of an unmarried child of 20", edit: edits(p3("parent"), born("2003-06-01")), want: in},
		{name: "P-3 parent anchor of a child of 22", edit: edits(p3("parent"), born("2001-06-01")), want: out, crits: []string{"access_priority"}},
		{name: "P-3 child anchor of a parent", edit: p3("child"), want: in},
		{name: "P-3 with an 'other' relative", edit: p3("other"), want: out, crits: []string{"access_priority"}},
		{name: "P-3 anchor aged 17", edit: edits(p3("spouse"), func(p *P, _ *H) { p.RefugeeOrAsyleeRelativeBirthDate = birth("2006-06-01") }), want: out, crits: []string{"access_priority"}},
		{name: "P-3 anchor born in 2006 (17 or 18)", edit: edits(p3("spouse"), func(p *P, _ *H) { p.RefugeeOrAsyleeRelativeBirthDate = birth("2006") }),
			want: ni, crits: []string{"access_priority"}, needs: []string{"refugee_or_asylee_relative_birth_date"}},
		{name: "P-3 in the country of origin", edit: edits(p3("spouse"), country("VE")), want: out, crits: []string{"access_priority"}},
		{name: "P-3 in-country in Honduras", edit: edits(p3("spouse"), nat("HN"), country("HN")), want: in},
		{name: "P-3 not registered with UNHCR, asylum seeker with the host", edit: edits(p3("spouse"), func(p *P, _ *H) {
			p.UNHCRRegistered, p.HostCountryStatus = no, host(profile.HostAsylumSeekerRegistered)
		}), want: in},
		{name: "P-3 registered nowhere", edit: edits(p3("spouse"), func(p *P, _ *H) { p.UNHCRRegistered = no }), want: out, crits: []string{"access_priority"}},
	}
	runTable(t, "usrap_referral", "2024-01-01", usrapBase, rows)
}

func h2Base(cat string) func() (profile.Person, profile.Household) {
	return func() (profile.Person, profile.Household) {
		c := profile.H2Category(cat)
		return profile.Person{ID: "w1", Nationality: str("GT"), OtherNationalities: []string{}, JobOfferH2: yes, JobOfferH2Category: &c}, profile.Household{}
	}
}

func TestH2A(t *testing.T) {
	type P = profile.Person
	type H = profile.Household
	rows := []row{
		{name: "Guatemalan with an H-2A job", want: in},
		{name: "H-2B job offer only", edit: func(p *P, _ *H) { c := profile.H2Category("h2b"); p.JobOfferH2Category = &c }, want: out, crits: []string{"job_offer"}},
		{name: "no job offer", edit: func(p *P, _ *H) { p.JobOfferH2 = no }, want: out, crits: []string{"job_offer"}},
		{name: "job offer unknown", edit: func(p *P, _ *H) { p.JobOfferH2 = nil }, want: ni, crits: []string{"job_offer"}, needs: []string{"job_offer_h2"}},
		{name: "Venezuelan (not listed) goes to a caseworker", edit: nat("VE"), want: ni, crits: []string{"eligible_country"}},
		{name: "Cuban also Mexican", edit: edits(nat("CU"), others("MX")), want: in},
		{name: "Haitian", edit: nat("HT"), want: in},
		{name: "Bolivian before the 2023 list", asOf: "2023-11-08", edit: nat("BO"), want: ni, crits: []string{"eligible_country"}},
		{name: "Bolivian from the 2023 list", asOf: "2023-11-09", edit: nat("BO"), want: in},
		{name: "before the first encoded list", asOf: "2022-11-09", want: out, crits: []string{"open"}},
		{name: "last day of the 2024 list", asOf: "2025-11-08", want: in},
		{name: "no list encoded after 2025-11-08", asOf: "2025-11-09", want: ni, crits: []string{"eligible_country"}},
	}
	runTable(t, "h2a", "2024-01-01", h2Base("h2a"), rows)
}

func TestH2B(t *testing.T) {
	type P = profile.Person
	type H = profile.Household
	rows := []row{
		{name: "Honduran with an H-2B job", edit: nat("HN"), want: in},
		{name: "H-2A job offer only", edit: func(p *P, _ *H) { c := profile.H2Category("h2a"); p.JobOfferH2Category = &c }, want: out, crits: []string{"job_offer"}},
		{name: "Cuban (not listed) goes to a caseworker", edit: nat("CU"), want: ni, crits: []string{"eligible_country"}},
		{name: "nationality unknown", edit: func(p *P, _ *H) { p.Nationality = nil }, want: ni, crits: []string{"eligible_country"}, needs: []string{"nationality"}},
	}
	runTable(t, "h2b", "2024-06-01", h2Base("h2b"), rows)
}

// tpsBase is a Venezuelan in the US since 2021-01-01 with no record.
func tpsBase() (profile.Person, profile.Household) {
	return profile.Person{
		ID:                           "t1",
		Nationality:                  str("VE"),
		OtherNationalities:           []string{},
		CurrentCountry:               str("US"),
		ArrivalDateInCurrentCountry:  date("2021-01-01"),
		USContinuousStaySinceArrival: yes,
		USFelonyConviction:           no,
		USMisdemeanorConvictions:     profile.Ptr(0),
	}, profile.Household{}
}

func TestTPSVenezuela(t *testing.T) {
	type P = profile.Person
	type H = profile.Household
	rows := []row{
		{name: "eligible under the 2021 designation", want: in},
		{name: "the day before the 2021 designation", asOf: "2021-03-08", want: out, crits: []string{"open"}},
		{name: "first day of the 2021 registration", asOf: "2021-03-09", want: in},
		{name: "arrived on 2021-03-08", edit: arrived("2021-03-08"), want: in},
		{name: "arrived on 2021-03-09", edit: arrived("2021-03-09"), want: out, crits: []string{"continuous_residence"}},
		{name: "last day of the 2021 initial registration", asOf: "2022-09-09", want: in},
		{name: "the day after", asOf: "2022-09-10", want: out, crits: []string{"registration_period"}},
		{name: "arrived after 2021-03-08, before the redesignation", asOf: "2023-10-02", edit: arrived("2022-01-01"), want: out, crits: []string{"registration_period"}},
		{name: "arrived after 2021-03-08, on the redesignation", asOf: "2023-10-03", edit: arrived("2022-01-01"), want: in},
		{name: "arrived on 2023-07-31", asOf: "2023-10-03", edit: arrived("2023-07-31"), want: in},
		{name: "arrived on 2023-08-01", asOf: "2023-10-03", edit: arrived("2023-08-01"), want: out, crits: []string{"continuous_residence"}},
		{name: "last day of the 2023 registration", asOf: "2025-04-02", want: in},
		{name: "after the 2023 registration", asOf: "2025-04-03", want: out, crits: []string{"open"}},
		{name: "not in the United States", edit: country("CO"), want: out, crits: []string{"in_us"}},
		{name: "Colombian", edit: nat("CO"), want: out, crits: []string{"nationality"}},
		{name: "Colombian also Venezuelan goes to a caseworker", edit: edits(nat("CO"), others("VE")), want: ni, crits: []string{"nationality"}},
		{name: "left the United States", edit: func(p *P, _ *H) { p.USContinuousStaySinceArrival = no }, want: out, crits: []string{"continuous_presence"}},
		{name: "felony conviction", edit: func(p *P, _ *H) { p.USFelonyConviction = yes }, want: out, crits: []string{"no_criminal_bar"}},
		{name: "one misdemeanour", edit: func(p *P, _ *H) { p.USMisdemeanorConvictions = profile.Ptr(1) }, want: in},
		{name: "two misdemeanours", edit: func(p *P, _ *H) { p.USMisdemeanorConvictions = profile.Ptr(2) }, want: out, crits: []string{"no_criminal_bar"}},
		{name: "convictions unknown", edit: func(p *P, _ *H) { p.USMisdemeanorConvictions = nil }, want: ni, crits: []string{"no_criminal_bar"}, needs: []string{"us_misdemeanor_convictions"}},
	}
	runTable(t, "tps_venezuela", "2022-01-01", tpsBase, rows)
}

func TestEADParolee(t *testing.T) {
	type P = profile.Person
	type H = profile.Household
	base := func() (profile.Person, profile.Household) {
		st := profile.USParolee
		return profile.Person{ID: "e1", CurrentCountry: str("US"), USImmigrationStatus: &st, USParoleExpiryDate: date("2025-01-01")}, profile.Household{}
	}
	rows := []row{
		{name: "parolee", want: in},
		{name: "parole ends on the screening date", edit: func(p *P, _ *H) { p.USParoleExpiryDate = date("2024-06-01") }, want: in},
		{name: "parole ended the day before", edit: func(p *P, _ *H) { p.USParoleExpiryDate = date("2024-05-31") }, want: out, crits: []string{"parole_unexpired"}},
		{name: "TPS holder", edit: func(p *P, _ *H) { st := profile.USTPS; p.USImmigrationStatus = &st }, want: out, crits: []string{"paroled"}},
		{name: "status unknown", edit: func(p *P, _ *H) { p.USImmigrationStatus = nil }, want: ni, crits: []string{"paroled"}, needs: []string{"us_immigration_status"}},
		{name: "outside the United States", edit: country("MX"), want: out, crits: []string{"in_us"}},
		{name: "before the pack covers it", asOf: "2022-10-17", want: out, crits: []string{"open"}},
	}
	runTable(t, "ead_parolee", "2024-06-01", base, rows)
}
