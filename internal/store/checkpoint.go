package store

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// On SQLite, commits append to the write-ahead log and a checkpoint copies
// the log back into the database file. SQLite's automatic checkpoint runs
// inside the commit that crosses its threshold, stalling the single writer
// and every request waiting on it. Senda turns it off on the writer and
// checkpoints from its own connection instead, often and without blocking
// (PASSIVE): the writer keeps committing while the log is copied, and the
// log stays small. A final checkpoint runs when the store closes.
//
// A log can only start over (RESTART) between two commits, once every
// reader has moved to the newest snapshot. Under commits that never pause
// that moment may never come by itself, so once the log is long the
// checkpointer holds the writer back (gate) for as long as the restart
// takes: one short stall instead of a log that keeps growing.

// checkpointEvery is how often the log is checkpointed.
const checkpointEvery = 250 * time.Millisecond

// restartFrames is the length of the log (in pages) past which a
// checkpoint also restarts it.
const restartFrames = 4096

type checkpointer struct {
	gate sync.Mutex // held by each write transaction, and by a restart
	db   *sql.DB
	quit chan struct{}
	done chan struct{}
}

func newCheckpointer(db *sql.DB) *checkpointer {
	c := &checkpointer{db: db, quit: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

func (c *checkpointer) run() {
	defer close(c.done)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-c.quit:
			c.db.ExecContext(context.Background(), `PRAGMA wal_checkpoint(TRUNCATE)`)
			return
		case <-t.C:
			// An error (the database busy) only means trying again later.
			var busy, frames, copied int
			err := c.db.QueryRowContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied)
			if err == nil && frames >= restartFrames {
				c.gate.Lock()
				c.db.ExecContext(context.Background(), `PRAGMA wal_checkpoint(RESTART)`)
				c.gate.Unlock()
			}
		}
	}
}

// stop checkpoints one last time and closes the connection.
func (c *checkpointer) stop() {
	close(c.quit)
	<-c.done
	c.db.Close()
}
