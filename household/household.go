// Package household is a family registered together: a principal applicant
// and the members travelling or applying with them, each with identity,
// contact, documents and the screening facts the lawful-pathway rules read.
// It validates a household (every problem at once) and derives the screening
// profiles; storage and access control are elsewhere.
package household

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/profile"
	"github.com/senda-platform/senda/reference"
)

// Household as registered. Its JSON form is the import format (one household
// per line) and the API body.
type Household struct {
	// ExternalID is an office's own reference; importing the same one twice
	// updates nothing and creates nothing.
	ExternalID string `json:"external_id,omitempty" maxLength:"64" doc:"The office's own reference for this household, for imports from spreadsheets"`
	// Place is where the household's record is held: a country or
	// COUNTRY/OFFICE; it decides which staff may see it.
	Place    string    `json:"place,omitempty" maxLength:"40" doc:"Where the record is held: a country (GT) or an office (GT/SMO-GUA); defaults to the principal's current country"`
	Language string    `json:"language,omitempty" enum:"es,en,ht,pt,fr" doc:"Language for messages to the household"`
	Address  *Address  `json:"us_address,omitempty" doc:"The one US destination address every member travelling together shares"`
	Members  []Member  `json:"members" minItems:"1" maxItems:"20" doc:"The principal applicant first, then every member"`
	Consent  *Consent  `json:"consent,omitempty" doc:"The applicant's consent when someone registers on their behalf"`
	Receipt  string    `json:"receipt,omitempty" readOnly:"true" doc:"Receipt number to quote on the phone"`
	ID       string    `json:"id,omitempty" readOnly:"true"`
	Status   string    `json:"status,omitempty" readOnly:"true" enum:"draft,submitted" doc:"A draft can be saved incomplete and resumed"`
	Version  int       `json:"version,omitempty" readOnly:"true" doc:"Increases with every change; send it back to update"`
	Updated  time.Time `json:"updated_at,omitzero" readOnly:"true"`
}

// Address is a US destination address.
type Address struct {
	Line1 string `json:"line1" maxLength:"200"`
	Line2 string `json:"line2,omitempty" maxLength:"200"`
	City  string `json:"city" maxLength:"100"`
	State string `json:"state" pattern:"^[A-Z]{2}$" doc:"Two-letter US state code"`
	ZIP   string `json:"zip" pattern:"^[0-9]{5}(-[0-9]{4})?$"`
}

// Consent records that the applicant agreed to a registration made for them.
type Consent struct {
	Purpose string    `json:"purpose" maxLength:"200" doc:"What the applicant agreed to, in their words"`
	GivenAt time.Time `json:"given_at" doc:"When"`
	Method  string    `json:"method,omitempty" enum:"in_person,phone,written,app" doc:"How consent was given"`
}

// Member is one person in the household.
type Member struct {
	ID           string               `json:"id,omitempty" maxLength:"64" doc:"Set by Senda"`
	Relationship profile.Relationship `json:"relationship" enum:"principal,spouse,child,parent,sibling,other" doc:"Relationship to the principal applicant"`
	GivenNames   string               `json:"given_names" maxLength:"200" doc:"Given names as written, in any script"`
	Surnames     []string             `json:"surnames" maxItems:"4" doc:"Surnames as written: often two; the second may be missing"`
	BirthDate    profile.PartialDate  `json:"birth_date,omitempty" pattern:"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$" doc:"YYYY-MM-DD, or YYYY-MM or YYYY when only that is known"`
	Sex          string               `json:"sex,omitempty" enum:"F,M,X" doc:"As on the identity document"`
	Languages    []string             `json:"languages,omitempty" maxItems:"8"`
	Phone        string               `json:"phone,omitempty" maxLength:"32" doc:"With country code"`
	Email        string               `json:"email,omitempty" maxLength:"254"`
	Documents    []Document           `json:"documents,omitempty" maxItems:"8"`
	Screening    profile.Person       `json:"screening" doc:"Facts the lawful-pathway rules read (docs/profile.schema.json); unknown answers are left out"`
}

// Document is an identity document.
type Document struct {
	Type         string `json:"type" enum:"passport,national_id,other"`
	Number       string `json:"number" maxLength:"32"`
	IssuingState string `json:"issuing_state,omitempty" pattern:"^[A-Z]{3}$" doc:"ICAO three-letter code"`
	ExpiryDate   string `json:"expiry_date,omitempty" format:"date"`
	// MRZ, when given, is the machine-readable zone it was read from.
	MRZ []string `json:"mrz,omitempty" maxItems:"3"`
}

// Principal returns the principal applicant.
func (h *Household) Principal() *Member {
	for i := range h.Members {
		if h.Members[i].Relationship == profile.RelPrincipal {
			return &h.Members[i]
		}
	}
	return nil
}

// Size is the number of persons, which counts against appointment capacity.
func (h *Household) Size() int { return len(h.Members) }

var (
	phoneRe = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	docRe   = regexp.MustCompile(`^[A-Z0-9]{3,20}$`)
)

// NormalizePhone keeps a leading + and digits.
func NormalizePhone(s string) string {
	var b strings.Builder
	for i, r := range strings.TrimSpace(s) {
		if (r == '+' && i == 0) || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// NormalizeDocument uppercases a document number and removes spaces,
// dashes and fillers.
func NormalizeDocument(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Normalize trims and canonicalises fields in place.
func (h *Household) Normalize() {
	h.Place = strings.ToUpper(strings.TrimSpace(h.Place))
	for i := range h.Members {
		m := &h.Members[i]
		m.GivenNames = strings.Join(strings.Fields(m.GivenNames), " ")
		var sn []string
		for _, s := range m.Surnames {
			if s = strings.Join(strings.Fields(s), " "); s != "" {
				sn = append(sn, s)
			}
		}
		m.Surnames = sn
		m.Phone = NormalizePhone(m.Phone)
		m.Email = strings.ToLower(strings.TrimSpace(m.Email))
		for j := range m.Documents {
			m.Documents[j].Number = NormalizeDocument(m.Documents[j].Number)
			m.Documents[j].IssuingState = strings.ToUpper(m.Documents[j].IssuingState)
		}
	}
	if h.Place == "" {
		if p := h.Principal(); p != nil && p.Screening.CurrentCountry != nil {
			h.Place = *p.Screening.CurrentCountry
		}
	}
}

// Validate returns every problem at once, as field errors whose Location is a
// JSON path ("members[2].birth_date"). A draft is checked only for what is
// filled in; a submitted household must be complete.
func (h *Household) Validate(draft bool) error {
	var errs []senda.FieldError
	add := func(loc, key string, args map[string]any) {
		errs = append(errs, senda.FieldError{Location: loc, Key: key, Args: args})
	}
	if h.Place != "" && !validPlace(h.Place) {
		add("place", "household.place", nil)
	}
	if len(h.Members) == 0 {
		add("members", "household.no_members", nil)
	}
	if len(h.Members) > 20 {
		add("members", "validation.max_items", map[string]any{"max": 20})
	}
	principals := 0
	for i, m := range h.Members {
		at := func(f string) string { return fmt.Sprintf("members[%d].%s", i, f) }
		switch m.Relationship {
		case profile.RelPrincipal:
			principals++
		case profile.RelSpouse, profile.RelChild, profile.RelParent, profile.RelSibling, profile.RelOther:
		case "":
			if !draft {
				add(at("relationship"), "validation.required", nil)
			}
		default:
			add(at("relationship"), "household.relationship", nil)
		}
		if m.GivenNames == "" && !draft {
			add(at("given_names"), "validation.required", nil)
		}
		if utf8.RuneCountInString(m.GivenNames) > 200 {
			add(at("given_names"), "validation.max_length", map[string]any{"max": 200})
		}
		if len(m.Surnames) == 0 && !draft {
			add(at("surnames"), "household.surname_required", nil)
		}
		if m.BirthDate != "" && !m.BirthDate.Valid() {
			add(at("birth_date"), "household.birth_date", nil)
		} else if m.BirthDate == "" && !draft {
			add(at("birth_date"), "household.birth_date_required", nil)
		} else if m.BirthDate != "" {
			if first, _, ok := m.BirthDate.Range(); ok && string(first) > time.Now().UTC().Format("2006-01-02") {
				add(at("birth_date"), "household.birth_date_future", nil)
			}
		}
		if m.Sex != "" && m.Sex != "F" && m.Sex != "M" && m.Sex != "X" {
			add(at("sex"), "validation.one_of", map[string]any{"options": "F, M, X"})
		}
		if m.Phone != "" && !phoneRe.MatchString(m.Phone) {
			add(at("phone"), "auth.phone", nil)
		}
		if m.Email != "" && (!strings.Contains(m.Email, "@") || strings.ContainsAny(m.Email, " \t")) {
			add(at("email"), "validation.email", nil)
		}
		for j, d := range m.Documents {
			dat := func(f string) string { return fmt.Sprintf("members[%d].documents[%d].%s", i, j, f) }
			if d.Type != "passport" && d.Type != "national_id" && d.Type != "other" {
				add(dat("type"), "validation.one_of", map[string]any{"options": "passport, national_id, other"})
			}
			if !docRe.MatchString(d.Number) {
				add(dat("number"), "household.document_number", nil)
			}
			if d.IssuingState != "" {
				if _, ok := reference.CountryByAlpha3(d.IssuingState); !ok && d.IssuingState != "D" {
					add(dat("issuing_state"), "household.issuing_state", nil)
				}
			}
			if d.ExpiryDate != "" && !profile.Date(d.ExpiryDate).Valid() {
				add(dat("expiry_date"), "validation.date", nil)
			}
		}
		for _, c := range append([]string{deref(m.Screening.Nationality), deref(m.Screening.CurrentCountry)}, m.Screening.OtherNationalities...) {
			if c != "" {
				if _, ok := reference.Country(c); !ok {
					add(at("screening"), "validation.country", nil)
					break
				}
			}
		}
		if r := deref(m.Screening.CurrentRegion); r != "" {
			if _, ok := reference.Subdivision(r); !ok {
				add(at("screening.current_region"), "household.region", nil)
			}
		}
	}
	if principals != 1 && (!draft || principals > 1) {
		add("members", "household.one_principal", nil)
	}
	if h.Address != nil && !draft {
		if h.Address.Line1 == "" || h.Address.City == "" {
			add("us_address", "household.address", nil)
		}
	}
	if len(errs) > 0 {
		return &senda.Error{Code: senda.CodeInvalid, Key: "error.invalid", Fields: errs}
	}
	return nil
}

func validPlace(p string) bool {
	country, office, hasOffice := strings.Cut(p, "/")
	if _, ok := reference.Country(country); !ok || country != strings.ToUpper(country) {
		return false
	}
	if hasOffice {
		l, ok := reference.Location(office)
		return ok && l.Country == country
	}
	return true
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// Profiles derives one screening profile per member: the member's own facts,
// with its id, role and the rest of the household.
func (h *Household) Profiles() []profile.Profile {
	out := make([]profile.Profile, 0, len(h.Members))
	shared := h.Address != nil
	for i, m := range h.Members {
		p := profile.Profile{Person: m.Screening}
		p.ID = m.ID
		if p.BirthDate == nil && m.BirthDate != "" {
			bd := m.BirthDate
			p.BirthDate = &bd
		}
		if p.Role == nil {
			role := roleOf(m.Relationship)
			p.Role = &role
		}
		hh := &profile.Household{SharedUSDestinationAddress: &shared, Members: []profile.Member{}}
		for j, o := range h.Members {
			if j == i {
				continue
			}
			rel := o.Relationship
			mm := profile.Member{ID: o.ID, Relationship: &rel, Nationality: o.Screening.Nationality, Married: o.Screening.Married, TravellingWith: profile.Ptr(true)}
			if o.BirthDate != "" {
				bd := o.BirthDate
				mm.BirthDate = &bd
			}
			hh.Members = append(hh.Members, mm)
		}
		p.Household = hh
		out = append(out, p)
	}
	return out
}

func roleOf(r profile.Relationship) profile.Role {
	switch r {
	case profile.RelPrincipal:
		return profile.RolePrincipal
	case profile.RelSpouse:
		return profile.RoleSpouse
	case profile.RelChild:
		return profile.RoleChild
	case profile.RelParent:
		return profile.RoleParent
	}
	return profile.RoleOther
}
