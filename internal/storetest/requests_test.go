package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/senda-platform/senda/internal/store"
)

// Upserting many requests at once answers exactly as upserting them one by
// one: a household's later row replaces its earlier one (in the same call
// or an earlier one) and keeps its id, across several statements.
func TestUpsertRequestsInOneCall(t *testing.T) {
	ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		st, err := db.PrepareIntake(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		row := func(household, prefs string) store.RequestRow {
			return store.RequestRow{Key: store.NewID(), ID: "R" + store.NewID(), ServiceDate: "2025-03-02", HouseholdID: household, Size: 2,
				RegisteredAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Preferences: prefs}
		}
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
		if ids[2] != first || ids[3] != first || ids[1] == first {
			t.Fatalf("ids %v: a household's later rows must keep its first id", ids)
		}
		// Many rows, more than one statement holds, with h2 sent again.
		var rows []store.RequestRow
		for i := range 1203 {
			rows = append(rows, row(fmt.Sprintf("g%04d", i), "POE-SYS"))
		}
		rows = append(rows, row("h2", "POE-HID"))
		ids2, replaced2 := upsert(rows)
		if !replaced2[len(rows)-1] || ids2[len(rows)-1] != ids[1] || replaced2[0] || ids2[0] != rows[0].ID {
			t.Fatalf("second call: first %s/%v, last %s/%v", ids2[0], replaced2[0], ids2[len(rows)-1], replaced2[len(rows)-1])
		}
		err = db.View(ctx, func(tx *store.Tx) error {
			r, err := tx.Request(ctx, "2025-03-02", "h1")
			if err != nil || r.Preferences != "POE-BRO" || r.ID != first {
				return fmt.Errorf("h1 holds %+v, %v; want its last preferences under its first id", r, err)
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
