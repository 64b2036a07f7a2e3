package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/internal/config"
	"github.com/senda-platform/senda/internal/households"
	"github.com/senda-platform/senda/internal/i18n"
	"github.com/senda-platform/senda/mrz"
)

// runMRZ implements `senda mrz LINE1 LINE2 [LINE3]`: the parsed document as
// JSON, or a non-zero exit naming every failing field.
func runMRZ(ctx context.Context, env *Env, args []string) error {
	if len(args) < 2 || len(args) > 3 {
		return usagef("give the two (TD3 passport) or three (TD1 ID card) lines of the machine-readable zone, each quoted")
	}
	doc, err := mrz.ParseAt(time.Now(), args...)
	if doc != nil {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		enc.Encode(doc)
	}
	if err != nil {
		var se *senda.Error
		if errors.As(err, &se) && len(se.Fields) > 0 {
			var parts []string
			for _, f := range se.Fields {
				parts = append(parts, f.Location+": "+i18n.T("en", f.Key, f.Args))
			}
			return fmt.Errorf("%s", strings.Join(parts, "; "))
		}
		return fmt.Errorf("%s", oneLine(err))
	}
	return nil
}

// runHouseholds implements `senda households import FILE`.
func runHouseholds(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 || args[0] != "import" {
		return usagef("say import FILE")
	}
	cfg := config.Default()
	fs := newFlags("households")
	cfg.Bind(fs, false)
	place := fs.String("place", "", "office the records are held at when a line does not say (GT/SMO-GUA)")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("give one FILE of JSON Lines (- for standard input)")
	}
	name := fs.Arg(0)
	in := env.Stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("cannot read %s: %v", name, errors.Unwrap(err))
		}
		defer f.Close()
		in = f
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
	svc := &households.Service{DB: db, Keys: keys}
	c := households.Caller{Principal: operator}
	if *place != "" {
		c.Scope = "*"
	}
	sum, err := svc.Import(ctx, c, withPlace(in, *place), func(r households.LineResult) {
		switch r.Status {
		case "invalid":
			var parts []string
			for _, f := range r.Errors {
				parts = append(parts, f.Location+": "+i18n.T("en", f.Key, f.Args))
			}
			fmt.Fprintf(env.Stderr, "%s: line %d: %s\n", name, r.Line, strings.Join(parts, "; "))
		default:
			fmt.Fprintf(env.Stdout, "line %d: %s %s\n", r.Line, r.Status, r.Receipt)
		}
	})
	if err != nil {
		return fmt.Errorf("%s: %s", name, oneLine(err))
	}
	fmt.Fprintf(env.Stdout, "%d created, %d already there, %d invalid\n", sum.Created, sum.Unchanged, sum.Invalid)
	if sum.Invalid > 0 {
		return exitError(1)
	}
	return nil
}
