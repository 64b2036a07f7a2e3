package store

import (
	"context"
)

// Location is a port of entry or a Safe Mobility Office as stored.
type Location struct {
	Code      string
	Kind      string
	Country   string
	Name      string
	TimeZone  string
	Latitude  float64
	Longitude float64
}

// LoadLocations makes the stored locations match the reference data of the
// given version. It is a no-op when that version is already loaded.
// Locations are only added or updated, never deleted, because appointments
// refer to them.
func (db *DB) LoadLocations(ctx context.Context, version string, locs []Location) error {
	return db.Update(ctx, func(tx *Tx) error {
		var have string
		err := tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'reference_version'`).Scan(&have)
		if err == nil && have == version {
			return nil
		}
		for _, l := range locs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO locations (code, kind, country, name, time_zone, latitude, longitude, reference_version)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
				ON CONFLICT (code) DO UPDATE SET kind = excluded.kind, country = excluded.country, name = excluded.name,
				time_zone = excluded.time_zone, latitude = excluded.latitude, longitude = excluded.longitude,
				reference_version = excluded.reference_version`,
				l.Code, l.Kind, l.Country, l.Name, l.TimeZone, l.Latitude, l.Longitude, version); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('reference_version', $1)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, version)
		return err
	})
}

// Locations lists the stored locations by code.
func (db *DB) Locations(ctx context.Context) ([]Location, error) {
	var out []Location
	err := db.View(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT code, kind, country, name, time_zone, latitude, longitude FROM locations ORDER BY code`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var l Location
			if err := rows.Scan(&l.Code, &l.Kind, &l.Country, &l.Name, &l.TimeZone, &l.Latitude, &l.Longitude); err != nil {
				return err
			}
			out = append(out, l)
		}
		return rows.Err()
	})
	return out, err
}
