package reference

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/senda-platform/senda"
)

func TestCheck(t *testing.T) {
	if err := Check(); err != nil {
		t.Fatalf("Check() = %v, want nil", err)
	}
}

func TestCountries(t *testing.T) {
	cs := Countries()
	if got, want := len(cs), 249; got != want {
		t.Fatalf("len(Countries()) = %d, want %d", got, want)
	}
	alpha2, alpha3, numeric := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, c := range cs {
		if !alpha2Pattern.MatchString(c.Alpha2) {
			t.Errorf("alpha2 %q: got no match for two uppercase letters", c.Alpha2)
		}
		if !alpha3Pattern.MatchString(c.Alpha3) {
			t.Errorf("%s: alpha3 %q, want three uppercase letters", c.Alpha2, c.Alpha3)
		}
		if !numericPattern.MatchString(c.Numeric) {
			t.Errorf("%s: numeric %q, want three digits", c.Alpha2, c.Numeric)
		}
		for name, seen := range map[string]map[string]bool{c.Alpha2: alpha2, c.Alpha3: alpha3, c.Numeric: numeric} {
			if seen[name] {
				t.Errorf("%s: code %q appears twice", c.Alpha2, name)
			}
			seen[name] = true
		}
		if c.Name == "" || c.Common == "" || c.NameES == "" {
			t.Errorf("%s: got a missing name in %+v", c.Alpha2, c)
		}
	}
}

func TestCountrySpotChecks(t *testing.T) {
	tests := []struct {
		alpha2, alpha3, numeric, name, common, nameES string
	}{
		{"US", "USA", "840", "United States of America", "United States", "Estados Unidos"},
		{"MX", "MEX", "484", "Mexico", "Mexico", "México"},
		{"GT", "GTM", "320", "Guatemala", "Guatemala", "Guatemala"},
		{"VE", "VEN", "862", "Venezuela (Bolivarian Republic of)", "Venezuela", "Venezuela"},
		{"HT", "HTI", "332", "Haiti", "Haiti", "Haití"},
		{"CU", "CUB", "192", "Cuba", "Cuba", "Cuba"},
		{"NI", "NIC", "558", "Nicaragua", "Nicaragua", "Nicaragua"},
		{"CO", "COL", "170", "Colombia", "Colombia", "Colombia"},
		{"EC", "ECU", "218", "Ecuador", "Ecuador", "Ecuador"},
		{"CR", "CRI", "188", "Costa Rica", "Costa Rica", "Costa Rica"},
		{"HN", "HND", "340", "Honduras", "Honduras", "Honduras"},
		{"SV", "SLV", "222", "El Salvador", "El Salvador", "El Salvador"},
		{"BR", "BRA", "076", "Brazil", "Brazil", "Brasil"},
		{"NL", "NLD", "528", "Netherlands, Kingdom of the", "Netherlands", "Países Bajos"},
		{"BO", "BOL", "068", "Bolivia (Plurinational State of)", "Bolivia", "Bolivia"},
		{"AQ", "ATA", "010", "Antarctica", "Antarctica", "Antártida"},
	}
	for _, tt := range tests {
		want := CountryInfo{Alpha2: tt.alpha2, Alpha3: tt.alpha3, Numeric: tt.numeric, Name: tt.name, Common: tt.common, NameES: tt.nameES}
		got, ok := Country(tt.alpha2)
		if !ok {
			t.Errorf("Country(%q): got not found, want %+v", tt.alpha2, want)
			continue
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Country(%q) mismatch (-want +got):\n%s", tt.alpha2, diff)
		}
		if got, ok := CountryByAlpha3(strings.ToLower(tt.alpha3)); !ok || got.Alpha2 != tt.alpha2 {
			t.Errorf("CountryByAlpha3(%q) = %q, %v; want %q, true", strings.ToLower(tt.alpha3), got.Alpha2, ok, tt.alpha2)
		}
	}
}

func TestCountryLookup(t *testing.T) {
	tests := []struct {
		in     string
		want   string
		wantOK bool
	}{
		{"US", "US", true},
		{"us", "US", true},
		{"uS", "US", true},
		{"XK", "", false}, // Kosovo: user-assigned, not ISO 3166-1
		{"xk", "", false},
		{"EU", "", false},
		{"USA", "", false},
		{"", "", false},
		{" US", "", false},
	}
	for _, tt := range tests {
		got, ok := Country(tt.in)
		if ok != tt.wantOK || got.Alpha2 != tt.want {
			t.Errorf("Country(%q) = %q, %v; want %q, %v", tt.in, got.Alpha2, ok, tt.want, tt.wantOK)
		}
	}
	if _, ok := CountryByAlpha3("XKX"); ok {
		t.Errorf("CountryByAlpha3(%q): got found, want not found", "XKX")
	}
}

func TestSubdivisionCounts(t *testing.T) {
	tests := []struct {
		country string
		want    int
	}{
		{"MX", 32},
		{"CO", 33},
		{"CR", 7},
		{"EC", 24},
		{"GT", 22},
		{"gt", 22},
		{"US", 0},
		{"VE", 0},
		{"", 0},
	}
	for _, tt := range tests {
		if got := len(Subdivisions(tt.country)); got != tt.want {
			t.Errorf("len(Subdivisions(%q)) = %d, want %d", tt.country, got, tt.want)
		}
	}
}

func TestSubdivisions(t *testing.T) {
	seen := map[string]bool{}
	for _, country := range []string{"MX", "CO", "CR", "EC", "GT"} {
		for _, s := range Subdivisions(country) {
			if s.Country != country {
				t.Errorf("%s: country %q, want %q", s.Code, s.Country, country)
			}
			if !strings.HasPrefix(s.Code, country+"-") {
				t.Errorf("%s: got no %q prefix", s.Code, country+"-")
			}
			if seen[s.Code] {
				t.Errorf("%s: appears twice", s.Code)
			}
			seen[s.Code] = true
			if got, ok := Subdivision(strings.ToLower(s.Code)); !ok || got != s {
				t.Errorf("Subdivision(%q) = %+v, %v; want %+v, true", strings.ToLower(s.Code), got, ok, s)
			}
		}
	}
}

func TestMexicanStates(t *testing.T) {
	want := []string{
		"MX-AGU", "MX-BCN", "MX-BCS", "MX-CAM", "MX-CHH", "MX-CHP", "MX-CMX", "MX-COA",
		"MX-COL", "MX-DUR", "MX-GRO", "MX-GUA", "MX-HID", "MX-JAL", "MX-MEX", "MX-MIC",
		"MX-MOR", "MX-NAY", "MX-NLE", "MX-OAX", "MX-PUE", "MX-QUE", "MX-ROO", "MX-SIN",
		"MX-SLP", "MX-SON", "MX-TAB", "MX-TAM", "MX-TLA", "MX-VER", "MX-YUC", "MX-ZAC",
	}
	var got []string
	for _, s := range Subdivisions("MX") {
		got = append(got, s.Code)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Mexican state codes mismatch (-want +got):\n%s", diff)
	}
}

func TestSubdivisionSpotChecks(t *testing.T) {
	tests := []SubdivisionInfo{
		{Code: "MX-CMX", Country: "MX", Name: "Ciudad de México", Type: TypeCapitalDistrict},
		{Code: "MX-BCN", Country: "MX", Name: "Baja California", Type: TypeState},
		{Code: "MX-CHP", Country: "MX", Name: "Chiapas", Type: TypeState},
		{Code: "CO-DC", Country: "CO", Name: "Distrito Capital de Bogotá", Type: TypeCapitalDistrict},
		{Code: "CO-ANT", Country: "CO", Name: "Antioquia", Type: TypeDepartment},
		{Code: "CR-SJ", Country: "CR", Name: "San José", Type: TypeProvince},
		{Code: "EC-G", Country: "EC", Name: "Guayas", Type: TypeProvince},
		{Code: "EC-SD", Country: "EC", Name: "Santo Domingo de los Tsáchilas", Type: TypeProvince},
		{Code: "GT-01", Country: "GT", Name: "Guatemala", Type: TypeDepartment},
		{Code: "GT-16", Country: "GT", Name: "Alta Verapaz", Type: TypeDepartment},
		{Code: "GT-22", Country: "GT", Name: "Jutiapa", Type: TypeDepartment},
	}
	for _, want := range tests {
		got, ok := Subdivision(want.Code)
		if !ok {
			t.Errorf("Subdivision(%q): got not found, want %+v", want.Code, want)
			continue
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Subdivision(%q) mismatch (-want +got):\n%s", want.Code, diff)
		}
	}
	// Guatemala's letter codes were replaced by numbers in 2021.
	for _, old := range []string{"GT-GU", "GT-AV", "MX-DIF"} {
		if _, ok := Subdivision(old); ok {
			t.Errorf("Subdivision(%q): got found, want not found (withdrawn code)", old)
		}
	}
}

func TestPorts(t *testing.T) {
	tests := []struct {
		code, cbp, state, zone, mexicanState string
	}{
		{"POE-BRO", "2301", "US-TX", "America/Chicago", "MX-TAM"},
		{"POE-HID", "2305", "US-TX", "America/Chicago", "MX-TAM"},
		{"POE-LRD", "2304", "US-TX", "America/Chicago", "MX-TAM"},
		{"POE-EGP", "2303", "US-TX", "America/Chicago", "MX-COA"},
		{"POE-ELP", "2402", "US-TX", "America/Denver", "MX-CHH"},
		{"POE-NOG", "2604", "US-AZ", "America/Phoenix", "MX-SON"},
		{"POE-CLX", "2503", "US-CA", "America/Los_Angeles", "MX-BCN"},
		{"POE-SYS", "2504", "US-CA", "America/Los_Angeles", "MX-BCN"},
	}
	ports := Ports()
	if len(ports) != len(tests) {
		t.Fatalf("len(Ports()) = %d, want %d", len(ports), len(tests))
	}
	for i, tt := range tests {
		p := ports[i]
		got := [5]string{p.Code, p.CBPPort, p.State, p.TimeZone, p.MexicanState}
		want := [5]string{tt.code, tt.cbp, tt.state, tt.zone, tt.mexicanState}
		if got != want {
			t.Errorf("Ports()[%d] = %v, want %v", i, got, want)
		}
		// The southwest border: between the Gulf and the Pacific, south of 33°N.
		if p.Lat < 25.5 || p.Lat > 33 || p.Lon < -117.2 || p.Lon > -97 {
			t.Errorf("%s: coordinates %v,%v, want on the southwest border", p.Code, p.Lat, p.Lon)
		}
		if p.MexicanCity == "" || p.Crossing == "" || p.Name == "" {
			t.Errorf("%s: got a missing name in %+v", p.Code, p)
		}
		if byCode, ok := Port(strings.ToLower(p.Code)); !ok || byCode != p {
			t.Errorf("Port(%q) = %+v, %v; want %+v, true", strings.ToLower(p.Code), byCode, ok, p)
		}
	}
	sys, ok := Port("POE-SYS")
	if !ok {
		t.Fatal("Port(POE-SYS): got not found, want San Ysidro")
	}
	if got, want := sys.SpanishName(), "San Ysidro (PedWest / El Chaparral)"; got != want {
		t.Errorf("POE-SYS SpanishName() = %q, want %q", got, want)
	}
	if got, want := ports[0].SpanishName(), "Brownsville"; got != want {
		t.Errorf("POE-BRO SpanishName() = %q, want %q", got, want)
	}
	if _, ok := Port("POE-XXX"); ok {
		t.Error("Port(POE-XXX): got found, want not found")
	}
}

func TestOffices(t *testing.T) {
	tests := []struct {
		code, country, subdivision, city, zone string
	}{
		{"SMO-GUA", "GT", "GT-01", "Guatemala City", "America/Guatemala"},
		{"SMO-BOG", "CO", "CO-DC", "Bogotá", "America/Bogota"},
		{"SMO-MDE", "CO", "CO-ANT", "Medellín", "America/Bogota"},
		{"SMO-CLO", "CO", "CO-VAC", "Cali", "America/Bogota"},
		{"SMO-SJO", "CR", "CR-SJ", "San José", "America/Costa_Rica"},
		{"SMO-UIO", "EC", "EC-P", "Quito", "America/Guayaquil"},
		{"SMO-GYE", "EC", "EC-G", "Guayaquil", "America/Guayaquil"},
	}
	offices := Offices()
	if len(offices) != len(tests) {
		t.Fatalf("len(Offices()) = %d, want %d", len(offices), len(tests))
	}
	for i, tt := range tests {
		o := offices[i]
		got := [5]string{o.Code, o.Country, o.Subdivision, o.City, o.TimeZone}
		want := [5]string{tt.code, tt.country, tt.subdivision, tt.city, tt.zone}
		if got != want {
			t.Errorf("Offices()[%d] = %v, want %v", i, got, want)
		}
		if diff := cmp.Diff([]string{"UNHCR", "IOM"}, o.Partners); diff != "" {
			t.Errorf("%s partners mismatch (-want +got):\n%s", o.Code, diff)
		}
		if byCode, ok := Office(strings.ToLower(o.Code)); !ok || !cmp.Equal(byCode, o) {
			t.Errorf("Office(%q) = %+v, %v; want %+v, true", strings.ToLower(o.Code), byCode, ok, o)
		}
	}
	gua, _ := Office("SMO-GUA")
	if got, want := gua.SpanishCity(), "Ciudad de Guatemala"; got != want {
		t.Errorf("SMO-GUA SpanishCity() = %q, want %q", got, want)
	}
	if got, want := offices[1].SpanishCity(), "Bogotá"; got != want {
		t.Errorf("SMO-BOG SpanishCity() = %q, want %q", got, want)
	}
}

func TestLocations(t *testing.T) {
	locs := Locations()
	if got, want := len(locs), len(Ports())+len(Offices()); got != want {
		t.Fatalf("len(Locations()) = %d, want %d", got, want)
	}
	var want []LocationInfo
	for _, p := range Ports() {
		want = append(want, p.Location())
	}
	for _, o := range Offices() {
		want = append(want, o.Location())
	}
	if diff := cmp.Diff(want, locs); diff != "" {
		t.Errorf("Locations() mismatch (-want +got):\n%s", diff)
	}
	for _, l := range locs {
		wantKind := KindPort
		if strings.HasPrefix(l.Code, "SMO-") {
			wantKind = KindOffice
		}
		if l.Kind != wantKind {
			t.Errorf("%s: kind %q, want %q", l.Code, l.Kind, wantKind)
		}
		if got, ok := Location(strings.ToLower(l.Code)); !ok || got != l {
			t.Errorf("Location(%q) = %+v, %v; want %+v, true", strings.ToLower(l.Code), got, ok, l)
		}
		if _, ok := Country(l.Country); !ok {
			t.Errorf("%s: country %q is not in Countries()", l.Code, l.Country)
		}
	}
	sys, _ := Location("POE-SYS")
	if sys.Country != "US" || sys.Subdivision != "US-CA" || sys.Kind != KindPort {
		t.Errorf("Location(POE-SYS) = %+v, want a US-CA port", sys)
	}
	gua, _ := Location("SMO-GUA")
	if gua.Country != "GT" || gua.Kind != KindOffice || gua.SpanishName() != "Ciudad de Guatemala" {
		t.Errorf("Location(SMO-GUA) = %+v, want a GT office named Ciudad de Guatemala", gua)
	}
}

// TestTimeZones loads every location's zone with time.LoadLocation, which
// works without a system tzdata because the package embeds time/tzdata.
func TestTimeZones(t *testing.T) {
	// A January instant: standard time everywhere.
	jan := time.Date(2026, time.January, 15, 12, 0, 0, 0, time.UTC)
	wantOffset := map[string]int{
		"America/Chicago":     -6,
		"America/Denver":      -7,
		"America/Phoenix":     -7,
		"America/Los_Angeles": -8,
		"America/Guatemala":   -6,
		"America/Bogota":      -5,
		"America/Costa_Rica":  -6,
		"America/Guayaquil":   -5,
	}
	for _, l := range Locations() {
		z, err := time.LoadLocation(l.TimeZone)
		if err != nil {
			t.Errorf("%s: time.LoadLocation(%q): %v", l.Code, l.TimeZone, err)
			continue
		}
		viaMethod, err := l.Zone()
		if err != nil || viaMethod.String() != z.String() {
			t.Errorf("%s: Zone() = %v, %v; want %v, nil", l.Code, viaMethod, err, z)
		}
		_, offset := jan.In(z).Zone()
		want, ok := wantOffset[l.TimeZone]
		if !ok {
			t.Errorf("%s: zone %q has no expected offset in this test", l.Code, l.TimeZone)
		} else if offset != want*3600 {
			t.Errorf("%s: January offset %d h, want %d h", l.Code, offset/3600, want)
		}
	}
	for _, p := range Ports() {
		if _, err := p.Zone(); err != nil {
			t.Errorf("%s: Zone(): %v", p.Code, err)
		}
	}
	for _, o := range Offices() {
		if _, err := o.Zone(); err != nil {
			t.Errorf("%s: Zone(): %v", o.Code, err)
		}
	}
	for _, bad := range []string{"", "Mars/Olympus_Mons"} {
		_, err := LocationInfo{TimeZone: bad}.Zone()
		var e *senda.Error
		if !errors.As(err, &e) || e.Code != senda.CodeInvalid || e.Key != "reference.time_zone" {
			t.Errorf("Zone() with zone %q: got %v, want an invalid reference.time_zone error", bad, err)
		}
	}
}

func TestLanguages(t *testing.T) {
	want := []LanguageInfo{
		{Code: "es", Name: "Spanish", NativeName: "Español", Direction: LeftToRight},
		{Code: "en", Name: "English", NativeName: "English", Direction: LeftToRight},
		{Code: "ht", Name: "Haitian Creole", NativeName: "Kreyòl ayisyen", Direction: LeftToRight},
		{Code: "pt", Name: "Portuguese", NativeName: "Português", Direction: LeftToRight},
		{Code: "fr", Name: "French", NativeName: "Français", Direction: LeftToRight},
	}
	if diff := cmp.Diff(want, Languages()); diff != "" {
		t.Errorf("Languages() mismatch (-want +got):\n%s", diff)
	}
	if got, ok := Language("HT"); !ok || got.NativeName != "Kreyòl ayisyen" {
		t.Errorf("Language(HT) = %+v, %v; want Kreyòl ayisyen, true", got, ok)
	}
	if _, ok := Language("de"); ok {
		t.Error("Language(de): got found, want not found")
	}
}

// TestCopies checks that callers cannot change the shared data through what
// they are given.
func TestCopies(t *testing.T) {
	Countries()[0].Name = "changed"
	Ports()[0].Name = "changed"
	Offices()[0].Partners[0] = "changed"
	Locations()[0].Name = "changed"
	Subdivisions("MX")[0].Name = "changed"
	Languages()[0].Name = "changed"
	o, _ := Office("SMO-GUA")
	o.Partners[1] = "changed"

	if got := Countries()[0].Name; got == "changed" {
		t.Error("Countries() shares its backing array")
	}
	if got := Ports()[0].Name; got == "changed" {
		t.Error("Ports() shares its backing array")
	}
	if got := Offices()[0].Partners; got[0] == "changed" || got[1] == "changed" {
		t.Errorf("Offices() shares partners: got %v", got)
	}
	if got := Locations()[0].Name; got == "changed" {
		t.Error("Locations() shares its backing array")
	}
	if got := Subdivisions("MX")[0].Name; got == "changed" {
		t.Error("Subdivisions() shares its backing array")
	}
	if got := Languages()[0].Name; got == "changed" {
		t.Error("Languages() shares its backing array")
	}
}
