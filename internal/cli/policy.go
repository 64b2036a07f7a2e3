package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/senda-platform/senda/internal/config"
	"github.com/senda-platform/senda/internal/eligibility"
	"github.com/senda-platform/senda/internal/households"
	"github.com/senda-platform/senda/policy"
)

// runPolicy implements `senda policy diff|versions|run`.
func runPolicy(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		return usagef("say diff, versions or run")
	}
	cfg := config.Default()
	fs := newFlags("policy")
	cfg.Bind(fs, false)
	var from, to, asOf, format *string
	switch args[0] {
	case "diff":
		from = fs.String("from", "", "the version to compare from (shipped or published)")
		to = fs.String("to", "", "the pack file or directory to compare to")
		asOf = fs.String("as-of", "", "screening date, YYYY-MM-DD (default today)")
		format = fs.String("format", "text", "text or json")
	case "run":
		asOf = fs.String("as-of", "", "screening date, YYYY-MM-DD (default today)")
	case "versions":
	default:
		return usagef("unknown subcommand %q: say diff, versions or run", args[0])
	}
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	var day time.Time
	if asOf != nil && *asOf != "" {
		var err error
		if day, err = parsePolicyDate("as-of", *asOf); err != nil {
			return err
		}
	}
	var toPack *policy.Pack
	if args[0] == "diff" {
		if *from == "" || *to == "" {
			return usagef("--from VERSION and --to PATH are required")
		}
		if *format != "text" && *format != "json" {
			return usagef("--format: text or json")
		}
		p, err := policy.LoadFile(*to)
		if err != nil {
			return describePolicyErr(err)
		}
		toPack = p
	}
	db, err := migrated(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	keys, err := keyring(cfg)
	if err != nil {
		return err
	}
	hh := &households.Service{DB: db, Keys: keys}
	svc := eligibility.New(db, keys, hh, env.logger())
	c := households.Caller{Principal: operator}
	switch args[0] {
	case "versions":
		vs, err := svc.Versions(ctx, "en")
		if err != nil {
			return fmt.Errorf("%s", oneLine(err))
		}
		w := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "VERSION\tEFFECTIVE FROM\tSOURCE\tIN EFFECT\tPROGRAMMES")
		for _, v := range vs {
			in := ""
			if v.InEffect {
				in = "yes"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\n", v.Version, v.EffectiveFrom, v.Source, in, len(v.Programs))
		}
		return w.Flush()
	case "run":
		r, err := svc.RunAll(ctx, c, day)
		if err != nil {
			return fmt.Errorf("%s", oneLine(err))
		}
		fmt.Fprintf(env.Stdout, "run %s: version %s as of %s: %d households, %d profiles screened in %s\n",
			r.ID, r.PolicyVersion, r.AsOf, r.Households, r.Profiles, r.Elapsed.Round(time.Millisecond))
		w := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(w, "PROGRAMME\tELIGIBLE\tNEEDS INFO\tINELIGIBLE\t")
		for _, p := range r.Programs {
			fmt.Fprintf(w, "%s\t%d\t%d\t%d\t\n", p.Program, p.Eligible, p.NeedsInfo, p.Ineligible)
		}
		return w.Flush()
	}
	reg, err := svc.Registry(ctx)
	if err != nil {
		return fmt.Errorf("%s", oneLine(err))
	}
	fromPack, err := reg.Version(*from)
	if err != nil {
		var names []string
		for _, p := range reg.Packs() {
			names = append(names, p.Version())
		}
		return fmt.Errorf("--from: no version %q; the versions are %s", *from, strings.Join(names, ", "))
	}
	if day.IsZero() {
		day = svc.Today()
	}
	w, err := svc.Diff(ctx, c, fromPack, toPack, day)
	if err != nil {
		return fmt.Errorf("%s", oneLine(err))
	}
	if *format == "json" {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(w)
	}
	return printDiff(env.Stdout, w)
}

// printDiff writes a what-if report for a terminal.
func printDiff(out io.Writer, w *eligibility.WhatIf) error {
	r := w.Report
	fmt.Fprintf(out, "%s -> %s as of %s: %d households, %d people screened, %d affected\n",
		r.FromVersion, r.ToVersion, r.AsOf, w.Households, r.Screened, r.Affected)
	if len(r.OnlyFrom) > 0 {
		fmt.Fprintf(out, "programmes only in %s: %s\n", r.FromVersion, strings.Join(r.OnlyFrom, ", "))
	}
	if len(r.OnlyTo) > 0 {
		fmt.Fprintf(out, "programmes only in %s: %s\n", r.ToVersion, strings.Join(r.OnlyTo, ", "))
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nPROGRAMME\tGAINED\tLOST\tCHANGED")
	for _, p := range r.Programs {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\n", p.Program, p.Gained, p.Lost, p.Changed)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(r.Changes) > 0 {
		fmt.Fprintln(out, "\nchanges:")
		for _, c := range r.Changes {
			fmt.Fprintf(out, "  %s: %s -> %s: %d\n", c.Program, c.From, c.To, c.Count)
			for _, by := range diffKeys(c.By) {
				fmt.Fprintf(out, "    by %s: %s\n", by, c.Breakdown(by, "(not answered)"))
			}
		}
	}
	if len(w.Sample) > 0 {
		fmt.Fprintln(out, "\nsample of households affected:")
		for _, h := range w.Sample {
			var ch []string
			for _, m := range h.Members {
				for _, c := range m.Changes {
					ch = append(ch, fmt.Sprintf("%s %s -> %s", c.Program, c.From, c.To))
				}
			}
			fmt.Fprintf(out, "  %s (%s): %s\n", h.Receipt, h.Place, strings.Join(ch, "; "))
		}
	}
	return nil
}

func diffKeys(m map[string]map[string]int) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
