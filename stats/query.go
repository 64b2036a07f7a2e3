package stats

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/senda-platform/senda"
)

// Format is an output format of query results.
type Format string

// Output formats.
const (
	FormatTable Format = "table"
	FormatCSV   Format = "csv"
	FormatJSON  Format = "json"
)

// Compare names a comparison a query adds as extra columns (see
// docs/stats/query.md).
type Compare string

// Comparisons.
const (
	CompareMoM    Compare = "mom"    // month over month
	CompareYoY    Compare = "yoy"    // year over year
	CompareRank   Compare = "rank"   // rank among the same calendar month of every year
	CompareRecord Compare = "record" // highest month on record so far
	CompareShare  Compare = "share"  // share of the period's total
)

var compares = []Compare{CompareMoM, CompareYoY, CompareRank, CompareRecord, CompareShare}

// QueryArgs is a query as typed: the flags of `senda stats query` or the
// parameters of an HTTP request. By and Compare entries may each hold a
// comma-separated list; each Where entry is DIM=VALUE.
type QueryArgs struct {
	Dataset string
	By      []string
	Where   []string
	From    string // YYYY-MM, inclusive
	To      string // YYYY-MM, inclusive
	Compare []string
	Format  string // table (default), csv or json
}

// Filter keeps rows whose dimension Dim has one of Values (matched
// case-insensitively, and for citizenship also by ISO code).
type Filter struct {
	Dim    string
	Values []string
}

// Query is a validated query. Filters on different dimensions all apply
// (AND); the values of one Filter are alternatives (OR). Zero From or To
// leaves that end of the range open.
type Query struct {
	Dataset string
	By      []string
	Where   []Filter
	From    Month
	To      Month
	Compare []Compare
	Format  Format
}

// ParseQuery validates args against the encounter schema. Errors are a
// *senda.Error (code invalid, key stats.query.invalid) with one field error
// per problem, located at "by", "where[i]", "from", "to", "compare" or
// "format".
func ParseQuery(args QueryArgs) (Query, error) {
	return ParseQueryFor(encounterSchema, args)
}

// ParseQueryFor validates args against a schema.
func ParseQueryFor(s *Schema, args QueryArgs) (Query, error) {
	q := Query{Dataset: strings.TrimSpace(args.Dataset), Format: FormatTable}
	var fields []senda.FieldError
	bad := func(loc, key string, a map[string]any) {
		fields = append(fields, senda.FieldError{Location: loc, Key: key, Args: a})
	}
	for _, dim := range splitList(args.By) {
		i := s.Index(dim)
		switch {
		case i < 0:
			bad("by", "stats.query.unknown_dimension", map[string]any{"dimension": dim, "allowed": strings.Join(s.Names(), ", ")})
		case slices.Contains(q.By, dim):
			bad("by", "stats.query.repeated_dimension", map[string]any{"dimension": dim})
		default:
			q.By = append(q.By, dim)
		}
	}
	for n, w := range args.Where {
		loc := fmt.Sprintf("where[%d]", n)
		dim, val, ok := strings.Cut(w, "=")
		dim, val = strings.TrimSpace(dim), strings.TrimSpace(val)
		if !ok || dim == "" || val == "" {
			bad(loc, "stats.query.bad_filter", map[string]any{"filter": w})
			continue
		}
		i := s.Index(dim)
		if i < 0 {
			bad(loc, "stats.query.unknown_dimension", map[string]any{"dimension": dim, "allowed": strings.Join(s.Names(), ", ")})
			continue
		}
		switch s.Dimensions[i].Kind {
		case Period:
			m, err := ParseMonth(val)
			if err != nil {
				bad(loc, "stats.query.bad_month", map[string]any{"dimension": dim, "value": val})
				continue
			}
			val = m.String()
		case Year:
			y, err := strconv.Atoi(val)
			if err != nil {
				bad(loc, "stats.query.bad_year", map[string]any{"dimension": dim, "value": val})
				continue
			}
			val = strconv.Itoa(y)
		}
		j := slices.IndexFunc(q.Where, func(f Filter) bool { return f.Dim == dim })
		if j < 0 {
			q.Where = append(q.Where, Filter{Dim: dim})
			j = len(q.Where) - 1
		}
		q.Where[j].Values = append(q.Where[j].Values, val)
	}
	var err error
	if args.From != "" {
		if q.From, err = ParseMonth(strings.TrimSpace(args.From)); err != nil {
			bad("from", "stats.query.bad_month", map[string]any{"value": args.From})
		}
	}
	if args.To != "" {
		if q.To, err = ParseMonth(strings.TrimSpace(args.To)); err != nil {
			bad("to", "stats.query.bad_month", map[string]any{"value": args.To})
		}
	}
	if q.From != 0 && q.To != 0 && q.From > q.To {
		bad("to", "stats.query.range_reversed", map[string]any{"from": q.From.String(), "to": q.To.String()})
	}
	if (args.From != "" || args.To != "") && s.period() < 0 {
		bad("from", "stats.query.no_period", map[string]any{"schema": s.Name})
	}
	for _, c := range splitList(args.Compare) {
		cc := Compare(strings.ToLower(c))
		switch {
		case !slices.Contains(compares, cc):
			bad("compare", "stats.query.unknown_compare", map[string]any{"compare": c, "allowed": "mom, yoy, rank, record, share"})
		case slices.Contains(q.Compare, cc):
			bad("compare", "stats.query.repeated_compare", map[string]any{"compare": c})
		default:
			if key := compareNeeds(s, q.By, cc); key != "" {
				bad("compare", key, map[string]any{"compare": string(cc)})
				continue
			}
			q.Compare = append(q.Compare, cc)
		}
	}
	if f := strings.ToLower(strings.TrimSpace(args.Format)); f != "" {
		switch Format(f) {
		case FormatTable, FormatCSV, FormatJSON:
			q.Format = Format(f)
		default:
			bad("format", "stats.query.unknown_format", map[string]any{"format": args.Format, "allowed": "table, csv, json"})
		}
	}
	if len(fields) > 0 {
		return Query{}, &senda.Error{Code: senda.CodeInvalid, Key: "stats.query.invalid", Fields: fields}
	}
	return q, nil
}

// compareNeeds returns the error key if comparison c cannot run on a query
// grouped by by, or "".
func compareNeeds(s *Schema, by []string, c Compare) string {
	hasKind := func(k Kind) bool {
		return slices.ContainsFunc(by, func(d string) bool {
			i := s.Index(d)
			return i >= 0 && s.Dimensions[i].Kind == k
		})
	}
	switch c {
	case CompareMoM, CompareRank, CompareRecord:
		if !hasKind(Period) {
			return "stats.query.compare_needs_month"
		}
	case CompareYoY:
		if !hasKind(Period) && !hasKind(Year) {
			return "stats.query.compare_needs_period"
		}
	}
	return ""
}

func splitList(in []string) []string {
	var out []string
	for _, s := range in {
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}
