// Package storetest gives tests a fresh, migrated store on every engine.
// PostgreSQL is never skipped: when it cannot be reached the test fails and
// says how to start it.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/senda-platform/senda/internal/store"
)

// DefaultPostgresURL is used when SENDA_TEST_DATABASE_URL is not set.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// PostgresURL is the server the tests use; each test gets its own schema.
func PostgresURL() string {
	if u := os.Getenv("SENDA_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultPostgresURL
}

// Engines lists the engines every contract test runs on.
var Engines = []store.Dialect{store.SQLite, store.Postgres}

// ForEachEngine runs fn as a subtest per engine with a fresh migrated store.
func ForEachEngine(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, e := range Engines {
		t.Run(string(e), func(t *testing.T) {
			fn(t, New(t, e))
		})
	}
}

// New returns a fresh migrated store of the given engine, removed when the
// test ends.
func New(t testing.TB, e store.Dialect) *store.DB {
	t.Helper()
	o := Options(t, e)
	db, err := store.Open(context.Background(), o)
	if err != nil {
		t.Fatalf("open %s store: %v", e, err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate %s store: %v", e, err)
	}
	return db
}

// Options returns the Open options of a fresh, empty database of engine e:
// a file in a temporary directory for SQLite, a new schema for PostgreSQL.
func Options(t testing.TB, e store.Dialect) store.Options {
	t.Helper()
	if e == store.SQLite {
		return store.Options{SQLitePath: filepath.Join(t.TempDir(), "senda.db")}
	}
	return store.Options{DatabaseURL: NewSchema(t)}
}

// NewSchema creates an empty PostgreSQL schema, dropped at the end of the
// test, and returns a URL whose search_path selects it.
func NewSchema(t testing.TB) string {
	t.Helper()
	base := PostgresURL()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("PostgreSQL: %v", err)
	}
	defer admin.Close()
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("PostgreSQL at %s is needed by the tests (start it, or set SENDA_TEST_DATABASE_URL): %v", redacted(base), err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer a.Close()
		a.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func redacted(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
