package store

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"time"

	"github.com/senda-platform/senda"
)

// Signing a request in reads its session and account. On SQLite every
// commit empties the page cache of every reader connection, so under a
// busy intake that read goes to the file each time. The session cache
// keeps live sessions in memory and stays exact:
//
//   - a change that can end a session early (RevokeSessions,
//     UpdateAccountAccess, SetPassword) moves the access epoch in its own
//     transaction, and empties this process's cache as soon as it commits;
//   - other processes (more nodes on PostgreSQL, a command run next to the
//     server on SQLite) notice the epoch move within DB.EpochPoll and empty
//     theirs;
//   - expiry is checked against the cached expiry on every use, and a
//     session whose cached expiry has passed is read again, since only
//     another node's touch can have moved it later.

// DefaultEpochPoll is how often a process reads the access epoch to learn
// of changes made by other processes (DB.EpochPoll): the longest a session
// revoked elsewhere can still be used here.
const DefaultEpochPoll = time.Second

// sessionCacheMax bounds the remembered sessions; the cache is emptied
// when full.
const sessionCacheMax = 200_000

type sessionEntry struct {
	SessionAccount
	expires time.Time
}

type sessionCache struct {
	mu      sync.RWMutex
	entries map[string]sessionEntry
	gen     uint64 // moves at every emptying

	pollMu  sync.Mutex
	epoch   int64
	checked time.Time // wall clock of the last epoch read; zero: never read
}

// purge forgets every session.
func (c *sessionCache) purge() {
	c.mu.Lock()
	c.entries = nil
	c.gen++
	c.mu.Unlock()
}

func (c *sessionCache) get(hash string) (sessionEntry, uint64, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e, ok := c.entries[hash]
	return e, c.gen, ok
}

// put remembers e unless the cache was emptied since gen was read, when
// e may predate the change that emptied it.
func (c *sessionCache) put(hash string, e sessionEntry, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if c.entries == nil || len(c.entries) >= sessionCacheMax {
		c.entries = make(map[string]sessionEntry)
	}
	c.entries[hash] = e
}

// touched records a slid expiry.
func (c *sessionCache) touched(hash string, seen, expires time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[hash]; ok {
		e.LastSeenAt, e.expires = seen, expires
		c.entries[hash] = e
	}
}

// pollEpoch reads the access epoch when DB.EpochPoll has passed since the last
// read, and empties the cache when it moved. One caller reads; the others
// go on with the cache as it is.
func (db *DB) pollEpoch(ctx context.Context) error {
	c := &db.sessions
	if !c.pollMu.TryLock() {
		return nil
	}
	defer c.pollMu.Unlock()
	if !c.checked.IsZero() && time.Since(c.checked) < db.EpochPoll {
		return nil
	}
	st, err := db.readStmt(ctx, `SELECT epoch FROM access_epoch WHERE id = 1`)
	if err != nil {
		return err
	}
	if ctx, err = db.stmtCtx(ctx); err != nil {
		return err
	}
	var epoch int64
	if err := st.QueryRowContext(ctx).Scan(&epoch); err != nil {
		if errors.Is(err, sql.ErrNoRows) { // never "not found": that would sign everyone out
			return &senda.Error{Code: senda.CodeUnavailable, Key: "error.unavailable", Err: errors.New("store: the access epoch row is missing")}
		}
		return mapErr(err)
	}
	if c.checked.IsZero() || epoch != c.epoch {
		c.purge()
	}
	c.epoch, c.checked = epoch, time.Now()
	return nil
}

// moveEpoch records, inside tx, a change that can end sessions early, and
// empties this process's cache once tx commits.
func (tx *Tx) moveEpoch(ctx context.Context) error {
	if _, err := tx.ExecContext(ctx, `UPDATE access_epoch SET epoch = epoch + 1 WHERE id = 1`); err != nil {
		return err
	}
	tx.OnCommit(tx.db.sessions.purge)
	return nil
}
