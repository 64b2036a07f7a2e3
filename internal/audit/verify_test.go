package audit

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/senda-platform/senda/internal/store"
	"github.com/senda-platform/senda/internal/storetest"
)

// exec runs SQL directly on the database, as someone bypassing Senda would.
func exec(t testing.TB, db *store.DB, q string, args ...any) {
	t.Helper()
	res, err := db.Writer().ExecContext(ctx, q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("%s: changed %d rows, want 1", q, n)
	}
}

func TestVerifyNamesTheTamperedEntry(t *testing.T) {
	tests := []struct {
		name    string
		tamper  string
		seq     int64
		problem Problem
	}{
		{"reason edited", `UPDATE audit_log SET reason = 'nothing to see' WHERE seq = 23`, 23, ProblemHash},
		{"actor edited", `UPDATE audit_log SET actor_id = 'someone-else' WHERE seq = 40`, 40, ProblemHash},
		{"time edited", `UPDATE audit_log SET at = at + 1 WHERE seq = 17`, 17, ProblemHash},
		{"field name removed", `UPDATE audit_log SET fields = '["members"]' WHERE seq = 8`, 8, ProblemHash},
		{"fields not canonical", `UPDATE audit_log SET fields = '[ "members"]' WHERE seq = 11`, 11, ProblemEncoding},
		{"hash edited", `UPDATE audit_log SET hash = '` + strings.Repeat("ab", 32) + `' WHERE seq = 31`, 31, ProblemHash},
		{"prev_hash edited", `UPDATE audit_log SET prev_hash = '` + Genesis + `' WHERE seq = 5`, 5, ProblemLink},
		{"middle entry deleted", `DELETE FROM audit_log WHERE seq = 29`, 29, ProblemGap},
		{"first entry deleted", `DELETE FROM audit_log WHERE seq = 1`, 1, ProblemGap},
		{"last entry renumbered", `UPDATE audit_log SET seq = 60 WHERE seq = 50`, 50, ProblemGap},
	}
	for _, e := range storetest.Engines {
		t.Run(string(e), func(t *testing.T) {
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					db := storetest.New(t, e)
					err := db.Update(ctx, func(tx *store.Tx) error {
						for i := range 50 {
							if _, err := Append(ctx, tx, sample(i)); err != nil {
								return err
							}
						}
						return nil
					})
					if err != nil {
						t.Fatal(err)
					}
					if res := mustVerify(t, db); res.Broken != nil || res.Entries != 50 {
						t.Fatalf("before tampering: got %+v, %v", res, res.Broken)
					}
					exec(t, db, tt.tamper)
					res := mustVerify(t, db)
					if res.Broken == nil || res.Broken.Seq != tt.seq || res.Broken.Problem != tt.problem {
						t.Fatalf("got %+v, want a %s break at entry %d", res.Broken, tt.problem, tt.seq)
					}
					if res.Entries != tt.seq-1 {
						t.Errorf("got %d intact entries, want %d", res.Entries, tt.seq-1)
					}
					if want := fmt.Sprintf("audit log broken at entry %d: ", tt.seq); !strings.HasPrefix(res.Broken.Error(), want) {
						t.Errorf("got %q, want it to start with %q", res.Broken.Error(), want)
					}
				})
			}
		})
	}
}

// column is one audit_log column and how to draw a different value for it.
type column struct {
	name string
	draw func(t *rapid.T, old any) any
}

func differentText(t *rapid.T, old any) any {
	s := rapid.StringMatching(`[a-zA-Z0-9 ñé🙂"\\]{0,12}`).Draw(t, "text")
	if s == old.(string) {
		s += "x"
	}
	return s
}

var columnsToTamper = []column{
	{"at", func(t *rapid.T, old any) any {
		d := rapid.Int64Range(1, 10*365*24*3600*1e6).Draw(t, "delta")
		if rapid.Bool().Draw(t, "earlier") {
			d = -d
		}
		return old.(int64) + d
	}},
	{"actor_id", differentText}, {"actor_role", differentText}, {"actor_scope", differentText},
	{"on_behalf_of", differentText}, {"action", differentText}, {"record_type", differentText},
	{"record_id", differentText}, {"subject", differentText}, {"reason", differentText},
	{"remote", differentText}, {"request_id", differentText}, {"prev_hash", differentText}, {"hash", differentText},
	{"fields", func(t *rapid.T, old any) any {
		fs := rapid.SliceOf(rapid.StringMatching(`[a-z_]{1,8}`)).Draw(t, "fields")
		s := string(appendStrings(nil, fs))
		if s == old.(string) {
			s = `["tampered"]`
		}
		return s
	}},
}

var errRollback = errors.New("roll back")

// Any change to any single column of any stored entry is reported at that
// entry, on both engines.
func TestVerifyDetectsAnyStoredChange(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		const n = 30
		for i := range n {
			appendOne(t, db, sample(i))
		}
		rapid.Check(t, func(rt *rapid.T) {
			seq := rapid.Int64Range(1, n).Draw(rt, "seq")
			col := rapid.SampledFrom(append(columnsToTamper, column{name: "seq"})).Draw(rt, "column")
			var newV any
			if col.name == "seq" {
				newV = seq + rapid.Int64Range(n, 1000).Draw(rt, "renumber")
			} else {
				var old any = new(string)
				if col.name == "at" {
					old = new(int64)
				}
				if err := db.Reader().QueryRowContext(ctx, `SELECT `+col.name+` FROM audit_log WHERE seq = $1`, seq).Scan(old); err != nil {
					rt.Fatal(err)
				}
				newV = col.draw(rt, deref(old))
			}
			// Tamper and verify inside one transaction that is rolled back,
			// so every check starts from the intact log.
			var res VerifyResult
			err := db.Update(ctx, func(tx *store.Tx) error {
				if _, err := tx.ExecContext(ctx, `UPDATE audit_log SET `+col.name+` = $1 WHERE seq = $2`, newV, seq); err != nil {
					return err
				}
				var err error
				if res, err = verifyTx(ctx, tx); err != nil {
					return err
				}
				return errRollback
			})
			if !errors.Is(err, errRollback) {
				rt.Fatal(err)
			}
			if res.Broken == nil || res.Broken.Seq != seq {
				rt.Fatalf("changed %s of entry %d to %v: got break %+v, want one at entry %d", col.name, seq, newV, res.Broken, seq)
			}
		})
		if res := mustVerify(t, db); res.Broken != nil || res.Entries != n {
			t.Fatalf("after the checks: got %+v, %v", res, res.Broken)
		}
	})
}

func deref(p any) any {
	switch v := p.(type) {
	case *int64:
		return *v
	case *string:
		return *v
	}
	panic("unexpected type")
}

// The chain check on its own: in any chain of arbitrary entries, any single
// change to any part of any entry is reported at that entry.
func TestChainDetectsAnySingleFieldChange(t *testing.T) {
	text := rapid.String()
	rapid.Check(t, func(rt *rapid.T) {
		n := rapid.IntRange(1, 12).Draw(rt, "n")
		entries := make([]Entry, n)
		prev := Genesis
		at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := range entries {
			at = at.Add(time.Duration(rapid.Int64Range(0, 1e12).Draw(rt, "step")) * time.Microsecond)
			e := Entry{Seq: int64(i + 1), At: at, ActorID: text.Draw(rt, "actor"), ActorRole: text.Draw(rt, "role"),
				ActorScope: text.Draw(rt, "scope"), OnBehalfOf: text.Draw(rt, "obo"), Action: text.Draw(rt, "action"),
				RecordType: text.Draw(rt, "rtype"), RecordID: text.Draw(rt, "rid"), Subject: text.Draw(rt, "subject"),
				Fields: rapid.SliceOf(text).Draw(rt, "fields"), Reason: text.Draw(rt, "reason"), Remote: text.Draw(rt, "remote"),
				RequestID: text.Draw(rt, "request"), PrevHash: prev}
			e.Hash = Hash(e)
			prev = e.Hash
			entries[i] = e
		}
		k := rapid.IntRange(0, n-1).Draw(rt, "entry")
		e := &entries[k]
		e.Fields = append([]string(nil), e.Fields...)
		change := func(s *string) {
			v := text.Draw(rt, "new")
			if v == *s {
				v += "x"
			}
			*s = v
		}
		wantSeq := e.Seq
		switch part := rapid.IntRange(0, 16).Draw(rt, "part"); part {
		case 0:
			v := rapid.Int64Range(-5, 100).Draw(rt, "seq")
			if v == e.Seq {
				v++
			}
			if v < e.Seq {
				wantSeq = v
			}
			e.Seq = v
		case 1:
			e.At = e.At.Add(time.Duration(rapid.Int64Range(1, 1e9).Draw(rt, "µs")) * time.Microsecond)
		case 2:
			change(&e.ActorID)
		case 3:
			change(&e.ActorRole)
		case 4:
			change(&e.ActorScope)
		case 5:
			change(&e.OnBehalfOf)
		case 6:
			change(&e.Action)
		case 7:
			change(&e.RecordType)
		case 8:
			change(&e.RecordID)
		case 9:
			change(&e.Subject)
		case 10:
			change(&e.Reason)
		case 11:
			change(&e.Remote)
		case 12:
			change(&e.RequestID)
		case 13:
			change(&e.PrevHash)
		case 14:
			change(&e.Hash)
		case 15:
			e.Fields = append(e.Fields, text.Draw(rt, "extra"))
		case 16:
			if len(e.Fields) == 0 {
				e.Fields = []string{""}
			} else {
				change(&e.Fields[rapid.IntRange(0, len(e.Fields)-1).Draw(rt, "i")])
			}
		}
		c := newChain()
		var got *Break
		for i := range entries {
			x := entries[i]
			if got = c.check(&x, string(appendStrings(nil, x.Fields))); got != nil {
				break
			}
		}
		if got == nil || got.Seq != wantSeq {
			rt.Fatalf("changed entry %d: got break %+v, want one at %d", k+1, got, wantSeq)
		}
	})
}
