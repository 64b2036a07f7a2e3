package web

import (
	"cmp"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/internal/access"
	sendahttp "github.com/senda-platform/senda/internal/http"
	"github.com/senda-platform/senda/internal/i18n"
	"github.com/senda-platform/senda/internal/statsvc"
	"github.com/senda-platform/senda/stats"
)

// statsPages serves the public encounters dashboard and the analysts'
// dashboard.
type statsPages struct {
	web *Web
	svc *statsvc.Service
}

// MountStats registers the public encounters dashboard (/stats, no sign-in)
// and the analysts' dashboard (/analyst: any query, and Senda's operational
// numbers; analysts and administrators). Every chart is SVG drawn on the
// server, with the table behind it and a CSV download.
func MountStats(s *sendahttp.Server, svc *statsvc.Service, log *slog.Logger) error {
	w := &Web{log: log, pages: map[string]*template.Template{}}
	if err := w.parse(); err != nil {
		return err
	}
	p := &statsPages{web: w, svc: svc}
	s.Handle("GET /stats", access.Public, http.HandlerFunc(p.public))
	s.Handle("GET /analyst", access.Roles(access.Analyst, access.Admin), http.HandlerFunc(p.analyst))
	return nil
}

// Option is one choice of a select or a set of checkboxes.
type Option struct {
	Value, Label string
	Selected     bool
}

// Cell is one cell of a table; Num cells are right-aligned.
type Cell struct {
	Text string
	Num  bool
}

// Block is a chart with the table behind it and its CSV download.
type Block struct {
	// ID is the section's anchor.
	ID      string
	Title   string
	Lead    string
	Chart   template.HTML
	Columns []Cell
	Rows    [][]Cell
	CSV     string
	// Open shows the table without a click.
	Open bool
}

// fmtr formats numbers and values in one language.
type fmtr struct {
	lang string
	p    *message.Printer
}

func newFmtr(lang string) fmtr { return fmtr{lang, message.NewPrinter(language.Make(lang))} }

func (f fmtr) int(n int64) string { return f.p.Sprintf("%d", n) }

func (f fmtr) t(key string, args map[string]any) string { return i18n.T(f.lang, key, args) }

// value formats a comparison value: numbers grouped, percentages with two
// decimals, booleans as yes or no, null as empty.
func (f fmtr) value(v stats.Value) string {
	switch x := v.Any().(type) {
	case nil:
		return ""
	case int64:
		return f.int(x)
	case float64:
		return f.p.Sprintf("%.2f", x)
	case bool:
		if x {
			return f.t("stats.yes", nil)
		}
		return f.t("stats.no", nil)
	case string:
		return x
	}
	return v.String()
}

// column is the localised header of a result column.
func (f fmtr) column(name string) string {
	for _, prefix := range []string{"stats.dim.", "stats.col."} {
		if i18n.Has(prefix + name) {
			return f.t(prefix+name, nil)
		}
	}
	return name
}

// dimLabel is a dimension's value as shown: "" reads "not broken down".
func (f fmtr) dimLabel(v string) string {
	if v == "" {
		return f.t("stats.value.all", nil)
	}
	return v
}

// table turns a result into header and rows.
func (f fmtr) table(res stats.Result) ([]Cell, [][]Cell) {
	var cols []Cell
	for i, c := range res.Columns() {
		cols = append(cols, Cell{Text: f.column(c), Num: i >= len(res.By) || res.Kinds[i] == stats.Year})
	}
	rows := make([][]Cell, 0, len(res.Rows))
	for _, r := range res.Rows {
		row := make([]Cell, 0, len(cols))
		for j, v := range r.Values {
			row = append(row, Cell{Text: f.dimLabel(v), Num: res.Kinds[j] == stats.Year})
		}
		row = append(row, Cell{Text: f.int(r.Count), Num: true})
		for _, v := range r.Extra {
			row = append(row, Cell{Text: f.value(v), Num: true})
		}
		rows = append(rows, row)
	}
	return cols, rows
}

// apiURL is a link to an API query with the same options, as CSV.
func apiURL(path string, a stats.QueryArgs) string {
	v := url.Values{}
	if a.Dataset != "" {
		v.Set("dataset", a.Dataset)
	}
	for _, b := range a.By {
		v.Add("by", b)
	}
	for _, w := range a.Where {
		v.Add("where", w)
	}
	if a.From != "" {
		v.Set("from", a.From)
	}
	if a.To != "" {
		v.Set("to", a.To)
	}
	for _, c := range a.Compare {
		v.Add("compare", c)
	}
	v.Set("format", "csv")
	return path + "?" + v.Encode()
}

// extra returns the comparison column named name of a row.
func extra(res stats.Result, r stats.ResultRow, name string) stats.Value {
	if i := slices.Index(res.Extra, name); i >= 0 && i < len(r.Extra) {
		return r.Extra[i]
	}
	return stats.Value{}
}

func run(e *stats.Engine, s *stats.Schema, a stats.QueryArgs) (stats.Result, error) {
	q, err := stats.ParseQueryFor(s, a)
	if err != nil {
		return stats.Result{}, err
	}
	return e.Query(q)
}

// publicPage is the data of /stats.
type publicPage struct {
	Empty     bool
	Datasets  []Option
	Dataset   string
	Source    string
	Monthly   Block
	Record    string
	Months    []Option
	Dims      []Option
	Breakdown Block
	Ranks     Block
	Rank      string
	Versions  []VersionRow
	Export    []Option
}

// VersionRow is one imported version of the dataset shown.
type VersionRow struct {
	Version, File, Imported, Months, Changes, Diff string
	Current                                        bool
}

// breakdownDims are the dimensions the public page can break a month down by.
var breakdownDims = []string{stats.DimComponent, stats.DimCitizenship, stats.DimDemographic, stats.DimEncounterType, stats.DimTitle, stats.DimRegion, stats.DimAOR}

func (p *statsPages) fail(rw http.ResponseWriter, r *http.Request, err error) {
	status := sendahttp.Status(senda.ErrorCode(err))
	if status >= 500 {
		p.web.log.Error("stats page", "err", err, "request_id", sendahttp.RequestID(r.Context()))
	}
	p.web.Render(rw, r, status, "error", ErrorPage{Title: "page.error.title", Body: "stats.page.unavailable"})
}

func (p *statsPages) public(rw http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f := newFmtr(sendahttp.Lang(ctx))
	e, err := p.svc.Encounters(ctx)
	if err != nil {
		p.fail(rw, r, err)
		return
	}
	keys := e.Datasets()
	data := publicPage{}
	if len(keys) == 0 {
		data.Empty = true
		p.web.Render(rw, r, http.StatusOK, "stats_public", data)
		return
	}
	qv := r.URL.Query()
	key := qv.Get("dataset")
	if !slices.Contains(keys, key) {
		key = keys[0]
		if slices.Contains(keys, stats.DefaultDataset) {
			key = stats.DefaultDataset
		}
	}
	data.Dataset = key
	for _, k := range keys {
		data.Datasets = append(data.Datasets, Option{Value: k, Label: f.t("stats.dataset."+k, nil), Selected: k == key})
	}
	data.Source = f.t("stats.source."+key, nil)
	t, err := e.Table(key)
	if err != nil {
		p.fail(rw, r, err)
		return
	}
	schema := stats.EncounterSchema()

	// Every month: a line, record months marked.
	monthly := stats.QueryArgs{Dataset: key, By: []string{stats.DimMonth}, Compare: []string{"mom", "record"}}
	res, err := run(e, schema, monthly)
	if err != nil {
		p.fail(rw, r, err)
		return
	}
	var pts []ChartPoint
	for _, row := range res.Rows {
		pts = append(pts, ChartPoint{Label: row.Values[0], Value: row.Count, Text: f.int(row.Count), Highlight: extra(res, row, "is_record").Any() == true})
	}
	data.Monthly = Block{ID: "monthly", Title: f.t("stats.page.monthly.title", nil), Lead: f.t("stats.page.monthly.lead", nil),
		CSV: apiURL("/api/v1/stats/encounters", monthly)}
	data.Monthly.Chart = LineChart(data.Monthly.Title, pts, f.int)
	data.Monthly.Columns = []Cell{{Text: f.column("month")}, {Text: f.column("encounters"), Num: true}, {Text: f.column("mom_pct"), Num: true}}
	for i := len(res.Rows) - 1; i >= 0; i-- {
		row := res.Rows[i]
		data.Monthly.Rows = append(data.Monthly.Rows, []Cell{{Text: row.Values[0]}, {Text: f.int(row.Count), Num: true}, {Text: f.value(extra(res, row, "mom_pct")), Num: true}})
	}
	if n := len(res.Rows); n > 0 {
		last := res.Rows[n-1]
		data.Record = f.t("stats.page.record", map[string]any{"month": extra(res, last, "record_month").String(), "count": f.value(extra(res, last, "record_encounters"))})
	}

	// One month broken down by a dimension.
	months := t.Values(stats.DimMonth)
	month := qv.Get("month")
	if !slices.Contains(months, month) {
		month = months[len(months)-1]
	}
	for i := len(months) - 1; i >= 0; i-- {
		data.Months = append(data.Months, Option{Value: months[i], Label: months[i], Selected: months[i] == month})
	}
	by := qv.Get("by")
	var dims []string
	for _, d := range breakdownDims {
		if len(t.Values(d)) > 1 {
			dims = append(dims, d)
		}
	}
	if !slices.Contains(dims, by) {
		by = stats.DimComponent
		if !slices.Contains(dims, by) && len(dims) > 0 {
			by = dims[0]
		}
	}
	for _, d := range dims {
		data.Dims = append(data.Dims, Option{Value: d, Label: f.column(d), Selected: d == by})
	}
	breakdown := stats.QueryArgs{Dataset: key, By: []string{by}, Where: []string{"month=" + month}, Compare: []string{"share"}}
	if res, err = run(e, schema, breakdown); err != nil {
		p.fail(rw, r, err)
		return
	}
	slices.SortStableFunc(res.Rows, func(a, b stats.ResultRow) int { return cmp.Compare(b.Count, a.Count) })
	pts = pts[:0]
	for _, row := range res.Rows {
		pts = append(pts, ChartPoint{Label: f.dimLabel(row.Values[0]), Value: row.Count, Text: f.int(row.Count)})
	}
	data.Breakdown = Block{ID: "breakdown", Title: f.t("stats.page.breakdown.title", map[string]any{"month": month, "dimension": f.column(by)}),
		CSV: apiURL("/api/v1/stats/encounters", breakdown), Open: true}
	data.Breakdown.Chart = BarChart(data.Breakdown.Title, pts)
	data.Breakdown.Columns, data.Breakdown.Rows = f.table(res)
	if len(res.Rows) > maxBarsShow {
		data.Breakdown.Lead = f.t("stats.page.top", map[string]any{"n": maxBarsShow})
	}

	// The same calendar month in every year: a new record?
	same := stats.QueryArgs{Dataset: key, By: []string{stats.DimMonth}, Compare: []string{"rank"}}
	for _, m := range months {
		if m[5:] == month[5:] {
			same.Where = append(same.Where, "month="+m)
		}
	}
	if res, err = run(e, schema, same); err != nil {
		p.fail(rw, r, err)
		return
	}
	pts = pts[:0]
	for _, row := range res.Rows {
		pts = append(pts, ChartPoint{Label: row.Values[0], Value: row.Count, Text: f.int(row.Count), Highlight: row.Values[0] == month})
		if row.Values[0] == month {
			rank, of := extra(res, row, "rank").Any(), extra(res, row, "rank_of").Any()
			key := "stats.page.rank"
			if rank == int64(1) && of != int64(1) {
				key = "stats.page.rank_record"
			}
			data.Rank = f.t(key, map[string]any{"month": month, "rank": f.value(extra(res, row, "rank")), "of": f.value(extra(res, row, "rank_of")),
				"name": f.t("stats.month."+strconv.Itoa(calendarMonth(month)), nil)})
		}
	}
	data.Ranks = Block{ID: "ranks", Title: capFirst(f.t("stats.page.ranks.title", map[string]any{"name": f.t("stats.month."+strconv.Itoa(calendarMonth(month)), nil)})),
		CSV: apiURL("/api/v1/stats/encounters", same), Open: true}
	data.Ranks.Chart = BarChart(data.Ranks.Title, pts)
	data.Ranks.Columns, data.Ranks.Rows = f.table(res)

	// Where the numbers come from, and what each release changed.
	list, err := p.svc.Datasets(ctx)
	if err != nil {
		p.fail(rw, r, err)
		return
	}
	for _, d := range list {
		if d.Key != key {
			continue
		}
		for i := len(d.Versions) - 1; i >= 0; i-- {
			v := d.Versions[i]
			data.Versions = append(data.Versions, VersionRow{Version: strconv.Itoa(v.Version), File: v.File, Imported: v.ImportedAt.Format("2006-01-02"),
				Months:  v.FirstMonth + " – " + v.LastMonth,
				Changes: f.t("stats.page.changes", map[string]any{"added": f.int(int64(v.Added)), "removed": f.int(int64(v.Removed)), "changed": f.int(int64(v.Changed))}),
				Diff:    "/api/v1/stats/datasets/" + url.PathEscape(v.Dataset) + "/versions/" + strconv.Itoa(v.Version) + "/diff", Current: v.Current})
		}
	}
	data.Export = []Option{
		{Value: "/api/v1/stats/export?dataset=" + url.QueryEscape(key) + "&by=citizenship,month", Label: f.t("stats.page.export.calendar", nil)},
		{Value: "/api/v1/stats/export?dataset=" + url.QueryEscape(key) + "&by=citizenship,month&fiscal=true", Label: f.t("stats.page.export.fiscal", nil)},
	}
	p.web.Render(rw, r, http.StatusOK, "stats_public", data)
}

// capFirst upper-cases the first letter of a title that starts with a
// month name ("noviembre de cada año").
func capFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// calendarMonth returns the month of the year (1-12) of "YYYY-MM".
func calendarMonth(m string) int {
	n, _ := strconv.Atoi(m[5:])
	return n
}

// analystPage is the data of /analyst.
type analystPage struct {
	Datasets []Option
	Dims     []Option
	Compares []Option
	Where    string
	From, To string
	Result   *Block
	Errors   []string
	Warnings []string
	Ops      []Block
}

var compares = []string{"mom", "yoy", "rank", "record", "share"}

func (p *statsPages) analyst(rw http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f := newFmtr(sendahttp.Lang(ctx))
	scope := access.From(ctx).Scope
	rw.Header().Set("Cache-Control", "no-store")
	e, err := p.svc.Encounters(ctx)
	if err != nil {
		p.fail(rw, r, err)
		return
	}
	qv := r.URL.Query()
	keys := append(e.Datasets(), statsvc.OpsDataset)
	key := qv.Get("dataset")
	if !slices.Contains(keys, key) {
		key = keys[0]
		if slices.Contains(keys, stats.DefaultDataset) {
			key = stats.DefaultDataset
		}
	}
	ops := key == statsvc.OpsDataset
	schema := stats.EncounterSchema()
	if ops {
		schema = statsvc.OpsSchema()
	}
	data := analystPage{Where: qv.Get("where"), From: qv.Get("from"), To: qv.Get("to")}
	for _, k := range keys {
		data.Datasets = append(data.Datasets, Option{Value: k, Label: f.t("stats.dataset."+k, nil), Selected: k == key})
	}
	a := stats.QueryArgs{Dataset: key, By: qv["by"], From: data.From, To: data.To, Compare: qv["compare"]}
	if len(a.By) == 0 && len(qv) == 0 {
		a.By = []string{stats.DimMonth}
		if ops {
			a.By = append(a.By, statsvc.DimMetric)
		}
	}
	for _, l := range strings.Split(data.Where, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			a.Where = append(a.Where, l)
		}
	}
	for _, d := range schema.Names() {
		data.Dims = append(data.Dims, Option{Value: d, Label: f.column(d), Selected: slices.Contains(a.By, d)})
	}
	for _, c := range compares {
		data.Compares = append(data.Compares, Option{Value: c, Label: f.t("stats.compare."+c, nil), Selected: slices.Contains(a.Compare, c)})
	}
	var res stats.Result
	if ops {
		_, res, err = p.svc.QueryOperations(ctx, a, scope)
	} else {
		_, res, err = p.svc.Query(ctx, a)
	}
	var se *senda.Error
	switch {
	case err == nil:
		path := "/api/v1/stats/encounters"
		if ops {
			path = "/api/v1/stats/operations"
		}
		b := Block{Title: f.t("stats.analyst.result", nil), CSV: apiURL(path, a), Open: true}
		b.Columns, b.Rows = f.table(res)
		b.Chart = resultChart(f, b.Title, res)
		data.Result = &b
		for _, w := range res.Warnings {
			data.Warnings = append(data.Warnings, f.t(w.Key, w.Args))
		}
	case errors.As(err, &se) && se.Code != senda.CodeInternal && se.Code != senda.CodeUnavailable:
		for _, fe := range se.Fields {
			data.Errors = append(data.Errors, f.t(fe.Key, fe.Args))
		}
		if len(se.Fields) == 0 {
			data.Errors = append(data.Errors, f.t(se.Key, se.Args))
		}
	default:
		p.fail(rw, r, err)
		return
	}

	// Operational numbers: registrations by month and by nationality.
	for _, spec := range []struct {
		title string
		args  stats.QueryArgs
	}{
		{"stats.ops.by_month", stats.QueryArgs{By: []string{stats.DimMonth}, Where: []string{"metric=" + statsvc.MetricRegistrations}}},
		{"stats.ops.by_nationality", stats.QueryArgs{By: []string{statsvc.DimNationality}, Where: []string{"metric=" + statsvc.MetricRegistrations}, Compare: []string{"share"}}},
	} {
		_, res, err := p.svc.QueryOperations(ctx, spec.args, scope)
		if err != nil {
			p.fail(rw, r, err)
			return
		}
		if spec.args.By[0] != stats.DimMonth {
			slices.SortStableFunc(res.Rows, func(a, b stats.ResultRow) int { return cmp.Compare(b.Count, a.Count) })
		}
		spec.args.Dataset = statsvc.OpsDataset
		b := Block{Title: f.t(spec.title, nil), CSV: apiURL("/api/v1/stats/operations", spec.args)}
		b.Columns, b.Rows = f.table(res)
		b.Chart = resultChart(f, b.Title, res)
		if len(res.Rows) == 0 {
			b.Lead = f.t("stats.ops.none", nil)
		}
		data.Ops = append(data.Ops, b)
	}
	p.web.Render(rw, r, http.StatusOK, "stats_analyst", data)
}

// resultChart draws a result grouped by one dimension: a line over months,
// bars otherwise. Results grouped by several dimensions, or none, have only
// their table.
func resultChart(f fmtr, title string, res stats.Result) template.HTML {
	if len(res.By) != 1 || len(res.Rows) == 0 {
		return ""
	}
	pts := make([]ChartPoint, 0, len(res.Rows))
	for _, row := range res.Rows {
		pts = append(pts, ChartPoint{Label: f.dimLabel(row.Values[0]), Value: row.Count, Text: f.int(row.Count)})
	}
	if res.Kinds[0] == stats.Period {
		return LineChart(title, pts, f.int)
	}
	return BarChart(title, pts)
}
