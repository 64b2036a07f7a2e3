package households

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/household"
	"github.com/senda-platform/senda/internal/access"
	"github.com/senda-platform/senda/internal/audit"
	"github.com/senda-platform/senda/internal/seal"
	"github.com/senda-platform/senda/internal/store"
	"github.com/senda-platform/senda/internal/storetest"
)

// family is a four-person household: a Venezuelan couple and two children in
// Ciudad Juárez, with names in their own spelling.
func family(t testing.TB) *household.Household {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "family.json"))
	if err != nil {
		t.Fatal(err)
	}
	var h household.Household
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	return &h
}

func newService(t testing.TB, db *store.DB) *Service {
	return &Service{DB: db, Keys: seal.New(), ActsFor: func(context.Context, string, string) (bool, error) { return false, nil }}
}

var (
	caseworkerMX = Caller{Principal: access.Principal{TokenID: "cw-mx", Kind: "token", Role: access.Caseworker, Scope: "MX"}}
	caseworkerGT = Caller{Principal: access.Principal{TokenID: "cw-gt", Kind: "token", Role: access.Caseworker, Scope: "GT"}}
	adminAll     = Caller{Principal: access.Principal{TokenID: "admin", Kind: "token", Role: access.Admin, Scope: "*"}}
)

func TestRegisterScopeAndIdempotency(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newService(t, db)
		h, err := s.Save(ctx, caseworkerMX, family(t), "form-1")
		if err != nil {
			t.Fatal(err)
		}
		if h.Size() != 4 || !strings.HasPrefix(h.Receipt, "MX") || h.Version != 1 {
			t.Fatalf("got size %d receipt %q version %d", h.Size(), h.Receipt, h.Version)
		}
		// The same form sent twice makes one household.
		again, err := s.Save(ctx, caseworkerMX, family(t), "form-1")
		if err != nil || again.ID != h.ID {
			t.Fatalf("resent form: got %v, %v; want household %s", again, err, h.ID)
		}
		list, _ := s.List(ctx, adminAll, "", 10)
		if len(list) != 1 {
			t.Fatalf("got %d households after a resent form, want 1", len(list))
		}
		// Outside the caller's scope: not found, like a household that does not exist.
		if _, err := s.Get(ctx, caseworkerGT, h.ID); !senda.IsNotFound(err) {
			t.Fatalf("a Guatemala caseworker read a Mexico household: %v", err)
		}
		if _, err := s.Get(ctx, caseworkerGT, "no-such-id"); !senda.IsNotFound(err) {
			t.Fatalf("missing household: %v", err)
		}
		got, err := s.Get(ctx, caseworkerMX, h.ID)
		if err != nil || got.Members[0].GivenNames != "María José" || got.Members[0].Surnames[1] != "Gómez" {
			t.Fatalf("read back: %+v %v", got, err)
		}
		// Update with the version read; a stale version is a conflict.
		got.Members[3].GivenNames = "Luisa Fernanda"
		upd, err := s.Save(ctx, caseworkerMX, got, "")
		if err != nil || upd.Version != 2 {
			t.Fatalf("update: %v %v", upd, err)
		}
		got.Version = 1
		if _, err := s.Save(ctx, caseworkerMX, got, ""); senda.ErrorCode(err) != senda.CodeConflict {
			t.Fatalf("stale update: got %v, want conflict", err)
		}
		// Every read and change is in the audit trail, with the fields changed.
		es, err := audit.Search(ctx, db, audit.Filter{RecordType: "household", RecordID: h.ID, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		actions := map[string][]string{}
		for _, e := range es {
			actions[e.Action] = e.Fields
		}
		if _, ok := actions["household.read"]; !ok {
			t.Errorf("no read recorded: %v", actions)
		}
		if f := actions["household.update"]; len(f) != 1 || f[0] != "members[3].given_names" {
			t.Errorf("update recorded fields %v, want members[3].given_names", f)
		}
		if r, err := audit.Verify(ctx, db); err != nil || r.Broken != nil {
			t.Errorf("audit chain: %+v %v", r, err)
		}
		// Exact search by document number through the blind index.
		found, err := s.FindBy(ctx, caseworkerMX, "document", "v 123-456-78")
		if err != nil || len(found) != 1 {
			t.Fatalf("find by document: %v %v", found, err)
		}
		if found, _ := s.FindBy(ctx, caseworkerGT, "document", "V12345678"); len(found) != 0 {
			t.Fatal("a Guatemala caseworker found a Mexico household by document")
		}
	})
}

// A helper may register only for an applicant who consented, and an
// applicant token without an account sees and holds nothing.
func TestHelpersNeedConsentAndTokensHoldNothing(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newService(t, db)
		consented := map[string]bool{"helper-1/app-1": true}
		s.ActsFor = func(_ context.Context, h, a string) (bool, error) { return consented[h+"/"+a], nil }
		helper := Caller{Principal: access.Principal{AccountID: "helper-1", Role: access.Helper, Scope: "MX"}, OnBehalfOf: "app-2"}
		if _, err := s.Save(ctx, helper, family(t), ""); senda.ErrorCode(err) != senda.CodeForbidden {
			t.Fatalf("helper without consent: got %v, want forbidden", err)
		}
		s.Save(ctx, caseworkerMX, family(t), "")
		token := Caller{Principal: access.Principal{TokenID: "t", Kind: "token", Role: access.Applicant, Scope: "*"}}
		if l, _ := s.List(ctx, token, "", 10); len(l) != 0 {
			t.Fatalf("an applicant token lists %d households, want none", len(l))
		}
		if _, err := s.Save(ctx, token, family(t), ""); senda.ErrorCode(err) != senda.CodeForbidden {
			t.Fatalf("applicant token registering: got %v, want forbidden", err)
		}
	})
}

func TestValidationReportsEveryField(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		s := newService(t, db)
		h := family(t)
		h.Members[1].BirthDate = "1990-13"
		h.Members[2].GivenNames = ""
		h.Members[3].Phone = "12"
		h.Members[0].Documents[0].Number = "!"
		_, err := s.Save(context.Background(), caseworkerMX, h, "")
		var se *senda.Error
		if !errorsAs(err, &se) || len(se.Fields) != 4 {
			t.Fatalf("got %v, want four field errors", err)
		}
		want := []string{"members[0].documents[0].number", "members[1].birth_date", "members[2].given_names", "members[3].phone"}
		var got []string
		for _, f := range se.Fields {
			got = append(got, f.Location)
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("got fields %v, want %v", got, want)
		}
		// A draft may be incomplete.
		d := &household.Household{Status: "draft", Place: "MX", Members: []household.Member{{Relationship: "principal", GivenNames: "Ana"}}}
		if _, err := s.Save(context.Background(), caseworkerMX, d, ""); err != nil {
			t.Fatalf("draft: %v", err)
		}
	})
}

func errorsAs(err error, se **senda.Error) bool {
	if err == nil {
		return false
	}
	e, ok := err.(*senda.Error)
	*se = e
	return ok
}

// Neither the SQLite file nor a pg_dump of PostgreSQL shows a name, a birth
// date or a document number in clear.
func TestPersonalDataEncryptedAtRest(t *testing.T) {
	secrets := []string{"María José", "Pérez", "Gómez", "1990-05-17", "V12345678", "Ciudad Juárez", "+5216561234567", "Sanabria"}
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		db, err := store.Open(context.Background(), store.Options{SQLitePath: filepath.Join(dir, "senda.db")})
		if err != nil {
			t.Fatal(err)
		}
		db.Migrate(context.Background())
		s := newService(t, db)
		if _, err := s.Save(context.Background(), caseworkerMX, family(t), ""); err != nil {
			t.Fatal(err)
		}
		db.Writer().Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
		db.Close()
		var all []byte
		files, _ := filepath.Glob(filepath.Join(dir, "senda.db*"))
		for _, f := range files {
			b, _ := os.ReadFile(f)
			all = append(all, b...)
		}
		if len(all) == 0 {
			t.Fatal("no database file")
		}
		for _, s := range secrets {
			if bytes.Contains(all, []byte(s)) {
				t.Errorf("the SQLite file contains %q in clear", s)
			}
		}
	})
	t.Run("postgres", func(t *testing.T) {
		url := storetest.NewSchema(t)
		db, err := store.Open(context.Background(), store.Options{DatabaseURL: url})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		db.Migrate(context.Background())
		s := newService(t, db)
		if _, err := s.Save(context.Background(), caseworkerMX, family(t), ""); err != nil {
			t.Fatal(err)
		}
		schema := strings.SplitN(strings.SplitN(url, "search_path=", 2)[1], "&", 2)[0]
		base := strings.SplitN(url, "?", 2)[0]
		out, err := exec.Command("pg_dump", "--schema="+schema, "--data-only", base).CombinedOutput()
		if err != nil {
			t.Fatalf("pg_dump: %v\n%s", err, out)
		}
		if !bytes.Contains(out, []byte("COPY "+schema+".households")) {
			t.Fatalf("pg_dump did not dump the households table:\n%.500s", out)
		}
		for _, s := range secrets {
			if bytes.Contains(out, []byte(s)) {
				t.Errorf("pg_dump shows %q in clear", s)
			}
		}
	})
}

func TestImportWholeLinesAndIdempotent(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newService(t, db)
		good, _ := json.Marshal(family(t))
		second := family(t)
		second.ExternalID = "row-2"
		second.Members = second.Members[:2]
		good2, _ := json.Marshal(second)
		bad := family(t)
		bad.Members[2].BirthDate = "soon"
		bad.Members[3].Surnames = nil
		badLine, _ := json.Marshal(bad)
		file := strings.Join([]string{string(good), "", string(badLine), `{"members":[{"relationship":"principal"}],"colour":"red"}`, `not json`, string(good2)}, "\n")
		var res []LineResult
		sum, err := s.Import(ctx, adminAll, strings.NewReader(file), func(r LineResult) { res = append(res, r) })
		if err != nil {
			t.Fatal(err)
		}
		if sum.Created != 2 || sum.Invalid != 3 {
			t.Fatalf("got %+v, want 2 created and 3 invalid: %+v", sum, res)
		}
		if res[1].Line != 3 || len(res[1].Errors) != 2 || res[2].Errors[0].Location != "colour" || res[3].Line != 5 {
			t.Errorf("line reports: %+v", res)
		}
		sum, err = s.Import(ctx, adminAll, strings.NewReader(file), func(LineResult) {})
		if err != nil || sum.Created != 0 || sum.Unchanged != 2 {
			t.Fatalf("re-import: got %+v %v, want 2 unchanged", sum, err)
		}
		list, _ := s.List(ctx, adminAll, "", 100)
		if len(list) != 2 {
			t.Fatalf("got %d households, want 2", len(list))
		}
	})
}

func TestExportDeleteLeavesNothing(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newService(t, db)
		h, _ := s.Save(ctx, caseworkerMX, family(t), "k")
		h.Members[0].Phone = "+5216560000000"
		s.Save(ctx, caseworkerMX, h, "")
		dup := family(t)
		dup.Members[0].Surnames = []string{"Perez"}
		s.Save(ctx, caseworkerMX, dup, "")
		if n, err := s.FindDuplicates(ctx, 0.5); err != nil || n == 0 {
			t.Fatalf("duplicates: %d %v", n, err)
		}
		ev, err := s.Export(ctx, caseworkerMX, h.ID)
		if err != nil || len(ev.Versions) != 1 || len(ev.Access) == 0 {
			t.Fatalf("export: versions %d access %d %v", len(ev.Versions), len(ev.Access), err)
		}
		keep := func(context.Context, *store.Tx, string) (bool, string, error) { return true, "open appointment", nil }
		if err := s.Delete(ctx, caseworkerMX, h.ID, keep); senda.ErrorCode(err) != senda.CodeConflict {
			t.Fatalf("delete under retention: got %v, want conflict", err)
		}
		if err := s.Delete(ctx, caseworkerMX, h.ID); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{
			`SELECT COUNT(*) FROM households WHERE id = $1`,
			`SELECT COUNT(*) FROM household_versions WHERE household_id = $1`,
			`SELECT COUNT(*) FROM household_index WHERE household_id = $1`,
			`SELECT COUNT(*) FROM idempotency_keys WHERE household_id = $1`,
			`SELECT COUNT(*) FROM duplicate_pairs WHERE a_household = $1 OR b_household = $1`,
		} {
			var n int
			db.Reader().QueryRow(q, h.ID).Scan(&n)
			if n != 0 {
				t.Errorf("%s: %d rows left", q, n)
			}
		}
		if _, err := s.Get(ctx, caseworkerMX, h.ID); !senda.IsNotFound(err) {
			t.Fatalf("deleted household still readable: %v", err)
		}
	})
}
