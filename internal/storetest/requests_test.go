package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/senda-platform/senda/internal/store"
)

// prepareIntake prepares the intake statements for the test.
func prepareIntake(t *testing.T, db *store.DB) *store.IntakeStatements {
	t.Helper()
	st, err := db.PrepareIntake(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// requestRow is a request of household for 2 March 2025.
func requestRow(household, id, prefs string) store.RequestRow {
	return store.RequestRow{Key: store.NewID(), ID: id, ServiceDate: "2025-03-02", HouseholdID: household, Size: 2,
		RegisteredAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Preferences: prefs}
}

// Upserting many requests at once answers exactly as upserting them one by
// one: a household's later row replaces its earlier one (in the same call
// or an earlier one), under the id the later row carries, across several
// statements.
func TestUpsertRequestsInOneCall(t *testing.T) {
	ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx, st := context.Background(), prepareIntake(t, db)
		row := func(household, prefs string) store.RequestRow { return requestRow(household, "R"+store.NewID(), prefs) }
		upsert := func(rows []store.RequestRow) (ids []string, replaced []bool) {
			t.Helper()
			err := db.Update(ctx, func(tx *store.Tx) (err error) {
				ids, replaced, err = tx.UpsertRequests(ctx, st, rows)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return ids, replaced
		}
		ids, replaced := upsert([]store.RequestRow{row("h1", "POE-SYS"), row("h2", "POE-ELP"), row("h1", "POE-ELP,POE-SYS"), row("h1", "POE-BRO")})
		first := ids[0]
		if want := []bool{false, false, true, true}; fmt.Sprint(replaced) != fmt.Sprint(want) {
			t.Fatalf("replaced %v, want %v", replaced, want)
		}
		if ids[2] == first || ids[3] == first || ids[3] == ids[2] || ids[1] == first {
			t.Fatalf("ids %v: a household's later rows must carry their own ids", ids)
		}
		// Many rows, more than one statement holds, with h2 sent again.
		var rows []store.RequestRow
		for i := range 1203 {
			rows = append(rows, row(fmt.Sprintf("g%04d", i), "POE-SYS"))
		}
		rows = append(rows, row("h2", "POE-HID"))
		ids2, replaced2 := upsert(rows)
		if !replaced2[len(rows)-1] || ids2[len(rows)-1] != rows[len(rows)-1].ID || replaced2[0] || ids2[0] != rows[0].ID {
			t.Fatalf("second call: first %s/%v, last %s/%v", ids2[0], replaced2[0], ids2[len(rows)-1], replaced2[len(rows)-1])
		}
		err := db.View(ctx, func(tx *store.Tx) error {
			r, err := tx.Request(ctx, "2025-03-02", "h1")
			if err != nil || r.Preferences != "POE-BRO" || r.ID != ids[3] {
				return fmt.Errorf("h1 holds %+v, %v; want its last request", r, err)
			}
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM appointment_requests`).Scan(&n); err != nil || n != 1205 {
				return fmt.Errorf("%d requests stored, %v; want 1205", n, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// The intake journal keeps requests in commit order until they are taken:
// the latest id of a household's date is found in the journal before the
// folded requests, a household's rows can be taken alone, and rows taken
// are gone (on PostgreSQL, from every other taker too).
func TestIntakeJournal(t *testing.T) {
	ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx, st := context.Background(), prepareIntake(t, db)
		row := func(household, id string) store.IntakeRow {
			return store.IntakeRow{Request: requestRow(household, id, "POE-SYS"), Action: "appointment.request", Subject: "s-" + household,
				ActorID: "acct", ActorRole: "applicant", ActorScope: "*"}
		}
		// A folded request of h0, then 23 journal rows in five inserts
		// (16 + 4 + 1 + 1 + 1), h1's twice.
		err := db.Update(ctx, func(tx *store.Tx) error {
			if _, _, err := tx.UpsertRequests(ctx, st, []store.RequestRow{row("h0", "FOLDED").Request}); err != nil {
				return err
			}
			var rows []store.IntakeRow
			for i := range 22 {
				rows = append(rows, row(fmt.Sprintf("h%d", i+1), fmt.Sprintf("J%02d", i)))
			}
			rows = append(rows, row("h1", "J22"))
			return tx.AppendIntake(ctx, st, rows)
		})
		if err != nil {
			t.Fatal(err)
		}
		err = db.Update(ctx, func(tx *store.Tx) error {
			got, err := tx.LiveRequestIDs(ctx, st, []store.RequestSlot{{Date: "2025-03-02", Household: "h0"}, {Date: "2025-03-02", Household: "h1"},
				{Date: "2025-03-02", Household: "h9"}, {Date: "2025-03-03", Household: "h1"}, {Date: "2025-03-02", Household: "nobody"}})
			if err != nil {
				return err
			}
			want := map[store.RequestSlot]string{{Date: "2025-03-02", Household: "h0"}: "FOLDED", {Date: "2025-03-02", Household: "h1"}: "J22",
				{Date: "2025-03-02", Household: "h9"}: "J08"}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				return fmt.Errorf("latest ids %v, want %v", got, want)
			}
			mine, err := tx.TakeIntake(ctx, "h1", 100)
			if err != nil || len(mine) != 2 || mine[0].Request.ID != "J00" || mine[1].Request.ID != "J22" || mine[0].Seq >= mine[1].Seq ||
				mine[1].Subject != "s-h1" || mine[1].ActorRole != "applicant" || mine[1].At.IsZero() || mine[1].At.After(tx.Now) {
				return fmt.Errorf("h1's rows %+v, %v", mine, err)
			}
			first, err := tx.TakeIntake(ctx, "", 5)
			if err != nil || len(first) != 5 || first[0].Request.ID != "J01" || first[4].Request.ID != "J05" {
				return fmt.Errorf("first five %+v, %v", first, err)
			}
			rest, err := tx.TakeIntake(ctx, "", 100)
			if err != nil || len(rest) != 16 || rest[15].Request.ID != "J21" {
				return fmt.Errorf("the rest: %d rows, %v", len(rest), err)
			}
			again, err := tx.TakeIntake(ctx, "", 100)
			if err != nil || len(again) != 0 {
				return fmt.Errorf("taken twice: %d rows, %v", len(again), err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// Once taken (and here not folded) a slot is empty; a row appended
		// later is found, and one rolled back is not.
		errRollback := fmt.Errorf("roll back")
		err = db.Update(ctx, func(tx *store.Tx) error {
			if err := tx.AppendIntake(ctx, st, []store.IntakeRow{row("h7", "ROLLED")}); err != nil {
				return err
			}
			return errRollback
		})
		if err == nil {
			t.Fatal("the transaction committed")
		}
		err = db.Update(ctx, func(tx *store.Tx) error { return tx.AppendIntake(ctx, st, []store.IntakeRow{row("h5", "LATER")}) })
		if err != nil {
			t.Fatal(err)
		}
		err = db.Update(ctx, func(tx *store.Tx) error {
			got, err := tx.LiveRequestIDs(ctx, st, []store.RequestSlot{{Date: "2025-03-02", Household: "h1"}, {Date: "2025-03-02", Household: "h5"},
				{Date: "2025-03-02", Household: "h7"}})
			if want := map[store.RequestSlot]string{{Date: "2025-03-02", Household: "h5"}: "LATER"}; err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
				return fmt.Errorf("after taking: %v, %v; want %v", got, err, want)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// A batch stored through AppendIntakeOpen, which is one statement on
// PostgreSQL, answers as the writer's transaction does: each row takes the
// latest id of its household and date (in the journal, among the folded
// requests, or earlier in the batch) and is then a replacement; and nothing
// is written unless every date's draw is open at the time given, and every
// household still as the writer checked it.
func TestAppendIntakeOpen(t *testing.T) {
	ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx, st := context.Background(), prepareIntake(t, db)
		opens := time.Date(2025, 3, 1, 17, 0, 0, 0, time.UTC)
		closes := opens.Add(11 * time.Hour)
		household := func(tx *store.Tx, id, owner string) error {
			return tx.InsertHousehold(ctx, store.HouseholdRow{ID: id, Receipt: "R" + id, Place: "MX", OwnerAccount: owner, CreatedBy: "t", Status: "submitted", Size: 1, Data: []byte{1}})
		}
		err := db.Update(ctx, func(tx *store.Tx) error {
			for _, date := range []string{"2025-03-02", "2025-03-03"} {
				if _, err := tx.InsertDraw(ctx, store.DrawRow{ServiceDate: date, Commitment: "c", Seed: []byte("s"), OpensAt: opens, ClosesAt: closes, PriorityShareBP: 2500}); err != nil {
					return err
				}
			}
			if err := tx.CreateAccount(ctx, store.Account{ID: "o1", Kind: "applicant", Role: "applicant", Scope: "*"}); err != nil {
				return err
			}
			for _, h := range []string{"h0", "h1", "h2", "h3", "h4", "h6"} {
				if err := household(tx, h, ""); err != nil {
					return err
				}
			}
			if err := household(tx, "h5", "o1"); err != nil {
				return err
			}
			_, _, err := tx.UpsertRequests(ctx, st, []store.RequestRow{requestRow("h0", "FOLDED", "POE-SYS")})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		row := func(household, date, id string) store.IntakeRow {
			q := requestRow(household, id, "POE-SYS")
			q.ServiceDate = date
			return store.IntakeRow{Request: q, Action: "new", Subject: "s-" + household, ActorID: "acct", ActorRole: "applicant", ActorScope: "*"}
		}
		// Every household at version 1; h5 asked for as o1's only one.
		checks := func(rows []store.IntakeRow) []store.HouseholdCheck {
			out := make([]store.HouseholdCheck, len(rows))
			for i, r := range rows {
				out[i].Version = 1
				if r.Request.HouseholdID == "h5" {
					out[i].OnlyOf = "o1"
				}
			}
			return out
		}
		appendOpen := func(at time.Time, rows ...store.IntakeRow) ([]string, []bool, error) {
			return db.AppendIntakeOpen(ctx, st, at, "again", rows, checks(rows))
		}
		at := opens.Add(time.Hour)
		ids, replaced, err := appendOpen(at, row("h1", "2025-03-02", "A1"), row("h0", "2025-03-02", "A2"), row("h1", "2025-03-03", "A3"), row("h1", "2025-03-02", "A4"), row("h2", "2025-03-02", "A5"))
		if err != nil {
			t.Fatal(err)
		}
		if want := "[A1 FOLDED A3 A1 A5] [false true false true false]"; fmt.Sprint(ids, " ", replaced) != want {
			t.Fatalf("first batch: %v %v, want %s", ids, replaced, want)
		}
		ids, replaced, err = appendOpen(at.Add(time.Second), row("h2", "2025-03-02", "B1"), row("h3", "2025-03-02", "B2"), row("h5", "2025-03-02", "B3"))
		if want := "[A5 B2 B3] [true false false]"; err != nil || fmt.Sprint(ids, " ", replaced) != want {
			t.Fatalf("second batch: %v %v, %v; want %s", ids, replaced, err, want)
		}
		// Closed by time (before the opening, at the close), by status, or
		// with no draw at all: nothing is written.
		if _, _, err := appendOpen(closes, row("h4", "2025-03-02", "C1")); err != store.ErrIntakeClosed {
			t.Fatalf("at the close: %v", err)
		}
		if _, _, err := appendOpen(opens.Add(-time.Microsecond), row("h4", "2025-03-02", "C2")); err != store.ErrIntakeClosed {
			t.Fatalf("before the opening: %v", err)
		}
		if _, _, err := appendOpen(at, row("h4", "2025-03-02", "C3"), row("h4", "2025-03-09", "C4")); err != store.ErrIntakeClosed {
			t.Fatalf("a date without a draw: %v", err)
		}
		// A household no longer as checked: nothing is written either.
		err = db.Update(ctx, func(tx *store.Tx) error {
			if err := tx.UpdateHousehold(ctx, store.HouseholdRow{ID: "h2", Place: "MX", Status: "submitted", Size: 2, Data: []byte{2}}, 1, "t"); err != nil {
				return err
			}
			if _, err := tx.InsertAppointment(ctx, store.AppointmentRow{ID: "ap1", Code: "CODE1", HouseholdID: "h3", RequestID: "B2", DrawDate: "2025-02-28",
				Phase: "lottery", ServiceDate: "2025-03-01", Location: "POE-SYS", Start: opens, Size: 1, Preferences: "POE-SYS", Status: "allocated", ConfirmBy: closes}); err != nil {
				return err
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for name, rows := range map[string][]store.IntakeRow{
			"a household changed":                   {row("h4", "2025-03-02", "D1"), row("h2", "2025-03-02", "D2")},
			"a household that holds an appointment": {row("h3", "2025-03-03", "D3"), row("h4", "2025-03-02", "D4")},
			"a household that does not exist":       {row("h4", "2025-03-02", "D5"), row("h9", "2025-03-02", "D6")},
		} {
			if _, _, err := appendOpen(at, rows...); err != store.ErrIntakeStale {
				t.Fatalf("%s: %v", name, err)
			}
		}
		if _, _, err := db.AppendIntakeOpen(ctx, st, at, "again", []store.IntakeRow{row("h4", "2025-03-02", "D7")}, []store.HouseholdCheck{}); err == nil {
			t.Fatal("rows without their checks were taken")
		}
		err = db.Update(ctx, func(tx *store.Tx) error { return household(tx, "h7", "o1") })
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := appendOpen(at, row("h5", "2025-03-03", "D8")); err != store.ErrIntakeStale {
			t.Fatalf("an account's only household, no longer: %v", err)
		}
		// A closed draw is told first.
		err = db.Update(ctx, func(tx *store.Tx) error {
			_, err := tx.SetDrawStatus(ctx, "2025-03-03", "open", "closed", nil)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := appendOpen(at, row("h4", "2025-03-02", "C5"), row("h2", "2025-03-03", "C6")); err != store.ErrIntakeClosed {
			t.Fatalf("a closed draw: %v", err)
		}
		// Checked against its new version, the changed household goes in;
		// without checks (the writer has just read them), any household.
		if ids, _, err := db.AppendIntakeOpen(ctx, st, at, "again", []store.IntakeRow{row("h2", "2025-03-02", "E1")}, []store.HouseholdCheck{{Version: 2}}); err != nil || ids[0] != "A5" {
			t.Fatalf("checked again: %v, %v", ids, err)
		}
		if ids, _, err := db.AppendIntakeOpen(ctx, st, at, "again", []store.IntakeRow{row("h3", "2025-03-02", "E2")}, nil); err != nil || ids[0] != "B2" {
			t.Fatalf("without checks: %v, %v", ids, err)
		}
		err = db.Update(ctx, func(tx *store.Tx) error {
			rows, err := tx.TakeIntake(ctx, "", 100)
			if err != nil {
				return err
			}
			var got []string
			for _, r := range rows {
				got = append(got, r.Request.ID+"/"+r.Action+"/"+r.Subject)
				if !r.At.Equal(at) && !r.At.Equal(at.Add(time.Second)) {
					return fmt.Errorf("row %s stamped %v", r.Request.ID, r.At)
				}
			}
			if want := "[A1/new/s-h1 FOLDED/again/s-h0 A3/new/s-h1 A1/again/s-h1 A5/new/s-h2 A5/again/s-h2 B2/new/s-h3 B3/new/s-h5 A5/again/s-h2 B2/again/s-h3]"; fmt.Sprint(got) != want {
				return fmt.Errorf("journal %v, want %s", got, want)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
