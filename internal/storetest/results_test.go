package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/senda-platform/senda/internal/store"
)

// Stored eligibility results carry no foreign key: results of a household
// that no longer exists are left out, and erasing a household erases its
// results, on both engines; on PostgreSQL an erasure waits for a results
// writer that holds the household and then removes what it wrote.
func TestEligibilityResultsFollowTheirHousehold(t *testing.T) {
	ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		run := store.EligibilityRun{ID: store.NewID(), Kind: "all", PolicyVersion: "v", AsOf: "2025-01-01", StartedBy: "t"}
		a, b := store.NewID(), store.NewID()
		if err := db.Update(ctx, func(tx *store.Tx) error {
			for i, id := range []string{a, b} {
				h := store.HouseholdRow{ID: id, Receipt: "R" + id, Place: "MX", CreatedBy: "t", Status: "submitted", Size: 1 + i, Data: []byte{1}}
				if err := tx.InsertHousehold(ctx, h); err != nil {
					return err
				}
			}
			return tx.InsertEligibilityRun(ctx, run)
		}); err != nil {
			t.Fatal(err)
		}
		count := func(id string) int {
			t.Helper()
			var rows []store.StoredEligibility
			if err := db.View(ctx, func(tx *store.Tx) (err error) {
				rows, err = tx.EligibilityResults(ctx, id, 10)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return len(rows)
		}
		gone := store.NewID()
		if err := db.Update(ctx, func(tx *store.Tx) error {
			return tx.InsertEligibilityResults(ctx, []store.EligibilityResultRow{
				{HouseholdID: a, RunID: run.ID, HouseholdVersion: 1, Data: []byte{2}},
				{HouseholdID: gone, RunID: run.ID, HouseholdVersion: 1, Data: []byte{2}},
				{HouseholdID: b, RunID: run.ID, HouseholdVersion: 1, Data: []byte{3}},
			})
		}); err != nil {
			t.Fatal(err)
		}
		if count(a) != 1 || count(b) != 1 || count(gone) != 0 {
			t.Fatalf("results: %d, %d, and %d of a household that does not exist; want 1, 1, 0", count(a), count(b), count(gone))
		}
		// Many rows at once: whole multi-row statements and the rest, with
		// every third household missing.
		var many []store.EligibilityResultRow
		want := 0
		if err := db.Update(ctx, func(tx *store.Tx) error {
			for i := range 150 {
				id := store.NewID()
				if i%3 != 0 {
					want++
					if err := tx.InsertHousehold(ctx, store.HouseholdRow{ID: id, Receipt: "M" + id, Place: "MX", CreatedBy: "t", Status: "submitted", Size: 1, Data: []byte{1}}); err != nil {
						return err
					}
				}
				many = append(many, store.EligibilityResultRow{HouseholdID: id, RunID: run.ID, HouseholdVersion: 1, Data: []byte{byte(i)}})
			}
			return tx.InsertEligibilityResults(ctx, many)
		}); err != nil {
			t.Fatal(err)
		}
		var stored int
		if err := db.View(ctx, func(tx *store.Tx) (err error) {
			stored, err = tx.CountEligibilityResults(ctx, run.ID)
			return err
		}); err != nil || stored != want+2 {
			t.Fatalf("stored %d results of the run, %v; want %d", stored, err, want+2)
		}
		for i, r := range many {
			if n := count(r.HouseholdID); n != map[bool]int{true: 0, false: 1}[i%3 == 0] {
				t.Fatalf("row %d: %d results", i, n)
			}
		}
		if err := db.Update(ctx, func(tx *store.Tx) error { return tx.DeleteHousehold(ctx, a) }); err != nil {
			t.Fatal(err)
		}
		if count(a) != 0 || count(b) != 1 {
			t.Fatalf("after erasing a: %d and %d results, want 0 and 1", count(a), count(b))
		}
		if db.Dialect != store.Postgres {
			return
		}
		// A writer holds b's results uncommitted; the erasure of b waits
		// for it and then removes them.
		run2 := store.EligibilityRun{ID: store.NewID(), Kind: "all", PolicyVersion: "v", AsOf: "2025-01-02", StartedBy: "t"}
		if err := db.Update(ctx, func(tx *store.Tx) error { return tx.InsertEligibilityRun(ctx, run2) }); err != nil {
			t.Fatal(err)
		}
		inserted, release := make(chan struct{}), make(chan struct{})
		writer := make(chan error, 1)
		go func() {
			writer <- db.Update(ctx, func(tx *store.Tx) error {
				err := tx.InsertEligibilityResults(ctx, []store.EligibilityResultRow{{HouseholdID: b, RunID: run2.ID, HouseholdVersion: 1, Data: []byte{4}}})
				close(inserted)
				<-release
				return err
			})
		}()
		<-inserted
		erased := make(chan error, 1)
		go func() { erased <- db.Update(ctx, func(tx *store.Tx) error { return tx.DeleteHousehold(ctx, b) }) }()
		select {
		case err := <-erased:
			t.Fatalf("the erasure did not wait for the results writer: %v", err)
		case <-time.After(300 * time.Millisecond):
		}
		close(release)
		if err := <-writer; err != nil {
			t.Fatal(err)
		}
		if err := <-erased; err != nil {
			t.Fatal(err)
		}
		if n := count(b); n != 0 {
			t.Fatalf("after erasing b: %d results left, want 0", n)
		}
	})
}

// Screening profiles go in multi-row statements: more than one statement's
// worth is stored, and stored again replaces, on both engines.
func TestPutManyScreeningProfiles(t *testing.T) {
	ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var rows []store.ScreeningProfileRow
		if err := db.Update(ctx, func(tx *store.Tx) error {
			for i := range 150 {
				id := store.NewID()
				if err := tx.InsertHousehold(ctx, store.HouseholdRow{ID: id, Receipt: "P" + id, Place: "MX", CreatedBy: "t", Status: "submitted", Size: 1, Data: []byte{1}}); err != nil {
					return err
				}
				rows = append(rows, store.ScreeningProfileRow{HouseholdID: id, HouseholdVersion: 1, Status: "submitted", Place: "MX", Members: 1, Format: "f", Data: []byte{byte(i)}})
			}
			return tx.PutScreeningProfiles(ctx, rows)
		}); err != nil {
			t.Fatal(err)
		}
		for i := range rows {
			rows[i].HouseholdVersion, rows[i].Data = 2, []byte{byte(i), 2}
		}
		if err := db.Update(ctx, func(tx *store.Tx) error { return tx.PutScreeningProfiles(ctx, rows) }); err != nil {
			t.Fatal(err)
		}
		seen := 0
		if err := db.View(ctx, func(tx *store.Tx) error {
			_, err := tx.EachScreeningProfile(ctx, "", 1000, false, func(r store.ScreeningProfileRow) error {
				if r.HouseholdVersion != 2 || len(r.Data) != 2 || r.Data[1] != 2 {
					t.Errorf("%s: version %d, data %v; want the second put", r.HouseholdID, r.HouseholdVersion, r.Data)
				}
				seen++
				return nil
			})
			return err
		}); err != nil || seen != len(rows) {
			t.Fatalf("read %d profiles, %v; want %d", seen, err, len(rows))
		}
	})
}
