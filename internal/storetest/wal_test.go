package storetest

import (
	"context"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/senda-platform/senda/internal/store"
)

// On SQLite the write-ahead log stays bounded under writes that never
// pause, with readers running all along: a checkpoint that merely copies
// the log cannot restart it while commits keep coming, so past a length the
// checkpointer also restarts it, and later commits overwrite the log in
// place instead of growing it.
func TestWriteAheadLogStaysBoundedUnderContinuousWrites(t *testing.T) {
	ctx := context.Background()
	o := Options(t, store.SQLite)
	db, err := store.Open(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE filler (id INTEGER PRIMARY KEY, data BLOB NOT NULL)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				db.View(ctx, func(tx *store.Tx) error {
					var n int64
					return tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM filler`).Scan(&n)
				})
			}
		}()
	}
	const total, perCommit = 256 << 20, 64 << 10
	row := make([]byte, 4000)
	var largest int64
	for written := 0; written < total; written += perCommit {
		if err := db.Update(ctx, func(tx *store.Tx) error {
			for range perCommit / len(row) {
				if _, err := tx.ExecContext(ctx, `INSERT INTO filler (data) VALUES ($1)`, row); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(o.SQLitePath + "-wal"); err == nil {
			largest = max(largest, fi.Size())
		}
	}
	stop.Store(true)
	wg.Wait()
	if largest > total/2 {
		t.Fatalf("the log grew to %d MiB while %d MiB were written", largest>>20, total>>20)
	}
	t.Logf("log at most %d MiB while %d MiB were written", largest>>20, total>>20)
}
