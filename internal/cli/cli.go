// Package cli holds Senda's commands. It is the only package that wires the
// adapters (store, HTTP, web, jobs) together.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/internal/config"
)

// Version is set at build time with -ldflags "-X .../internal/cli.Version=v1.2.3".
var Version = ""

// version returns Version, or the module version and VCS revision.
func version() string {
	if Version != "" {
		return Version
	}
	v := "dev"
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += "+" + s.Value[:12]
			}
		}
	}
	return v
}

// Env is what a command runs with: its streams and, for tests, hooks.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// OnListen, when set, is told the address serve listens on.
	OnListen func(addr string)
	// Log overrides the JSON log to Stderr.
	Log *slog.Logger
}

type command struct {
	name, usage, summary string
	run                  func(ctx context.Context, env *Env, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "serve [--data DIR | --database-url URL] [--addr HOST:PORT]", "run Senda: API, web pages and background jobs", runServe},
		{"migrate", "migrate up|status [--data DIR | --database-url URL]", "apply or list database migrations", runMigrate},
		{"version", "version", "print Senda's version", func(ctx context.Context, env *Env, args []string) error {
			fs := newFlags("version")
			if err := fs.Parse(args); err != nil {
				return err
			}
			fmt.Fprintln(env.Stdout, "senda", version())
			return nil
		}},
		{"token", "token create --role ROLE --scope SCOPE [--ttl 24h] [--name NAME]", "print a new API token for scripts and tests", runToken},
		{"account", "account create --email EMAIL --role ROLE --scope SCOPE [--name NAME] [--organisation ORG] (password on stdin)", "create a staff or helper account", runAccount},
		{"draw", "draw run FILE | draw verify FILE | draw execute --date YYYY-MM-DD", "compute or check a daily draw record (docs/draw/SPEC.md), or run a date's draw now", runDrawCommand},
		{"mrz", "mrz LINE1 LINE2 [LINE3]", "read a passport or ID card's machine-readable zone and check every check digit", runMRZ},
		{"households", "households import FILE [--place GT/SMO-GUA]", "load households from JSON Lines, each line saved whole or reported", runHouseholds},
		{"keys", "keys rotate [--grace 15s]", "make a new data key primary and re-encrypt personal data under it while serving", runKeys},
		{"stats", "stats import PATH... | stats query [--by DIM[,DIM...]] [--where DIM=VALUE]... [--from YYYY-MM] [--to YYYY-MM] [--compare mom,yoy,rank,record,share] [--format table|csv|json] [--dataset KEY] | stats export [--by DIM,DIM] [--threshold N] [--fiscal]", "import encounter statistics, query them, export aggregates with small cells suppressed", runStats},
		{"openapi", "openapi", "print the OpenAPI 3.1 document of the API", runOpenAPI},
		{"outbox", "outbox list [--limit N] [--data DIR | --database-url URL]", "list recent outgoing messages (operators only)", runOutbox},
		{"screen", "screen --as-of YYYY-MM-DD [--policy PATH] [--program ID]... [--lang es|en|ht|pt|fr] < people.jsonl", "screen people read as JSON Lines against every programme: one JSON line per person and programme", runScreen},
		{"policy", "policy diff --from VERSION --to PATH [--as-of YYYY-MM-DD] [--format text|json] | policy versions | policy run [--as-of YYYY-MM-DD]", "see who a new policy pack would make gain or lose eligibility, list versions, or screen every household", runPolicy},
		{"audit", "audit verify|search|export [--subject S] [--actor A] [--record TYPE/ID] [--action X] [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--limit N] [--after SEQ] [--reason R] [--data DIR | --database-url URL]", "verify the audit trail's hash chain, search it, or export it with a reason", runAudit},
	}
}

// errUsage marks an error already explained by the flag package.
var errUsage = errors.New("usage")

// Main runs the command named by args and returns the process exit code:
// 0 on success, 1 on failure, 2 on a usage error. Every failure is one line on
// stderr that says what to do.
func Main(ctx context.Context, env *Env, args []string) int {
	if env.Stdin == nil {
		env.Stdin = os.Stdin
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(env.Stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			err := c.run(ctx, env, args[1:])
			switch {
			case err == nil:
				return 0
			case errors.Is(err, flag.ErrHelp):
				return 0
			case errors.Is(err, errUsage):
				fmt.Fprintf(env.Stderr, "senda %s: %v\nusage: senda %s\n", c.name, errors.Unwrap(err), c.usage)
				return 2
			}
			fmt.Fprintf(env.Stderr, "senda %s: %s\n", c.name, oneLine(err))
			var ee exitError
			if errors.As(err, &ee) {
				return int(ee)
			}
			return 1
		}
	}
	fmt.Fprintf(env.Stderr, "senda: unknown command %q; run senda help for the list\n", args[0])
	return 2
}

// exitError carries a specific exit code with an already printed message.
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func usage(w io.Writer) {
	fmt.Fprintln(w, "Senda: safe, orderly and lawful migration pathways.\n\nusage: senda COMMAND [flags]\n\ncommands:")
	cs := commands()
	sort.Slice(cs, func(i, j int) bool { return cs[i].name < cs[j].name })
	for _, c := range cs {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nEvery command accepts --data DIR (default ./senda-data; env SENDA_DATA) and --database-url URL (env SENDA_DATABASE_URL).")
}

// newFlags returns a flag set that reports errors instead of exiting.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parse parses args and turns flag errors into usage errors.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageErr{err}
	}
	return nil
}

type usageErr struct{ err error }

func (u usageErr) Error() string { return u.err.Error() }
func (u usageErr) Unwrap() error { return u.err }
func (u usageErr) Is(target error) bool {
	return target == errUsage
}

// usagef returns a usage error.
func usagef(format string, a ...any) error { return usageErr{fmt.Errorf(format, a...)} }

// configFlags parses the common flags into a validated Config.
func configFlags(name string, args []string, withServe bool) (config.Config, *flag.FlagSet, error) {
	cfg := config.Default()
	fs := newFlags(name)
	cfg.Bind(fs, withServe)
	if err := parse(fs, args); err != nil {
		return cfg, fs, err
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fs, usageErr{err}
	}
	return cfg, fs, nil
}

// oneLine renders an error as one line: the Senda message where there is one.
func oneLine(err error) string {
	var se *senda.Error
	msg := err.Error()
	if errors.As(err, &se) && se.Err != nil {
		msg = se.Err.Error()
	}
	return strings.Join(strings.Fields(msg), " ")
}
