package reference

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"math"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/senda-platform/senda"
)

//go:embed data/*.json
var dataFS embed.FS

// The data files, relative to the root of the file system parse reads.
const (
	countriesFile    = "data/countries.json"
	subdivisionsFile = "data/subdivisions.json"
	languagesFile    = "data/languages.json"
	portsFile        = "data/ports.json"
	officesFile      = "data/offices.json"
)

// tables is the parsed, validated data with its indexes.
type tables struct {
	countries   []CountryInfo
	alpha2Index map[string]int
	alpha3Index map[string]int

	subdivisions     []SubdivisionInfo
	subdivisionIndex map[string]int
	subdivisionRange map[string][2]int // country → [start, end) in subdivisions

	languages     []LanguageInfo
	languageIndex map[string]int

	ports     []PortInfo
	portIndex map[string]int

	offices     []OfficeInfo
	officeIndex map[string]int

	locations     []LocationInfo
	locationIndex map[string]int

	zones map[string]*time.Location
}

var load = sync.OnceValues(func() (*tables, error) { return parse(dataFS) })

func mustLoad() *tables {
	t, err := load()
	if err != nil {
		panic(err)
	}
	return t
}

var (
	alpha2Pattern      = regexp.MustCompile(`^[A-Z]{2}$`)
	alpha3Pattern      = regexp.MustCompile(`^[A-Z]{3}$`)
	numericPattern     = regexp.MustCompile(`^[0-9]{3}$`)
	subdivisionPattern = regexp.MustCompile(`^[A-Z]{2}-[A-Z0-9]{1,3}$`)
	languagePattern    = regexp.MustCompile(`^[a-z]{2,3}$`)
	portPattern        = regexp.MustCompile(`^POE-[A-Z]{3}$`)
	cbpPortPattern     = regexp.MustCompile(`^[0-9]{4}$`)
	usStatePattern     = regexp.MustCompile(`^US-[A-Z]{2}$`)
	officePattern      = regexp.MustCompile(`^SMO-[A-Z]{3}$`)
	partnerPattern     = regexp.MustCompile(`^[A-Z]{2,10}$`)
)

// parse reads, decodes and validates the data files under fsys. Every problem
// found is reported at once, as the Fields of one *senda.Error.
func parse(fsys fs.FS) (*tables, error) {
	t := &tables{zones: map[string]*time.Location{}}
	var v validator

	var err error
	if t.countries, err = decode[CountryInfo](fsys, countriesFile); err != nil {
		return nil, err
	}
	if t.subdivisions, err = decode[SubdivisionInfo](fsys, subdivisionsFile); err != nil {
		return nil, err
	}
	if t.languages, err = decode[LanguageInfo](fsys, languagesFile); err != nil {
		return nil, err
	}
	if t.ports, err = decode[PortInfo](fsys, portsFile); err != nil {
		return nil, err
	}
	if t.offices, err = decode[OfficeInfo](fsys, officesFile); err != nil {
		return nil, err
	}

	t.checkCountries(&v)
	t.checkSubdivisions(&v)
	t.checkLanguages(&v)
	t.checkPorts(&v)
	t.checkOffices(&v)
	t.buildLocations(&v)

	if len(v.fields) > 0 {
		return nil, &senda.Error{
			Code:   senda.CodeInternal,
			Key:    "reference.invalid",
			Args:   map[string]any{"problems": len(v.fields)},
			Fields: v.fields,
		}
	}
	return t, nil
}

// decode reads one file: a JSON array of objects with no unknown fields and
// nothing after the array.
func decode[T any](fsys fs.FS, name string) ([]T, error) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, &senda.Error{
			Code: senda.CodeInternal,
			Key:  "reference.read",
			Args: map[string]any{"file": name},
			Err:  err,
		}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var out []T
	if err := dec.Decode(&out); err != nil {
		return nil, decodeError(name, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			err = fmt.Errorf("data after the array")
		}
		return nil, decodeError(name, err)
	}
	return out, nil
}

func decodeError(name string, err error) error {
	return &senda.Error{
		Code: senda.CodeInternal,
		Key:  "reference.decode",
		Args: map[string]any{"file": name},
		Err:  fmt.Errorf("%s: %w", name, err),
	}
}

// validator collects field errors.
type validator struct {
	fields []senda.FieldError
}

func (v *validator) add(location, key string, value any) {
	v.fields = append(v.fields, senda.FieldError{
		Location: location,
		Key:      key,
		Args:     map[string]any{"value": value},
	})
}

// text checks that s is present and has no surrounding space.
func (v *validator) text(location, s string) {
	switch {
	case s == "":
		v.add(location, "reference.required", s)
	case strings.TrimSpace(s) != s:
		v.add(location, "reference.space", s)
	}
}

func (v *validator) match(location string, re *regexp.Regexp, s string) {
	if !re.MatchString(s) {
		v.add(location, "reference.format", s)
	}
}

// unique records key in index at position i, or reports a duplicate.
func (v *validator) unique(location string, index map[string]int, key string, i int) {
	if _, dup := index[key]; dup {
		v.add(location, "reference.duplicate", key)
		return
	}
	index[key] = i
}

// coordinates checks ranges and the four-decimal precision.
func (v *validator) coordinates(location string, lat, lon float64) {
	check := func(name string, x, limit float64) {
		scaled := x * 1e4
		if math.IsNaN(x) || math.Abs(x) > limit || math.Abs(scaled-math.Round(scaled)) > 1e-6 {
			v.add(location+"."+name, "reference.coordinate", x)
		}
	}
	check("lat", lat, 90)
	check("lon", lon, 180)
	if lat == 0 && lon == 0 {
		v.add(location, "reference.coordinate", "0,0")
	}
}

func (t *tables) zone(v *validator, location, name string) {
	if _, ok := t.zones[name]; ok {
		return
	}
	z, err := time.LoadLocation(name)
	if err != nil || name == "" || name == "UTC" || name == "Local" {
		v.add(location, "reference.time_zone", name)
		return
	}
	t.zones[name] = z
}

func at(file string, i int, field string) string {
	return fmt.Sprintf("%s[%d].%s", strings.TrimPrefix(file, "data/"), i, field)
}

func (t *tables) checkCountries(v *validator) {
	t.alpha2Index = make(map[string]int, len(t.countries))
	t.alpha3Index = make(map[string]int, len(t.countries))
	numerics := make(map[string]int, len(t.countries))
	f := countriesFile
	for i, c := range t.countries {
		v.match(at(f, i, "alpha2"), alpha2Pattern, c.Alpha2)
		v.match(at(f, i, "alpha3"), alpha3Pattern, c.Alpha3)
		v.match(at(f, i, "numeric"), numericPattern, c.Numeric)
		v.text(at(f, i, "name"), c.Name)
		v.text(at(f, i, "common"), c.Common)
		v.text(at(f, i, "name_es"), c.NameES)
		v.unique(at(f, i, "alpha2"), t.alpha2Index, c.Alpha2, i)
		v.unique(at(f, i, "alpha3"), t.alpha3Index, c.Alpha3, i)
		v.unique(at(f, i, "numeric"), numerics, c.Numeric, i)
		if i > 0 && t.countries[i-1].Alpha2 >= c.Alpha2 {
			v.add(at(f, i, "alpha2"), "reference.order", c.Alpha2)
		}
	}
}

func (t *tables) checkSubdivisions(v *validator) {
	t.subdivisionIndex = make(map[string]int, len(t.subdivisions))
	t.subdivisionRange = map[string][2]int{}
	f := subdivisionsFile
	for i, s := range t.subdivisions {
		v.match(at(f, i, "code"), subdivisionPattern, s.Code)
		if _, ok := t.alpha2Index[s.Country]; !ok {
			v.add(at(f, i, "country"), "reference.unknown_country", s.Country)
		}
		if !strings.HasPrefix(s.Code, s.Country+"-") {
			v.add(at(f, i, "code"), "reference.prefix", s.Code)
		}
		v.text(at(f, i, "name"), s.Name)
		switch s.Type {
		case TypeState, TypeDepartment, TypeProvince, TypeCapitalDistrict:
		default:
			v.add(at(f, i, "type"), "reference.format", s.Type)
		}
		v.unique(at(f, i, "code"), t.subdivisionIndex, s.Code, i)
		if i > 0 && t.subdivisions[i-1].Code >= s.Code {
			v.add(at(f, i, "code"), "reference.order", s.Code)
		}
		r, seen := t.subdivisionRange[s.Country]
		switch {
		case !seen:
			t.subdivisionRange[s.Country] = [2]int{i, i + 1}
		case r[1] == i:
			t.subdivisionRange[s.Country] = [2]int{r[0], i + 1}
		default:
			// Sorted by code means grouped by country; this only happens
			// with an order error, already reported.
		}
	}
}

func (t *tables) checkLanguages(v *validator) {
	t.languageIndex = make(map[string]int, len(t.languages))
	f := languagesFile
	for i, l := range t.languages {
		v.match(at(f, i, "code"), languagePattern, l.Code)
		v.text(at(f, i, "name"), l.Name)
		v.text(at(f, i, "native_name"), l.NativeName)
		if l.Direction != LeftToRight && l.Direction != RightToLeft {
			v.add(at(f, i, "direction"), "reference.format", l.Direction)
		}
		v.unique(at(f, i, "code"), t.languageIndex, l.Code, i)
	}
}

func (t *tables) checkPorts(v *validator) {
	t.portIndex = make(map[string]int, len(t.ports))
	f := portsFile
	for i, p := range t.ports {
		v.match(at(f, i, "code"), portPattern, p.Code)
		if p.CBPPort != "" {
			v.match(at(f, i, "cbp_port"), cbpPortPattern, p.CBPPort)
		}
		v.text(at(f, i, "name"), p.Name)
		if p.NameES != "" {
			v.text(at(f, i, "name_es"), p.NameES)
		}
		v.text(at(f, i, "crossing"), p.Crossing)
		v.match(at(f, i, "state"), usStatePattern, p.State)
		t.zone(v, at(f, i, "time_zone"), p.TimeZone)
		v.coordinates(at(f, i, "coordinates"), p.Lat, p.Lon)
		v.text(at(f, i, "mexican_city"), p.MexicanCity)
		if s, ok := t.subdivisionIndex[p.MexicanState]; !ok || t.subdivisions[s].Country != "MX" {
			v.add(at(f, i, "mexican_state"), "reference.unknown_subdivision", p.MexicanState)
		}
		v.unique(at(f, i, "code"), t.portIndex, p.Code, i)
	}
}

func (t *tables) checkOffices(v *validator) {
	t.officeIndex = make(map[string]int, len(t.offices))
	f := officesFile
	for i, o := range t.offices {
		v.match(at(f, i, "code"), officePattern, o.Code)
		if _, ok := t.alpha2Index[o.Country]; !ok {
			v.add(at(f, i, "country"), "reference.unknown_country", o.Country)
		}
		if s, ok := t.subdivisionIndex[o.Subdivision]; !ok || t.subdivisions[s].Country != o.Country {
			v.add(at(f, i, "subdivision"), "reference.unknown_subdivision", o.Subdivision)
		}
		v.text(at(f, i, "city"), o.City)
		if o.CityES != "" {
			v.text(at(f, i, "city_es"), o.CityES)
		}
		t.zone(v, at(f, i, "time_zone"), o.TimeZone)
		v.coordinates(at(f, i, "coordinates"), o.Lat, o.Lon)
		if len(o.Partners) == 0 {
			v.add(at(f, i, "partners"), "reference.required", "")
		}
		partners := map[string]int{}
		for j, p := range o.Partners {
			loc := fmt.Sprintf("%s[%d]", at(f, i, "partners"), j)
			v.match(loc, partnerPattern, p)
			v.unique(loc, partners, p, j)
		}
		v.unique(at(f, i, "code"), t.officeIndex, o.Code, i)
	}
}

func (t *tables) buildLocations(v *validator) {
	t.locations = make([]LocationInfo, 0, len(t.ports)+len(t.offices))
	for _, p := range t.ports {
		t.locations = append(t.locations, p.Location())
	}
	for _, o := range t.offices {
		t.locations = append(t.locations, o.Location())
	}
	t.locationIndex = make(map[string]int, len(t.locations))
	for i, l := range t.locations {
		v.unique("locations["+l.Code+"]", t.locationIndex, l.Code, i)
	}
}
