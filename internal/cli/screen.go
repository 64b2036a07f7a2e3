package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/internal/i18n"
	"github.com/senda-platform/senda/policy"
	"github.com/senda-platform/senda/profile"
)

// programList is a repeatable flag.
type programList []string

func (l *programList) String() string     { return strings.Join(*l, ",") }
func (l *programList) Set(s string) error { *l = append(*l, s); return nil }

// parsePolicyDate reads a YYYY-MM-DD flag value.
func parsePolicyDate(flagName, s string) (time.Time, error) {
	t, ok := profile.Date(s).Time()
	if !ok {
		return time.Time{}, usagef("--%s: give a date as YYYY-MM-DD, not %q", flagName, s)
	}
	return t, nil
}

// describePolicyErr renders a Senda error for the terminal: each field error on
// its own line with its English text.
func describePolicyErr(err error) error {
	var se *senda.Error
	if !errors.As(err, &se) || len(se.Fields) == 0 {
		return fmt.Errorf("%s", oneLine(err))
	}
	var b strings.Builder
	switch se.Key {
	case policy.KeyInvalidPack:
		fmt.Fprintf(&b, "the policy pack %v was refused:", se.Args["file"])
	case policy.KeyBadLines:
		fmt.Fprintf(&b, "%v lines could not be screened (an error line took the place of each):", se.Args["count"])
	default:
		b.WriteString(i18n.T("en", se.Key+".title", se.Args))
	}
	for _, f := range se.Fields {
		fmt.Fprintf(&b, "\n  %s: %s", f.Location, i18n.T("en", f.Key, f.Args))
	}
	return errors.New(b.String())
}

// runScreen implements `senda screen`: JSON Lines of profiles on standard
// input, one JSON line per person and programme on standard output.
func runScreen(ctx context.Context, env *Env, args []string) error {
	fs := newFlags("screen")
	asOf := fs.String("as-of", "", "screening date, YYYY-MM-DD (required)")
	path := fs.String("policy", "", "a policy pack file or directory (default: the packs shipped with Senda)")
	lang := fs.String("lang", "en", "language of explanations: es, en, ht, pt or fr")
	var programs programList
	fs.Var(&programs, "program", "screen only this programme (repeatable)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q: people are read from standard input", fs.Arg(0))
	}
	if *asOf == "" {
		return usagef("--as-of is required")
	}
	day, err := parsePolicyDate("as-of", *asOf)
	if err != nil {
		return err
	}
	if !i18n.Supported(*lang) {
		return usagef("--lang: one of %s", strings.Join(i18n.Languages, ", "))
	}
	reg, err := policy.OpenRegistry(*path)
	if err != nil {
		return describePolicyErr(err)
	}
	pack, err := reg.At(day)
	if err != nil {
		return fmt.Errorf("no policy version is in effect on %s", *asOf)
	}
	out := bufio.NewWriterSize(env.Stdout, 1<<16)
	err = policy.ScreenJSONLLang(ctx, pack, day, *lang, programs, env.Stdin, out)
	if ferr := out.Flush(); err == nil && ferr != nil {
		return fmt.Errorf("cannot write the results: %v", ferr)
	}
	if err != nil {
		var se *senda.Error
		if errors.As(err, &se) && se.Key == policy.KeyUnknownProgram {
			return usagef("--program %v: version %v has no such programme", se.Args["program"], se.Args["version"])
		}
		return describePolicyErr(err)
	}
	return nil
}
