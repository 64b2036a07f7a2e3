package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/senda-platform/senda/internal/audit"
	"github.com/senda-platform/senda/internal/store"
	"github.com/senda-platform/senda/internal/storetest"
)

// auditDatabase returns the flags that select a fresh database of engine e
// holding n audit entries, and the store itself for tampering.
func auditDatabase(t *testing.T, e store.Dialect, n int) ([]string, *store.DB) {
	t.Helper()
	var flags []string
	o := store.Options{}
	if e == store.Postgres {
		o.DatabaseURL = storetest.NewSchema(t)
		flags = []string{"--database-url", o.DatabaseURL}
	} else {
		dir := t.TempDir()
		o.SQLitePath = filepath.Join(dir, "senda.db")
		flags = []string{"--data", dir}
	}
	ctx := context.Background()
	db, err := store.Open(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		err := db.Update(ctx, func(tx *store.Tx) error {
			_, err := audit.Append(ctx, tx, audit.Entry{ActorID: fmt.Sprintf("worker-%d", i%3), ActorRole: "caseworker",
				Action: "household.read", RecordType: "household", RecordID: fmt.Sprintf("h-%d", i%4),
				Subject: fmt.Sprintf("acct-%d", i%4), Fields: []string{"members"}})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return flags, db
}

func TestAuditVerifyCommand(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(string(e), func(t *testing.T) {
			flags, db := auditDatabase(t, e, 20)
			code, out, stderr := run(append([]string{"audit", "verify"}, flags...)...)
			if code != 0 || !strings.HasPrefix(out, "audit log intact: 20 entries, last hash ") {
				t.Fatalf("intact log: got exit %d, %q %q", code, out, stderr)
			}
			for _, tamper := range []struct {
				sql  string
				want string
			}{
				{`UPDATE audit_log SET reason = 'routine' WHERE seq = 7`, "audit log broken at entry 7: "},
				{`DELETE FROM audit_log WHERE seq = 4`, "audit log broken at entry 4: entry 4 is missing"},
			} {
				if _, err := db.Writer().Exec(tamper.sql); err != nil {
					t.Fatal(err)
				}
				code, out, stderr = run(append([]string{"audit", "verify"}, flags...)...)
				if code != 1 || !strings.Contains(stderr, tamper.want) || out != "" {
					t.Errorf("after %s: got exit %d, stdout %q, stderr %q; want exit 1 naming %q", tamper.sql, code, out, stderr, tamper.want)
				}
				if strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
					t.Errorf("stderr is not one line: %q", stderr)
				}
			}
		})
	}
}

func decodeLines(t *testing.T, out string) []audit.Entry {
	t.Helper()
	var es []audit.Entry
	dec := json.NewDecoder(strings.NewReader(out))
	for dec.More() {
		var e audit.Entry
		if err := dec.Decode(&e); err != nil {
			t.Fatalf("output is not JSON Lines of entries: %v\n%s", err, out)
		}
		es = append(es, e)
	}
	return es
}

func TestAuditSearchAndExportCommands(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(string(e), func(t *testing.T) {
			flags, _ := auditDatabase(t, e, 12)
			cmd := func(args ...string) (int, string, string) {
				return run(append(append([]string{"audit"}, args...), flags...)...)
			}

			code, out, stderr := cmd("search", "--subject", "acct-1", "--record", "household/h-1")
			es := decodeLines(t, out)
			if code != 0 || len(es) != 3 {
				t.Fatalf("search: got exit %d, %d entries, %q", code, len(es), stderr)
			}
			for _, x := range es {
				if x.Subject != "acct-1" || x.RecordID != "h-1" {
					t.Errorf("search by subject returned %+v", x)
				}
			}
			// The search itself is recorded.
			_, out, _ = cmd("search", "--action", "audit_log.*", "--limit", "5")
			if es = decodeLines(t, out); len(es) != 2 || es[0].ActorID != "cli" || es[0].ActorRole != "admin" || es[0].Subject != "acct-1" ||
				es[0].RecordID != "limit=100&record_id=h-1&record_type=household&subject=acct-1" {
				t.Errorf("recorded searches: got %+v", es)
			}
			if _, out, _ = cmd("search", "--from", "2000-01-01", "--to", "2000-12-31"); out != "" {
				t.Errorf("search of another year: got %q, want nothing", out)
			}

			// Export refuses to run without a reason, in one line, and
			// records nothing.
			for _, args := range [][]string{{"export"}, {"export", "--reason", "  "}} {
				code, out, stderr = cmd(args...)
				if code != 2 || out != "" || !strings.Contains(stderr, "export needs --reason") || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
					t.Errorf("%v: got exit %d, stdout %q, stderr %q; want exit 2 with one line asking for --reason", args, code, out, stderr)
				}
			}
			code, out, stderr = cmd("export", "--reason", "annual review by the data protection officer")
			es = decodeLines(t, out)
			if code != 0 || len(es) != 12+3+1 {
				t.Fatalf("export: got exit %d, %d entries, %q", code, len(es), stderr)
			}
			last := es[len(es)-1]
			if last.Action != audit.ExportAction || last.Reason != "annual review by the data protection officer" || last.ActorID != "cli" {
				t.Errorf("export not recorded first with its reason: last entry %+v", last)
			}
			if code, out, _ = run(append([]string{"audit", "verify"}, flags...)...); code != 0 || !strings.Contains(out, "intact: 16 entries") {
				t.Errorf("verify after search and export: got %d %q", code, out)
			}
		})
	}
}

func TestAuditBadInvocations(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"audit"}, "say verify, search or export"},
		{[]string{"audit", "shred"}, `unknown audit command "shred"`},
		{[]string{"audit", "search", "--data", dir, "--from", "yesterday"}, "--from must be a day, YYYY-MM-DD"},
		{[]string{"audit", "search", "--data", dir, "--from", "2025-02-01", "--to", "2025-01-01"}, "--from must not be after --to"},
		{[]string{"audit", "search", "--data", dir, "--limit", "0"}, "--limit must be between 1 and 1000"},
		{[]string{"audit", "verify", "--data", dir, "extra"}, `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		code, _, stderr := run(tt.args...)
		if code != 2 || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: got exit %d, stderr %q; want exit 2 containing %q", tt.args, code, stderr, tt.want)
		}
	}
}
