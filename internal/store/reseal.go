package store

import (
	"context"
	"fmt"
)

// SealedColumn is a column holding sealed bytes, with how to name the place
// each value is bound to.
type SealedColumn struct {
	Table, Key, Column string
	// PlaceColumn is the column whose value completes the place; usually Key.
	PlaceColumn string
	// Place builds the place from PlaceColumn's value.
	Place func(v string) string
}

// SealedColumns lists every sealed column that may be re-sealed under a new
// key. The audit trail's sealed client addresses are not here: the chain's
// hashes cover them, so they stay under the key that sealed them.
var SealedColumns = []SealedColumn{
	{Table: "outbox", Key: "id", Column: "recipient", Place: func(v string) string { return "outbox.recipient/" + v }},
	{Table: "outbox", Key: "id", Column: "params", Place: func(v string) string { return "outbox.params/" + v }},
	{Table: "accounts", Key: "id", Column: "email", Place: func(v string) string { return "accounts.email/" + v }},
	{Table: "accounts", Key: "id", Column: "phone", Place: func(v string) string { return "accounts.phone/" + v }},
	{Table: "accounts", Key: "id", Column: "name", Place: func(v string) string { return "accounts.name/" + v }},
	{Table: "households", Key: "id", Column: "data", Place: func(v string) string { return "households.data/" + v }},
	{Table: "household_versions", Key: "household_id || ':' || version", PlaceColumn: "household_id", Column: "data", Place: func(v string) string { return "households.data/" + v }},
}

// Resealer re-encrypts one value; it reports whether the value changed.
type Resealer func(ciphertext []byte, place string) ([]byte, bool, error)

// Reseal passes every value of every sealed column through fn in batches,
// each batch its own transaction, so the service keeps running. It returns
// the number of values rewritten.
func (db *DB) Reseal(ctx context.Context, fn Resealer) (int, error) {
	total := 0
	for _, c := range SealedColumns {
		pc := c.PlaceColumn
		if pc == "" {
			pc = c.Key
		}
		after := ""
		for {
			type item struct {
				key, place string
				val        []byte
			}
			var batch []item
			err := db.View(ctx, func(tx *Tx) error {
				rows, err := tx.QueryContext(ctx, fmt.Sprintf(`SELECT %s, %s, %s FROM %s WHERE %s IS NOT NULL AND %s > $1 ORDER BY %s LIMIT 500`,
					c.Key, pc, c.Column, c.Table, c.Column, c.Key, c.Key), after)
				if err != nil {
					return err
				}
				defer rows.Close()
				for rows.Next() {
					var it item
					if err := rows.Scan(&it.key, &it.place, &it.val); err != nil {
						return err
					}
					batch = append(batch, it)
				}
				return rows.Err()
			})
			if err != nil {
				return total, err
			}
			if len(batch) == 0 {
				break
			}
			err = db.Update(ctx, func(tx *Tx) error {
				for _, it := range batch {
					nv, changed, err := fn(it.val, c.Place(it.place))
					if err != nil {
						return fmt.Errorf("%s.%s %s: %w", c.Table, c.Column, it.key, err)
					}
					if !changed {
						continue
					}
					// Only if unchanged meanwhile: a concurrent write already used the new key.
					res, err := tx.ExecContext(ctx, fmt.Sprintf(`UPDATE %s SET %s = $1 WHERE %s = $2 AND %s = $3`, c.Table, c.Column, c.Key, c.Column), nv, it.key, it.val)
					if err != nil {
						return err
					}
					if n, _ := res.RowsAffected(); n == 1 {
						total++
					}
				}
				return nil
			})
			if err != nil {
				return total, err
			}
			after = batch[len(batch)-1].key
		}
	}
	return total, nil
}
