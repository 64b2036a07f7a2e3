package policy_test

import (
	"testing"

	"github.com/senda-platform/senda/profile"
)

// cbpBase is a Honduran in Chihuahua without entry documents, alone.
func cbpBase() (profile.Person, profile.Household) {
	return profile.Person{
		ID:                 "c1",
		Nationality:        str("HN"),
		OtherNationalities: []string{},
		CurrentCountry:     str("MX"),
		CurrentRegion:      str("MX-CHH"),
		USEntryDocuments:   no,
	}, profile.Household{Members: []profile.Member{}}
}

func region(r string) func(*profile.Person, *profile.Household) {
	return func(p *profile.Person, _ *profile.Household) { p.CurrentRegion = str(r) }
}

func TestCBPOneAppointment(t *testing.T) {
	type P = profile.Person
	type H = profile.Household
	vulnerable := func(v *bool) func(*P, *H) { return func(p *P, _ *H) { p.ParticularVulnerability = v } }
	group := func(shared *bool) func(*P, *H) {
		return func(_ *P, h *H) {
			rel := profile.RelChild
			h.Members = []profile.Member{{Relationship: &rel, TravellingWith: yes}}
			h.SharedUSDestinationAddress = shared
		}
	}
	rows := []row{
		{name: "eligible in Chihuahua", want: in},

		// Dates, and the Title 42 era.
		{name: "the day before the app opened", asOf: "2023-01-11", edit: vulnerable(yes), want: out, crits: []string{"open"}},
		{name: "Title 42 era, vulnerable", asOf: "2023-01-12", edit: vulnerable(yes), want: in},
		{name: "Title 42 era, not vulnerable", asOf: "2023-05-11", edit: vulnerable(no), want: out, crits: []string{"title42_exception"}},
		{name: "Title 42 era, vulnerability unknown", asOf: "2023-02-01", want: ni, crits: []string{"title42_exception"}, needs: []string{"particular_vulnerability"}},
		{name: "first day after Title 42, not vulnerable", asOf: "2023-05-12", edit: vulnerable(no), want: in},
		{name: "last day of appointments", asOf: "2025-01-19", want: in},
		{name: "appointments switched off", asOf: "2025-01-20", want: out, crits: []string{"open"}},

		// Country and documents.
		{name: "in Guatemala", edit: func(p *P, _ *H) { p.CurrentCountry, p.CurrentRegion = str("GT"), str("GT-01") }, want: out, crits: []string{"in_mexico", "location_zone"}},
		{name: "holds entry documents", edit: func(p *P, _ *H) { p.USEntryDocuments = yes }, want: out, crits: []string{"no_entry_documents"}},
		{name: "entry documents unknown", edit: func(p *P, _ *H) { p.USEntryDocuments = nil }, want: ni, crits: []string{"no_entry_documents"}, needs: []string{"us_entry_documents"}},

		// The zone and the 2024-08-23 change.
		{name: "Mexico City", edit: region("MX-CMX"), want: in},
		{name: "Puebla, north of the parallel", edit: edits(region("MX-PUE"), func(p *P, _ *H) { p.NorthOf19thParallel = yes }), want: in},
		{name: "Puebla, south of the parallel", edit: edits(region("MX-PUE"), func(p *P, _ *H) { p.NorthOf19thParallel = no }), want: out, crits: []string{"location_zone"}},
		{name: "Puebla, side of the parallel unknown", edit: region("MX-PUE"), want: ni, crits: []string{"location_zone"}, needs: []string{"north_of_19th_parallel"}},
		{name: "region unknown", edit: func(p *P, _ *H) { p.CurrentRegion = nil }, want: ni, crits: []string{"location_zone"}, needs: []string{"current_region"}},
		{name: "Chiapas the day before the change", asOf: "2024-08-22", edit: region("MX-CHP"), want: out, crits: []string{"location_zone"}},
		{name: "Chiapas on the day of the change", asOf: "2024-08-23", edit: region("MX-CHP"), want: in},
		{name: "Tabasco the day before the change", asOf: "2024-08-22", edit: region("MX-TAB"), want: out, crits: []string{"location_zone"}},
		{name: "Tabasco on the day of the change", asOf: "2024-08-23", edit: region("MX-TAB"), want: in},
		{name: "Oaxaca after the change, not Mexican", asOf: "2024-08-23", edit: region("MX-OAX"), want: out, crits: []string{"location_zone"}},
		{name: "Guerrero after the change, not Mexican", asOf: "2024-09-01", edit: region("MX-GRO"), want: out, crits: []string{"location_zone"}},
		{name: "Mexican in Oaxaca the day before the change", asOf: "2024-08-22", edit: edits(region("MX-OAX"), nat("MX")), want: out, crits: []string{"location_zone"}},
		{name: "Mexican in Oaxaca on the day of the change", asOf: "2024-08-23", edit: edits(region("MX-OAX"), nat("MX")), want: in},
		{name: "Honduran also Mexican in Guerrero after the change", asOf: "2024-08-23", edit: edits(region("MX-GRO"), func(p *P, _ *H) { p.OtherNationalities = []string{"MX"} }), want: in},

		// Groups from 2024-03-04.
		{name: "group without a shared address before 2024-03-04", asOf: "2024-03-03", edit: group(no), want: in},
		{name: "group without a shared address from 2024-03-04", asOf: "2024-03-04", edit: group(no), want: out, crits: []string{"group_shared_address"}},
		{name: "group with a shared address", asOf: "2024-03-04", edit: group(yes), want: in},
		{name: "group, address unknown", asOf: "2024-04-01", edit: group(nil), want: ni, crits: []string{"group_shared_address"}, needs: []string{"household.shared_us_destination_address"}},
		{name: "household not given", asOf: "2024-04-01", edit: func(_ *P, h *H) { h.Members = nil }, want: ni, crits: []string{"group_shared_address"},
			needs: []string{"household.members", "household.shared_us_destination_address"}},
	}
	runTable(t, "cbp_one_appointment", "2023-06-01", cbpBase, rows)
}

// frpBase is a Colombian principal in Colombia with an approved F3 petition
// and an invitation, on 2023-09-01.
func frpBase() (profile.Person, profile.Household) {
	cat := profile.I130Category("F3")
	return profile.Person{
		ID:                    "f1",
		Role:                  role(profile.RolePrincipal),
		Nationality:           str("CO"),
		CurrentCountry:        str("CO"),
		ApprovedI130Petition:  yes,
		I130Category:          &cat,
		FRPInvitationReceived: yes,
		ImmigrantVisaIssued:   no,
		HasPassport:           yes,
		PassportExpiryDate:    date("2030-01-01"),
		IrregularEntries:      []profile.Entry{},
		InterdictedAtSeaDates: []profile.Date{},
		USRemovalOrderDates:   []profile.Date{},
	}, profile.Household{Members: []profile.Member{}}
}

func TestFRP(t *testing.T) {
	type P = profile.Person
	type H = profile.Household
	category := func(c string) func(*P, *H) {
		return func(p *P, _ *H) { cc := profile.I130Category(c); p.I130Category = &cc }
	}
	entries := func(es ...profile.Entry) func(*P, *H) { return func(p *P, _ *H) { p.IrregularEntries = es } }
	rows := []row{
		{name: "eligible Colombian principal", want: in},

		// Opening dates per nationality, and the close.
		{name: "Colombian the day before the notice", asOf: "2023-07-09", want: out, crits: []string{"open", "nationality"}},
		{name: "Colombian on the notice date", asOf: "2023-07-10", want: in},
		{name: "Salvadoran on the notice date", asOf: "2023-07-10", edit: nat("SV"), want: in},
		{name: "Cuban before the modernised process", asOf: "2023-08-10", edit: nat("CU"), want: out, crits: []string{"nationality"}},
		{name: "Cuban on the first day of the modernised process", asOf: "2023-08-11", edit: nat("CU"), want: in},
		{name: "Haitian on the first day", asOf: "2023-08-11", edit: nat("HT"), want: in},
		{name: "Ecuadorian the day before", asOf: "2023-11-15", edit: nat("EC"), want: out, crits: []string{"nationality"}},
		{name: "Ecuadorian on the notice date", asOf: "2023-11-16", edit: nat("EC"), want: in},
		{name: "Venezuelan principal", edit: nat("VE"), want: out, crits: []string{"nationality"}},
		{name: "Venezuelan spouse of a Colombian principal", edit: edits(nat("VE"), withPrincipal(profile.RoleSpouse, "CO", nil)), want: in},
		{name: "last day for new cases", asOf: "2025-01-20", want: in},
		{name: "after new processing stopped", asOf: "2025-01-21", want: out, crits: []string{"open"}},

		// Petition, invitation, visa, place.
		{name: "in the United States", edit: func(p *P, _ *H) { p.CurrentCountry = str("US") }, want: out, crits: []string{"outside_us"}},
		{name: "no approved petition", edit: func(p *P, _ *H) { p.ApprovedI130Petition = no }, want: out, crits: []string{"approved_petition"}},
		{name: "immediate relative petition", edit: category("IR"), want: out, crits: []string{"family_preference"}},
		{name: "F2A petition", edit: category("F2A"), want: in},
		{name: "category unknown", edit: func(p *P, _ *H) { p.I130Category = nil }, want: ni, crits: []string{"family_preference"}, needs: []string{"i130_category"}},
		{name: "no invitation", edit: func(p *P, _ *H) { p.FRPInvitationReceived = no }, want: out, crits: []string{"invitation"}},
		{name: "visa already issued", edit: func(p *P, _ *H) { p.ImmigrantVisaIssued = yes }, want: out, crits: []string{"no_visa_yet"}},
		{name: "expired passport goes to a caseworker", edit: func(p *P, _ *H) { p.PassportExpiryDate = date("2023-08-31") }, want: ni, crits: []string{"travel_document"}},
		{name: "passport unknown", edit: func(p *P, _ *H) { p.HasPassport = nil }, want: ni, crits: []string{"travel_document"}, needs: []string{"has_passport"}},

		// Bars for Colombia, El Salvador, Guatemala and Honduras.
		{name: "irregular US entry on 2023-07-10", edit: entries(entry("US", "2023-07-10", no)), want: in},
		{name: "irregular US entry on 2023-07-11", edit: entries(entry("US", "2023-07-11", no)), want: out, crits: []string{"no_irregular_entry"}},
		{name: "one irregular US entry ended by voluntary departure", edit: entries(entry("US", "2023-07-11", yes)), want: in},
		{name: "irregular entry into Mexico (not a bar here)", edit: entries(entry("MX", "2023-07-11", nil)), want: in},
		{name: "Cuban with an irregular US entry (bar does not apply)", edit: edits(nat("CU"), entries(entry("US", "2023-08-01", no))), want: in},
		{name: "Ecuadorian with an irregular US entry after 2023-11-16 goes to a caseworker", asOf: "2024-01-01", edit: edits(nat("EC"), entries(entry("US", "2023-11-17", no))), want: ni, crits: []string{"no_irregular_entry"}},
		{name: "Ecuadorian with an irregular US entry on 2023-11-16", asOf: "2024-01-01", edit: edits(nat("EC"), entries(entry("US", "2023-11-16", no))), want: in},
		{name: "interdicted at sea on 2023-07-10", edit: func(p *P, _ *H) { p.InterdictedAtSeaDates = []profile.Date{"2023-07-10"} }, want: in},
		{name: "interdicted at sea on 2023-07-11", edit: func(p *P, _ *H) { p.InterdictedAtSeaDates = []profile.Date{"2023-07-11"} }, want: out, crits: []string{"no_maritime_interdiction"}},
		{name: "Haitian interdicted at sea (bar does not apply)", edit: edits(nat("HT"), func(p *P, _ *H) { p.InterdictedAtSeaDates = []profile.Date{"2023-08-01"} }), want: in},
		{name: "removal order within five years", edit: func(p *P, _ *H) { p.USRemovalOrderDates = []profile.Date{"2018-09-01"} }, want: out, crits: []string{"no_recent_removal"}},
		{name: "removal order more than five years before", edit: func(p *P, _ *H) { p.USRemovalOrderDates = []profile.Date{"2018-08-31"} }, want: in},
		{name: "Haitian removal order within five years (bar does not apply)", edit: edits(nat("HT"), func(p *P, _ *H) { p.USRemovalOrderDates = []profile.Date{"2020-01-01"} }), want: in},
		{name: "Venezuelan spouse of a Cuban principal is not barred", edit: edits(nat("VE"), withPrincipal(profile.RoleSpouse, "CU", nil), entries(entry("US", "2023-08-01", no))), want: in},
	}
	runTable(t, "frp", "2023-09-01", frpBase, rows)
}
