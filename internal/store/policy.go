package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// The sealed columns of eligibility, re-sealed by `senda keys rotate` with
// the others.
func init() {
	SealedColumns = append(SealedColumns,
		SealedColumn{Table: "screening_profiles", Key: "household_id", Column: "data", Place: ScreeningProfilePlace},
		SealedColumn{Table: "eligibility_results", Key: "household_id || ':' || run_id", Column: "data",
			Place: func(v string) string {
				h, r, _ := strings.Cut(v, ":")
				return EligibilityResultPlace(h, r)
			}},
	)
}

// ScreeningProfilePlace is the place a household's sealed screening
// profiles are bound to.
func ScreeningProfilePlace(householdID string) string {
	return string(AppendScreeningProfilePlace(nil, householdID))
}

// AppendScreeningProfilePlace appends ScreeningProfilePlace to dst.
func AppendScreeningProfilePlace(dst []byte, householdID string) []byte {
	return append(append(dst, "screening_profiles.data/"...), householdID...)
}

// EligibilityResultPlace is the place the sealed results of one household
// in one run are bound to.
func EligibilityResultPlace(householdID, runID string) string {
	return string(AppendEligibilityResultPlace(nil, householdID, runID))
}

// AppendEligibilityResultPlace appends EligibilityResultPlace to dst.
func AppendEligibilityResultPlace(dst []byte, householdID, runID string) []byte {
	dst = append(append(dst, "eligibility_results.data/"...), householdID...)
	return append(append(dst, ':'), runID...)
}

// PolicyPackRow is a policy pack uploaded through the console: a draft or a
// published version. Source is the YAML as uploaded.
type PolicyPackRow struct {
	ID            string
	Version       string
	EffectiveFrom string // YYYY-MM-DD
	Status        string // draft or published
	FileName      string
	Source        string
	SHA256        string
	CreatedBy     string
	CreatedAt     time.Time
	PublishedBy   string
	PublishedAt   time.Time
}

const policyPackCols = `id, version, effective_from, status, file_name, source, sha256, created_by, created_at, published_by, published_at`

func scanPolicyPack(row interface{ Scan(...any) error }) (PolicyPackRow, error) {
	var p PolicyPackRow
	var c, pub int64
	err := row.Scan(&p.ID, &p.Version, &p.EffectiveFrom, &p.Status, &p.FileName, &p.Source, &p.SHA256, &p.CreatedBy, &c, &p.PublishedBy, &pub)
	p.CreatedAt, p.PublishedAt = FromMicros(c), FromMicros(pub)
	return p, err
}

// InsertPolicyPack stores a new draft, created now.
func (tx *Tx) InsertPolicyPack(ctx context.Context, p PolicyPackRow) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO policy_packs (id, version, effective_from, status, file_name, source, sha256, created_by, created_at)
		VALUES ($1, $2, $3, 'draft', $4, $5, $6, $7, $8)`,
		p.ID, p.Version, p.EffectiveFrom, p.FileName, p.Source, p.SHA256, p.CreatedBy, Micros(tx.Now))
	return err
}

// PolicyPack reads one uploaded pack.
func (tx *Tx) PolicyPack(ctx context.Context, id string) (PolicyPackRow, error) {
	return scanPolicyPack(tx.QueryRowContext(ctx, `SELECT `+policyPackCols+` FROM policy_packs WHERE id = $1`, id))
}

// PolicyPacks lists the uploaded packs of a status ("" for every one),
// oldest first.
func (tx *Tx) PolicyPacks(ctx context.Context, status string) ([]PolicyPackRow, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+policyPackCols+` FROM policy_packs WHERE ($1 = '' OR status = $1) ORDER BY created_at, id`, status)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []PolicyPackRow
	for rows.Next() {
		p, err := scanPolicyPack(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// PublishPolicyPack marks a draft published, now, by by. It answers a
// conflict when the pack is no longer a draft, or when a published version
// already has its version string or effective date.
func (tx *Tx) PublishPolicyPack(ctx context.Context, id, by string) error {
	return expectOne(tx.ExecContext(ctx, `UPDATE policy_packs SET status = 'published', published_by = $2, published_at = $3
		WHERE id = $1 AND status = 'draft'`, id, by, Micros(tx.Now)))
}

// PublishedPolicyState returns how many versions are published and when
// the last was: a cheap way for a node to notice that another published.
func (tx *Tx) PublishedPolicyState(ctx context.Context) (count int, last time.Time, err error) {
	var l int64
	err = tx.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(MAX(published_at), 0) FROM policy_packs WHERE status = 'published'`).Scan(&count, &l)
	return count, FromMicros(l), err
}

// ScreeningProfileRow is the compact, sealed screening profiles of one
// household, derived from a version of its document.
type ScreeningProfileRow struct {
	HouseholdID      string
	HouseholdVersion int
	Status           string
	Place            string
	Members          int
	// Format names the layout of Data; profiles in another layout are
	// stale.
	Format    string
	Data      []byte
	UpdatedAt time.Time
}

// StaleScreeningProfileIDs returns, in id order, up to limit households
// with ids after after and up to upto (with no upper bound when upto is
// empty) whose screening profiles are missing, were derived from an older
// version of the household or are in another format. It reads the narrow
// sync indexes alone (migration 00009).
func (tx *Tx) StaleScreeningProfileIDs(ctx context.Context, format, after, upto string, limit int) ([]string, error) {
	bound := ""
	args := []any{after, limit, format}
	if upto != "" {
		bound = " AND h.id <= $4"
		args = append(args, upto)
	}
	rows, err := tx.QueryContext(ctx, `SELECT h.id FROM households h LEFT JOIN screening_profiles s ON s.household_id = h.id
		WHERE (s.household_id IS NULL OR s.household_version <> h.version OR s.format <> $3) AND h.id > $1`+bound+` ORDER BY h.id LIMIT $2`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// maxRowsPerInsert bounds a multi-row INSERT (PostgreSQL limits the
// number of parameters of one statement).
const maxRowsPerInsert = 500

// sqliteRowsPerInsert is the rows of one multi-row statement on SQLite,
// prepared once per transaction and run again and again: SQLite runs in
// process, so what a statement costs is its execution, not a round trip.
const sqliteRowsPerInsert = 64

// maxArrayRows bounds the rows of one insert from arrays (PostgreSQL).
const maxArrayRows = 10000

// groups writes k groups of cols parameters: "($1, $2), ($3, $4)" on
// PostgreSQL, "(?, ?), (?, ?)" on SQLite, whose driver looks each numbered
// parameter up by name, a cost that grows with the square of their number
// in one statement. (A statement using it has no other parameters.)
func groups(d Dialect, k, cols int) string {
	var b strings.Builder
	for i := range k {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := range cols {
			if c > 0 {
				b.WriteString(", ")
			}
			if d == Postgres {
				fmt.Fprintf(&b, "$%d", i*cols+c+1)
			} else {
				b.WriteByte('?')
			}
		}
		b.WriteByte(')')
	}
	return b.String()
}

// insertRows inserts n rows of cols values each, as multi-row statements:
// on PostgreSQL of maxRowsPerInsert rows, each a round trip; on SQLite of
// sqliteRowsPerInsert rows, prepared once (see execChunks). head is the
// statement up to VALUES, tail what follows the values.
func (tx *Tx) insertRows(ctx context.Context, head, tail string, cols, n int, args func(i int) []any) error {
	if tx.Dialect() == SQLite {
		return tx.execChunks(ctx, n, sqliteRowsPerInsert, cols, func(k int) string { return head + groups(SQLite, k, cols) + tail }, args)
	}
	for start := 0; start < n; start += maxRowsPerInsert {
		end := min(n, start+maxRowsPerInsert)
		params := make([]any, 0, (end-start)*cols)
		for i := start; i < end; i++ {
			params = append(params, args(i)...)
		}
		if _, err := tx.ExecContext(ctx, head+groups(Postgres, end-start, cols)+tail, params...); err != nil {
			return err
		}
	}
	return nil
}

// execChunks runs, for n rows of cols values given by args, the statements
// query(k) of k rows each, k at most per: one prepared statement for full
// chunks, run again and again, and one for the rest.
func (tx *Tx) execChunks(ctx context.Context, n, per, cols int, query func(k int) string, args func(i int) []any) error {
	var stmts [2]*sql.Stmt // of per rows, of the rest
	defer func() {
		for _, st := range stmts {
			if st != nil {
				st.Close()
			}
		}
	}()
	params := make([]any, 0, per*cols)
	for start := 0; start < n; start += per {
		k, which := min(per, n-start), 0
		if k < per {
			which = 1
		}
		if stmts[which] == nil {
			st, err := tx.PrepareContext(ctx, query(k))
			if err != nil {
				return err
			}
			stmts[which] = st
		}
		params = params[:0]
		for i := start; i < start+k; i++ {
			params = append(params, args(i)...)
		}
		sctx, err := tx.db.stmtCtx(ctx)
		if err != nil {
			return err
		}
		if _, err := stmts[which].ExecContext(sctx, params...); err != nil {
			return err
		}
	}
	return nil
}

// PutScreeningProfiles stores (or replaces) the screening profiles of
// households, with UpdatedAt the transaction's time.
func (tx *Tx) PutScreeningProfiles(ctx context.Context, rows []ScreeningProfileRow) error {
	now := Micros(tx.Now)
	return tx.insertRows(ctx, `INSERT INTO screening_profiles (household_id, household_version, status, place, members, format, data, updated_at) VALUES `,
		` ON CONFLICT (household_id) DO UPDATE SET household_version = excluded.household_version, status = excluded.status,
		place = excluded.place, members = excluded.members, format = excluded.format, data = excluded.data, updated_at = excluded.updated_at`,
		8, len(rows), func(i int) []any {
			r := rows[i]
			return []any{r.HouseholdID, r.HouseholdVersion, r.Status, r.Place, r.Members, r.Format, r.Data, now}
		})
}

// EachScreeningProfile calls fn, in household id order after after, for
// up to limit stored screening profiles of submitted households (of every
// household when drafts is true), and returns the id the next page starts
// after: the last one examined, or "" when none follow. The row's Data is
// only valid during the call (it is the driver's buffer, not a copy).
//
// The query reads the primary key's order and leaves out drafts as it
// goes, rather than asking the database to: a range of the key with a
// limit is planned as an index scan on both engines whatever the
// statistics say, where a filter on the status can make PostgreSQL sort
// the whole table for every batch when its statistics are stale (after a
// bulk import, before autovacuum has analysed the table).
func (tx *Tx) EachScreeningProfile(ctx context.Context, after string, limit int, drafts bool, fn func(ScreeningProfileRow) error) (next string, err error) {
	kept := 0
	for {
		n, last, err := tx.screeningProfiles(ctx, after, limit, func(r ScreeningProfileRow) (bool, error) {
			if drafts || r.Status == "submitted" {
				kept++
				if err := fn(r); err != nil {
					return false, err
				}
			}
			return kept < limit, nil
		})
		if err != nil {
			return "", err
		}
		if n < limit {
			return "", nil
		}
		if kept == limit {
			return last, nil
		}
		after = last
	}
}

// screeningProfiles reads up to limit rows in household id order after
// after and passes them to keep until it returns false; it returns how
// many rows it read and the last household id.
func (tx *Tx) screeningProfiles(ctx context.Context, after string, limit int, keep func(ScreeningProfileRow) (bool, error)) (n int, last string, err error) {
	rows, err := tx.QueryContext(ctx, `SELECT household_id, household_version, status, place, members, format, data, updated_at FROM screening_profiles
		WHERE household_id > $1 ORDER BY household_id LIMIT $2`, after, limit)
	if err != nil {
		return 0, "", err
	}
	defer rows.Close()
	for rows.Next() {
		var r ScreeningProfileRow
		var u int64
		var data sql.RawBytes
		if err := rows.Scan(&r.HouseholdID, &r.HouseholdVersion, &r.Status, &r.Place, &r.Members, &r.Format, &data, &u); err != nil {
			return n, last, err
		}
		r.Data, r.UpdatedAt = data, FromMicros(u)
		n, last = n+1, r.HouseholdID
		more, err := keep(r)
		if err != nil {
			return n, last, err
		}
		if !more {
			return limit, last, rows.Close()
		}
	}
	return n, last, rows.Err()
}

// EligibilityRun is one screening: of one household or of every household.
type EligibilityRun struct {
	ID            string
	Kind          string // household or all
	PolicyVersion string
	AsOf          string // YYYY-MM-DD
	StartedBy     string
	StartedAt     time.Time
	FinishedAt    time.Time
	Households    int
	Profiles      int
}

const runCols = `id, kind, policy_version, as_of, started_by, started_at, finished_at, households, profiles`

func scanRun(row interface{ Scan(...any) error }, extra ...any) (EligibilityRun, error) {
	var r EligibilityRun
	var s, f int64
	err := row.Scan(append([]any{&r.ID, &r.Kind, &r.PolicyVersion, &r.AsOf, &r.StartedBy, &s, &f, &r.Households, &r.Profiles}, extra...)...)
	r.StartedAt, r.FinishedAt = FromMicros(s), FromMicros(f)
	return r, err
}

// InsertEligibilityRun records the start of a run, now.
func (tx *Tx) InsertEligibilityRun(ctx context.Context, r EligibilityRun) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO eligibility_runs (id, kind, policy_version, as_of, started_by, started_at, finished_at, households, profiles)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, r.ID, r.Kind, r.PolicyVersion, r.AsOf, r.StartedBy, Micros(tx.Now), Micros(r.FinishedAt), r.Households, r.Profiles)
	return err
}

// FinishEligibilityRun records the end of a run, now, with its counts.
func (tx *Tx) FinishEligibilityRun(ctx context.Context, id string, households, profiles int) error {
	return expectOne(tx.ExecContext(ctx, `UPDATE eligibility_runs SET finished_at = $2, households = $3, profiles = $4 WHERE id = $1`,
		id, Micros(tx.Now), households, profiles))
}

// EligibilityRunByID reads one run.
func (tx *Tx) EligibilityRunByID(ctx context.Context, id string) (EligibilityRun, error) {
	return scanRun(tx.QueryRowContext(ctx, `SELECT `+runCols+` FROM eligibility_runs WHERE id = $1`, id))
}

// EligibilityResultRow is the sealed results of one household in one run.
type EligibilityResultRow struct {
	HouseholdID      string
	RunID            string
	HouseholdVersion int
	Data             []byte
}

// resultsLock is the PostgreSQL advisory lock that keeps stored results
// and household erasure apart: writers of results hold it shared, erasure
// exclusively (results carry no foreign key, see migration 00010).
const resultsLock = 0x5e7da_0001

// InsertEligibilityResults stores results, leaving out those of households
// that no longer exist (erased since they were read). Results are never
// replaced: a household screened twice in one run is a conflict.
//
// On PostgreSQL the rows go as four arrays in one statement per
// maxArrayRows rows: a statement the server parses in no time whatever
// the number of rows, where a multi-row VALUES costs it a parameter per
// value to parse and plan.
func (tx *Tx) InsertEligibilityResults(ctx context.Context, rows []EligibilityResultRow) error {
	if tx.Dialect() == Postgres {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock_shared($1)`, resultsLock); err != nil {
			return err
		}
		for start := 0; start < len(rows); start += maxArrayRows {
			batch := rows[start:min(len(rows), start+maxArrayRows)]
			ids, runs := make([]string, len(batch)), make([]string, len(batch))
			versions, data := make([]int32, len(batch)), make([][]byte, len(batch))
			for i, r := range batch {
				ids[i], runs[i], versions[i], data[i] = r.HouseholdID, r.RunID, int32(r.HouseholdVersion), r.Data
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO eligibility_results (household_id, run_id, household_version, data)
				SELECT u.* FROM unnest($1::text[], $2::text[], $3::integer[], $4::bytea[]) u (household_id, run_id, household_version, data)
				WHERE EXISTS (SELECT 1 FROM households h WHERE h.id = u.household_id)`, ids, runs, versions, data); err != nil {
				return err
			}
		}
		return nil
	}
	// SQLite has one writer: nothing erases between the check and the insert.
	return tx.execChunks(ctx, len(rows), sqliteRowsPerInsert, 4, func(k int) string {
		return `INSERT INTO eligibility_results (household_id, run_id, household_version, data)
			SELECT v.column1, v.column2, v.column3, v.column4 FROM (VALUES ` + groups(SQLite, k, 4) + `) v
			WHERE EXISTS (SELECT 1 FROM households h WHERE h.id = v.column1)`
	}, func(i int) []any {
		r := rows[i]
		return []any{r.HouseholdID, r.RunID, r.HouseholdVersion, r.Data}
	})
}

// StoredEligibility is a stored result row with its run.
type StoredEligibility struct {
	Run EligibilityRun
	EligibilityResultRow
}

// EligibilityResults returns the stored results of a household, newest
// first, at most limit.
func (tx *Tx) EligibilityResults(ctx context.Context, householdID string, limit int) ([]StoredEligibility, error) {
	rows, err := tx.QueryContext(ctx, `SELECT r.id, r.kind, r.policy_version, r.as_of, r.started_by, r.started_at, r.finished_at, r.households, r.profiles,
		e.household_id, e.run_id, e.household_version, e.data
		FROM eligibility_results e JOIN eligibility_runs r ON r.id = e.run_id
		WHERE e.household_id = $1 ORDER BY r.started_at DESC, r.id DESC LIMIT $2`, householdID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []StoredEligibility
	for rows.Next() {
		var s StoredEligibility
		run, err := scanRun(rows, &s.HouseholdID, &s.RunID, &s.HouseholdVersion, &s.Data)
		if err != nil {
			return nil, err
		}
		s.Run = run
		out = append(out, s)
	}
	return out, rows.Err()
}

// CountEligibilityResults returns how many households have results in a run.
func (tx *Tx) CountEligibilityResults(ctx context.Context, runID string) (int, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM eligibility_results WHERE run_id = $1`, runID).Scan(&n)
	return n, err
}
