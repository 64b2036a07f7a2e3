package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/internal/seal"
	"github.com/senda-platform/senda/internal/store"
	"github.com/senda-platform/senda/internal/storetest"
)

var ctx = context.Background()

// appendOne appends e in its own transaction.
func appendOne(t testing.TB, db *store.DB, e Entry) Entry {
	t.Helper()
	var got Entry
	err := db.Update(ctx, func(tx *store.Tx) error {
		var err error
		got, err = Append(ctx, tx, e)
		return err
	})
	if err != nil {
		t.Fatalf("append %s: %v", e.Action, err)
	}
	return got
}

// sample returns a varied entry number i.
func sample(i int) Entry {
	e := Entry{
		ActorID:    fmt.Sprintf("actor-%d", i%5),
		ActorRole:  []string{"caseworker", "supervisor", "applicant"}[i%3],
		ActorScope: "office:BOG",
		Action:     []string{"household.read", "household.update", "token.create", "session.revoke"}[i%4],
		RecordType: "household",
		RecordID:   fmt.Sprintf("h-%d", i%7),
		Subject:    fmt.Sprintf("acct-%d", i%7),
		Fields:     []string{"members", "phone"}[:i%3%2+1],
		RequestID:  fmt.Sprintf("req-%d", i),
	}
	if i%10 == 0 {
		e.Action, e.Reason = "export.households", "quarterly report"
	}
	if i%6 == 0 {
		e.OnBehalfOf = "acct-1"
	}
	return e
}

func mustVerify(t *testing.T, db *store.DB) VerifyResult {
	t.Helper()
	res, err := Verify(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestAppendChainsConcurrentAppenders(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		// One by one, then several in one transaction.
		for i := range 100 {
			appendOne(t, db, sample(i))
		}
		err := db.Update(ctx, func(tx *store.Tx) error {
			for i := 100; i < 120; i++ {
				if _, err := Append(ctx, tx, sample(i)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// Concurrent appenders; every fifth transaction rolls back after
		// appending, and its entry must vanish without a trace.
		var wg sync.WaitGroup
		var committed atomic.Int64
		for g := range 8 {
			wg.Go(func() {
				for i := range 25 {
					n := 1000 + g*100 + i
					err := db.Update(ctx, func(tx *store.Tx) error {
						if _, err := Append(ctx, tx, sample(n)); err != nil {
							return err
						}
						if i%5 == 4 {
							return errRollback
						}
						return nil
					})
					switch {
					case err == nil:
						committed.Add(1)
					case !errors.Is(err, errRollback):
						t.Errorf("goroutine %d append %d: %v", g, i, err)
					}
				}
			})
		}
		wg.Wait()
		want := 120 + committed.Load()
		res := mustVerify(t, db)
		if res.Broken != nil || res.Entries != want || res.LastSeq != want {
			t.Fatalf("got %+v (broken %v), want %d intact entries", res, res.Broken, want)
		}
		all, err := Search(ctx, db, Filter{Limit: MaxLimit})
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range all {
			if e.Seq != int64(i+1) {
				t.Fatalf("entry %d has seq %d, want %d", i, e.Seq, i+1)
			}
		}
		if all[len(all)-1].Hash != res.LastHash {
			t.Errorf("got last hash %s, want %s", res.LastHash, all[len(all)-1].Hash)
		}
	})
}

func TestAppendReturnsStoredEntry(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		at := time.Date(2025, 6, 1, 12, 0, 0, 123456789, time.UTC)
		db.Now = func() time.Time { return at }
		keys := seal.New()
		in := sample(1)
		in.Remote = SealRemote(keys, "203.0.113.7:51234")
		in.Seq, in.PrevHash, in.Hash = 99, "forged", "forged" // ignored
		got := appendOne(t, db, in)
		if got.Seq != 1 || got.PrevHash != Genesis || got.Hash != Hash(got) || !got.At.Equal(at.Truncate(time.Microsecond)) {
			t.Fatalf("got seq %d prev %s hash %s at %s", got.Seq, got.PrevHash, got.Hash, got.At)
		}
		stored, err := Search(ctx, db, Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]Entry{got}, stored); diff != "" {
			t.Errorf("stored entry (-returned +stored):\n%s", diff)
		}
		addr, err := OpenRemote(keys, stored[0].Remote)
		if err != nil || addr != "203.0.113.7:51234" {
			t.Errorf("got remote %q, %v; want the client address", addr, err)
		}
		if strings.Contains(stored[0].Remote, "203.0.113.7") {
			t.Errorf("remote stored in the clear: %s", stored[0].Remote)
		}
		if _, err := OpenRemote(seal.New(), stored[0].Remote); err == nil {
			t.Error("opened the remote with another keyring")
		}
	})
}

// An entry may carry the earlier time its action was made (a journaled
// request recorded later); a time after the transaction's is not believed.
func TestAppendKeepsAnEarlierTime(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }
		earlier, later := sample(1), sample(2)
		earlier.At = now.Add(-time.Minute - 7*time.Nanosecond)
		later.At = now.Add(time.Hour)
		if got := appendOne(t, db, earlier); !got.At.Equal(earlier.At.Truncate(time.Microsecond)) {
			t.Errorf("earlier entry stored at %s, want %s", got.At, earlier.At)
		}
		if got := appendOne(t, db, later); !got.At.Equal(now) {
			t.Errorf("entry from the future stored at %s, want now (%s)", got.At, now)
		}
		if res, err := Verify(ctx, db); err != nil || res.Broken != nil || res.Entries != 2 {
			t.Errorf("the trail does not verify: %+v, %v", res, err)
		}
	})
}

func TestAppendRefusesInvalidEntries(t *testing.T) {
	keys := seal.New()
	ok := Entry{ActorRole: "caseworker", Action: "household.read"}
	tests := []struct {
		name   string
		modify func(*Entry)
		want   []senda.FieldError
	}{
		{"valid", func(*Entry) {}, nil},
		{"valid export", func(e *Entry) { e.Action, e.Reason = "export.households", "court order 17" }, nil},
		{"valid sealed remote", func(e *Entry) { e.Remote = SealRemote(keys, "10.0.0.1") }, nil},
		{"no action", func(e *Entry) { e.Action = "" }, []senda.FieldError{{Location: "action", Key: "validation.required"}}},
		{"no role", func(e *Entry) { e.ActorRole = "" }, []senda.FieldError{{Location: "actor_role", Key: "validation.required"}}},
		{"action not a dotted name", func(e *Entry) { e.Action = "Household Read" }, []senda.FieldError{{Location: "action", Key: "audit.action_format"}}},
		{"export without reason", func(e *Entry) { e.Action = "export.households" }, []senda.FieldError{{Location: "reason", Key: "audit.reason_required"}}},
		{"export with a blank reason", func(e *Entry) { e.Action, e.Reason = "export.households", " \t" }, []senda.FieldError{{Location: "reason", Key: "audit.reason_required"}}},
		{"remote in the clear", func(e *Entry) { e.Remote = "203.0.113.7" }, []senda.FieldError{{Location: "remote", Key: "audit.remote_not_sealed"}}},
		{"invalid UTF-8", func(e *Entry) { e.Subject = "acct-\xff" }, []senda.FieldError{{Location: "subject", Key: "audit.text"}}},
		{"NUL", func(e *Entry) { e.Reason = "a\x00b" }, []senda.FieldError{{Location: "reason", Key: "audit.text"}}},
		{"empty field name", func(e *Entry) { e.Fields = []string{"phone", ""} }, []senda.FieldError{{Location: "fields[1]", Key: "audit.text"}}},
		{"every problem at once", func(e *Entry) { e.Action, e.ActorRole = "", "" }, []senda.FieldError{
			{Location: "action", Key: "validation.required"}, {Location: "actor_role", Key: "validation.required"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := ok
			tt.modify(&e)
			err := validate(&e)
			var got []senda.FieldError
			var se *senda.Error
			if errors.As(err, &se) {
				if se.Code != senda.CodeInvalid {
					t.Errorf("got code %s, want invalid", se.Code)
				}
				got = se.Fields
			} else if err != nil {
				t.Fatalf("got %v, want a *senda.Error", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("field errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestInvalidAppendStoresNothing(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		err := db.Update(ctx, func(tx *store.Tx) error {
			_, err := Append(ctx, tx, Entry{ActorRole: "caseworker", Action: "export.households"})
			return err
		})
		if senda.ErrorCode(err) != senda.CodeInvalid {
			t.Fatalf("got %v, want an invalid error", err)
		}
		if res := mustVerify(t, db); res.Entries != 0 || res.LastHash != Genesis || res.Broken != nil {
			t.Errorf("got %+v, want an empty intact log", res)
		}
	})
}

func TestSearchFilters(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		var clock atomic.Int64
		db.Now = func() time.Time { return base.Add(time.Duration(clock.Load()) * time.Hour) }
		var all []Entry
		for i := range 60 {
			clock.Store(int64(i))
			all = append(all, appendOne(t, db, sample(i)))
		}
		hour := func(h int) time.Time { return base.Add(time.Duration(h) * time.Hour) }
		tests := []struct {
			name  string
			f     Filter
			match func(Entry) bool
		}{
			{"everything", Filter{}, func(Entry) bool { return true }},
			{"subject", Filter{Subject: "acct-3"}, func(e Entry) bool { return e.Subject == "acct-3" }},
			{"actor", Filter{ActorID: "actor-2"}, func(e Entry) bool { return e.ActorID == "actor-2" }},
			{"record type", Filter{RecordType: "household"}, func(e Entry) bool { return true }},
			{"record", Filter{RecordType: "household", RecordID: "h-4"}, func(e Entry) bool { return e.RecordID == "h-4" }},
			{"action", Filter{Action: "token.create"}, func(e Entry) bool { return e.Action == "token.create" }},
			{"action prefix", Filter{Action: "household.*"}, func(e Entry) bool { return strings.HasPrefix(e.Action, "household.") }},
			{"exports", Filter{Action: "export.*"}, func(e Entry) bool { return strings.HasPrefix(e.Action, "export.") }},
			{"time window", Filter{From: hour(10), To: hour(20)}, func(e Entry) bool { return !e.At.Before(hour(10)) && e.At.Before(hour(20)) }},
			{"subject and window", Filter{Subject: "acct-0", From: hour(7)}, func(e Entry) bool { return e.Subject == "acct-0" && !e.At.Before(hour(7)) }},
			{"after seq", Filter{AfterSeq: 50}, func(e Entry) bool { return e.Seq > 50 }},
			{"nothing", Filter{Subject: "acct-404"}, func(Entry) bool { return false }},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := Search(ctx, db, tt.f)
				if err != nil {
					t.Fatal(err)
				}
				want := []Entry{}
				for _, e := range all {
					if tt.match(e) {
						want = append(want, e)
					}
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
			})
		}
		// Keyset pages of 7 give back the whole subject's history.
		var paged []Entry
		f := Filter{Subject: "acct-5", Limit: 7}
		for {
			page, err := Search(ctx, db, f)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			if len(page) > 7 {
				t.Fatalf("got a page of %d, want at most 7", len(page))
			}
			paged = append(paged, page...)
			f.AfterSeq = page[len(page)-1].Seq
		}
		whole, _ := Search(ctx, db, Filter{Subject: "acct-5"})
		if diff := cmp.Diff(whole, paged); diff != "" {
			t.Errorf("pages (-whole +paged):\n%s", diff)
		}
		if got, _ := Search(ctx, db, Filter{Limit: 5}); len(got) != 5 || got[4].Seq != 5 {
			t.Errorf("limit 5: got %d entries", len(got))
		}
	})
}

func TestExport(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		for i := range 30 {
			appendOne(t, db, sample(i))
		}
		auditor := Actor{ID: "auditor-1", Role: "auditor", RequestID: "req-x"}
		for _, reason := range []string{"", "   "} {
			var buf bytes.Buffer
			err := ExportAudited(ctx, db, auditor, reason, Filter{}, &buf)
			var se *senda.Error
			if !errors.As(err, &se) || se.Code != senda.CodeInvalid || !cmp.Equal(se.Fields, []senda.FieldError{{Location: "reason", Key: "audit.reason_required"}}) {
				t.Fatalf("export with reason %q: got %v, want invalid reason/audit.reason_required", reason, err)
			}
			if buf.Len() != 0 {
				t.Errorf("export with reason %q wrote %d bytes", reason, buf.Len())
			}
		}
		if res := mustVerify(t, db); res.Entries != 30 {
			t.Fatalf("a refused export was recorded: %d entries, want 30", res.Entries)
		}

		// The export is recorded first, with its reason, and an unfiltered
		// export re-verifies on its own.
		var buf bytes.Buffer
		if err := ExportAudited(ctx, db, auditor, "annual review", Filter{}, &buf); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
		if len(lines) != 31 {
			t.Fatalf("got %d lines, want 31", len(lines))
		}
		c := newChain()
		var last Entry
		for i, l := range lines {
			if err := json.Unmarshal([]byte(l), &last); err != nil {
				t.Fatalf("line %d: %v", i+1, err)
			}
			if b := c.check(&last, string(appendStrings(nil, last.Fields))); b != nil {
				t.Fatalf("exported chain broken: %v", b)
			}
		}
		if last.Action != ExportAction || last.Reason != "annual review" || last.ActorID != "auditor-1" || last.RecordType != "audit_log" {
			t.Errorf("got last entry %+v, want the export itself", last)
		}

		// A filtered export holds exactly what Search finds.
		f := Filter{Subject: "acct-2"}
		want, _ := Search(ctx, db, f)
		buf.Reset()
		if err := Export(ctx, db, f, &buf); err != nil {
			t.Fatal(err)
		}
		var got []Entry
		dec := json.NewDecoder(&buf)
		for dec.More() {
			var e Entry
			if err := dec.Decode(&e); err != nil {
				t.Fatal(err)
			}
			got = append(got, e)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("filtered export (-search +export):\n%s", diff)
		}
	})
}

// Entries appended together chain exactly as if appended one by one, in
// one multi-row insert or across several, and interleave with single
// appends; an invalid entry among them stores none of them.
func TestAppendManyChains(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		appendOne(t, db, sample(0))
		for _, n := range []int{1, 2, rowsPerInsert, rowsPerInsert + 3} {
			batch := make([]Entry, n)
			for i := range batch {
				batch[i] = sample(i)
			}
			var got []Entry
			err := db.Update(ctx, func(tx *store.Tx) (err error) {
				got, err = AppendMany(ctx, tx, batch)
				return err
			})
			if err != nil || len(got) != n {
				t.Fatalf("append %d: %d entries, %v", n, len(got), err)
			}
			for i := 1; i < n; i++ {
				if got[i].Seq != got[i-1].Seq+1 || got[i].PrevHash != got[i-1].Hash || got[i].Hash != Hash(got[i]) {
					t.Fatalf("append %d: entry %d does not follow entry %d", n, i, i-1)
				}
			}
			appendOne(t, db, sample(n))
		}
		res := mustVerify(t, db)
		if want := int64(1 + (1 + 2 + rowsPerInsert + rowsPerInsert + 3) + 4); res.Entries != want {
			t.Fatalf("verified %d entries, want %d", res.Entries, want)
		}
		bad := []Entry{sample(1), sample(2)}
		bad[1].ActorRole = ""
		err := db.Update(ctx, func(tx *store.Tx) error { _, err := AppendMany(ctx, tx, bad); return err })
		if err == nil {
			t.Fatal("an invalid entry among many was appended")
		}
		if again := mustVerify(t, db); again.Entries != res.Entries {
			t.Fatalf("after a refused batch: %d entries, want %d", again.Entries, res.Entries)
		}
	})
}
