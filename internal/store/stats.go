package store

import (
	"context"
	"database/sql"
	"time"
)

// StatsRow is one stored cell of a published statistics dataset: a count for
// one combination of dimensions. Month is written YYYY-MM; a dimension the
// source does not break down is "".
type StatsRow struct {
	Month          string
	FiscalYear     int
	Component      string
	Region         string
	AOR            string
	Demographic    string
	Citizenship    string
	CitizenshipISO string
	Title          string
	EncounterType  string
	Encounters     int64
}

// StatsDataset is a dataset and its current version.
type StatsDataset struct {
	Key       string
	Version   int
	UpdatedAt time.Time
}

// StatsVersion is one imported release of a dataset. Summary is a JSON
// document written and read by the statistics service.
type StatsVersion struct {
	Dataset    string
	Version    int
	File       string
	SHA256     string
	ImportedAt time.Time
	ImportedBy string
	FirstMonth string
	LastMonth  string
	Months     int
	Rows       int
	Added      int
	Removed    int
	Changed    int
	Summary    string
}

// Kinds of StatsChange.
const (
	StatsAdded   = "added"
	StatsRemoved = "removed"
	StatsChanged = "changed"
)

// StatsChange is one cell a version added, removed or revised. Row holds the
// cell's dimensions; Old and New its count before and after (0 when absent).
type StatsChange struct {
	Kind     string
	Row      StatsRow
	Old, New int64
}

// statsBatch is the number of rows of one multi-row INSERT.
const statsBatch = 25

// LockStatsDataset creates the dataset's row if it has none (at version 0)
// and locks it until the transaction ends, so that imports of one dataset
// take turns on PostgreSQL (SQLite has one writer anyway). It returns the
// current version.
func (tx *Tx) LockStatsDataset(ctx context.Context, key string) (int, error) {
	if _, err := tx.ExecContext(ctx, `INSERT INTO stats_datasets (key, version, updated_at) VALUES ($1, 0, $2) ON CONFLICT (key) DO NOTHING`,
		key, Micros(tx.Now)); err != nil {
		return 0, err
	}
	var v int
	err := tx.QueryRowContext(ctx, `UPDATE stats_datasets SET version = version WHERE key = $1 RETURNING version`, key).Scan(&v)
	return v, err
}

// StatsDatasets lists the datasets that have at least one version, by key.
func (tx *Tx) StatsDatasets(ctx context.Context) ([]StatsDataset, error) {
	rows, err := tx.QueryContext(ctx, `SELECT key, version, updated_at FROM stats_datasets WHERE version > 0 ORDER BY key`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []StatsDataset
	for rows.Next() {
		var d StatsDataset
		var at int64
		if err := rows.Scan(&d.Key, &d.Version, &at); err != nil {
			return nil, err
		}
		d.UpdatedAt = FromMicros(at)
		out = append(out, d)
	}
	return out, rows.Err()
}

const statsVersionCols = `dataset_key, version, file_name, sha256, imported_at, imported_by, first_month, last_month, months, row_count, added, removed, changed, summary`

func scanStatsVersion(row interface{ Scan(...any) error }) (StatsVersion, error) {
	var v StatsVersion
	var at int64
	err := row.Scan(&v.Dataset, &v.Version, &v.File, &v.SHA256, &at, &v.ImportedBy, &v.FirstMonth, &v.LastMonth, &v.Months, &v.Rows, &v.Added, &v.Removed, &v.Changed, &v.Summary)
	v.ImportedAt = FromMicros(at)
	return v, err
}

// StatsVersionBySHA returns the version of a dataset imported from a file
// with this SHA-256 (not_found if none).
func (tx *Tx) StatsVersionBySHA(ctx context.Context, key, sha string) (StatsVersion, error) {
	return scanStatsVersion(tx.QueryRowContext(ctx, `SELECT `+statsVersionCols+` FROM stats_versions WHERE dataset_key = $1 AND sha256 = $2`, key, sha))
}

// StatsVersion returns one version of a dataset (not_found if none).
func (tx *Tx) StatsVersion(ctx context.Context, key string, version int) (StatsVersion, error) {
	return scanStatsVersion(tx.QueryRowContext(ctx, `SELECT `+statsVersionCols+` FROM stats_versions WHERE dataset_key = $1 AND version = $2`, key, version))
}

// StatsVersions lists the versions of a dataset, oldest first.
func (tx *Tx) StatsVersions(ctx context.Context, key string) ([]StatsVersion, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+statsVersionCols+` FROM stats_versions WHERE dataset_key = $1 ORDER BY version`, key)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []StatsVersion
	for rows.Next() {
		v, err := scanStatsVersion(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// InsertStatsVersion records a new version and makes it the dataset's
// current one. The dataset must have been locked with LockStatsDataset.
func (tx *Tx) InsertStatsVersion(ctx context.Context, v StatsVersion) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO stats_versions (`+statsVersionCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		v.Dataset, v.Version, v.File, v.SHA256, Micros(tx.Now), v.ImportedBy, v.FirstMonth, v.LastMonth, v.Months, v.Rows, v.Added, v.Removed, v.Changed, v.Summary); err != nil {
		return err
	}
	return expectOne(tx.ExecContext(ctx, `UPDATE stats_datasets SET version = $2, updated_at = $3 WHERE key = $1`, v.Dataset, v.Version, Micros(tx.Now)))
}

const statsRowCols = `month, fiscal_year, component, region, aor, demographic, citizenship, citizenship_iso, title, encounter_type`

func statsRowArgs(r StatsRow) []any {
	return []any{r.Month, r.FiscalYear, r.Component, r.Region, r.AOR, r.Demographic, r.Citizenship, r.CitizenshipISO, r.Title, r.EncounterType}
}

// StatsRows returns the current cells of a dataset, in month order.
func (tx *Tx) StatsRows(ctx context.Context, key string) ([]StatsRow, error) {
	return tx.statsRows(ctx, `SELECT `+statsRowCols+`, encounters FROM stats_rows WHERE dataset_key = $1
		ORDER BY month, component, region, aor, demographic, citizenship, title, encounter_type`, key)
}

func (tx *Tx) statsRows(ctx context.Context, query string, args ...any) ([]StatsRow, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []StatsRow
	for rows.Next() {
		var r StatsRow
		if err := rows.Scan(&r.Month, &r.FiscalYear, &r.Component, &r.Region, &r.AOR, &r.Demographic, &r.Citizenship, &r.CitizenshipISO, &r.Title, &r.EncounterType, &r.Encounters); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ReplaceStatsMonths deletes a dataset's cells of the given months and
// inserts rows in their place: a newer release replaces the months it
// covers. rows must hold no cell twice.
func (tx *Tx) ReplaceStatsMonths(ctx context.Context, key string, months []string, rows []StatsRow) error {
	for _, m := range months {
		if _, err := tx.ExecContext(ctx, `DELETE FROM stats_rows WHERE dataset_key = $1 AND month = $2`, key, m); err != nil {
			return err
		}
	}
	return insertBatches(ctx, tx, len(rows), func(i int) []any {
		return append(append([]any{key}, statsRowArgs(rows[i])...), rows[i].Encounters)
	}, `INSERT INTO stats_rows (dataset_key, `+statsRowCols+`, encounters) VALUES `)
}

// InsertStatsChanges records the cells a version changed, numbered in order.
func (tx *Tx) InsertStatsChanges(ctx context.Context, key string, version int, changes []StatsChange) error {
	return insertBatches(ctx, tx, len(changes), func(i int) []any {
		c := changes[i]
		args := append([]any{key, version, i, c.Kind}, statsRowArgs(c.Row)...)
		return append(args, c.Old, c.New)
	}, `INSERT INTO stats_changes (dataset_key, version, seq, kind, `+statsRowCols+`, old_count, new_count) VALUES `)
}

// StatsChanges returns the cells a version changed, in order, from offset,
// at most limit of them.
func (tx *Tx) StatsChanges(ctx context.Context, key string, version, offset, limit int) ([]StatsChange, error) {
	rows, err := tx.QueryContext(ctx, `SELECT kind, `+statsRowCols+`, old_count, new_count FROM stats_changes
		WHERE dataset_key = $1 AND version = $2 AND seq >= $3 ORDER BY seq LIMIT $4`, key, version, offset, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []StatsChange
	for rows.Next() {
		var c StatsChange
		r := &c.Row
		if err := rows.Scan(&c.Kind, &r.Month, &r.FiscalYear, &r.Component, &r.Region, &r.AOR, &r.Demographic, &r.Citizenship, &r.CitizenshipISO, &r.Title, &r.EncounterType, &c.Old, &c.New); err != nil {
			return nil, err
		}
		c.Row.Encounters = c.New
		out = append(out, c)
	}
	return out, rows.Err()
}

// insertBatches runs multi-row INSERTs of n rows, args(i) giving the values
// of row i; every row has the same number of values. The full-size
// statement is prepared once and reused.
func insertBatches(ctx context.Context, tx *Tx, n int, args func(i int) []any, prefix string) error {
	var full *sql.Stmt
	defer func() {
		if full != nil {
			full.Close()
		}
	}()
	for lo := 0; lo < n; lo += statsBatch {
		hi := min(lo+statsBatch, n)
		all := make([]any, 0, (hi-lo)*16)
		for i := lo; i < hi; i++ {
			all = append(all, args(i)...)
		}
		if hi-lo == statsBatch {
			if full == nil {
				var err error
				if full, err = tx.PrepareContext(ctx, prefix+groups(tx.Dialect(), statsBatch, len(all)/statsBatch)); err != nil {
					return err
				}
			}
			if _, err := full.ExecContext(ctx, all...); err != nil {
				return err
			}
			continue
		}
		if _, err := tx.ExecContext(ctx, prefix+groups(tx.Dialect(), hi-lo, len(all)/(hi-lo)), all...); err != nil {
			return err
		}
	}
	return nil
}

// HouseholdDay is the number of households, and of people in them, created
// on one day (UTC) at one place, by the nationality of the principal
// applicant and the record's status.
type HouseholdDay struct {
	Day         time.Time
	Place       string
	Nationality string
	Status      string
	Households  int64
	People      int64
}

// HouseholdDays aggregates the households table by day of creation, place,
// nationality and status: the operational numbers of registrations. It
// reads no personal data.
func (tx *Tx) HouseholdDays(ctx context.Context) ([]HouseholdDay, error) {
	const day = int64(24 * time.Hour / time.Microsecond)
	rows, err := tx.QueryContext(ctx, `SELECT created_at / $1 AS day, place, nationality, status, COUNT(*), SUM(size) FROM households
		GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`, day)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []HouseholdDay
	for rows.Next() {
		var h HouseholdDay
		var d int64
		if err := rows.Scan(&d, &h.Place, &h.Nationality, &h.Status, &h.Households, &h.People); err != nil {
			return nil, err
		}
		h.Day = FromMicros(d * day)
		if d == 0 {
			h.Day = time.Unix(0, 0).UTC()
		}
		out = append(out, h)
	}
	return out, rows.Err()
}
