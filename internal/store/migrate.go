package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/senda-platform/senda"
)

//go:embed migrations
var migrations embed.FS

// MigrationStatus is one migration and whether it is applied.
type MigrationStatus struct {
	Version int64
	Source  string
	Applied bool
}

func (db *DB) provider() (*goose.Provider, error) {
	sub, err := fs.Sub(migrations, "migrations/"+string(db.Dialect))
	if err != nil {
		return nil, err
	}
	var opts []goose.ProviderOption
	dialect := goose.DialectSQLite3
	if db.Dialect == Postgres {
		dialect = goose.DialectPostgres
		// Several app nodes may start at once: one migrates, the others wait.
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	return goose.NewProvider(dialect, db.w, sub, opts...)
}

// SchemaVersions returns the version the database is at and the newest this
// build knows.
func (db *DB) SchemaVersions(ctx context.Context) (current, known int64, err error) {
	p, err := db.provider()
	if err != nil {
		return 0, 0, senda.Wrap(err, "store.migrate")
	}
	current, err = p.GetDBVersion(ctx)
	if err != nil {
		return 0, 0, mapErr(err)
	}
	srcs := p.ListSources()
	if len(srcs) > 0 {
		known = srcs[len(srcs)-1].Version
	}
	return current, known, nil
}

// ErrNewerSchema is returned when the database was migrated by a newer Senda.
func newerSchema(current, known int64) error {
	return &senda.Error{Code: senda.CodeUnavailable, Key: "store.newer_schema",
		Args: map[string]any{"current": current, "known": known},
		Err:  fmt.Errorf("database schema is at version %d, newer than this build knows (%d): run a newer senda", current, known)}
}

// Migrate applies every pending migration. It refuses a database migrated by
// a newer version.
func (db *DB) Migrate(ctx context.Context) error {
	current, known, err := db.SchemaVersions(ctx)
	if err != nil {
		return err
	}
	if current > known {
		return newerSchema(current, known)
	}
	p, err := db.provider()
	if err != nil {
		return senda.Wrap(err, "store.migrate")
	}
	if _, err := p.Up(ctx); err != nil {
		return senda.Wrap(err, "store.migrate")
	}
	return nil
}

// CheckSchema returns nil when the database is at exactly the version this
// build knows.
func (db *DB) CheckSchema(ctx context.Context) error {
	current, known, err := db.SchemaVersions(ctx)
	if err != nil {
		return err
	}
	switch {
	case current > known:
		return newerSchema(current, known)
	case current < known:
		return &senda.Error{Code: senda.CodeUnavailable, Key: "store.pending_migrations",
			Err: fmt.Errorf("database schema is at version %d, this build needs %d: run senda migrate up", current, known)}
	}
	return nil
}

// MigrationStatuses lists every migration and whether it is applied.
func (db *DB) MigrationStatuses(ctx context.Context) ([]MigrationStatus, error) {
	p, err := db.provider()
	if err != nil {
		return nil, senda.Wrap(err, "store.migrate")
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, mapErr(err)
	}
	out := make([]MigrationStatus, 0, len(st))
	for _, s := range st {
		out = append(out, MigrationStatus{Version: s.Source.Version, Source: s.Source.Path, Applied: s.State == goose.StateApplied})
	}
	return out, nil
}
