// Package statsvc runs Senda's statistics on top of the pure stats package:
// it imports published files into the store as dataset versions (all or
// nothing, idempotent, each newer release recorded with what it changed),
// answers queries on a stats.Engine built in memory from the stored rows
// (rebuilt when any node imports a new version), publishes aggregates with
// small-cell suppression, and builds the "operations" dataset from Senda's
// own records. See docs/stats/service.md.
package statsvc

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/internal/store"
	"github.com/senda-platform/senda/stats"
)

// Service imports, stores and queries statistics. It is safe for concurrent
// use; several Services (one per app node) may share one database.
type Service struct {
	db *store.DB
	// OpsMaxAge bounds how old the operational numbers a query sees may be;
	// they are recomputed from the records when older.
	OpsMaxAge time.Duration
	// Sources feed the operations dataset.
	Sources []Source

	mu     sync.Mutex // guards enc and loaded
	enc    *stats.Engine
	loaded map[string]int // dataset key -> version held in enc
	opsMu  sync.Mutex     // guards ops
	ops    *opsCache
}

// New returns a Service on db whose operations dataset counts registrations.
func New(db *store.DB) *Service {
	return &Service{db: db, OpsMaxAge: time.Minute, Sources: []Source{Registrations}, enc: stats.NewEngine(), loaded: map[string]int{}}
}

// Imported is the outcome of importing one file.
type Imported struct {
	Dataset string `json:"dataset" doc:"Dataset key, recognised from the file's layout"`
	Version int    `json:"version" doc:"The version this file is (an earlier one when Unchanged)"`
	// Unchanged is true when a file with the same bytes was imported
	// before: nothing changed.
	Unchanged  bool   `json:"unchanged" doc:"The same file was imported before (as version): nothing changed"`
	File       string `json:"file"`
	SHA256     string `json:"sha256"`
	Rows       int    `json:"rows" doc:"Cells in the file"`
	FirstMonth string `json:"first_month" doc:"First calendar month the file covers (YYYY-MM)"`
	LastMonth  string `json:"last_month"`
	Months     int    `json:"months" doc:"Months the file covers; they replace the stored ones"`
	Added      int    `json:"added" doc:"Cells new in this version"`
	Removed    int    `json:"removed" doc:"Cells of covered months this version no longer has"`
	Changed    int    `json:"changed" doc:"Cells whose count this version revised"`
	// Warnings are the parse's warnings (a citizenship label without an
	// ISO code); the HTTP layer localises them.
	Warnings []senda.FieldError `json:"-"`
}

// summary is the JSON document kept with each version.
type summary struct {
	Months []string     `json:"months"`
	Totals []MonthTotal `json:"totals"`
	Total  int64        `json:"total"`
}

// MonthTotal is one covered month's total before and after a version.
type MonthTotal struct {
	Month  string `json:"month" doc:"Calendar month, YYYY-MM"`
	Before int64  `json:"before"`
	After  int64  `json:"after"`
	Change int64  `json:"change" doc:"after - before"`
}

// ImportFile parses a published file and imports it. See Import.
func (s *Service) ImportFile(ctx context.Context, name string, data []byte, by string) (*Imported, error) {
	ds, err := stats.Parse(name, data)
	if err != nil {
		return nil, err
	}
	return s.Import(ctx, ds, by)
}

// Import stores a parsed file as a new version of its dataset in one
// transaction: if a file with the same SHA-256 was imported before, nothing
// changes; otherwise the file's rows replace the stored rows of the months
// it covers, and the version is recorded with every cell it added, removed
// or revised. by names who imported (an account or "cli"). The in-memory
// engine is rebuilt afterwards.
func (s *Service) Import(ctx context.Context, ds *stats.Dataset, by string) (*Imported, error) {
	if ds == nil || len(ds.Rows) == 0 {
		return nil, senda.Errorf(senda.CodeInvalid, "stats.import.no_rows", nil)
	}
	out := &Imported{Dataset: ds.Key, File: ds.File, SHA256: ds.SHA256, Rows: len(ds.Rows), Warnings: ds.Warnings}
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		*out = Imported{Dataset: ds.Key, File: ds.File, SHA256: ds.SHA256, Rows: len(ds.Rows), Warnings: ds.Warnings}
		cur, err := tx.LockStatsDataset(ctx, ds.Key)
		if err != nil {
			return err
		}
		if v, err := tx.StatsVersionBySHA(ctx, ds.Key, ds.SHA256); err == nil {
			out.Unchanged, out.Version, out.File = true, v.Version, v.File
			out.FirstMonth, out.LastMonth, out.Months = v.FirstMonth, v.LastMonth, v.Months
			return nil
		} else if !store.IsNotFound(err) {
			return err
		}
		stored, err := tx.StatsRows(ctx, ds.Key)
		if err != nil {
			return err
		}
		old, err := fromStore(stored)
		if err != nil {
			return err
		}
		ch := stats.Diff(old, ds.Rows)
		sum := summary{Months: make([]string, len(ch.Months))}
		for i, m := range ch.Months {
			sum.Months[i] = m.String()
		}
		for _, t := range ch.Totals {
			sum.Totals = append(sum.Totals, MonthTotal{Month: t.Month.String(), Before: t.Before, After: t.After, Change: t.After - t.Before})
			sum.Total += t.After
		}
		if err := tx.ReplaceStatsMonths(ctx, ds.Key, sum.Months, toStore(ds.Rows)); err != nil {
			return err
		}
		doc, err := json.Marshal(sum)
		if err != nil {
			return err
		}
		out.Version = cur + 1
		out.FirstMonth, out.LastMonth, out.Months = sum.Months[0], sum.Months[len(sum.Months)-1], len(sum.Months)
		out.Added, out.Removed, out.Changed = len(ch.Added), len(ch.Removed), len(ch.Changed)
		if err := tx.InsertStatsVersion(ctx, store.StatsVersion{Dataset: ds.Key, Version: out.Version, File: ds.File, SHA256: ds.SHA256,
			ImportedBy: by, FirstMonth: out.FirstMonth, LastMonth: out.LastMonth, Months: out.Months, Rows: out.Rows,
			Added: out.Added, Removed: out.Removed, Changed: out.Changed, Summary: string(doc)}); err != nil {
			return err
		}
		return tx.InsertStatsChanges(ctx, ds.Key, out.Version, changeList(ch))
	})
	if err != nil {
		return nil, err
	}
	if _, err := s.Encounters(ctx); err != nil {
		return nil, err
	}
	return out, nil
}

// changeList puts every added, removed and revised cell in one list, in
// cell order.
func changeList(ch stats.Changes) []store.StatsChange {
	out := make([]store.StatsChange, 0, len(ch.Added)+len(ch.Removed)+len(ch.Changed))
	for _, r := range ch.Added {
		out = append(out, store.StatsChange{Kind: store.StatsAdded, Row: rowToStore(r), New: r.Encounters})
	}
	for _, r := range ch.Removed {
		out = append(out, store.StatsChange{Kind: store.StatsRemoved, Row: rowToStore(r), Old: r.Encounters})
	}
	for _, c := range ch.Changed {
		out = append(out, store.StatsChange{Kind: store.StatsChanged, Row: rowToStore(c.Row), Old: c.Old, New: c.New})
	}
	slices.SortStableFunc(out, func(a, b store.StatsChange) int { return compareStored(a.Row, b.Row) })
	return out
}

func compareStored(a, b store.StatsRow) int {
	if c := cmp.Compare(a.Month, b.Month); c != 0 {
		return c
	}
	for _, p := range [][2]string{{a.Component, b.Component}, {a.Region, b.Region}, {a.AOR, b.AOR}, {a.Demographic, b.Demographic},
		{a.Citizenship, b.Citizenship}, {a.Title, b.Title}, {a.EncounterType, b.EncounterType}} {
		if c := cmp.Compare(p[0], p[1]); c != 0 {
			return c
		}
	}
	return 0
}

func rowToStore(r stats.Row) store.StatsRow {
	return store.StatsRow{Month: r.Month.String(), FiscalYear: r.FiscalYear, Component: r.Component, Region: r.Region, AOR: r.AOR,
		Demographic: r.Demographic, Citizenship: r.Citizenship, CitizenshipISO: r.CitizenshipISO, Title: r.Title,
		EncounterType: r.EncounterType, Encounters: r.Encounters}
}

func toStore(rows []stats.Row) []store.StatsRow {
	out := make([]store.StatsRow, len(rows))
	for i, r := range rows {
		out[i] = rowToStore(r)
	}
	return out
}

func fromStore(rows []store.StatsRow) ([]stats.Row, error) {
	out := make([]stats.Row, len(rows))
	for i, r := range rows {
		m, err := stats.ParseMonth(r.Month)
		if err != nil {
			return nil, senda.Wrap(err, "stats.store.bad_month")
		}
		out[i] = stats.Row{Month: m, FiscalYear: r.FiscalYear, Component: r.Component, Region: r.Region, AOR: r.AOR,
			Demographic: r.Demographic, Citizenship: r.Citizenship, CitizenshipISO: r.CitizenshipISO, Title: r.Title,
			EncounterType: r.EncounterType, Encounters: r.Encounters}
	}
	return out, nil
}

// Encounters returns the engine holding every encounter dataset at its
// current stored version. It checks the stored versions (one small query)
// and rebuilds the table of any dataset another import has changed, so
// several app nodes on one database answer alike.
func (s *Service) Encounters(ctx context.Context) (*stats.Engine, error) {
	var cur []store.StatsDataset
	if err := s.db.View(ctx, func(tx *store.Tx) (err error) {
		cur, err = tx.StatsDatasets(ctx)
		return err
	}); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range cur {
		if s.loaded[d.Key] == d.Version {
			continue
		}
		if err := s.load(ctx, d.Key); err != nil {
			return nil, err
		}
	}
	return s.enc, nil
}

// load reads a dataset's current rows and version and replaces its table.
// The version is read before the rows, so a table is never marked newer
// than its rows.
func (s *Service) load(ctx context.Context, key string) error {
	var (
		version int
		rows    []store.StatsRow
	)
	err := s.db.View(ctx, func(tx *store.Tx) error {
		all, err := tx.StatsDatasets(ctx)
		if err != nil {
			return err
		}
		for _, d := range all {
			if d.Key == key {
				version = d.Version
			}
		}
		rows, err = tx.StatsRows(ctx, key)
		return err
	})
	if err != nil {
		return err
	}
	rs, err := fromStore(rows)
	if err != nil {
		return err
	}
	t, err := stats.NewTable(rs)
	if err != nil {
		return err
	}
	s.enc.LoadTable(key, t)
	s.loaded[key] = version
	return nil
}

// Query parses and runs a query over the encounter datasets (never the
// operations dataset: see QueryOperations). Errors are those of
// stats.ParseQuery and stats.Engine.Query.
func (s *Service) Query(ctx context.Context, args stats.QueryArgs) (stats.Query, stats.Result, error) {
	q, err := stats.ParseQuery(args)
	if err != nil {
		return q, stats.Result{}, err
	}
	e, err := s.Encounters(ctx)
	if err != nil {
		return q, stats.Result{}, err
	}
	res, err := e.Query(q)
	return q, res, err
}

// Export builds a table of encounter aggregates for publication: rows by
// one dimension and columns by another (cols "" for a one-way table), with
// args' filters and range, small cells suppressed at threshold (<= 0 means
// stats.DefaultThreshold) with complementary suppression.
func (s *Service) Export(ctx context.Context, args stats.QueryArgs, rows, cols string, threshold int64) (*stats.Crosstab, error) {
	args.By, args.Compare = nil, nil
	q, err := stats.ParseQuery(args)
	if err != nil {
		return nil, err
	}
	var fields []senda.FieldError
	for _, d := range []string{rows, cols} {
		if d != "" && stats.EncounterSchema().Index(d) < 0 {
			fields = append(fields, senda.FieldError{Location: "by", Key: "stats.query.unknown_dimension",
				Args: map[string]any{"dimension": d, "allowed": strings.Join(stats.EncounterSchema().Names(), ", ")}})
		}
	}
	if len(fields) > 0 {
		return nil, &senda.Error{Code: senda.CodeInvalid, Key: "stats.query.invalid", Fields: fields}
	}
	e, err := s.Encounters(ctx)
	if err != nil {
		return nil, err
	}
	return e.Crosstab(q, rows, cols, threshold)
}

// ExportDims picks the rows and columns of an export from by (ROWS[,COLS],
// each entry possibly comma-separated; default citizenship,month): fiscal
// turns month into fiscal_year, or adds fiscal years as the columns of a
// one-way table. More than two dimensions, or fiscal with two dimensions
// and no month, is invalid (stats.export.bad_dimensions at "by").
func ExportDims(by []string, fiscal bool) (rows, cols string, err error) {
	var dims []string
	for _, b := range by {
		for _, d := range strings.Split(b, ",") {
			if d = strings.TrimSpace(d); d != "" {
				dims = append(dims, d)
			}
		}
	}
	if len(dims) == 0 {
		dims = []string{stats.DimCitizenship, stats.DimMonth}
	}
	bad := func() error {
		return &senda.Error{Code: senda.CodeInvalid, Key: "stats.query.invalid",
			Fields: []senda.FieldError{{Location: "by", Key: "stats.export.bad_dimensions", Args: map[string]any{"rows": strings.Join(dims, ","), "cols": ""}}}}
	}
	if len(dims) > 2 {
		return "", "", bad()
	}
	if fiscal {
		switch i := slices.Index(dims, stats.DimMonth); {
		case i >= 0:
			dims[i] = stats.DimFiscalYear
		case len(dims) == 1 && dims[0] != stats.DimFiscalYear:
			dims = append(dims, stats.DimFiscalYear)
		case !slices.Contains(dims, stats.DimFiscalYear):
			return "", "", bad()
		}
	}
	if len(dims) == 1 {
		return dims[0], "", nil
	}
	return dims[0], dims[1], nil
}
