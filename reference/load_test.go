package reference

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/senda-platform/senda"
)

// versionDigests records the SHA-256 of the data files for each Version. A
// change to a data file changes the digest, and TestVersion fails until
// Version is bumped and the new digest is added here.
var versionDigests = map[string]string{
	"2026-11-23.1": "dfb3ec4dd7b10a5dd4bac715229460a21cdac676f7cd7f268ec8b1fb136a9934",
}

// dataDigest hashes the names and contents of the embedded data files.
func dataDigest(t testing.TB) string {
	t.Helper()
	h := sha256.New()
	names, err := fs.Glob(dataFS, "data/*")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	for _, name := range names {
		b, err := fs.ReadFile(dataFS, name)
		if err != nil {
			t.Fatal(err)
		}
		h.Write([]byte(name))
		h.Write([]byte{0})
		h.Write(b)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

func TestVersion(t *testing.T) {
	if !regexp.MustCompile(`^\d{4}-\d{2}-\d{2}\.\d+$`).MatchString(Version) {
		t.Errorf("Version = %q, want YYYY-MM-DD.N", Version)
	}
	got := dataDigest(t)
	want, ok := versionDigests[Version]
	switch {
	case !ok:
		t.Errorf("Version %q has no digest in versionDigests: add %q: %q", Version, Version, got)
	case got != want:
		for v, d := range versionDigests {
			if d == got && v != Version {
				t.Fatalf("data files match Version %q, but Version is %q", v, Version)
			}
		}
		t.Errorf("data files changed (digest %s) but Version is still %q: bump Version and add the new digest to versionDigests", got, Version)
	}
	seen := map[string]string{}
	for v, d := range versionDigests {
		if other, dup := seen[d]; dup {
			t.Errorf("versions %q and %q record the same digest", v, other)
		}
		seen[d] = v
	}
}

// validFS returns a copy of the embedded data files.
func validFS(t testing.TB) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	names, err := fs.Glob(dataFS, "data/*.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		b, err := fs.ReadFile(dataFS, name)
		if err != nil {
			t.Fatal(err)
		}
		m[name] = &fstest.MapFile{Data: b}
	}
	return m
}

// replaceOnce replaces the first old in the file with new, failing the test
// when old is not there.
func replaceOnce(t *testing.T, m fstest.MapFS, file, old, new string) {
	t.Helper()
	s := string(m[file].Data)
	if !strings.Contains(s, old) {
		t.Fatalf("%s does not contain %q", file, old)
	}
	m[file] = &fstest.MapFile{Data: []byte(strings.Replace(s, old, new, 1))}
}

func countryIndex(t *testing.T, alpha2 string) int {
	t.Helper()
	i := slices.IndexFunc(Countries(), func(c CountryInfo) bool { return c.Alpha2 == alpha2 })
	if i < 0 {
		t.Fatalf("no country %s", alpha2)
	}
	return i
}

func TestParseRejects(t *testing.T) {
	type edit struct{ file, old, new string }
	tests := []struct {
		name     string
		edits    []edit
		wantKey  string // the error's Key
		field    string // a field error's Location, when wantKey is reference.invalid
		fieldKey string
	}{
		{
			name:     "duplicate alpha2",
			edits:    []edit{{countriesFile, `"alpha2": "AE"`, `"alpha2": "AD"`}},
			wantKey:  "reference.invalid",
			field:    "countries.json[1].alpha2",
			fieldKey: "reference.duplicate",
		},
		{
			name:     "duplicate numeric",
			edits:    []edit{{countriesFile, `"numeric": "784"`, `"numeric": "020"`}},
			wantKey:  "reference.invalid",
			field:    "countries.json[1].numeric",
			fieldKey: "reference.duplicate",
		},
		{
			name:     "two-digit numeric",
			edits:    []edit{{countriesFile, `"numeric": "840"`, `"numeric": "84"`}},
			wantKey:  "reference.invalid",
			field:    "countries.json[" + strconv.Itoa(countryIndex(t, "US")) + "].numeric",
			fieldKey: "reference.format",
		},
		{
			name:     "lowercase alpha3",
			edits:    []edit{{countriesFile, `"alpha3": "USA"`, `"alpha3": "usa"`}},
			wantKey:  "reference.invalid",
			field:    "countries.json[" + strconv.Itoa(countryIndex(t, "US")) + "].alpha3",
			fieldKey: "reference.format",
		},
		{
			name:     "countries out of order",
			edits:    []edit{{countriesFile, `"alpha2": "AE"`, `"alpha2": "ZY"`}},
			wantKey:  "reference.invalid",
			field:    "countries.json[2].alpha2",
			fieldKey: "reference.order",
		},
		{
			name:     "empty name",
			edits:    []edit{{countriesFile, `"name": "Haiti"`, `"name": ""`}},
			wantKey:  "reference.invalid",
			field:    "countries.json[" + strconv.Itoa(countryIndex(t, "HT")) + "].name",
			fieldKey: "reference.required",
		},
		{
			name:     "name with a trailing space",
			edits:    []edit{{countriesFile, `"name_es": "Haití"`, `"name_es": "Haití "`}},
			wantKey:  "reference.invalid",
			field:    "countries.json[" + strconv.Itoa(countryIndex(t, "HT")) + "].name_es",
			fieldKey: "reference.space",
		},
		{
			name:     "subdivision code without its country prefix",
			edits:    []edit{{subdivisionsFile, `"code": "GT-01", "country": "GT"`, `"code": "GT-01", "country": "CR"`}},
			wantKey:  "reference.invalid",
			field:    "subdivisions.json[" + strconv.Itoa(subdivisionIndex(t, "GT-01")) + "].code",
			fieldKey: "reference.prefix",
		},
		{
			name:     "subdivision of an unknown country",
			edits:    []edit{{subdivisionsFile, `"country": "CR"`, `"country": "XK"`}},
			wantKey:  "reference.invalid",
			field:    "subdivisions.json[" + strconv.Itoa(subdivisionIndex(t, "CR-A")) + "].country",
			fieldKey: "reference.unknown_country",
		},
		{
			name:     "unknown subdivision type",
			edits:    []edit{{subdivisionsFile, `"type": "province"`, `"type": "canton"`}},
			wantKey:  "reference.invalid",
			field:    "subdivisions.json[" + strconv.Itoa(subdivisionIndex(t, "CR-A")) + "].type",
			fieldKey: "reference.format",
		},
		{
			name:     "unknown time zone",
			edits:    []edit{{portsFile, `"America/Chicago"`, `"America/Chicag"`}},
			wantKey:  "reference.invalid",
			field:    "ports.json[0].time_zone",
			fieldKey: "reference.time_zone",
		},
		{
			name:     "UTC instead of a local zone",
			edits:    []edit{{officesFile, `"America/Guatemala"`, `"UTC"`}},
			wantKey:  "reference.invalid",
			field:    "offices.json[0].time_zone",
			fieldKey: "reference.time_zone",
		},
		{
			name:     "five decimals",
			edits:    []edit{{portsFile, `25.8983`, `25.89831`}},
			wantKey:  "reference.invalid",
			field:    "ports.json[0].coordinates.lat",
			fieldKey: "reference.coordinate",
		},
		{
			name:     "longitude out of range",
			edits:    []edit{{portsFile, `-97.4972`, `-197.4972`}},
			wantKey:  "reference.invalid",
			field:    "ports.json[0].coordinates.lon",
			fieldKey: "reference.coordinate",
		},
		{
			name:     "bad port code",
			edits:    []edit{{portsFile, `"POE-BRO"`, `"POE-BR"`}},
			wantKey:  "reference.invalid",
			field:    "ports.json[0].code",
			fieldKey: "reference.format",
		},
		{
			name:     "duplicate port code",
			edits:    []edit{{portsFile, `"POE-HID"`, `"POE-BRO"`}},
			wantKey:  "reference.invalid",
			field:    "ports.json[1].code",
			fieldKey: "reference.duplicate",
		},
		{
			name:     "five-digit CBP port",
			edits:    []edit{{portsFile, `"2301"`, `"23011"`}},
			wantKey:  "reference.invalid",
			field:    "ports.json[0].cbp_port",
			fieldKey: "reference.format",
		},
		{
			name:     "port facing a non-Mexican subdivision",
			edits:    []edit{{portsFile, `"MX-TAM"`, `"CO-ANT"`}},
			wantKey:  "reference.invalid",
			field:    "ports.json[0].mexican_state",
			fieldKey: "reference.unknown_subdivision",
		},
		{
			name:     "office in another country's subdivision",
			edits:    []edit{{officesFile, `"EC-G"`, `"CO-ANT"`}},
			wantKey:  "reference.invalid",
			field:    "offices.json[6].subdivision",
			fieldKey: "reference.unknown_subdivision",
		},
		{
			name:     "office without partners",
			edits:    []edit{{officesFile, `"partners": ["UNHCR", "IOM"]`, `"partners": []`}},
			wantKey:  "reference.invalid",
			field:    "offices.json[0].partners",
			fieldKey: "reference.required",
		},
		{
			name:     "partner listed twice",
			edits:    []edit{{officesFile, `"partners": ["UNHCR", "IOM"]`, `"partners": ["IOM", "IOM"]`}},
			wantKey:  "reference.invalid",
			field:    "offices.json[0].partners[1]",
			fieldKey: "reference.duplicate",
		},
		{
			name:     "bad writing direction",
			edits:    []edit{{languagesFile, `"ltr"`, `"up"`}},
			wantKey:  "reference.invalid",
			field:    "languages.json[0].direction",
			fieldKey: "reference.format",
		},
		{
			name:    "unknown field",
			edits:   []edit{{portsFile, `"crossing"`, `"crossings"`}},
			wantKey: "reference.decode",
		},
		{
			name:    "truncated file",
			edits:   []edit{{languagesFile, `]`, ``}},
			wantKey: "reference.decode",
		},
		{
			name:    "data after the array",
			edits:   []edit{{languagesFile, "]\n", "]\n[]\n"}},
			wantKey: "reference.decode",
		},
		{
			name:    "number where a string belongs",
			edits:   []edit{{countriesFile, `"numeric": "840"`, `"numeric": 840`}},
			wantKey: "reference.decode",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := validFS(t)
			for _, e := range tt.edits {
				replaceOnce(t, m, e.file, e.old, e.new)
			}
			got, err := parse(m)
			if err == nil {
				t.Fatalf("parse() = %v, nil; want a %s error", got, tt.wantKey)
			}
			var e *senda.Error
			if !errors.As(err, &e) {
				t.Fatalf("parse() error %T %v, want *senda.Error", err, err)
			}
			if e.Code != senda.CodeInternal || e.Key != tt.wantKey {
				t.Errorf("parse() error = %s %s, want %s %s", e.Code, e.Key, senda.CodeInternal, tt.wantKey)
			}
			if tt.field == "" {
				return
			}
			i := slices.IndexFunc(e.Fields, func(f senda.FieldError) bool {
				return f.Location == tt.field && f.Key == tt.fieldKey
			})
			if i < 0 {
				t.Errorf("parse() fields = %v, want one at %s with key %s", e.Fields, tt.field, tt.fieldKey)
			}
		})
	}
}

func TestParseMissingFile(t *testing.T) {
	m := validFS(t)
	delete(m, languagesFile)
	_, err := parse(m)
	var e *senda.Error
	if !errors.As(err, &e) || e.Key != "reference.read" || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("parse() without %s: got %v, want reference.read wrapping fs.ErrNotExist", languagesFile, err)
	}
}

// TestParseReportsAll checks that every problem is reported at once.
func TestParseReportsAll(t *testing.T) {
	m := validFS(t)
	replaceOnce(t, m, portsFile, `"America/Chicago"`, `"America/Chicag"`)
	replaceOnce(t, m, officesFile, `"SMO-GUA"`, `"SMO-GUAT"`)
	replaceOnce(t, m, countriesFile, `"alpha3": "USA"`, `"alpha3": "US"`)
	_, err := parse(m)
	var e *senda.Error
	if !errors.As(err, &e) {
		t.Fatalf("parse() error %v, want *senda.Error", err)
	}
	var got []string
	for _, f := range e.Fields {
		got = append(got, f.Location)
	}
	want := []string{
		"countries.json[" + strconv.Itoa(countryIndex(t, "US")) + "].alpha3",
		"ports.json[0].time_zone",
		"offices.json[0].code",
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("parse() field locations = %v, want %s among them", got, w)
		}
	}
	if !strings.Contains(e.Error(), "ports.json[0].time_zone: reference.time_zone") {
		t.Errorf("Error() = %q, want it to name ports.json[0].time_zone", e.Error())
	}
}

func subdivisionIndex(t *testing.T, code string) int {
	t.Helper()
	all := mustLoad().subdivisions
	i := slices.IndexFunc(all, func(s SubdivisionInfo) bool { return s.Code == code })
	if i < 0 {
		t.Fatalf("no subdivision %s", code)
	}
	return i
}
