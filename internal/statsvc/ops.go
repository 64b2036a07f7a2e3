package statsvc

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/senda-platform/senda/internal/access"
	"github.com/senda-platform/senda/internal/store"
	"github.com/senda-platform/senda/stats"
)

// OpsDataset is the key of Senda's own operational numbers.
const OpsDataset = "operations"

// Dimensions of the operations dataset.
const (
	DimMetric      = "metric"
	DimCountry     = "country"
	DimPlace       = "place"
	DimNationality = "nationality"
)

// Metrics of the operations dataset. Each is counted separately: queries
// group or filter by metric, since adding different metrics up means
// nothing.
const (
	// MetricRegistrations counts households registered (submitted).
	MetricRegistrations = "registrations"
	// MetricPeople counts the people in those households.
	MetricPeople = "people"
)

var opsSchema = &stats.Schema{
	Name: "operations",
	Dimensions: []stats.Dimension{
		{Name: stats.DimMonth, Kind: stats.Period},
		{Name: stats.DimFiscalYear, Kind: stats.Year},
		{Name: DimMetric},
		{Name: DimCountry},
		{Name: DimPlace},
		{Name: DimNationality},
	},
	Measure: "count",
}

// OpsSchema returns the schema of the operations dataset: month,
// fiscal_year, metric, country (of the place), place (a country or
// COUNTRY/OFFICE) and nationality (ISO 3166-1 alpha-2 of the principal
// applicant, "" when not given); the measure is "count". Callers must not
// modify it.
func OpsSchema() *stats.Schema { return opsSchema }

// Fact is one operational count: how many of a metric happened in a month at
// a place, for people of a nationality.
type Fact struct {
	Metric      string
	Month       stats.Month
	Place       string
	Nationality string
	Count       int64
}

// A Source adds the facts of one capability (registrations; later requests,
// draws, appointments, check-ins, no-shows, decisions) to the operations
// dataset. It reads aggregates only, never personal data.
type Source interface {
	Collect(ctx context.Context, db *store.DB, add func(Fact)) error
}

// SourceFunc adapts a function to Source.
type SourceFunc func(ctx context.Context, db *store.DB, add func(Fact)) error

// Collect calls f.
func (f SourceFunc) Collect(ctx context.Context, db *store.DB, add func(Fact)) error {
	return f(ctx, db, add)
}

// Registrations counts submitted households and the people in them by the
// month they were created, their place and the principal applicant's
// nationality. Drafts are not counted.
var Registrations Source = SourceFunc(func(ctx context.Context, db *store.DB, add func(Fact)) error {
	var days []store.HouseholdDay
	if err := db.View(ctx, func(tx *store.Tx) (err error) {
		days, err = tx.HouseholdDays(ctx)
		return err
	}); err != nil {
		return err
	}
	for _, d := range days {
		if d.Status != "submitted" {
			continue
		}
		m := stats.MonthOf(d.Day.Year(), d.Day.Month())
		add(Fact{Metric: MetricRegistrations, Month: m, Place: d.Place, Nationality: d.Nationality, Count: d.Households})
		add(Fact{Metric: MetricPeople, Month: m, Place: d.Place, Nationality: d.Nationality, Count: d.People})
	}
	return nil
})

// opsCache holds the operations facts and, per caller scope, an engine over
// the facts in that scope.
type opsCache struct {
	built   time.Time
	facts   []Fact
	engines map[access.Scope]*stats.Engine
}

type factKey struct {
	metric     string
	month      stats.Month
	place, nat string
}

// Operations returns an engine holding the operations dataset restricted to
// scope (a country or office; "*" for everything): only facts of places
// inside the scope are counted. The facts are recomputed from the records
// when older than OpsMaxAge.
func (s *Service) Operations(ctx context.Context, scope access.Scope) (*stats.Engine, error) {
	s.opsMu.Lock()
	defer s.opsMu.Unlock()
	maxAge := s.OpsMaxAge
	if maxAge <= 0 {
		maxAge = time.Minute
	}
	now := time.Now()
	if s.ops == nil || now.Sub(s.ops.built) >= maxAge || now.Before(s.ops.built) {
		sums := map[factKey]int64{}
		var keys []factKey
		add := func(f Fact) {
			k := factKey{f.Metric, f.Month, f.Place, f.Nationality}
			if _, ok := sums[k]; !ok {
				keys = append(keys, k)
			}
			sums[k] += f.Count
		}
		for _, src := range s.Sources {
			if err := src.Collect(ctx, s.db, add); err != nil {
				return nil, err
			}
		}
		facts := make([]Fact, len(keys))
		for i, k := range keys {
			facts[i] = Fact{Metric: k.metric, Month: k.month, Place: k.place, Nationality: k.nat, Count: sums[k]}
		}
		s.ops = &opsCache{built: now, facts: facts, engines: map[access.Scope]*stats.Engine{}}
	}
	if e, ok := s.ops.engines[scope]; ok {
		return e, nil
	}
	b := stats.NewBuilder(opsSchema)
	vals := make([]string, len(opsSchema.Dimensions))
	for _, f := range s.ops.facts {
		if !scope.Contains(f.Place) {
			continue
		}
		country, _, _ := strings.Cut(f.Place, "/")
		vals[0], vals[1], vals[2], vals[3], vals[4], vals[5] = f.Month.String(), strconv.Itoa(f.Month.FiscalYear()), f.Metric, country, f.Place, f.Nationality
		if err := b.Add(vals, f.Count); err != nil {
			return nil, err
		}
	}
	e := stats.NewEngine()
	e.LoadTable(OpsDataset, b.Build())
	s.ops.engines[scope] = e
	return e, nil
}

// QueryOperations parses and runs a query over the operations dataset in
// scope.
func (s *Service) QueryOperations(ctx context.Context, args stats.QueryArgs, scope access.Scope) (stats.Query, stats.Result, error) {
	args.Dataset = OpsDataset
	q, err := stats.ParseQueryFor(opsSchema, args)
	if err != nil {
		return q, stats.Result{}, err
	}
	e, err := s.Operations(ctx, scope)
	if err != nil {
		return q, stats.Result{}, err
	}
	res, err := e.Query(q)
	return q, res, err
}
