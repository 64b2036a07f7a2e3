package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/internal/config"
	"github.com/senda-platform/senda/internal/i18n"
	"github.com/senda-platform/senda/internal/statsvc"
	"github.com/senda-platform/senda/stats"
)

// listFlag collects a flag given several times.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// runStats implements `senda stats import|query|export`.
func runStats(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		return usagef("say import, query or export")
	}
	switch args[0] {
	case "import":
		return statsImport(ctx, env, args[1:])
	case "query":
		return statsQuery(ctx, env, args[1:])
	case "export":
		return statsExport(ctx, env, args[1:])
	}
	return usagef("unknown stats command %q: say import, query or export", args[0])
}

// parseInterspersed parses flags that may come before, between or after
// the positional arguments, which it returns.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parse(fs, args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		switch {
		case len(rest) == 0:
			return pos, nil
		case rest[0] == "--":
			return append(pos, rest[1:]...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// fieldLines writes each field error of err as "LOCATION: message" in
// English, one per line, and reports how many it wrote.
func fieldLines(w io.Writer, err error) int {
	var se *senda.Error
	if !errors.As(err, &se) {
		return 0
	}
	for _, f := range se.Fields {
		fmt.Fprintf(w, "%s: %s\n", f.Location, i18n.T("en", f.Key, f.Args))
	}
	return len(se.Fields)
}

// fieldsOneLine renders a Senda error's field errors as one line, or its
// message when it has none.
func fieldsOneLine(err error) string {
	var se *senda.Error
	if !errors.As(err, &se) {
		return oneLine(err)
	}
	if len(se.Fields) == 0 {
		if (se.Err == nil || strings.HasPrefix(se.Key, "stats.")) && i18n.Has(se.Key) {
			return i18n.T("en", se.Key, se.Args)
		}
		return oneLine(err)
	}
	parts := make([]string, len(se.Fields))
	for i, f := range se.Fields {
		parts[i] = f.Location + ": " + i18n.T("en", f.Key, f.Args)
	}
	return strings.Join(parts, "; ")
}

// statsImport: `senda stats import PATH...`. Every file is parsed first;
// if any is bad, each problem is printed with its file, line and column
// and nothing is imported. Each good file is then imported in its own
// transaction.
func statsImport(ctx context.Context, env *Env, args []string) error {
	cfg := config.Default()
	fs := newFlags("stats import")
	cfg.Bind(fs, false)
	paths, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return usagef("give one or more files to import (CBP CSV or OHSS workbook)")
	}
	if err := cfg.Validate(); err != nil {
		return usageErr{err}
	}
	var sets []*stats.Dataset
	bad := 0
	for _, p := range paths {
		ds, err := stats.ParseFile(p)
		if err != nil {
			bad++
			if fieldLines(env.Stderr, err) == 0 {
				fmt.Fprintf(env.Stderr, "%s: %s\n", p, fieldsOneLine(err))
			}
			continue
		}
		for _, w := range ds.Warnings {
			fmt.Fprintf(env.Stderr, "%s: warning: %s\n", w.Location, i18n.T("en", w.Key, w.Args))
		}
		sets = append(sets, ds)
	}
	if bad > 0 {
		return fmt.Errorf("%d of %d files could not be read; nothing was imported", bad, len(paths))
	}
	db, err := migrated(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	svc := statsvc.New(db)
	for _, ds := range sets {
		r, err := svc.Import(ctx, ds, "cli")
		if err != nil {
			return fmt.Errorf("%s: %s", ds.File, oneLine(err))
		}
		if r.Unchanged {
			fmt.Fprintf(env.Stdout, "%s: %s unchanged: the same file is version %d\n", ds.File, r.Dataset, r.Version)
			continue
		}
		fmt.Fprintf(env.Stdout, "%s: %s version %d: %d cells over %d months (%s to %s); %d added, %d removed, %d changed\n",
			ds.File, r.Dataset, r.Version, r.Rows, r.Months, r.FirstMonth, r.LastMonth, r.Added, r.Removed, r.Changed)
	}
	return nil
}

// queryFlags binds the options shared by query and export.
type queryFlags struct {
	by, where, compare listFlag
	from, to, dataset  string
}

func (q *queryFlags) bind(fs *flag.FlagSet) {
	fs.Var(&q.by, "by", "group by DIM[,DIM...]")
	fs.Var(&q.where, "where", "keep rows where DIM=VALUE (repeatable)")
	fs.StringVar(&q.from, "from", "", "first calendar month, YYYY-MM")
	fs.StringVar(&q.to, "to", "", "last calendar month, YYYY-MM")
	fs.StringVar(&q.dataset, "dataset", "", "dataset key (default cbp-sw-land-border)")
}

func (q *queryFlags) args() stats.QueryArgs {
	return stats.QueryArgs{Dataset: q.dataset, By: q.by, Where: q.where, From: q.from, To: q.to, Compare: q.compare}
}

// statsQuery: `senda stats query`.
func statsQuery(ctx context.Context, env *Env, args []string) error {
	cfg := config.Default()
	fs := newFlags("stats query")
	cfg.Bind(fs, false)
	var qf queryFlags
	qf.bind(fs)
	fs.Var(&qf.compare, "compare", "add comparisons: mom, yoy, rank, record, share")
	format := fs.String("format", "table", "table, csv or json")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if err := cfg.Validate(); err != nil {
		return usageErr{err}
	}
	qa := qf.args()
	qa.Format = *format
	ops := qa.Dataset == statsvc.OpsDataset
	// Check the query before touching the database.
	schema := stats.EncounterSchema()
	if ops {
		schema = statsvc.OpsSchema()
	}
	if _, err := stats.ParseQueryFor(schema, qa); err != nil {
		return errors.New(fieldsOneLine(err))
	}
	db, err := migrated(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	svc := statsvc.New(db)
	var (
		q   stats.Query
		res stats.Result
	)
	if ops {
		q, res, err = svc.QueryOperations(ctx, qa, "*")
	} else {
		q, res, err = svc.Query(ctx, qa)
	}
	if err != nil {
		return errors.New(queryError(err))
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(env.Stderr, "warning: %s\n", i18n.T("en", w.Key, w.Args))
	}
	return stats.Write(env.Stdout, q.Format, res)
}

// queryError explains a failed query in one line, saying what to do when
// nothing was imported.
func queryError(err error) string {
	var se *senda.Error
	if errors.As(err, &se) && se.Key == "stats.query.no_dataset" {
		return "no statistics imported yet: run senda stats import FILE first"
	}
	return fieldsOneLine(err)
}

// statsExport: `senda stats export`.
func statsExport(ctx context.Context, env *Env, args []string) error {
	cfg := config.Default()
	fs := newFlags("stats export")
	cfg.Bind(fs, false)
	var qf queryFlags
	qf.bind(fs)
	threshold := fs.Int64("threshold", stats.DefaultThreshold, "withhold counts below this (and enough others that none can be worked out)")
	fiscal := fs.Bool("fiscal", false, "columns by fiscal year instead of calendar month")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if err := cfg.Validate(); err != nil {
		return usageErr{err}
	}
	if *threshold < 1 {
		return usagef("--threshold must be at least 1")
	}
	rows, cols, err := statsvc.ExportDims(qf.by, *fiscal)
	if err != nil {
		return usagef("%s", fieldsOneLine(err))
	}
	qa := qf.args()
	qa.By = nil
	if _, err := stats.ParseQuery(qa); err != nil {
		return errors.New(fieldsOneLine(err))
	}
	db, err := migrated(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	ct, err := statsvc.New(db).Export(ctx, qa, rows, cols, *threshold)
	if err != nil {
		return errors.New(queryError(err))
	}
	return stats.WriteCrosstabCSV(env.Stdout, ct)
}
