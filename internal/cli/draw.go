package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/draw"
	"github.com/senda-platform/senda/internal/i18n"
)

// runDraw implements `senda draw run FILE` and `senda draw verify FILE`
// (docs/draw/SPEC.md). FILE may be - for standard input.
func runDraw(ctx context.Context, env *Env, args []string) error {
	if len(args) != 2 || (args[0] != "run" && args[0] != "verify") {
		return usagef("say run FILE or verify FILE")
	}
	in := env.Stdin
	if args[1] != "-" {
		f, err := os.Open(args[1])
		if err != nil {
			return fmt.Errorf("cannot read %s: %v", args[1], errors.Unwrap(err))
		}
		defer f.Close()
		in = f
	}
	rec, err := draw.Decode(in)
	if err != nil {
		return drawError(args[1], err)
	}
	if args[0] == "verify" {
		if err := draw.Verify(rec); err != nil {
			return drawError(args[1], err)
		}
		fmt.Fprintf(env.Stdout, "draw record for %s verified: %d requests, %d allocations\n", rec.ServiceDate, len(rec.Requests), len(rec.Allocations))
		return nil
	}
	out, err := draw.Run(rec)
	if err != nil {
		return drawError(args[1], err)
	}
	return draw.Encode(env.Stdout, out)
}

// drawError names the file and the first difference or every field to fix.
func drawError(file string, err error) error {
	var d *draw.Difference
	if errors.As(err, &d) {
		return fmt.Errorf("%s: %s", file, d.Error())
	}
	var se *senda.Error
	if errors.As(err, &se) && len(se.Fields) > 0 {
		parts := make([]string, 0, len(se.Fields))
		for _, f := range se.Fields {
			parts = append(parts, f.Location+": "+i18n.T("en", f.Key, f.Args))
		}
		return fmt.Errorf("%s: %s", file, strings.Join(parts, "; "))
	}
	return fmt.Errorf("%s: %s", file, oneLine(err))
}
