package stats

import (
	"cmp"
	"slices"
	"strconv"

	"github.com/senda-platform/senda"
)

// Dimension names of encounter datasets, as used by --by and --where.
const (
	DimMonth         = "month"
	DimFiscalYear    = "fiscal_year"
	DimComponent     = "component"
	DimRegion        = "region"
	DimAOR           = "aor"
	DimDemographic   = "demographic"
	DimCitizenship   = "citizenship"
	DimTitle         = "title"
	DimEncounterType = "encounter_type"
)

// Dataset keys, one per source layout.
const (
	KeySWLandBorder = "cbp-sw-land-border"
	KeyNationwide   = "cbp-nationwide"
	KeyUSBPMonthly  = "ohss-usbp-monthly"
)

// DefaultDataset is the dataset a query reads when it names none and
// several are loaded.
const DefaultDataset = KeySWLandBorder

// Component labels.
const (
	ComponentUSBP = "U.S. Border Patrol"
	ComponentOFO  = "Office of Field Operations"
)

// RegionSouthwest is the region of every row of the Southwest Land Border
// file.
const RegionSouthwest = "Southwest Land Border"

var encounterSchema = &Schema{
	Name: "encounters",
	Dimensions: []Dimension{
		{Name: DimMonth, Kind: Period},
		{Name: DimFiscalYear, Kind: Year},
		{Name: DimComponent},
		{Name: DimRegion},
		{Name: DimAOR},
		{Name: DimDemographic},
		{Name: DimCitizenship, Code: func(l string) string { c, _ := CitizenshipCode(l); return c }},
		{Name: DimTitle},
		{Name: DimEncounterType},
	},
	Measure: "encounters",
}

// EncounterSchema returns the schema of encounter datasets: the nine
// dimensions above and the measure "encounters". Callers must not modify it.
func EncounterSchema() *Schema { return encounterSchema }

// Row is one canonical encounter cell: a count for one combination of
// dimensions. A dimension a source does not break down is "" (see
// docs/stats/formats.md).
type Row struct {
	Month          Month  // calendar month
	FiscalYear     int    // US federal fiscal year of Month
	Component      string // "U.S. Border Patrol" or "Office of Field Operations"
	Region         string // land border region
	AOR            string // area of responsibility (field office or sector)
	Demographic    string
	Citizenship    string // label as the source writes it
	CitizenshipISO string // ISO 3166-1 alpha-2 code, or "Other"
	Title          string // title of authority
	EncounterType  string
	Encounters     int64
}

// Dataset is one imported file: its dataset key, the SHA-256 of its bytes
// (hex) for idempotent imports, and its canonical rows in canonical order
// (see CompareRows).
type Dataset struct {
	Key      string
	File     string // the file name given to Parse
	SHA256   string
	Rows     []Row
	Warnings []senda.FieldError // e.g. a citizenship label missing from the ISO table
}

// cellKey is the identity of a row: every dimension but the count. The
// fiscal year and ISO code follow from the month and label.
type cellKey struct {
	month                                            Month
	component, region, aor, demographic, citizenship string
	title, encounterType                             string
}

func (r Row) key() cellKey {
	return cellKey{r.Month, r.Component, r.Region, r.AOR, r.Demographic, r.Citizenship, r.Title, r.EncounterType}
}

// CompareRows orders rows by month, then component, region, aor,
// demographic, citizenship, title and encounter type (bytes).
func CompareRows(a, b Row) int {
	if c := cmp.Compare(a.Month, b.Month); c != 0 {
		return c
	}
	for _, p := range [][2]string{
		{a.Component, b.Component}, {a.Region, b.Region}, {a.AOR, b.AOR},
		{a.Demographic, b.Demographic}, {a.Citizenship, b.Citizenship},
		{a.Title, b.Title}, {a.EncounterType, b.EncounterType},
	} {
		if c := cmp.Compare(p[0], p[1]); c != 0 {
			return c
		}
	}
	return 0
}

// Values returns the row's dimension values in EncounterSchema order.
func (r Row) Values() []string {
	return []string{r.Month.String(), strconv.Itoa(r.FiscalYear), r.Component, r.Region, r.AOR,
		r.Demographic, r.Citizenship, r.Title, r.EncounterType}
}

// NewTable returns the columnar Table of encounter rows.
func NewTable(rows []Row) (*Table, error) {
	b := NewBuilder(encounterSchema)
	b.Grow(len(rows))
	vals := make([]string, len(encounterSchema.Dimensions))
	for _, r := range rows {
		vals[0], vals[1], vals[2], vals[3], vals[4] = r.Month.String(), strconv.Itoa(r.FiscalYear), r.Component, r.Region, r.AOR
		vals[5], vals[6], vals[7], vals[8] = r.Demographic, r.Citizenship, r.Title, r.EncounterType
		if err := b.Add(vals, r.Encounters); err != nil {
			return nil, err
		}
	}
	return b.Build(), nil
}

func sortRows(rows []Row) { slices.SortStableFunc(rows, CompareRows) }
