package stats

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/senda-platform/senda"
	"pgregory.net/rapid"
)

func TestParseQuery(t *testing.T) {
	tests := []struct {
		name string
		args QueryArgs
		want Query
	}{
		{"empty", QueryArgs{}, Query{Format: FormatTable}},
		{"full", QueryArgs{
			Dataset: "cbp-nationwide", By: []string{"month,citizenship", " component "},
			Where: []string{"citizenship=MX", "component=U.S. Border Patrol", "citizenship = Guatemala", "fiscal_year=2024"},
			From:  "2023-10", To: "2024-09", Compare: []string{"mom,yoy", "share"}, Format: "CSV",
		}, Query{
			Dataset: "cbp-nationwide", By: []string{"month", "citizenship", "component"},
			Where: []Filter{{"citizenship", []string{"MX", "Guatemala"}}, {"component", []string{"U.S. Border Patrol"}}, {"fiscal_year", []string{"2024"}}},
			From:  MonthOf(2023, 10), To: MonthOf(2024, 9), Compare: []Compare{CompareMoM, CompareYoY, CompareShare}, Format: FormatCSV,
		}},
		{"yoy by fiscal year", QueryArgs{By: []string{"fiscal_year"}, Compare: []string{"yoy"}}, Query{By: []string{"fiscal_year"}, Compare: []Compare{CompareYoY}, Format: FormatTable}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseQuery(tt.args)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseQuery (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseQueryErrors(t *testing.T) {
	tests := []struct {
		name string
		args QueryArgs
		want []string // Location: Key
	}{
		{"unknown dim", QueryArgs{By: []string{"month,country"}}, []string{"by: stats.query.unknown_dimension"}},
		{"repeated dim", QueryArgs{By: []string{"month", "month"}}, []string{"by: stats.query.repeated_dimension"}},
		{"bad filter", QueryArgs{Where: []string{"citizenship", "=MX", "nation=MX"}}, []string{
			"where[0]: stats.query.bad_filter", "where[1]: stats.query.bad_filter", "where[2]: stats.query.unknown_dimension"}},
		{"bad months", QueryArgs{From: "2024-13", To: "24-01", Where: []string{"month=2024/01", "fiscal_year=FY24"}}, []string{
			"where[0]: stats.query.bad_month", "where[1]: stats.query.bad_year", "from: stats.query.bad_month", "to: stats.query.bad_month"}},
		{"reversed", QueryArgs{From: "2024-02", To: "2024-01"}, []string{"to: stats.query.range_reversed"}},
		{"compare", QueryArgs{By: []string{"citizenship"}, Compare: []string{"mom", "yoy", "rank", "record", "share", "wow"}}, []string{
			"compare: stats.query.compare_needs_month", "compare: stats.query.compare_needs_period",
			"compare: stats.query.compare_needs_month", "compare: stats.query.compare_needs_month", "compare: stats.query.unknown_compare"}},
		{"format", QueryArgs{Format: "xml"}, []string{"format: stats.query.unknown_format"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseQuery(tt.args)
			var se *senda.Error
			if !errors.As(err, &se) || se.Code != senda.CodeInvalid {
				t.Fatalf("error = %v, want an invalid *senda.Error", err)
			}
			var got []string
			for _, f := range se.Fields {
				got = append(got, f.Location+": "+f.Key)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("field errors (-want +got):\n%s", diff)
			}
		})
	}
}

func nationwideEngine(t *testing.T) *Engine {
	t.Helper()
	ds, err := Parse("nationwide.csv", mustReadTestdata(t, "nationwide-sample.csv"))
	if err != nil {
		t.Fatal(err)
	}
	e := NewEngine()
	if err := e.Load(ds); err != nil {
		t.Fatal(err)
	}
	return e
}

func mustQuery(t *testing.T, e *Engine, args QueryArgs) Result {
	t.Helper()
	q, err := ParseQuery(args)
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func csvOf(t *testing.T, res Result) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteCSV(&b, res); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// The expected sums are read off testdata/nationwide-sample.csv by hand.
func TestQueryNationwide(t *testing.T) {
	e := nationwideEngine(t)
	tests := []struct {
		name string
		args QueryArgs
		want string
	}{
		{"total", QueryArgs{}, "encounters\n8972\n"},
		{"by component", QueryArgs{By: []string{"component"}},
			"component,encounters\nOffice of Field Operations,399\nU.S. Border Patrol,8573\n"},
		{"ISO filter", QueryArgs{Where: []string{"citizenship=cn"}}, "encounters\n5\n"},
		{"label filter, any case", QueryArgs{Where: []string{"citizenship=mexico"}}, "encounters\n3080\n"},
		{"OR on one dim", QueryArgs{Where: []string{"citizenship=MX", "citizenship=Canada"}}, "encounters\n3132\n"},
		{"AND across dims", QueryArgs{Where: []string{"component=u.s. border patrol", "region=Southwest Land Border"}}, "encounters\n8263\n"},
		{"range", QueryArgs{From: "2023-12", To: "2024-01"}, "encounters\n6349\n"},
		{"range, nothing", QueryArgs{From: "2030-01"}, "encounters\n0\n"},
		{"by month", QueryArgs{By: []string{"month"}},
			"month,encounters\n2021-11,2\n2023-12,2992\n2024-01,3357\n2024-09,12\n2024-10,698\n2024-11,1911\n"},
		{"by fiscal year and component", QueryArgs{By: []string{"fiscal_year,component"}},
			"fiscal_year,component,encounters\n2022,Office of Field Operations,2\n2024,Office of Field Operations,158\n2024,U.S. Border Patrol,6203\n2025,Office of Field Operations,239\n2025,U.S. Border Patrol,2370\n"},
		{"zero cell kept", QueryArgs{By: []string{"citizenship"}, Where: []string{"aor=Houston Field Office"}},
			"citizenship,encounters\nMYANMAR (BURMA),94\nOTHER,0\n"},
		{"aor and region", QueryArgs{By: []string{"region,aor"}, Where: []string{"component=Office of Field Operations"}, From: "2023-12", To: "2023-12"},
			"region,aor,encounters\nNorthern Land Border,Buffalo Field Office,52\nOther,Houston Field Office,94\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, csvOf(t, mustQuery(t, e, tt.args))); diff != "" {
				t.Errorf("CSV (-want +got):\n%s", diff)
			}
		})
	}
}

func TestQueryWarnsOnUnmatchedValue(t *testing.T) {
	res := mustQuery(t, nationwideEngine(t), QueryArgs{Where: []string{"component=USBP"}})
	if len(res.Warnings) != 1 || res.Warnings[0].Key != "stats.query.no_match" {
		t.Errorf("Warnings = %+v, want one stats.query.no_match", res.Warnings)
	}
	if res.Rows[0].Count != 0 {
		t.Errorf("total = %d, want 0", res.Rows[0].Count)
	}
}

func TestQueryDatasetChoice(t *testing.T) {
	sw, err := Parse("sw.csv", mustReadTestdata(t, "sw-bom-crlf.csv"))
	if err != nil {
		t.Fatal(err)
	}
	nw, err := Parse("nationwide.csv", mustReadTestdata(t, "nationwide-sample.csv"))
	if err != nil {
		t.Fatal(err)
	}
	other := &Dataset{Key: KeyUSBPMonthly, Rows: []Row{{Month: MonthOf(2024, 1), FiscalYear: 2024, Component: ComponentUSBP, Encounters: 1}}}
	e := NewEngine()
	if _, err := e.Query(Query{}); senda.ErrorCode(err) != senda.CodeNotFound {
		t.Errorf("no dataset: error %v, want not_found", err)
	}
	for _, ds := range []*Dataset{nw, other} {
		if err := e.Load(ds); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.Query(Query{}); senda.ErrorCode(err) != senda.CodeInvalid {
		t.Errorf("two datasets, no default: error %v, want invalid (ambiguous)", err)
	}
	res, err := e.Query(Query{Dataset: KeyNationwide})
	if err != nil || res.Rows[0].Count != 8972 || res.Dataset != KeyNationwide {
		t.Errorf("named dataset: %+v, %v; want 8972 from %s", res, err, KeyNationwide)
	}
	if _, err := e.Query(Query{Dataset: "nope"}); !senda.IsNotFound(err) {
		t.Errorf("unknown dataset: error %v, want not_found", err)
	}
	if err := e.Load(sw); err != nil {
		t.Fatal(err)
	}
	res, err = e.Query(Query{})
	if err != nil || res.Dataset != KeySWLandBorder || res.Rows[0].Count != 300 {
		t.Errorf("default: %+v, %v; want 300 from %s, never a sum of datasets", res, err, KeySWLandBorder)
	}
	if got := e.Datasets(); !slices.Equal(got, []string{KeyNationwide, KeySWLandBorder, KeyUSBPMonthly}) {
		t.Errorf("Datasets() = %v", got)
	}
}

// visitsSchema is a non-encounter schema: the engine is generic.
var visitsSchema = &Schema{Name: "visits", Measure: "visits", Dimensions: []Dimension{
	{Name: "month", Kind: Period}, {Name: "fiscal_year", Kind: Year}, {Name: "site"},
}}

func visitsEngine(t *testing.T) *Engine {
	t.Helper()
	b := NewBuilder(visitsSchema)
	for _, r := range []struct {
		m    string
		site string
		n    int64
	}{
		{"2024-02", "A", 25}, {"2023-01", "A", 10}, {"2023-02", "A", 20}, {"2023-12", "A", 40},
		{"2024-01", "A", 30}, {"2023-02", "B", 5}, {"2024-02", "B", 8},
	} {
		m, _ := ParseMonth(r.m)
		if err := b.Add([]string{r.m, strconv.Itoa(m.FiscalYear()), r.site}, r.n); err != nil {
			t.Fatal(err)
		}
	}
	e := NewEngine()
	e.LoadTable("visits", b.Build())
	return e
}

func runVisits(t *testing.T, args QueryArgs) Result {
	t.Helper()
	q, err := ParseQueryFor(visitsSchema, args)
	if err != nil {
		t.Fatal(err)
	}
	res, err := visitsEngine(t).Query(q)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestCompare(t *testing.T) {
	tests := []struct {
		name string
		args QueryArgs
		want string
	}{
		{"mom yoy rank record", QueryArgs{By: []string{"month"}, Where: []string{"site=A"}, From: "2024-01", Compare: []string{"mom,yoy,rank,record"}},
			"month,visits,mom_prev,mom_change,mom_pct,yoy_prev,yoy_change,yoy_pct,rank,rank_of,record_month,record_visits,is_record\n" +
				"2024-01,30,40,-10,-25.00,10,20,200.00,1,2,2023-12,40,false\n" +
				"2024-02,25,30,-5,-16.67,20,5,25.00,1,2,2023-12,40,false\n"},
		{"first months", QueryArgs{By: []string{"month"}, Where: []string{"site=A"}, To: "2023-12", Compare: []string{"mom,record"}},
			"month,visits,mom_prev,mom_change,mom_pct,record_month,record_visits,is_record\n" +
				"2023-01,10,,,,2023-01,10,false\n" +
				"2023-02,20,10,10,100.00,2023-02,20,true\n" +
				"2023-12,40,,,,2023-12,40,true\n"},
		{"missing combination is zero", QueryArgs{By: []string{"month,site"}, Where: []string{"site=B"}, From: "2024-02", Compare: []string{"mom,yoy,rank"}},
			"month,site,visits,mom_prev,mom_change,mom_pct,yoy_prev,yoy_change,yoy_pct,rank,rank_of\n" +
				"2024-02,B,8,0,8,,5,3,60.00,1,2\n"},
		{"share within month", QueryArgs{By: []string{"month,site"}, From: "2024-02", Compare: []string{"share"}},
			"month,site,visits,share_pct\n2024-02,A,25,75.76\n2024-02,B,8,24.24\n"},
		{"share of total", QueryArgs{By: []string{"site"}, Compare: []string{"share"}},
			"site,visits,share_pct\nA,125,90.58\nB,13,9.42\n"},
		{"yoy by fiscal year", QueryArgs{By: []string{"fiscal_year"}, Where: []string{"site=A"}, Compare: []string{"yoy"}},
			"fiscal_year,visits,yoy_prev,yoy_change,yoy_pct\n2023,30,,,\n2024,95,30,65,216.67\n"},
		{"month with its fiscal year", QueryArgs{By: []string{"fiscal_year,month"}, Where: []string{"site=A", "fiscal_year=2024"}, Compare: []string{"mom,yoy"}},
			"fiscal_year,month,visits,mom_prev,mom_change,mom_pct,yoy_prev,yoy_change,yoy_pct\n" +
				"2024,2023-12,40,,,,,,\n" +
				"2024,2024-01,30,40,-10,-25.00,10,20,200.00\n" +
				"2024,2024-02,25,30,-5,-16.67,20,5,25.00\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, csvOf(t, runVisits(t, tt.args))); diff != "" {
				t.Errorf("CSV (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWriters(t *testing.T) {
	res := runVisits(t, QueryArgs{By: []string{"fiscal_year,site"}, Compare: []string{"share"}})
	var tb, jb bytes.Buffer
	if err := WriteTable(&tb, res); err != nil {
		t.Fatal(err)
	}
	wantTable := "" +
		"fiscal_year  site  visits  share_pct\n" +
		"-----------  ----  ------  ---------\n" +
		"       2023  A         30      85.71\n" +
		"       2023  B          5      14.29\n" +
		"       2024  A         95      92.23\n" +
		"       2024  B          8       7.77\n"
	if diff := cmp.Diff(wantTable, tb.String()); diff != "" {
		t.Errorf("table (-want +got):\n%s", diff)
	}
	if err := WriteJSON(&jb, res); err != nil {
		t.Fatal(err)
	}
	wantJSON := `[
  {"fiscal_year": 2023, "site": "A", "visits": 30, "share_pct": 85.71},
  {"fiscal_year": 2023, "site": "B", "visits": 5, "share_pct": 14.29},
  {"fiscal_year": 2024, "site": "A", "visits": 95, "share_pct": 92.23},
  {"fiscal_year": 2024, "site": "B", "visits": 8, "share_pct": 7.77}
]
`
	if diff := cmp.Diff(wantJSON, jb.String()); diff != "" {
		t.Errorf("JSON (-want +got):\n%s", diff)
	}
	var empty bytes.Buffer
	if err := WriteJSON(&empty, Result{Measure: "visits"}); err != nil || empty.String() != "[]\n" {
		t.Errorf("empty JSON = %q, %v; want []", empty.String(), err)
	}
	var nb bytes.Buffer
	res = runVisits(t, QueryArgs{By: []string{"month"}, Where: []string{"site=A"}, To: "2023-01", Compare: []string{"mom"}})
	if err := WriteJSON(&nb, res); err != nil {
		t.Fatal(err)
	}
	if want := "[\n  {\"month\": \"2023-01\", \"visits\": 10, \"mom_prev\": null, \"mom_change\": null, \"mom_pct\": null}\n]\n"; nb.String() != want {
		t.Errorf("JSON with nulls = %q, want %q", nb.String(), want)
	}
}

// TestQueryMatchesNaive checks the columnar engine against a plain map sum
// over random rows and random queries, in dense and map mode.
func TestQueryMatchesNaive(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		if rapid.Bool().Draw(t, "sparse") {
			old := maxDense
			maxDense = 1
			defer func() { maxDense = old }()
		}
		labels := []string{"a", "B", "c", "d"}
		n := rapid.IntRange(0, 60).Draw(t, "rows")
		type raw struct {
			m     Month
			x, y  string
			count int64
		}
		var rows []raw
		b := NewBuilder(visitsSchema2)
		for i := 0; i < n; i++ {
			r := raw{
				m:     MonthOf(2023, 1) + Month(rapid.IntRange(0, 14).Draw(t, "m")),
				x:     rapid.SampledFrom(labels).Draw(t, "x"),
				y:     rapid.SampledFrom(labels[:2]).Draw(t, "y"),
				count: rapid.Int64Range(0, 50).Draw(t, "n"),
			}
			rows = append(rows, r)
			if err := b.Add([]string{r.m.String(), strconv.Itoa(r.m.FiscalYear()), r.x, r.y}, r.count); err != nil {
				t.Fatal(err)
			}
		}
		e := NewEngine()
		e.LoadTable("t", b.Build())
		dims := []string{"month", "fiscal_year", "x", "y"}
		var by []string
		for _, i := range rapid.Permutation([]int{0, 1, 2, 3}).Draw(t, "perm")[:rapid.IntRange(0, 4).Draw(t, "nby")] {
			by = append(by, dims[i])
		}
		var where []string
		for _, l := range labels {
			if rapid.Bool().Draw(t, "wx"+l) {
				where = append(where, "x="+strings.ToUpper(l))
			}
		}
		from, to := "", ""
		if rapid.Bool().Draw(t, "hasFrom") {
			from = (MonthOf(2023, 1) + Month(rapid.IntRange(0, 14).Draw(t, "from"))).String()
		}
		if rapid.Bool().Draw(t, "hasTo") {
			to = (MonthOf(2023, 1) + Month(rapid.IntRange(0, 14).Draw(t, "to"))).String()
		}
		q, err := ParseQueryFor(visitsSchema2, QueryArgs{By: by, Where: where, From: from, To: to})
		if err != nil {
			return // reversed range: rejected, fine
		}
		res, err := e.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int64{}
		for _, r := range rows {
			if q.From != 0 && r.m < q.From || q.To != 0 && r.m > q.To {
				continue
			}
			if len(where) > 0 && !slices.Contains(where, "x="+strings.ToUpper(r.x)) {
				continue
			}
			vals := map[string]string{"month": r.m.String(), "fiscal_year": strconv.Itoa(r.m.FiscalYear()), "x": r.x, "y": r.y}
			var k []string
			for _, d := range by {
				k = append(k, vals[d])
			}
			want[strings.Join(k, "|")] += r.count
		}
		if len(by) == 0 && len(want) == 0 {
			want[""] = 0
		}
		got := map[string]int64{}
		var order []string
		for _, r := range res.Rows {
			k := strings.Join(r.Values, "|")
			got[k] = r.Count
			order = append(order, k)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("by %v where %v %s..%s (-naive +engine):\n%s", by, where, from, to, diff)
		}
		if !slices.IsSortedFunc(res.Rows, func(a, b ResultRow) int { return compareValues(a.Values, b.Values) }) {
			t.Fatalf("rows not sorted: %v", order)
		}
	})
}

var visitsSchema2 = &Schema{Name: "t", Measure: "n", Dimensions: []Dimension{
	{Name: "month", Kind: Period}, {Name: "fiscal_year", Kind: Year}, {Name: "x"}, {Name: "y"},
}}

// compareValues orders result values as the engine must: months (YYYY-MM),
// 4-digit years and labels all sort correctly by bytes here.
func compareValues(a, b []string) int {
	return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
}

func TestEngineConcurrent(t *testing.T) {
	e := nationwideEngine(t)
	ds, err := Parse("nationwide.csv", mustReadTestdata(t, "nationwide-sample.csv"))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 20; i++ {
			if err := e.Load(ds); err != nil {
				t.Error(err)
			}
		}
	}()
	for i := 0; i < 20; i++ {
		if res, err := e.Query(Query{By: []string{DimMonth}}); err != nil || len(res.Rows) != 6 {
			t.Errorf("Query: %d rows, %v; want 6 rows", len(res.Rows), err)
		}
	}
	<-done
}
