package store

import (
	"context"
	"time"
)

// HouseholdRow is a household as stored: the sealed document and the few
// columns that access control and statistics need.
type HouseholdRow struct {
	ID           string
	Receipt      string
	Place        string
	OwnerAccount string
	CreatedBy    string
	Status       string
	Version      int
	Size         int
	Nationality  string
	ExternalKey  string
	Data         []byte
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// IndexEntry is one blind-index value of a household member.
type IndexEntry struct {
	Kind, Value, MemberID string
}

// NextReceipt returns the next sequence number of a receipt prefix.
func (tx *Tx) NextReceipt(ctx context.Context, prefix string) (uint64, error) {
	var n int64
	err := tx.QueryRowContext(ctx, `INSERT INTO receipt_counters (prefix, next) VALUES ($1, 2)
		ON CONFLICT (prefix) DO UPDATE SET next = receipt_counters.next + 1 RETURNING next - 1`, prefix).Scan(&n)
	return uint64(n), err
}

// InsertHousehold stores a new household at version 1.
func (tx *Tx) InsertHousehold(ctx context.Context, h HouseholdRow) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO households (id, receipt, place, owner_account, created_by, status, version, size, nationality, external_key, data, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8, $9, $10, $11, $11)`,
		h.ID, h.Receipt, h.Place, nullIfEmpty(h.OwnerAccount), h.CreatedBy, h.Status, h.Size, h.Nationality, nullIfEmpty(h.ExternalKey), h.Data, Micros(tx.Now))
	return err
}

// UpdateHousehold replaces a household's document if it is still at
// version, keeping the previous version in history. It returns a conflict
// when someone else changed it first.
func (tx *Tx) UpdateHousehold(ctx context.Context, h HouseholdRow, version int, changedBy string) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO household_versions (household_id, version, data, changed_by, changed_at)
		SELECT id, version, data, $2, $3 FROM households WHERE id = $1 AND version = $4`, h.ID, changedBy, Micros(tx.Now), version); err != nil {
		return err
	}
	return expectOne(tx.ExecContext(ctx, `UPDATE households SET place = $2, status = $3, size = $4, nationality = $5, data = $6, version = version + 1, updated_at = $7
		WHERE id = $1 AND version = $8`, h.ID, h.Place, h.Status, h.Size, h.Nationality, h.Data, Micros(tx.Now), version))
}

const householdCols = `id, receipt, place, COALESCE(owner_account, ''), created_by, status, version, size, nationality, COALESCE(external_key, ''), data, created_at, updated_at`

func scanHousehold(row interface{ Scan(...any) error }) (HouseholdRow, error) {
	var h HouseholdRow
	var c, u int64
	err := row.Scan(&h.ID, &h.Receipt, &h.Place, &h.OwnerAccount, &h.CreatedBy, &h.Status, &h.Version, &h.Size, &h.Nationality, &h.ExternalKey, &h.Data, &c, &u)
	h.CreatedAt, h.UpdatedAt = FromMicros(c), FromMicros(u)
	return h, err
}

// Household reads one household by id.
func (tx *Tx) Household(ctx context.Context, id string) (HouseholdRow, error) {
	return scanHousehold(tx.QueryRowContext(ctx, `SELECT `+householdCols+` FROM households WHERE id = $1`, id))
}

// HouseholdBy reads one household by "receipt" or "external_key".
func (tx *Tx) HouseholdBy(ctx context.Context, column, value string) (HouseholdRow, error) {
	if column != "receipt" && column != "external_key" {
		panic("store: HouseholdBy on " + column)
	}
	return scanHousehold(tx.QueryRowContext(ctx, `SELECT `+householdCols+` FROM households WHERE `+column+` = $1`, value))
}

// HouseholdFilter selects households. Scope is "*", a country or
// COUNTRY/OFFICE: a household is in scope when its place is the scope or
// inside it.
type HouseholdFilter struct {
	Scope   string
	Owner   string
	After   string // keyset: households with a greater id
	Limit   int
	Deleted bool
}

// Households lists households in id order.
func (tx *Tx) Households(ctx context.Context, f HouseholdFilter) ([]HouseholdRow, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+householdCols+` FROM households
		WHERE ($1 = '*' OR place = $1 OR substr(place, 1, length($1) + 1) = $1 || '/')
		AND ($2 = '' OR owner_account = $2) AND id > $3 ORDER BY id LIMIT $4`, f.Scope, f.Owner, f.After, f.Limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []HouseholdRow
	for rows.Next() {
		h, err := scanHousehold(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// EachHousehold calls fn for every household in id order, reading in
// batches so memory stays flat.
func (db *DB) EachHousehold(ctx context.Context, fn func(HouseholdRow) error) error {
	after := ""
	for {
		var batch []HouseholdRow
		err := db.View(ctx, func(tx *Tx) (err error) {
			batch, err = tx.Households(ctx, HouseholdFilter{Scope: "*", After: after, Limit: 2000})
			return err
		})
		if err != nil {
			return err
		}
		for _, h := range batch {
			if err := fn(h); err != nil {
				return err
			}
		}
		if len(batch) < 2000 {
			return nil
		}
		after = batch[len(batch)-1].ID
	}
}

// ReplaceIndex sets the blind-index entries of a household.
func (tx *Tx) ReplaceIndex(ctx context.Context, householdID string, entries []IndexEntry) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM household_index WHERE household_id = $1`, householdID); err != nil {
		return err
	}
	for _, e := range entries {
		if _, err := tx.ExecContext(ctx, `INSERT INTO household_index (kind, value, household_id, member_id) VALUES ($1, $2, $3, $4)
			ON CONFLICT DO NOTHING`, e.Kind, e.Value, householdID, e.MemberID); err != nil {
			return err
		}
	}
	return nil
}

// FindIndexed returns the ids of households with a blind-index value.
func (tx *Tx) FindIndexed(ctx context.Context, kind, value string) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT household_id FROM household_index WHERE kind = $1 AND value = $2 ORDER BY household_id`, kind, value)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// IndexCounts returns, for kind, the values shared by at least min
// households, with their households (fraud patterns: one phone or address
// behind many households).
func (tx *Tx) IndexCounts(ctx context.Context, kind string, min int) (map[string][]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT value, household_id FROM household_index WHERE kind = $1 AND value IN
		(SELECT value FROM household_index WHERE kind = $1 GROUP BY value HAVING COUNT(DISTINCT household_id) >= $2) ORDER BY value, household_id`, kind, min)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var v, id string
		if err := rows.Scan(&v, &id); err != nil {
			return nil, err
		}
		if l := out[v]; len(l) == 0 || l[len(l)-1] != id {
			out[v] = append(out[v], id)
		}
	}
	return out, rows.Err()
}

// Idempotency is a remembered create or update.
type Idempotency struct {
	Key, RequestHash, HouseholdID string
	Version                       int
}

// GetIdempotency reads a remembered key; a missing one is not_found.
func (tx *Tx) GetIdempotency(ctx context.Context, key string) (Idempotency, error) {
	var i Idempotency
	err := tx.QueryRowContext(ctx, `SELECT key, request_hash, household_id, version FROM idempotency_keys WHERE key = $1`, key).
		Scan(&i.Key, &i.RequestHash, &i.HouseholdID, &i.Version)
	return i, err
}

// PutIdempotency remembers a key.
func (tx *Tx) PutIdempotency(ctx context.Context, i Idempotency) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO idempotency_keys (key, request_hash, household_id, version, created_at) VALUES ($1, $2, $3, $4, $5)`,
		i.Key, i.RequestHash, i.HouseholdID, i.Version, Micros(tx.Now))
	return err
}

// DeleteHousehold removes a household with its history, indexes,
// idempotency keys, duplicate pairs and stored eligibility results (those
// last under the results lock: see InsertEligibilityResults).
func (tx *Tx) DeleteHousehold(ctx context.Context, id string) error {
	if tx.Dialect() == Postgres {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, resultsLock); err != nil {
			return err
		}
	}
	for _, q := range []string{
		`DELETE FROM eligibility_results WHERE household_id = $1`,
		`DELETE FROM duplicate_pairs WHERE a_household = $1 OR b_household = $1`,
		`DELETE FROM idempotency_keys WHERE household_id = $1`,
		`DELETE FROM household_index WHERE household_id = $1`,
		`DELETE FROM household_versions WHERE household_id = $1`,
	} {
		if _, err := tx.ExecContext(ctx, q, id); err != nil {
			return err
		}
	}
	return expectOne(tx.ExecContext(ctx, `DELETE FROM households WHERE id = $1`, id))
}

// HouseholdVersions returns the sealed earlier versions of a household.
func (tx *Tx) HouseholdVersions(ctx context.Context, id string) ([]HouseholdRow, error) {
	rows, err := tx.QueryContext(ctx, `SELECT version, data, changed_at FROM household_versions WHERE household_id = $1 ORDER BY version`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []HouseholdRow
	for rows.Next() {
		h := HouseholdRow{ID: id}
		var at int64
		if err := rows.Scan(&h.Version, &h.Data, &at); err != nil {
			return nil, err
		}
		h.UpdatedAt = FromMicros(at)
		out = append(out, h)
	}
	return out, rows.Err()
}

// Pair is a likely-same-person pair.
type Pair struct {
	ID                   string
	AHousehold, AMember  string
	BHousehold, BMember  string
	Score                float64
	Reasons              string
	Status               string
	DecidedBy            string
	DecidedAt, CreatedAt time.Time
}

// UpsertPair records a candidate pair; a pair already decided keeps its
// decision.
func (tx *Tx) UpsertPair(ctx context.Context, p Pair) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO duplicate_pairs (id, a_household, a_member, b_household, b_member, score, reasons, status, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8)
		ON CONFLICT (a_member, b_member) DO UPDATE SET score = excluded.score, reasons = excluded.reasons`,
		p.ID, p.AHousehold, p.AMember, p.BHousehold, p.BMember, p.Score, p.Reasons, Micros(tx.Now))
	return err
}

// Pairs lists pairs of a status, highest score first.
func (tx *Tx) Pairs(ctx context.Context, status string, limit int) ([]Pair, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, a_household, a_member, b_household, b_member, score, reasons, status, COALESCE(decided_by, ''), COALESCE(decided_at, 0), created_at
		FROM duplicate_pairs WHERE status = $1 ORDER BY score DESC, id LIMIT $2`, status, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Pair
	for rows.Next() {
		var p Pair
		var d, c int64
		if err := rows.Scan(&p.ID, &p.AHousehold, &p.AMember, &p.BHousehold, &p.BMember, &p.Score, &p.Reasons, &p.Status, &p.DecidedBy, &d, &c); err != nil {
			return nil, err
		}
		p.DecidedAt, p.CreatedAt = FromMicros(d), FromMicros(c)
		out = append(out, p)
	}
	return out, rows.Err()
}

// DecidePair confirms or dismisses an open pair.
func (tx *Tx) DecidePair(ctx context.Context, id, status, by string) error {
	return expectOne(tx.ExecContext(ctx, `UPDATE duplicate_pairs SET status = $2, decided_by = $3, decided_at = $4 WHERE id = $1 AND status = 'open'`,
		id, status, by, Micros(tx.Now)))
}

// Pair reads one pair.
func (tx *Tx) Pair(ctx context.Context, id string) (Pair, error) {
	var p Pair
	var d, c int64
	err := tx.QueryRowContext(ctx, `SELECT id, a_household, a_member, b_household, b_member, score, reasons, status, COALESCE(decided_by, ''), COALESCE(decided_at, 0), created_at
		FROM duplicate_pairs WHERE id = $1`, id).Scan(&p.ID, &p.AHousehold, &p.AMember, &p.BHousehold, &p.BMember, &p.Score, &p.Reasons, &p.Status, &p.DecidedBy, &d, &c)
	p.DecidedAt, p.CreatedAt = FromMicros(d), FromMicros(c)
	return p, err
}
