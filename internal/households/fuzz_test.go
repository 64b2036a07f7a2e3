package households

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/senda-platform/senda/internal/store"
	"github.com/senda-platform/senda/internal/storetest"
)

// FuzzImport feeds hostile JSON Lines to the import: it never fails as a
// whole, never half-saves a line, and reports every line it did not save.
func FuzzImport(f *testing.F) {
	db := storetest.New(f, store.SQLite)
	s := &Service{DB: db, Keys: newService(nil, db).Keys}
	good, _ := json.Marshal(family(f))
	for _, seed := range []string{string(good), `{}`, `{"members":[{"relationship":"principal","given_names":"A","surnames":["B"],"birth_date":"2000"}],"place":"MX"}`,
		"\n\n", `{"members":[` + strings.Repeat(`{},`, 30) + `{}]}`, `[1,2]`, "\x00\xff", `{"place":"ZZ/NOPE","members":null}`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, input string) {
		ctx := context.Background()
		var before, after int
		db.Reader().QueryRow(`SELECT COUNT(*) FROM households`).Scan(&before)
		lines := 0
		sum, err := s.Import(ctx, adminAll, strings.NewReader(input), func(r LineResult) {
			lines++
			if r.Status == "invalid" && len(r.Errors) == 0 {
				t.Fatalf("line %d invalid without a reason", r.Line)
			}
		})
		if err != nil {
			t.Fatalf("import failed as a whole: %v", err)
		}
		db.Reader().QueryRow(`SELECT COUNT(*) FROM households`).Scan(&after)
		if after-before != sum.Created {
			t.Fatalf("%d households stored for %d created lines", after-before, sum.Created)
		}
		var orphans int
		db.Reader().QueryRow(`SELECT COUNT(*) FROM household_index i LEFT JOIN households h ON h.id = i.household_id WHERE h.id IS NULL`).Scan(&orphans)
		if orphans != 0 {
			t.Fatalf("%d index rows without a household", orphans)
		}
	})
}
