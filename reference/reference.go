// Package reference holds Senda's reference data: the ports of entry that take
// appointments, the Safe Mobility Offices, ISO 3166-1 countries, the ISO 3166-2
// subdivisions that location rules need, and the languages Senda speaks.
//
// The data lives in JSON files under data/, embedded in the binary and parsed
// once, on first use. Every value handed out is a copy: callers may keep or
// change it without affecting anyone else. Bump Version whenever a data file
// changes.
package reference

import (
	"strings"
	"time"

	// The time zone database is embedded so that every location's zone loads
	// on a machine without a system tzdata.
	_ "time/tzdata"

	"github.com/senda-platform/senda"
)

// Version identifies the reference data. It is the date of the change and a
// sequence number for that day; bump it with every change to a file under
// data/. Stored copies (the locations table) record it, so a stale copy can be
// told apart from a current one.
const Version = "2026-11-23.1"

// Kind says what a Location is.
type Kind string

// Location kinds.
const (
	KindPort   Kind = "port"
	KindOffice Kind = "office"
)

// SubdivisionType is the ISO 3166-2 category of a subdivision.
type SubdivisionType string

// Subdivision types used in the data.
const (
	TypeState           SubdivisionType = "state"
	TypeDepartment      SubdivisionType = "department"
	TypeProvince        SubdivisionType = "province"
	TypeCapitalDistrict SubdivisionType = "capital district"
)

// Direction is the writing direction of a language.
type Direction string

// Writing directions.
const (
	LeftToRight Direction = "ltr"
	RightToLeft Direction = "rtl"
)

// PortInfo is a southwest-border port of entry where appointments are kept.
type PortInfo struct {
	// Code is Senda's stable code, "POE-" and three letters (POE-SYS).
	Code string `json:"code"`
	// CBPPort is the four-digit CBP port code; empty when not known.
	CBPPort string `json:"cbp_port,omitempty"`
	// Name is the English name; NameES the Spanish one, empty when the same.
	Name   string `json:"name"`
	NameES string `json:"name_es,omitempty"`
	// Crossing names the bridge or facility where people present themselves.
	Crossing string `json:"crossing"`
	// State is the ISO 3166-2 code of the US state (US-TX).
	State string `json:"state"`
	// TimeZone is the IANA zone of the port (America/Chicago).
	TimeZone string `json:"time_zone"`
	// Lat and Lon are decimal degrees at the crossing, four decimals.
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
	// MexicanCity is the city across the border; MexicanState its ISO 3166-2
	// code (MX-TAM).
	MexicanCity  string `json:"mexican_city"`
	MexicanState string `json:"mexican_state"`
}

// SpanishName returns NameES, or Name when the two are the same.
func (p PortInfo) SpanishName() string { return orDefault(p.NameES, p.Name) }

// Zone returns the port's time zone.
func (p PortInfo) Zone() (*time.Location, error) { return zone(p.TimeZone) }

// Location returns the port as a Location.
func (p PortInfo) Location() LocationInfo {
	return LocationInfo{
		Kind:        KindPort,
		Code:        p.Code,
		Country:     "US",
		Subdivision: p.State,
		Name:        p.Name,
		NameES:      p.NameES,
		TimeZone:    p.TimeZone,
		Lat:         p.Lat,
		Lon:         p.Lon,
	}
}

// OfficeInfo is a Safe Mobility Office. The list is illustrative: it names
// cities where Safe Mobility interviews were held, not every office that opened.
type OfficeInfo struct {
	// Code is Senda's stable code, "SMO-" and three letters (SMO-GUA).
	Code string `json:"code"`
	// Country is the ISO 3166-1 alpha-2 code of the host country.
	Country string `json:"country"`
	// Subdivision is the ISO 3166-2 code of the department or province.
	Subdivision string `json:"subdivision"`
	// City is the English name of the city; CityES the Spanish one, empty
	// when the same.
	City   string `json:"city"`
	CityES string `json:"city_es,omitempty"`
	// TimeZone is the IANA zone of the office.
	TimeZone string `json:"time_zone"`
	// Lat and Lon are decimal degrees, four decimals, at the city centre.
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
	// Partners are the agencies that run the office with the host country.
	Partners []string `json:"partners"`
}

// SpanishCity returns CityES, or City when the two are the same.
func (o OfficeInfo) SpanishCity() string { return orDefault(o.CityES, o.City) }

// Zone returns the office's time zone.
func (o OfficeInfo) Zone() (*time.Location, error) { return zone(o.TimeZone) }

// Location returns the office as a Location.
func (o OfficeInfo) Location() LocationInfo {
	return LocationInfo{
		Kind:        KindOffice,
		Code:        o.Code,
		Country:     o.Country,
		Subdivision: o.Subdivision,
		Name:        o.City,
		NameES:      o.CityES,
		TimeZone:    o.TimeZone,
		Lat:         o.Lat,
		Lon:         o.Lon,
	}
}

// LocationInfo is a port or an office, as appointment capacity sees it.
type LocationInfo struct {
	Kind        Kind    `json:"kind"`
	Code        string  `json:"code"`
	Country     string  `json:"country"`
	Subdivision string  `json:"subdivision"`
	Name        string  `json:"name"`
	NameES      string  `json:"name_es,omitempty"`
	TimeZone    string  `json:"time_zone"`
	Lat         float64 `json:"lat"`
	Lon         float64 `json:"lon"`
}

// SpanishName returns NameES, or Name when the two are the same.
func (l LocationInfo) SpanishName() string { return orDefault(l.NameES, l.Name) }

// Zone returns the location's time zone.
func (l LocationInfo) Zone() (*time.Location, error) { return zone(l.TimeZone) }

// CountryInfo is an ISO 3166-1 entry.
type CountryInfo struct {
	Alpha2 string `json:"alpha2"`
	Alpha3 string `json:"alpha3"`
	// Numeric is the three-digit numeric code, with leading zeros ("076").
	Numeric string `json:"numeric"`
	// Name is ISO's English short name in title case ("Venezuela (Bolivarian
	// Republic of)"); Common the everyday English name ("Venezuela").
	Name   string `json:"name"`
	Common string `json:"common"`
	// NameES is the everyday Spanish name ("Estados Unidos").
	NameES string `json:"name_es"`
}

// SubdivisionInfo is an ISO 3166-2 entry.
type SubdivisionInfo struct {
	// Code is the ISO 3166-2 code (MX-CMX, GT-01).
	Code string `json:"code"`
	// Country is the ISO 3166-1 alpha-2 code the code starts with.
	Country string `json:"country"`
	// Name is the local official name, as ISO lists it.
	Name string          `json:"name"`
	Type SubdivisionType `json:"type"`
}

// LanguageInfo is a language Senda speaks.
type LanguageInfo struct {
	// Code is the BCP 47 language tag (es, ht).
	Code       string    `json:"code"`
	Name       string    `json:"name"`
	NativeName string    `json:"native_name"`
	Direction  Direction `json:"direction"`
}

// Check parses and validates the embedded data and returns the error, if
// any, as a *senda.Error. The lookups panic with the same error; a server
// calls Check at start-up to fail early and cleanly.
func Check() error {
	_, err := load()
	return err
}

// Ports returns the ports of entry, east to west.
func Ports() []PortInfo {
	return clone(mustLoad().ports)
}

// Port returns the port with the code, in any letter case.
func Port(code string) (PortInfo, bool) {
	t := mustLoad()
	i, ok := t.portIndex[asciiUpper(code)]
	if !ok {
		return PortInfo{}, false
	}
	return t.ports[i], true
}

// Offices returns the Safe Mobility Offices.
func Offices() []OfficeInfo {
	t := mustLoad()
	out := make([]OfficeInfo, len(t.offices))
	for i, o := range t.offices {
		out[i] = o.copy()
	}
	return out
}

// Office returns the office with the code, in any letter case.
func Office(code string) (OfficeInfo, bool) {
	t := mustLoad()
	i, ok := t.officeIndex[asciiUpper(code)]
	if !ok {
		return OfficeInfo{}, false
	}
	return t.offices[i].copy(), true
}

// Locations returns the ports, then the offices, as Locations.
func Locations() []LocationInfo {
	return clone(mustLoad().locations)
}

// Location returns the port or office with the code, in any letter case.
func Location(code string) (LocationInfo, bool) {
	t := mustLoad()
	i, ok := t.locationIndex[asciiUpper(code)]
	if !ok {
		return LocationInfo{}, false
	}
	return t.locations[i], true
}

// Countries returns the ISO 3166-1 countries, ordered by alpha-2 code.
func Countries() []CountryInfo {
	return clone(mustLoad().countries)
}

// Country returns the country with the alpha-2 code, in any letter case.
func Country(alpha2 string) (CountryInfo, bool) {
	t := mustLoad()
	i, ok := t.alpha2Index[asciiUpper(alpha2)]
	if !ok {
		return CountryInfo{}, false
	}
	return t.countries[i], true
}

// CountryByAlpha3 returns the country with the alpha-3 code (as printed in
// passports), in any letter case.
func CountryByAlpha3(alpha3 string) (CountryInfo, bool) {
	t := mustLoad()
	i, ok := t.alpha3Index[asciiUpper(alpha3)]
	if !ok {
		return CountryInfo{}, false
	}
	return t.countries[i], true
}

// Subdivisions returns the subdivisions of the country (alpha-2, any letter
// case), ordered by code; nil for a country whose subdivisions are not held.
func Subdivisions(country string) []SubdivisionInfo {
	t := mustLoad()
	r, ok := t.subdivisionRange[asciiUpper(country)]
	if !ok {
		return nil
	}
	return clone(t.subdivisions[r[0]:r[1]])
}

// Subdivision returns the subdivision with the ISO 3166-2 code, in any letter
// case.
func Subdivision(code string) (SubdivisionInfo, bool) {
	t := mustLoad()
	i, ok := t.subdivisionIndex[asciiUpper(code)]
	if !ok {
		return SubdivisionInfo{}, false
	}
	return t.subdivisions[i], true
}

// Languages returns the languages Senda speaks, Spanish first.
func Languages() []LanguageInfo {
	return clone(mustLoad().languages)
}

// Language returns the language with the code, in any letter case.
func Language(code string) (LanguageInfo, bool) {
	t := mustLoad()
	i, ok := t.languageIndex[asciiLower(code)]
	if !ok {
		return LanguageInfo{}, false
	}
	return t.languages[i], true
}

// zone returns the named time zone, from the zones loaded with the data when
// it is one of them.
func zone(name string) (*time.Location, error) {
	if t, err := load(); err == nil {
		if z, ok := t.zones[name]; ok {
			return z, nil
		}
	}
	z, err := time.LoadLocation(name)
	if err != nil || name == "" {
		return nil, &senda.Error{
			Code: senda.CodeInvalid,
			Key:  "reference.time_zone",
			Args: map[string]any{"value": name},
			Err:  err,
		}
	}
	return z, nil
}

func (o OfficeInfo) copy() OfficeInfo {
	o.Partners = clone(o.Partners)
	return o
}

func clone[T any](s []T) []T {
	if s == nil {
		return nil
	}
	return append(make([]T, 0, len(s)), s...)
}

// asciiUpper upper-cases ASCII letters only, so that no other letter (the
// long s, the Kelvin sign) folds into a code.
func asciiUpper(s string) string {
	return strings.Map(func(r rune) rune {
		if 'a' <= r && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, s)
}

// asciiLower lower-cases ASCII letters only.
func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r - 'A' + 'a'
		}
		return r
	}, s)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
