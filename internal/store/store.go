// Package store keeps Senda's data in SQLite (embedded, the default) or
// PostgreSQL (production). Both engines share one SQL core: the queries are
// written once with $N placeholders, which both drivers bind by number, and
// the few places where the engines differ are isolated in the Dialect. Each
// engine has its own migration folder. The contract suite in
// internal/storetest decides what is correct, and runs on both.
package store

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/senda-platform/senda"
)

// Dialect names the engine behind a DB.
type Dialect string

// Engines.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is an open store. On SQLite, writes go through a single connection
// (SQLite has one writer at a time; a single pool connection avoids busy
// errors and lets commits be grouped), and reads use a separate pool.
type DB struct {
	Dialect Dialect
	w       *sql.DB
	r       *sql.DB
	// Now is the clock; one value is taken per transaction.
	Now func() time.Time
	// Audit, when set, records security-relevant changes made through Tx
	// methods in the same transaction (the audit trail sets it).
	Audit func(ctx context.Context, tx *Tx, c Change) error

	// EpochPoll is how often this process learns of sessions ended by
	// other processes (see sessioncache.go); DefaultEpochPoll unless set.
	EpochPoll time.Duration

	stmts    sync.Map // prepared single-statement reads, by query text
	sessions sessionCache
	ckpt     *checkpointer // SQLite only
	journal  journalIndex  // SQLite only
}

// Options configure Open.
type Options struct {
	// DatabaseURL selects PostgreSQL; empty means SQLite at SQLitePath.
	DatabaseURL string
	SQLitePath  string
}

// Open connects to the database and checks it answers. It does not migrate.
func Open(ctx context.Context, o Options) (*DB, error) {
	db := &DB{Now: func() time.Time { return time.Now().UTC() }, EpochPoll: DefaultEpochPoll}
	if o.DatabaseURL != "" {
		db.Dialect = Postgres
		pool, err := sql.Open("pgx", o.DatabaseURL)
		if err != nil {
			return nil, &senda.Error{Code: senda.CodeUnavailable, Key: "store.unreachable", Err: err}
		}
		pool.SetMaxOpenConns(32)
		pool.SetMaxIdleConns(32)
		pool.SetConnMaxIdleTime(5 * time.Minute)
		db.w, db.r = pool, pool
	} else {
		db.Dialect = SQLite
		if err := os.MkdirAll(filepath.Dir(o.SQLitePath), 0o700); err != nil {
			return nil, &senda.Error{Code: senda.CodeUnavailable, Key: "store.data_dir", Err: err}
		}
		dsn := "file:" + (&url.URL{Path: o.SQLitePath}).EscapedPath() + "?"
		pragmas := "_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_pragma=synchronous(FULL)&_pragma=temp_store(2)&_txlock=immediate"
		// The writer never checkpoints: a background connection does (see
		// checkpointer), so that commits do not wait for the WAL to be
		// copied into the database file.
		w, err := sql.Open("sqlite", dsn+pragmas+"&_pragma=wal_autocheckpoint(0)")
		if err != nil {
			return nil, &senda.Error{Code: senda.CodeUnavailable, Key: "store.unreachable", Err: err}
		}
		w.SetMaxOpenConns(1)
		w.SetMaxIdleConns(1)
		w.SetConnMaxLifetime(0)
		w.SetConnMaxIdleTime(0)
		r, err := sql.Open("sqlite", dsn+strings.Replace(pragmas, "&_txlock=immediate", "&_txlock=deferred", 1)+"&_pragma=query_only(1)")
		if err != nil {
			w.Close()
			return nil, &senda.Error{Code: senda.CodeUnavailable, Key: "store.unreachable", Err: err}
		}
		r.SetMaxOpenConns(8)
		r.SetMaxIdleConns(8)
		r.SetConnMaxIdleTime(0)
		r.SetConnMaxLifetime(0)
		c, err := sql.Open("sqlite", dsn+pragmas)
		if err != nil {
			w.Close()
			r.Close()
			return nil, &senda.Error{Code: senda.CodeUnavailable, Key: "store.unreachable", Err: err}
		}
		c.SetMaxOpenConns(1)
		db.w, db.r = w, r
		db.ckpt = newCheckpointer(c)
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := db.w.PingContext(pctx); err != nil {
		db.Close()
		return nil, &senda.Error{Code: senda.CodeUnavailable, Key: "store.unreachable", Err: err}
	}
	return db, nil
}

// Close releases the statements and connections.
func (db *DB) Close() error {
	db.stmts.Range(func(k, v any) bool {
		v.(*sql.Stmt).Close()
		db.stmts.Delete(k)
		return true
	})
	if db.ckpt != nil {
		db.ckpt.stop()
	}
	err := db.w.Close()
	if db.r != db.w {
		err = errors.Join(err, db.r.Close())
	}
	return err
}

// Ping checks the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.w.PingContext(ctx); err != nil {
		return &senda.Error{Code: senda.CodeUnavailable, Key: "store.unreachable", Err: err}
	}
	return nil
}

// Writer and Reader expose the pools for metrics.
func (db *DB) Writer() *sql.DB { return db.w }

// Reader is the pool used for reads.
func (db *DB) Reader() *sql.DB { return db.r }

// Tx is one transaction with its single clock reading.
type Tx struct {
	*sql.Tx
	db       *DB
	Now      time.Time
	onCommit []func()
}

// OnCommit runs fn once the transaction has committed, never when it rolls
// back.
func (tx *Tx) OnCommit(fn func()) { tx.onCommit = append(tx.onCommit, fn) }

// stmtCtx is the context a statement runs with. On SQLite, which runs in
// process, a cancellable context costs every statement a goroutine to
// interrupt it; there each statement runs to its end, and cancellation is
// checked before the transaction, each statement and the commit instead.
// (The statements of Senda are bounded: batches, limits, indexes.)
func (db *DB) stmtCtx(ctx context.Context) (context.Context, error) {
	if db.Dialect != SQLite {
		return ctx, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, mapErr(err)
	}
	return context.WithoutCancel(ctx), nil
}

// ExecContext runs a statement of the transaction (see stmtCtx).
func (tx *Tx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	ctx, err := tx.db.stmtCtx(ctx)
	if err != nil {
		return nil, err
	}
	return tx.Tx.ExecContext(ctx, q, args...)
}

// QueryContext runs a query of the transaction (see stmtCtx).
func (tx *Tx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	ctx, err := tx.db.stmtCtx(ctx)
	if err != nil {
		return nil, err
	}
	return tx.Tx.QueryContext(ctx, q, args...)
}

// QueryRowContext runs a query of one row of the transaction (see
// stmtCtx); a cancelled context gives a row whose Scan fails.
func (tx *Tx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if c, err := tx.db.stmtCtx(ctx); err == nil {
		ctx = c
	}
	return tx.Tx.QueryRowContext(ctx, q, args...)
}

// PrepareContext prepares a statement of the transaction (see stmtCtx).
func (tx *Tx) PrepareContext(ctx context.Context, q string) (*sql.Stmt, error) {
	ctx, err := tx.db.stmtCtx(ctx)
	if err != nil {
		return nil, err
	}
	return tx.Tx.PrepareContext(ctx, q)
}

// StmtContext binds a prepared statement to the transaction (see stmtCtx).
func (tx *Tx) StmtContext(ctx context.Context, st *sql.Stmt) *sql.Stmt {
	if c, err := tx.db.stmtCtx(ctx); err == nil {
		ctx = c
	}
	return tx.Tx.StmtContext(ctx, st)
}

// Update runs fn in a read-write transaction and commits when it returns nil.
func (db *DB) Update(ctx context.Context, fn func(*Tx) error) error {
	sctx, err := db.stmtCtx(ctx)
	if err != nil {
		return err
	}
	if db.ckpt != nil {
		db.ckpt.gate.Lock()
		defer db.ckpt.gate.Unlock()
	}
	tx, err := db.w.BeginTx(sctx, nil)
	if err != nil {
		return mapErr(err)
	}
	t := &Tx{Tx: tx, db: db, Now: db.Now()}
	if err := fn(t); err != nil {
		tx.Rollback()
		return mapErr(err)
	}
	if err := ctx.Err(); err != nil {
		tx.Rollback()
		return mapErr(err)
	}
	if err := tx.Commit(); err != nil {
		return mapErr(err)
	}
	for _, f := range t.onCommit {
		f()
	}
	return nil
}

// View runs fn in a read-only transaction.
func (db *DB) View(ctx context.Context, fn func(*Tx) error) error {
	sctx, err := db.stmtCtx(ctx)
	if err != nil {
		return err
	}
	tx, err := db.r.BeginTx(sctx, &sql.TxOptions{ReadOnly: db.Dialect == Postgres})
	if err != nil {
		return mapErr(err)
	}
	defer tx.Rollback()
	return mapErr(fn(&Tx{Tx: tx, db: db, Now: db.Now()}))
}

// readStmt returns the reader pool's prepared statement for q, preparing it
// once. Reads that are a single statement run on it without a transaction
// of their own (one statement sees one snapshot), which spares the hot
// paths a BEGIN and a COMMIT, and SQLite the parsing of the query.
func (db *DB) readStmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if s, ok := db.stmts.Load(q); ok {
		return s.(*sql.Stmt), nil
	}
	s, err := db.r.PrepareContext(ctx, q)
	if err != nil {
		return nil, mapErr(err)
	}
	if prev, loaded := db.stmts.LoadOrStore(q, s); loaded {
		s.Close()
		return prev.(*sql.Stmt), nil
	}
	return s, nil
}

// Micros converts a time to the stored form: microseconds since the Unix
// epoch, UTC. Both engines store instants as BIGINT so that one SQL core
// serves both.
func Micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// FromMicros is the inverse of Micros.
func FromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

// mapErr turns driver errors into Senda errors by driver code, never by text.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	var se *senda.Error
	if errors.As(err, &se) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return &senda.Error{Code: senda.CodeNotFound, Key: "error.not_found", Err: err}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &senda.Error{Code: senda.CodeUnavailable, Key: "error.unavailable", Err: err}
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505": // unique_violation
			return &senda.Error{Code: senda.CodeConflict, Key: "error.conflict", Err: err}
		case "23503", "23502", "23514": // foreign key, not null, check
			return &senda.Error{Code: senda.CodeInvalid, Key: "error.invalid", Err: err}
		case "40001", "40P01", "55P03", "57P01", "08006", "08003":
			return &senda.Error{Code: senda.CodeUnavailable, Key: "error.unavailable", Err: err}
		}
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		switch sqErr.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return &senda.Error{Code: senda.CodeConflict, Key: "error.conflict", Err: err}
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY, sqlite3.SQLITE_CONSTRAINT_NOTNULL, sqlite3.SQLITE_CONSTRAINT_CHECK:
			return &senda.Error{Code: senda.CodeInvalid, Key: "error.invalid", Err: err}
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return &senda.Error{Code: senda.CodeUnavailable, Key: "error.unavailable", Err: err}
		}
	}
	return &senda.Error{Code: senda.CodeInternal, Key: "error.internal", Err: err}
}

// IsNotFound reports whether err means no such row, whether it comes straight
// from a Tx method or through Update and View.
func IsNotFound(err error) bool {
	return errors.Is(err, sql.ErrNoRows) || senda.IsNotFound(err)
}
