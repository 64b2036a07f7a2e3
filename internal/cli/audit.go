package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/senda-platform/senda/internal/audit"
	"github.com/senda-platform/senda/internal/config"
	"github.com/senda-platform/senda/internal/store"
)

// cliActor is who the audit trail records for commands: the local operator.
var cliActor = audit.Actor{ID: "cli", Role: "admin"}

// exitMessage is a one-line failure with its own exit code.
type exitMessage struct {
	msg  string
	code exitError
}

func (e exitMessage) Error() string { return e.msg }
func (e exitMessage) Unwrap() error { return e.code }

func runAudit(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		return usagef("say verify, search or export")
	}
	switch args[0] {
	case "verify":
		return runAuditVerify(ctx, env, args[1:])
	case "search", "export":
		return runAuditRead(ctx, env, args[0], args[1:])
	}
	return usagef("unknown audit command %q: say verify, search or export", args[0])
}

func runAuditVerify(ctx context.Context, env *Env, args []string) error {
	cfg, fs, err := configFlags("audit", args, false)
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	db, err := migrated(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	res, err := audit.Verify(ctx, db)
	if err != nil {
		return fmt.Errorf("cannot read the audit log: %s", oneLine(err))
	}
	if res.Broken != nil {
		return res.Broken
	}
	fmt.Fprintf(env.Stdout, "audit log intact: %d entries, last hash %s\n", res.Entries, res.LastHash)
	return nil
}

// filterFlags registers the search filters on fs.
func filterFlags(fs *flag.FlagSet) func() (audit.Filter, error) {
	subject := fs.String("subject", "", "entries about this applicant account or household id")
	actor := fs.String("actor", "", "entries by this actor id")
	record := fs.String("record", "", "entries about this record, TYPE/ID (or TYPE)")
	action := fs.String("action", "", `entries of this action, or of every action starting with it when it ends in ".*"`)
	from := fs.String("from", "", "entries on or after this day, YYYY-MM-DD (UTC)")
	to := fs.String("to", "", "entries on or before this day, YYYY-MM-DD (UTC)")
	after := fs.Int64("after", 0, "entries after this seq (the next page)")
	return func() (audit.Filter, error) {
		f := audit.Filter{Subject: *subject, ActorID: *actor, Action: *action, AfterSeq: *after}
		f.RecordType, f.RecordID, _ = strings.Cut(*record, "/")
		for _, d := range []struct {
			name, v string
			t       *time.Time
			days    int
		}{{"from", *from, &f.From, 0}, {"to", *to, &f.To, 1}} {
			if d.v == "" {
				continue
			}
			day, err := time.Parse(time.DateOnly, d.v)
			if err != nil {
				return f, usagef("--%s must be a day, YYYY-MM-DD", d.name)
			}
			*d.t = day.AddDate(0, 0, d.days)
		}
		if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
			return f, usagef("--from must not be after --to")
		}
		return f, nil
	}
}

func runAuditRead(ctx context.Context, env *Env, verb string, args []string) error {
	cfg := config.Default()
	fs := newFlags("audit")
	cfg.Bind(fs, false)
	filter := filterFlags(fs)
	limit := fs.Int("limit", audit.DefaultLimit, fmt.Sprintf("how many entries: search shows at most %d; export has every match unless limited", audit.MaxLimit))
	reason := fs.String("reason", "", "why the audit log is exported (required; recorded in the log)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return usageErr{err}
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	f, err := filter()
	if err != nil {
		return err
	}
	if verb == "export" && strings.TrimSpace(*reason) == "" {
		return exitMessage{`export needs --reason "...": say why the audit log is exported; the export is itself recorded in the log`, 2}
	}
	switch {
	case verb == "search" && (*limit < 1 || *limit > audit.MaxLimit):
		return usagef("--limit must be between 1 and %d", audit.MaxLimit)
	case verb == "export" && *limit < 1:
		return usagef("--limit must be at least 1")
	}
	db, err := migrated(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if verb == "export" {
		if flagSet(fs, "limit") {
			f.Limit = *limit
		} // otherwise every match
		if err := audit.ExportAudited(ctx, db, cliActor, *reason, f, env.Stdout); err != nil {
			return fmt.Errorf("cannot export the audit log: %s", oneLine(err))
		}
		return nil
	}
	f.Limit = *limit
	// Reading the trail is itself recorded.
	e := cliActor.Entry("audit_log.search")
	e.RecordType, e.RecordID, e.Subject = "audit_log", f.String(), f.Subject
	if err := db.Update(ctx, func(tx *store.Tx) error {
		_, err := audit.Append(ctx, tx, e)
		return err
	}); err != nil {
		return fmt.Errorf("cannot record the search in the audit log: %s", oneLine(err))
	}
	entries, err := audit.Search(ctx, db, f)
	if err != nil {
		return fmt.Errorf("cannot search the audit log: %s", oneLine(err))
	}
	w := bufio.NewWriter(env.Stdout)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, e := range entries {
		if err := enc.Encode(e); err != nil {
			return err
		}
	}
	return w.Flush()
}

// flagSet reports whether the flag name was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			set = true
		}
	})
	return set
}
