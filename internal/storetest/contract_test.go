package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/internal/store"
)

func TestMigrateIsIdempotentAndCurrent(t *testing.T) {
	ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.Migrate(ctx); err != nil {
			t.Fatalf("second migrate: %v", err)
		}
		if err := db.CheckSchema(ctx); err != nil {
			t.Fatalf("CheckSchema after migrate: %v", err)
		}
		st, err := db.MigrationStatuses(ctx)
		if err != nil || len(st) == 0 {
			t.Fatalf("got %d statuses, %v; want some", len(st), err)
		}
		for _, s := range st {
			if !s.Applied {
				t.Errorf("migration %d not applied", s.Version)
			}
		}
	})
}

func TestLocationsLoad(t *testing.T) {
	ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		locs := []store.Location{
			{Code: "POE-SYS", Kind: "port", Country: "US", Name: "San Ysidro", TimeZone: "America/Los_Angeles", Latitude: 32.5422, Longitude: -117.0298},
			{Code: "SMO-GUA", Kind: "office", Country: "GT", Name: "Guatemala City", TimeZone: "America/Guatemala", Latitude: 14.6349, Longitude: -90.5069},
		}
		for i := 0; i < 2; i++ {
			if err := db.LoadLocations(ctx, "v1", locs); err != nil {
				t.Fatal(err)
			}
		}
		got, err := db.Locations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(locs, got); diff != "" {
			t.Errorf("locations (-want +got):\n%s", diff)
		}
		locs[0].Name = "San Ysidro (PedWest)"
		if err := db.LoadLocations(ctx, "v2", locs); err != nil {
			t.Fatal(err)
		}
		got, _ = db.Locations(ctx)
		if got[0].Name != "San Ysidro (PedWest)" {
			t.Errorf("got name %q after reload of v2, want the new name", got[0].Name)
		}
	})
}

func TestJobLifecycle(t *testing.T) {
	ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		db.Now = func() time.Time { return now }
		id, err := db.EnqueueJob(ctx, store.Job{Kind: "k", Payload: `{}`, UniqueKey: "once", MaxAttempts: 2})
		if err != nil {
			t.Fatal(err)
		}
		id2, err := db.EnqueueJob(ctx, store.Job{Kind: "k", Payload: `{}`, UniqueKey: "once"})
		if err != nil || id2 != id {
			t.Fatalf("re-enqueue with the same unique key: got %q, %v; want %q", id2, err, id)
		}
		j, err := db.ClaimJob(ctx, "w1", nil, time.Minute)
		if err != nil || j.ID != id || j.Attempts != 1 {
			t.Fatalf("claim: got %+v, %v", j, err)
		}
		if _, err := db.ClaimJob(ctx, "w2", nil, time.Minute); !senda.IsNotFound(err) {
			t.Fatalf("second claim while leased: got %v, want not_found", err)
		}
		// The worker dies: after the lease, another worker takes the job.
		now = now.Add(2 * time.Minute)
		j, err = db.ClaimJob(ctx, "w2", nil, time.Minute)
		if err != nil || j.Attempts != 2 {
			t.Fatalf("claim after lease expiry: got %+v, %v", j, err)
		}
		if err := db.CompleteJob(ctx, id, "w1"); senda.ErrorCode(err) != senda.CodeConflict {
			t.Fatalf("complete by the worker that lost the lease: got %v, want conflict", err)
		}
		if err := db.FailJob(ctx, id, "w2", "boom", now.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		j, _ = db.GetJob(ctx, id)
		if j.Status != "failed" || j.LastError != "boom" {
			t.Fatalf("after last attempt: got status %q error %q, want failed/boom", j.Status, j.LastError)
		}
	})
}

func TestJobRetryThenDone(t *testing.T) {
	ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		db.Now = func() time.Time { return now }
		id, _ := db.EnqueueJob(ctx, store.Job{Kind: "k", Payload: `{}`})
		db.ClaimJob(ctx, "w", nil, time.Minute)
		if err := db.FailJob(ctx, id, "w", "transient", now.Add(10*time.Second)); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ClaimJob(ctx, "w", nil, time.Minute); !senda.IsNotFound(err) {
			t.Fatalf("claim before retry time: got %v, want not_found", err)
		}
		now = now.Add(11 * time.Second)
		if _, err := db.ClaimJob(ctx, "w", nil, time.Minute); err != nil {
			t.Fatalf("claim after retry time: %v", err)
		}
		if err := db.CompleteJob(ctx, id, "w"); err != nil {
			t.Fatal(err)
		}
		counts, _ := db.JobCounts(ctx)
		if counts["done"] != 1 {
			t.Fatalf("got counts %v, want one done", counts)
		}
	})
}

// Several workers racing for jobs each get distinct jobs: every job is
// claimed exactly once.
func TestJobClaimedOnceUnderConcurrency(t *testing.T) {
	ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		const n = 60
		for i := 0; i < n; i++ {
			if _, err := db.EnqueueJob(ctx, store.Job{Kind: "k", Payload: `{}`}); err != nil {
				t.Fatal(err)
			}
		}
		var mu sync.Mutex
		seen := map[string]int{}
		var wg sync.WaitGroup
		for w := 0; w < 6; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for {
					j, err := db.ClaimJob(ctx, "w", nil, time.Hour)
					if senda.IsNotFound(err) {
						return
					}
					if err != nil {
						if senda.ErrorCode(err) == senda.CodeUnavailable {
							continue
						}
						t.Error(err)
						return
					}
					mu.Lock()
					seen[j.ID]++
					mu.Unlock()
				}
			}(w)
		}
		wg.Wait()
		if len(seen) != n {
			t.Fatalf("claimed %d distinct jobs, want %d", len(seen), n)
		}
		for id, c := range seen {
			if c != 1 {
				t.Errorf("job %s claimed %d times", id, c)
			}
		}
	})
}

func TestOutboxRoundTrip(t *testing.T) {
	ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		m := store.Message{ID: store.NewID(), Channel: "sms", Recipient: []byte{1, 2, 3}, Language: "ht", Template: "t", Params: []byte{4}}
		if err := db.Update(ctx, func(tx *store.Tx) error { return tx.QueueMessage(ctx, m) }); err != nil {
			t.Fatal(err)
		}
		if err := db.MarkMessage(ctx, m.ID, "sent", "dev", ""); err != nil {
			t.Fatal(err)
		}
		got, err := db.GetMessage(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != "sent" || got.Sender != "dev" || got.Language != "ht" || string(got.Recipient) != "\x01\x02\x03" || got.SentAt.IsZero() {
			t.Fatalf("got %+v", got)
		}
		list, _ := db.ListMessages(ctx, 10)
		if len(list) != 1 {
			t.Fatalf("got %d messages, want 1", len(list))
		}
		if _, err := db.GetMessage(ctx, "nope"); !senda.IsNotFound(err) {
			t.Fatalf("missing message: got %v, want not_found", err)
		}
		err = db.Update(ctx, func(tx *store.Tx) error { return tx.QueueMessage(ctx, m) })
		var se *senda.Error
		if !errors.As(err, &se) || se.Code != senda.CodeConflict {
			t.Fatalf("duplicate id: got %v, want conflict", err)
		}
	})
}

func TestNewerSchemaRefused(t *testing.T) {
	ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		_, known, err := db.SchemaVersions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Writer().ExecContext(ctx, `INSERT INTO goose_db_version (version_id, is_applied) VALUES ($1, true)`, known+1); err != nil {
			t.Fatal(err)
		}
		if err := db.Migrate(ctx); err == nil {
			t.Fatal("migrate on a newer schema: got nil, want an error")
		}
		if err := db.CheckSchema(ctx); err == nil {
			t.Fatal("CheckSchema on a newer schema: got nil, want an error")
		}
	})
}

// A cancelled context stops a transaction before its next statement or
// its commit, and nothing of it is stored, on both engines.
func TestCancelledContextStoresNothing(t *testing.T) {
	ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		msg := func() store.Message {
			return store.Message{ID: store.NewID(), Channel: "sms", Recipient: []byte{1}, Language: "es", Template: "t", Params: []byte{2}}
		}
		unavailable := func(what string, err error) {
			t.Helper()
			var se *senda.Error
			if !errors.As(err, &se) || se.Code != senda.CodeUnavailable {
				t.Fatalf("%s: got %v, want unavailable", what, err)
			}
		}
		gone, cancel := context.WithCancel(ctx)
		cancel()
		unavailable("update with a cancelled context", db.Update(gone, func(tx *store.Tx) error { return tx.QueueMessage(gone, msg()) }))
		unavailable("view with a cancelled context", db.View(gone, func(tx *store.Tx) error { return nil }))

		// Cancelled between two statements, and after the last one.
		for _, after := range []int{1, 2} {
			live, cancel := context.WithCancel(ctx)
			err := db.Update(live, func(tx *store.Tx) error {
				for i := range 2 {
					if err := tx.QueueMessage(live, msg()); err != nil {
						return err
					}
					if i+1 == after {
						cancel()
					}
				}
				return nil
			})
			unavailable("update cancelled midway", err)
		}
		if list, _ := db.ListMessages(ctx, 10); len(list) != 0 {
			t.Fatalf("cancelled transactions stored %d messages, want 0", len(list))
		}
	})
}
