package policy_test

import (
	"testing"

	"github.com/senda-platform/senda/policy"
	"github.com/senda-platform/senda/profile"
)

// smoBase is an adult of nationality n in country c, arrived on arrival,
// with status st.
func smoBase(n, c, arrival string, st profile.HostStatus) func() (profile.Person, profile.Household) {
	return func() (profile.Person, profile.Household) {
		return profile.Person{
			ID:                          "s1",
			Nationality:                 str(n),
			OtherNationalities:          []string{},
			BirthDate:                   birth("1990-01-01"),
			CurrentCountry:              str(c),
			ArrivalDateInCurrentCountry: date(arrival),
			HostCountryStatus:           host(st),
		}, profile.Household{}
	}
}

func status(st profile.HostStatus) func(*profile.Person, *profile.Household) {
	return func(p *profile.Person, _ *profile.Household) { p.HostCountryStatus = host(st) }
}

func arrived(d string) func(*profile.Person, *profile.Household) {
	return func(p *profile.Person, _ *profile.Household) { p.ArrivalDateInCurrentCountry = date(d) }
}

func born(d string) func(*profile.Person, *profile.Household) {
	return func(p *profile.Person, _ *profile.Household) { p.BirthDate = birth(d) }
}

func others(ns ...string) func(*profile.Person, *profile.Household) {
	return func(p *profile.Person, _ *profile.Household) { p.OtherNationalities = ns }
}

func country(c string) func(*profile.Person, *profile.Household) {
	return func(p *profile.Person, _ *profile.Household) { p.CurrentCountry = str(c) }
}

const (
	in  = policy.Eligible
	out = policy.Ineligible
	ni  = policy.NeedsInfo
)

func TestSMORegistrationColombia(t *testing.T) {
	rows := []row{
		{name: "eligible Venezuelan with regular status", want: in},
		{name: "Haitian in regularisation", edit: edits(nat("HT"), status(profile.HostRegularizationPending)), want: in},
		{name: "the day before the form opened", asOf: "2023-06-27", want: out, crits: []string{"open"}},
		{name: "the day the form opened", asOf: "2023-06-28", want: in},
		{name: "last day", asOf: "2025-01-20", want: in},
		{name: "after the end", asOf: "2025-01-21", want: out, crits: []string{"open"}},
		{name: "arrived on 2023-06-11", edit: arrived("2023-06-11"), want: in},
		{name: "arrived on 2023-06-12", edit: arrived("2023-06-12"), want: out, crits: []string{"arrival_cutoff"}},
		{name: "arrival unknown", edit: func(p *profile.Person, _ *profile.Household) { p.ArrivalDateInCurrentCountry = nil },
			want: ni, crits: []string{"arrival_cutoff"}, needs: []string{"arrival_date_in_current_country"}},
		{name: "Colombian national", edit: nat("CO"), want: out, crits: []string{"nationality"}},
		{name: "Venezuelan also Colombian", edit: others("CO"), want: out, crits: []string{"nationality"}},
		{name: "Colombian also Venezuelan", edit: edits(nat("CO"), others("VE")), want: out, crits: []string{"nationality"}},
		{name: "Ecuadorian also Cuban", edit: edits(nat("EC"), others("CU")), want: in},
		{name: "Honduran", edit: nat("HN"), want: out, crits: []string{"nationality"}},
		{name: "in Ecuador", edit: country("EC"), want: out, crits: []string{"in_colombia"}},
		{name: "irregular status", edit: status(profile.HostIrregular), want: out, crits: []string{"status"}},
		{name: "registered asylum seeker goes to a caseworker", edit: status(profile.HostAsylumSeekerRegistered), want: ni, crits: []string{"status"}},
		{name: "child of 17 goes to a caseworker", edit: born("2006-06-01"), want: ni, crits: []string{"adult"}},
		{name: "born in 2005 (17 or 18)", edit: born("2005"), want: ni, crits: []string{"adult"}, needs: []string{"birth_date"}},
	}
	runTable(t, "smo_registration_co", "2023-12-01", smoBase("VE", "CO", "2023-01-01", profile.HostRegular), rows)
}

func TestSMORegistrationCostaRica(t *testing.T) {
	rows := []row{
		{name: "eligible Nicaraguan asylum seeker", want: in},
		{name: "Venezuelan asylum seeker", edit: nat("VE"), want: in},
		{name: "the day before the office opened", asOf: "2023-06-11", want: out, crits: []string{"open"}},
		{name: "invitation-only phase", asOf: "2023-08-11", want: ni, crits: []string{"invitation_phase"}},
		{name: "first day of online appointments", asOf: "2023-08-12", want: in},
		{name: "last day of the extension", asOf: "2024-12-31", want: in},
		{name: "after the extension", asOf: "2025-01-01", want: out, crits: []string{"open"}},
		{name: "arrived on 2023-06-12", edit: arrived("2023-06-12"), want: in},
		{name: "arrived on 2023-06-13", edit: arrived("2023-06-13"), want: out, crits: []string{"arrival_cutoff"}},
		{name: "recognised refugee", edit: status(profile.HostRefugeeRecognized), want: out, crits: []string{"asylum_seeker"}},
		{name: "other legal status", edit: status(profile.HostTemporaryResident), want: out, crits: []string{"asylum_seeker"}},
		{name: "status unknown", edit: func(p *profile.Person, _ *profile.Household) { p.HostCountryStatus = nil },
			want: ni, crits: []string{"asylum_seeker"}, needs: []string{"host_country_status"}},
		{name: "Cuban", edit: nat("CU"), want: out, crits: []string{"nationality"}},
		{name: "Nicaraguan also Costa Rican", edit: others("CR"), want: out, crits: []string{"nationality"}},
		{name: "in Panama", edit: country("PA"), want: out, crits: []string{"in_costa_rica"}},
	}
	runTable(t, "smo_registration_cr", "2023-09-01", smoBase("NI", "CR", "2023-06-01", profile.HostAsylumSeekerRegistered), rows)
}

func TestSMORegistrationEcuador(t *testing.T) {
	since := func(d string) func(*profile.Person, *profile.Household) {
		return func(p *profile.Person, _ *profile.Household) { p.HostCountryStatusSince = date(d) }
	}
	rows := []row{
		{name: "eligible Venezuelan in regularisation", want: in},
		{name: "Colombian in regularisation", edit: nat("CO"), want: in},
		{name: "Ecuadorian national", edit: nat("EC"), want: out, crits: []string{"nationality"}},
		{name: "Venezuelan also Ecuadorian", edit: others("EC"), want: out, crits: []string{"nationality"}},
		{name: "Peruvian", edit: nat("PE"), want: out, crits: []string{"nationality"}},
		{name: "the day before the announcement", asOf: "2023-10-17", want: out, crits: []string{"open"}},
		{name: "contact phase goes to a caseworker", asOf: "2023-11-19", want: ni, crits: []string{"contact_phase"}},
		{name: "first day of the online form", asOf: "2023-11-20", want: in},
		{name: "last day", asOf: "2025-01-20", want: in},
		{name: "after the end", asOf: "2025-01-21", want: out, crits: []string{"open"}},
		{name: "arrived on 2023-10-18", edit: arrived("2023-10-18"), want: in},
		{name: "arrived on 2023-10-19", edit: arrived("2023-10-19"), want: out, crits: []string{"arrival_cutoff"}},
		{name: "asylum seeker registered on 2023-10-18", edit: edits(status(profile.HostAsylumSeekerRegistered), since("2023-10-18")), want: in},
		{name: "asylum seeker registered on 2023-10-19", edit: edits(status(profile.HostAsylumSeekerRegistered), since("2023-10-19")), want: out, crits: []string{"status"}},
		{name: "refugee registered before the cut-off", edit: edits(status(profile.HostRefugeeRecognized), since("2022-01-01")), want: in},
		{name: "asylum seeker, registration date unknown", edit: status(profile.HostAsylumSeekerRegistered),
			want: ni, crits: []string{"status"}, needs: []string{"host_country_status_since"}},
		{name: "temporary resident goes to a caseworker", edit: status(profile.HostTemporaryResident), want: ni, crits: []string{"status"}},
		{name: "irregular status", edit: status(profile.HostIrregular), want: out, crits: []string{"status"}},
		{name: "in Colombia", edit: country("CO"), want: out, crits: []string{"in_ecuador"}},
	}
	runTable(t, "smo_registration_ec", "2024-02-01", smoBase("VE", "EC", "2023-01-01", profile.HostRegularizationPending), rows)
}

func TestSMORegistrationGuatemala(t *testing.T) {
	rows := []row{
		{name: "eligible Guatemalan", want: in},
		{name: "the day before the launch", asOf: "2023-06-11", want: out, crits: []string{"open"}},
		{name: "launch day", asOf: "2023-06-12", want: in},
		{name: "Honduran in Guatemala on 2023-08-09", asOf: "2023-08-09", edit: nat("HN"), want: in},
		{name: "Honduran in Guatemala on 2023-08-10", asOf: "2023-08-10", edit: nat("HN"), want: out, crits: []string{"nationality"}},
		{name: "Salvadoran in Guatemala on 2023-08-10", asOf: "2023-08-10", edit: nat("SV"), want: out, crits: []string{"nationality"}},
		{name: "Nicaraguan in Guatemala in July 2023", asOf: "2023-07-01", edit: nat("NI"), want: in},
		{name: "Honduran in Honduras in July 2023 goes to a caseworker", asOf: "2023-07-01", edit: edits(nat("HN"), country("HN")), want: ni, crits: []string{"in_guatemala"}},
		{name: "Guatemalan in Mexico", edit: country("MX"), want: out, crits: []string{"in_guatemala"}},
		{name: "Mexican in Guatemala", edit: nat("MX"), want: out, crits: []string{"nationality"}},
		{name: "Mexican also Guatemalan", edit: edits(nat("MX"), others("GT")), want: in},
		{name: "Guatemalan of 17", edit: born("2006-09-02"), want: out, crits: []string{"adult"}},
		{name: "Guatemalan who turned 18 that day", edit: born("2005-09-01"), want: in},
		{name: "born in 2005 (17 or 18)", edit: born("2005"), want: ni, crits: []string{"adult"}, needs: []string{"birth_date"}},
		{name: "last day", asOf: "2025-01-20", want: in},
		{name: "after the end", asOf: "2025-01-21", want: out, crits: []string{"open"}},
	}
	runTable(t, "smo_registration_gt", "2023-09-01", smoBase("GT", "GT", "1990-01-01", profile.HostNational), rows)
}
