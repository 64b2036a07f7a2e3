package policy_test

import (
	"fmt"

	"github.com/senda-platform/senda/profile"
)

// picker draws a whole number in [0, n): rapid in property tests,
// math/rand in benchmarks.
type picker func(n int) int

func (pick picker) of(vals ...string) string { return vals[pick(len(vals))] }

// maybe returns nil (not answered) one time in five.
func (pick picker) maybe() bool { return pick(5) > 0 }

func (pick picker) strp(vals ...string) *string {
	if !pick.maybe() {
		return nil
	}
	s := pick.of(vals...)
	return &s
}

func (pick picker) boolp() *bool {
	if !pick.maybe() {
		return nil
	}
	b := pick(2) == 0
	return &b
}

func (pick picker) date(from, years int) profile.Date {
	return profile.Date(fmt.Sprintf("%04d-%02d-%02d", from+pick(years), 1+pick(12), 1+pick(28)))
}

func (pick picker) datep(from, years int) *profile.Date {
	if !pick.maybe() {
		return nil
	}
	d := pick.date(from, years)
	return &d
}

func (pick picker) countries(max int) []string {
	if !pick.maybe() {
		return nil
	}
	out := make([]string, pick(max+1))
	for i := range out {
		out[i] = pick.of(countryCodes...)
	}
	return out
}

func (pick picker) dates(max, from, years int) []profile.Date {
	if !pick.maybe() {
		return nil
	}
	out := make([]profile.Date, pick(max+1))
	for i := range out {
		out[i] = pick.date(from, years)
	}
	return out
}

var countryCodes = []string{"VE", "CU", "HT", "NI", "CO", "SV", "GT", "HN", "EC", "MX", "US", "CR", "PA", "BO", "PE", "ES", "UA"}

var regions = []string{"MX-CHH", "MX-CMX", "MX-PUE", "MX-CHP", "MX-TAB", "MX-OAX", "MX-GRO", "MX-BCN", "MX-JAL", "GT-01", "CO-DC"}

// genProfile draws a profile touching every field the shipped pack reads,
// each possibly unanswered.
func genProfile(pick picker, id string) profile.Profile {
	p := profile.Person{ID: id}
	if pick.maybe() {
		r := profile.Role(pick.of("principal", "spouse", "child", "parent", "other"))
		p.Role = &r
	}
	p.Nationality = pick.strp(countryCodes...)
	p.OtherNationalities = pick.countries(2)
	if pick.maybe() {
		var b string
		switch pick(3) {
		case 0:
			b = fmt.Sprintf("%04d", 1950+pick(70))
		case 1:
			b = fmt.Sprintf("%04d-%02d", 1950+pick(70), 1+pick(12))
		default:
			b = string(pick.date(1950, 70))
		}
		pd := profile.PartialDate(b)
		p.BirthDate = &pd
	}
	p.Married = pick.boolp()
	p.CurrentCountry = pick.strp(countryCodes...)
	p.CurrentRegion = pick.strp(regions...)
	p.NorthOf19thParallel = pick.boolp()
	p.ArrivalDateInCurrentCountry = pick.datep(2019, 6)
	if pick.maybe() {
		h := profile.HostStatus(pick.of("irregular", "regular", "regularization_pending", "asylum_seeker_registered",
			"refugee_recognized", "permanent_resident", "temporary_resident", "national"))
		p.HostCountryStatus = &h
	}
	p.HostCountryStatusSince = pick.datep(2019, 6)
	p.PermanentResidenceCountries = pick.countries(1)
	p.RefugeeStatusCountries = pick.countries(1)
	p.HasPassport = pick.boolp()
	p.PassportExpiryDate = pick.datep(2015, 15)
	p.USEntryDocuments = pick.boolp()
	if pick.maybe() {
		p.IrregularEntries = make([]profile.Entry, pick(4))
		for i := range p.IrregularEntries {
			p.IrregularEntries[i] = profile.Entry{Country: pick.of("US", "MX", "PA", "CR"), Date: pick.date(2021, 4), VoluntaryDeparture: pick.boolp()}
		}
	}
	p.InterdictedAtSeaDates = pick.dates(2, 2022, 3)
	p.USRemovalOrderDates = pick.dates(2, 2016, 9)
	p.USSupporterWithI134A = pick.boolp()
	p.TravellingWithParentOrGuardian = pick.boolp()
	p.ApprovedI130Petition = pick.boolp()
	if pick.maybe() {
		c := profile.I130Category(pick.of("IR", "F1", "F2A", "F2B", "F3", "F4"))
		p.I130Category = &c
	}
	if pick.maybe() {
		s := profile.PetitionerStatus(pick.of("usc", "lpr"))
		p.PetitionerStatus = &s
	}
	p.FRPInvitationReceived = pick.boolp()
	p.ImmigrantVisaIssued = pick.boolp()
	p.JobOfferH2 = pick.boolp()
	if pick.maybe() {
		c := profile.H2Category(pick.of("h2a", "h2b"))
		p.JobOfferH2Category = &c
	}
	p.P1Referral = pick.boolp()
	p.UNHCRRegistered = pick.boolp()
	if pick.maybe() {
		a := profile.AnchorRelationship(pick.of("none", "spouse", "parent", "child", "other"))
		p.RefugeeOrAsyleeRelativeInUS = &a
	}
	p.RefugeeOrAsyleeRelativeAdmittedOn = pick.datep(2016, 9)
	if pick.maybe() {
		pd := profile.PartialDate(fmt.Sprintf("%04d", 1960+pick(50)))
		p.RefugeeOrAsyleeRelativeBirthDate = &pd
	}
	p.LawfullyPresentParentInUS = pick.boolp()
	p.ParticularVulnerability = pick.boolp()
	if pick.maybe() {
		s := profile.USStatus(pick.of("none", "parolee", "tps", "lpr", "asylum_pending"))
		p.USImmigrationStatus = &s
	}
	p.USParoleExpiryDate = pick.datep(2023, 4)
	p.USContinuousStaySinceArrival = pick.boolp()
	p.USFelonyConviction = pick.boolp()
	if pick.maybe() {
		n := pick(3)
		p.USMisdemeanorConvictions = &n
	}
	pr := profile.Profile{Person: p}
	if pick.maybe() {
		h := profile.Household{SharedUSDestinationAddress: pick.boolp()}
		if pick.maybe() {
			h.Members = make([]profile.Member, pick(4))
			// At most one principal in a household (profile.Validate).
			principal := p.Role != nil && *p.Role == profile.RolePrincipal
			for i := range h.Members {
				m := profile.Member{Nationality: pick.strp(countryCodes...), Married: pick.boolp(), TravellingWith: pick.boolp()}
				if pick.maybe() {
					r := profile.Relationship(pick.of("principal", "spouse", "child", "parent", "sibling", "other"))
					if r == profile.RelPrincipal && principal {
						r = profile.RelOther
					}
					principal = principal || r == profile.RelPrincipal
					m.Relationship = &r
				}
				if pick.maybe() {
					b := profile.PartialDate(pick.date(1950, 70))
					m.BirthDate = &b
				}
				h.Members[i] = m
			}
		}
		pr.Household = &h
	}
	return pr
}

// household returns the profile's household, empty when not given.
func household(p profile.Profile) profile.Household {
	if p.Household == nil {
		return profile.Household{}
	}
	return *p.Household
}

type profileHH struct {
	p profile.Person
	h profile.Household
}

// profileLine is the JSON Lines form of a person and household.
func profileLine(p profile.Person, h profile.Household) profile.Profile {
	return profile.Profile{Person: p, Household: &h}
}
