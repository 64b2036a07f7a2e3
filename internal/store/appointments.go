package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/senda-platform/senda"
)

// Appointments: capacity, slots, closures, draws, requests, appointments,
// moves and signing keys. The rules live in internal/appointments; these are
// the queries, the same text on both engines.

// CapacityRow is one weekly template day (Weekday 0..6, Sunday first) or one
// date override (ServiceDate set) of a location. Slots is JSON.
type CapacityRow struct {
	Location    string
	Weekday     int
	ServiceDate string
	Slots       string
	UpdatedBy   string
	UpdatedAt   time.Time
}

// PutTemplateDay replaces one weekday of a location's weekly template.
func (tx *Tx) PutTemplateDay(ctx context.Context, r CapacityRow) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO capacity_templates (location, weekday, slots, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (location, weekday) DO UPDATE SET slots = excluded.slots, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
		r.Location, r.Weekday, r.Slots, r.UpdatedBy, Micros(tx.Now))
	return err
}

// DeleteTemplateDay removes one weekday of a location's template.
func (tx *Tx) DeleteTemplateDay(ctx context.Context, location string, weekday int) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM capacity_templates WHERE location = $1 AND weekday = $2`, location, weekday)
	return err
}

// TemplateDays returns the weekly template of a location ("" for every
// location), by location and weekday.
func (tx *Tx) TemplateDays(ctx context.Context, location string) ([]CapacityRow, error) {
	rows, err := tx.QueryContext(ctx, `SELECT location, weekday, slots, updated_by, updated_at FROM capacity_templates
		WHERE ($1 = '' OR location = $1) ORDER BY location, weekday`, location)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []CapacityRow
	for rows.Next() {
		var r CapacityRow
		var at int64
		if err := rows.Scan(&r.Location, &r.Weekday, &r.Slots, &r.UpdatedBy, &at); err != nil {
			return nil, err
		}
		r.UpdatedAt = FromMicros(at)
		out = append(out, r)
	}
	return out, rows.Err()
}

// PutOverride sets the slots of a location on one date.
func (tx *Tx) PutOverride(ctx context.Context, r CapacityRow) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO capacity_overrides (location, service_date, slots, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (location, service_date) DO UPDATE SET slots = excluded.slots, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
		r.Location, r.ServiceDate, r.Slots, r.UpdatedBy, Micros(tx.Now))
	return err
}

// DeleteOverride removes a date override; it reports whether there was one.
func (tx *Tx) DeleteOverride(ctx context.Context, location, date string) (bool, error) {
	res, err := tx.ExecContext(ctx, `DELETE FROM capacity_overrides WHERE location = $1 AND service_date = $2`, location, date)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// Overrides returns the date overrides between two dates (inclusive) of a
// location ("" for every location).
func (tx *Tx) Overrides(ctx context.Context, location, from, to string) ([]CapacityRow, error) {
	rows, err := tx.QueryContext(ctx, `SELECT location, service_date, slots, updated_by, updated_at FROM capacity_overrides
		WHERE ($1 = '' OR location = $1) AND service_date >= $2 AND service_date <= $3 ORDER BY service_date, location`, location, from, to)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []CapacityRow
	for rows.Next() {
		r := CapacityRow{Weekday: -1}
		var at int64
		if err := rows.Scan(&r.Location, &r.ServiceDate, &r.Slots, &r.UpdatedBy, &at); err != nil {
			return nil, err
		}
		r.UpdatedAt = FromMicros(at)
		out = append(out, r)
	}
	return out, rows.Err()
}

// Materialized reports whether the slots of a service date are in the
// slots table.
func (tx *Tx) Materialized(ctx context.Context, date string) (bool, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM slot_dates WHERE service_date = $1`, date).Scan(&n)
	return n > 0, err
}

// MarkMaterialized records that a date's slots are in the slots table. It
// reports false when another transaction did it first.
func (tx *Tx) MarkMaterialized(ctx context.Context, date string) (bool, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO slot_dates (service_date, materialized_at) VALUES ($1, $2) ON CONFLICT (service_date) DO NOTHING`, date, Micros(tx.Now))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// SlotRow is one slot: Capacity persons at Location from Start. Used persons
// hold appointments; Held seats are set aside for the draw of HeldBy.
// ClosureID is set while a closure suspends the slot.
type SlotRow struct {
	Location    string
	Start       time.Time
	ServiceDate string
	Capacity    int
	Used        int
	Held        int
	HeldBy      string
	ClosureID   string
}

// Free is what the slot can still take.
func (s SlotRow) Free() int { return s.Capacity - s.Used - s.Held }

// InsertSlot adds a slot; a slot already there is left as it is.
func (tx *Tx) InsertSlot(ctx context.Context, s SlotRow) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO slots (location, start_at, service_date, capacity, used, held, closure_id) VALUES ($1, $2, $3, $4, 0, 0, $5)
		ON CONFLICT (location, start_at) DO NOTHING`, s.Location, Micros(s.Start), s.ServiceDate, s.Capacity, nullIfEmpty(s.ClosureID))
	return err
}

const slotCols = `location, start_at, service_date, capacity, used, held, COALESCE(held_by, ''), COALESCE(closure_id, '')`

func scanSlots(rows *sql.Rows, err error) ([]SlotRow, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SlotRow
	for rows.Next() {
		var s SlotRow
		var at int64
		if err := rows.Scan(&s.Location, &at, &s.ServiceDate, &s.Capacity, &s.Used, &s.Held, &s.HeldBy, &s.ClosureID); err != nil {
			return nil, err
		}
		s.Start = FromMicros(at)
		out = append(out, s)
	}
	return out, rows.Err()
}

// SlotsOn returns the slots of a service date at a location ("" for every
// location), by location then start.
func (tx *Tx) SlotsOn(ctx context.Context, date, location string) ([]SlotRow, error) {
	return scanSlots(tx.QueryContext(ctx, `SELECT `+slotCols+` FROM slots WHERE service_date = $1 AND ($2 = '' OR location = $2)
		ORDER BY location, start_at`, date, location))
}

// SlotsBetween returns the slots of a location between two dates
// (inclusive), by start.
func (tx *Tx) SlotsBetween(ctx context.Context, location, from, to string) ([]SlotRow, error) {
	return scanSlots(tx.QueryContext(ctx, `SELECT `+slotCols+` FROM slots WHERE location = $1 AND service_date >= $2 AND service_date <= $3
		ORDER BY start_at`, location, from, to))
}

// FreeSlotsFrom returns the open slots with free seats that start at or
// after from, on dates other than exceptDate, whose own draw has run: seats
// released or cancelled after a draw, which the next draw offers again.
func (tx *Tx) FreeSlotsFrom(ctx context.Context, from time.Time, exceptDate string) ([]SlotRow, error) {
	return scanSlots(tx.QueryContext(ctx, `SELECT `+slotCols+` FROM slots s WHERE start_at >= $1 AND service_date <> $2
		AND closure_id IS NULL AND capacity - used - held > 0
		AND EXISTS (SELECT 1 FROM draws d WHERE d.service_date = s.service_date AND d.status IN ('drawn', 'published'))
		ORDER BY start_at, location`, Micros(from), exceptDate))
}

// Slot reads one slot.
func (tx *Tx) Slot(ctx context.Context, location string, start time.Time) (SlotRow, error) {
	l, err := scanSlots(tx.QueryContext(ctx, `SELECT `+slotCols+` FROM slots WHERE location = $1 AND start_at = $2`, location, Micros(start)))
	if err != nil {
		return SlotRow{}, err
	}
	if len(l) == 0 {
		return SlotRow{}, sql.ErrNoRows
	}
	return l[0], nil
}

// TakeSeats adds n persons to a slot's used count if it has room (and, with
// open, is not suspended). It reports whether it did.
func (tx *Tx) TakeSeats(ctx context.Context, location string, start time.Time, n int, open bool) (bool, error) {
	q := `UPDATE slots SET used = used + $3 WHERE location = $1 AND start_at = $2 AND used + held + $3 <= capacity`
	if open {
		q += ` AND closure_id IS NULL`
	}
	res, err := tx.ExecContext(ctx, q, location, Micros(start), n)
	if err != nil {
		return false, err
	}
	k, err := res.RowsAffected()
	return k == 1, err
}

// ReturnSeats takes n persons off a slot's used count.
func (tx *Tx) ReturnSeats(ctx context.Context, location string, start time.Time, n int) error {
	return expectOne(tx.ExecContext(ctx, `UPDATE slots SET used = used - $3 WHERE location = $1 AND start_at = $2 AND used >= $3`, location, Micros(start), n))
}

// SetSlotCapacity changes a slot's capacity; it reports false when the slot
// already holds more than the new capacity.
func (tx *Tx) SetSlotCapacity(ctx context.Context, location string, start time.Time, capacity int) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE slots SET capacity = $3 WHERE location = $1 AND start_at = $2 AND used + held <= $3`, location, Micros(start), capacity)
	if err != nil {
		return false, err
	}
	k, err := res.RowsAffected()
	return k == 1, err
}

// DeleteEmptySlot removes a slot that nobody holds; it reports whether it did.
func (tx *Tx) DeleteEmptySlot(ctx context.Context, location string, start time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, `DELETE FROM slots WHERE location = $1 AND start_at = $2 AND used = 0 AND held = 0`, location, Micros(start))
	if err != nil {
		return false, err
	}
	k, err := res.RowsAffected()
	return k == 1, err
}

// HoldSlot sets the free seats of a slot aside for the draw of date and
// returns how many it held.
func (tx *Tx) HoldSlot(ctx context.Context, location string, start time.Time, date string) (int, error) {
	var held int
	err := tx.QueryRowContext(ctx, `UPDATE slots SET held = capacity - used, held_by = $3
		WHERE location = $1 AND start_at = $2 AND held = 0 RETURNING held`, location, Micros(start), date).Scan(&held)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return held, err
}

// UseHeld turns n seats held for the draw of date into used seats.
func (tx *Tx) UseHeld(ctx context.Context, location string, start time.Time, date string, n int) error {
	return expectOne(tx.ExecContext(ctx, `UPDATE slots SET used = used + $4, held = held - $4 WHERE location = $1 AND start_at = $2 AND held_by = $3 AND held >= $4`,
		location, Micros(start), date, n))
}

// SlotUse is a number of persons in one slot.
type SlotUse struct {
	Location string
	Start    time.Time
	Persons  int
}

// UseHeldMany turns seats held for the draw of date into used seats, for
// several slots in one statement.
func (tx *Tx) UseHeldMany(ctx context.Context, date string, uses []SlotUse) error {
	if len(uses) == 0 {
		return nil
	}
	list := make([][]any, len(uses))
	for i, u := range uses {
		list[i] = []any{u.Location, Micros(u.Start), u.Persons}
	}
	b, _ := json.Marshal(list)
	q := `UPDATE slots SET used = used + (j.value ->> 2), held = held - (j.value ->> 2) FROM json_each($1) j
		WHERE slots.location = j.value ->> 0 AND slots.start_at = j.value ->> 1 AND slots.held_by = $2`
	if tx.Dialect() == Postgres {
		q = `UPDATE slots SET used = used + (j ->> 2)::int, held = held - (j ->> 2)::int FROM jsonb_array_elements($1::jsonb) j
		WHERE slots.location = j ->> 0 AND slots.start_at = (j ->> 1)::bigint AND slots.held_by = $2`
	}
	res, err := tx.ExecContext(ctx, q, string(b), date)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n != int64(len(uses)) {
		return &senda.Error{Code: senda.CodeConflict, Key: "error.conflict", Err: fmt.Errorf("held seats of %d slots changed", len(uses))}
	}
	return nil
}

// ReleaseHolds frees every seat held for the draw of date.
func (tx *Tx) ReleaseHolds(ctx context.Context, date string) error {
	_, err := tx.ExecContext(ctx, `UPDATE slots SET held = 0, held_by = NULL WHERE held_by = $1`, date)
	return err
}

// SuspendSlots marks the open slots of a location in [from, until) as
// suspended by a closure; with starts, only slots whose start is one of
// them. It returns how many it suspended.
func (tx *Tx) SuspendSlots(ctx context.Context, closureID, location string, from, until time.Time, starts []time.Time) (int64, error) {
	var res sql.Result
	var err error
	if len(starts) == 0 {
		res, err = tx.ExecContext(ctx, `UPDATE slots SET closure_id = $1 WHERE location = $2 AND start_at >= $3 AND start_at < $4 AND closure_id IS NULL`,
			closureID, location, Micros(from), Micros(until))
	} else {
		var n int64
		for _, s := range starts {
			if s.Before(from) || !s.Before(until) {
				continue
			}
			r, err := tx.ExecContext(ctx, `UPDATE slots SET closure_id = $1 WHERE location = $2 AND start_at = $3 AND closure_id IS NULL`, closureID, location, Micros(s))
			if err != nil {
				return n, err
			}
			k, _ := r.RowsAffected()
			n += k
		}
		return n, nil
	}
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// UnsuspendSlots clears a closure from its slots.
func (tx *Tx) UnsuspendSlots(ctx context.Context, closureID string) error {
	_, err := tx.ExecContext(ctx, `UPDATE slots SET closure_id = NULL WHERE closure_id = $1`, closureID)
	return err
}

// ClosureRow is a closure of a location or some of its slots.
type ClosureRow struct {
	ID         string
	Location   string
	From       time.Time
	Until      time.Time
	Starts     string
	Reason     string
	CreatedBy  string
	CreatedAt  time.Time
	ReopenedBy string
	ReopenedAt time.Time
}

// InsertClosure stores a closure.
func (tx *Tx) InsertClosure(ctx context.Context, c ClosureRow) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO closures (id, location, from_at, until_at, starts, reason, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		c.ID, c.Location, Micros(c.From), Micros(c.Until), c.Starts, c.Reason, c.CreatedBy, Micros(tx.Now))
	return err
}

// ReopenClosure marks a closure reopened; it reports false when it was not open.
func (tx *Tx) ReopenClosure(ctx context.Context, id, by string) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE closures SET reopened_by = $2, reopened_at = $3 WHERE id = $1 AND reopened_at IS NULL`, id, by, Micros(tx.Now))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

const closureCols = `id, location, from_at, until_at, starts, reason, created_by, created_at, COALESCE(reopened_by, ''), COALESCE(reopened_at, 0)`

func scanClosures(rows *sql.Rows, err error) ([]ClosureRow, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ClosureRow
	for rows.Next() {
		var c ClosureRow
		var from, until, created, reopened int64
		if err := rows.Scan(&c.ID, &c.Location, &from, &until, &c.Starts, &c.Reason, &c.CreatedBy, &created, &c.ReopenedBy, &reopened); err != nil {
			return nil, err
		}
		c.From, c.Until, c.CreatedAt, c.ReopenedAt = FromMicros(from), FromMicros(until), FromMicros(created), FromMicros(reopened)
		out = append(out, c)
	}
	return out, rows.Err()
}

// Closure reads one closure.
func (tx *Tx) Closure(ctx context.Context, id string) (ClosureRow, error) {
	l, err := scanClosures(tx.QueryContext(ctx, `SELECT `+closureCols+` FROM closures WHERE id = $1`, id))
	if err != nil {
		return ClosureRow{}, err
	}
	if len(l) == 0 {
		return ClosureRow{}, sql.ErrNoRows
	}
	return l[0], nil
}

// Closures lists closures of a location ("" for all) that end after since,
// newest first; with open, only those not reopened.
func (tx *Tx) Closures(ctx context.Context, location string, since time.Time, open bool) ([]ClosureRow, error) {
	return scanClosures(tx.QueryContext(ctx, `SELECT `+closureCols+` FROM closures WHERE ($1 = '' OR location = $1) AND until_at > $2
		AND ($3 = 0 OR reopened_at IS NULL) ORDER BY from_at DESC, id`, location, Micros(since), boolInt(open)))
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// DrawRow is the draw of one service date.
type DrawRow struct {
	ServiceDate     string
	Status          string
	Commitment      string
	Seed            []byte // sealed
	RevealedSeed    string
	OpensAt         time.Time
	ClosesAt        time.Time
	PriorityShareBP int
	RequestsRoot    string
	RequestCount    int
	BeaconSource    string
	BeaconRound     int64
	BeaconValue     string
	BeaconNote      string
	AllocationCount int
	CreatedAt       time.Time
	ClosedAt        time.Time
	DrawnAt         time.Time
	PublishedAt     time.Time
}

// InsertDraw creates the draw of a date unless it exists; it reports whether
// it created it.
func (tx *Tx) InsertDraw(ctx context.Context, d DrawRow) (bool, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO draws (service_date, status, commitment, seed, opens_at, closes_at, priority_share_bp, created_at)
		VALUES ($1, 'open', $2, $3, $4, $5, $6, $7) ON CONFLICT (service_date) DO NOTHING`,
		d.ServiceDate, d.Commitment, d.Seed, Micros(d.OpensAt), Micros(d.ClosesAt), d.PriorityShareBP, Micros(tx.Now))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// OpenAt says whether the draw takes requests at t: open, and t within
// its window.
func (d DrawRow) OpenAt(t time.Time) bool {
	return d.Status == "open" && !t.Before(d.OpensAt) && t.Before(d.ClosesAt)
}

const drawCols = `service_date, status, commitment, seed, COALESCE(revealed_seed, ''), opens_at, closes_at, priority_share_bp,
	COALESCE(requests_root, ''), request_count, COALESCE(beacon_source, ''), COALESCE(beacon_round, 0), COALESCE(beacon_value, ''), beacon_note,
	allocation_count, created_at, COALESCE(closed_at, 0), COALESCE(drawn_at, 0), COALESCE(published_at, 0)`

func scanDraw(row interface{ Scan(...any) error }) (DrawRow, error) {
	var d DrawRow
	var opens, closes, created, closed, drawn, published int64
	err := row.Scan(&d.ServiceDate, &d.Status, &d.Commitment, &d.Seed, &d.RevealedSeed, &opens, &closes, &d.PriorityShareBP,
		&d.RequestsRoot, &d.RequestCount, &d.BeaconSource, &d.BeaconRound, &d.BeaconValue, &d.BeaconNote,
		&d.AllocationCount, &created, &closed, &drawn, &published)
	d.OpensAt, d.ClosesAt, d.CreatedAt = FromMicros(opens), FromMicros(closes), FromMicros(created)
	d.ClosedAt, d.DrawnAt, d.PublishedAt = FromMicros(closed), FromMicros(drawn), FromMicros(published)
	return d, err
}

// Draw reads the draw of a date. On PostgreSQL, lock takes a row lock
// ("share" or "update") held until the transaction ends.
func (tx *Tx) Draw(ctx context.Context, date, lock string) (DrawRow, error) {
	q := `SELECT ` + drawCols + ` FROM draws WHERE service_date = $1`
	if tx.Dialect() == Postgres {
		switch lock {
		case "share":
			q += ` FOR SHARE`
		case "update":
			q += ` FOR UPDATE`
		}
	}
	return scanDraw(tx.QueryRowContext(ctx, q, date))
}

// Draws lists the draws between two dates (inclusive), newest first.
func (tx *Tx) Draws(ctx context.Context, from, to string) ([]DrawRow, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+drawCols+` FROM draws WHERE service_date >= $1 AND service_date <= $2 ORDER BY service_date DESC`, from, to)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []DrawRow
	for rows.Next() {
		d, err := scanDraw(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// SetDrawStatus moves a draw from one status to the next and sets the
// given columns (closed_at, drawn_at or published_at to now, and any of
// requests_root, request_count, allocation_count, revealed_seed). It
// reports false when the draw was not in status from: another node did it.
func (tx *Tx) SetDrawStatus(ctx context.Context, date, from, to string, set map[string]any) (bool, error) {
	cols := []string{"status = $3"}
	args := []any{date, from, to}
	at := map[string]string{"closed": "closed_at", "drawn": "drawn_at", "published": "published_at"}[to]
	if at != "" {
		args = append(args, Micros(tx.Now))
		cols = append(cols, at+" = $4")
	}
	for _, k := range []string{"requests_root", "request_count", "allocation_count", "revealed_seed"} {
		if v, ok := set[k]; ok {
			args = append(args, v)
			cols = append(cols, k+" = $"+strconv.Itoa(len(args)))
		}
	}
	res, err := tx.ExecContext(ctx, `UPDATE draws SET `+strings.Join(cols, ", ")+` WHERE service_date = $1 AND status = $2`, args...)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// SetDrawBeacon records the beacon of a draw, or why there is none.
func (tx *Tx) SetDrawBeacon(ctx context.Context, date, source string, round int64, value, note string) error {
	return expectOne(tx.ExecContext(ctx, `UPDATE draws SET beacon_source = $2, beacon_round = $3, beacon_value = $4, beacon_note = $5
		WHERE service_date = $1 AND status = 'closed'`, date, nullIfEmpty(source), round, nullIfEmpty(value), note))
}

// DrawSlotRow is one slot of a draw as frozen at its close.
type DrawSlotRow struct {
	Position int
	Location string
	Start    time.Time
	Capacity int
}

// InsertDrawSlot stores one frozen slot of a draw.
func (tx *Tx) InsertDrawSlot(ctx context.Context, date string, s DrawSlotRow) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO draw_slots (service_date, position, location, start_at, capacity) VALUES ($1, $2, $3, $4, $5)`,
		date, s.Position, s.Location, Micros(s.Start), s.Capacity)
	return err
}

// DrawSlots returns the frozen slots of a draw in record order.
func (tx *Tx) DrawSlots(ctx context.Context, date string) ([]DrawSlotRow, error) {
	rows, err := tx.QueryContext(ctx, `SELECT position, location, start_at, capacity FROM draw_slots WHERE service_date = $1 ORDER BY position`, date)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []DrawSlotRow
	for rows.Next() {
		var s DrawSlotRow
		var at int64
		if err := rows.Scan(&s.Position, &s.Location, &at, &s.Capacity); err != nil {
			return nil, err
		}
		s.Start = FromMicros(at)
		out = append(out, s)
	}
	return out, rows.Err()
}

// InsertDrawChunk stores one chunk of the frozen requests of a draw.
func (tx *Tx) InsertDrawChunk(ctx context.Context, date string, chunk int, data []byte) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO draw_requests (service_date, chunk, data) VALUES ($1, $2, $3)`, date, chunk, data)
	return err
}

// DrawChunks calls fn with each chunk of the frozen requests of a draw, in
// order. The slice is only valid during the call.
func (tx *Tx) DrawChunks(ctx context.Context, date string, fn func(data []byte) error) error {
	rows, err := tx.QueryContext(ctx, `SELECT data FROM draw_requests WHERE service_date = $1 ORDER BY chunk`, date)
	if err != nil {
		return err
	}
	defer rows.Close()
	var b sql.RawBytes
	for rows.Next() {
		if err := rows.Scan(&b); err != nil {
			return err
		}
		if err := fn(b); err != nil {
			return err
		}
	}
	return rows.Err()
}

// DrawAllocationRow is one allocation of a draw.
type DrawAllocationRow struct {
	Position  int
	RequestID string
	Location  string
	Start     time.Time
	Phase     string
}

// DrawAllocations returns the allocations of a draw in placement order.
func (tx *Tx) DrawAllocations(ctx context.Context, date string) ([]DrawAllocationRow, error) {
	rows, err := tx.QueryContext(ctx, `SELECT position, request_id, location, start_at, phase FROM draw_allocations WHERE service_date = $1 ORDER BY position`, date)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []DrawAllocationRow
	for rows.Next() {
		var a DrawAllocationRow
		var at int64
		if err := rows.Scan(&a.Position, &a.RequestID, &a.Location, &at, &a.Phase); err != nil {
			return nil, err
		}
		a.Start = FromMicros(at)
		out = append(out, a)
	}
	return out, rows.Err()
}

// RequestRow is a request for an appointment.
type RequestRow struct {
	Key          string
	ID           string
	ServiceDate  string
	HouseholdID  string
	Size         int
	RegisteredAt time.Time
	Preferences  string // comma-separated location codes
	Status       string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

const requestCols = `key, id, service_date, household_id, size, registered_at, preferences, status, created_at, updated_at`

func scanRequest(row interface{ Scan(...any) error }) (RequestRow, error) {
	var r RequestRow
	var reg, created, updated int64
	err := row.Scan(&r.Key, &r.ID, &r.ServiceDate, &r.HouseholdID, &r.Size, &reg, &r.Preferences, &r.Status, &created, &updated)
	r.RegisteredAt, r.CreatedAt, r.UpdatedAt = FromMicros(reg), FromMicros(created), FromMicros(updated)
	return r, err
}

// IntakeStatements are the statements of the request path, prepared once
// (the writer's on the writer pool, the readers' on the reader pool) and
// bound to each transaction, so that a request parses no SQL.
type IntakeStatements struct {
	db                                         *DB
	upsert, draw, facts, ownersFacts, existing *sql.Stmt         // writer
	owned, household                           *sql.Stmt         // reader
	journal                                    map[int]*sql.Stmt // writer: inserts of n journal rows
	appendOpen                                 *sql.Stmt         // writer, PostgreSQL: intake_append
	stillChecked                               *sql.Stmt         // writer, SQLite: AppendIntakeOpen's household checks
}

// PrepareIntake prepares the intake statements.
func (db *DB) PrepareIntake(ctx context.Context) (*IntakeStatements, error) {
	st := &IntakeStatements{db: db}
	// On SQLite the household checks read a covering index (migration
	// 00012), never the row past its sealed document.
	lock, byID, byOwner := "", `INDEXED BY households_intake_id WHERE id IN (SELECT value FROM json_each($1))`, `INDEXED BY households_intake_owner WHERE owner_account IN (SELECT value FROM json_each($1))`
	if db.Dialect == Postgres {
		lock, byID, byOwner = " FOR SHARE", `WHERE id = ANY($1)`, `WHERE owner_account = ANY($1)`
	}
	for _, p := range []struct {
		pool *sql.DB
		dst  **sql.Stmt
		q    string
	}{
		{db.w, &st.upsert, `INSERT INTO appointment_requests (key, id, service_date, household_id, size, registered_at, preferences, status, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, 'live', $8, $8)
		ON CONFLICT (service_date, household_id) DO UPDATE SET id = excluded.id, size = excluded.size, registered_at = excluded.registered_at,
		preferences = excluded.preferences, status = 'live', updated_at = excluded.updated_at
		RETURNING key, id`},
		{db.w, &st.draw, `SELECT ` + drawCols + ` FROM draws WHERE service_date = $1` + lock},
		{db.w, &st.facts, `SELECT ` + intakeFactCols + ` FROM households h ` + byID},
		{db.w, &st.ownersFacts, `SELECT ` + intakeFactCols + ` FROM households h ` + byOwner},
		{db.w, &st.existing, existingQuery(db.Dialect)},
		{db.r, &st.owned, `SELECT ` + householdCols + ` FROM households WHERE owner_account = $1 LIMIT $2`},
		{db.r, &st.household, `SELECT ` + householdCols + ` FROM households WHERE id = $1`},
	} {
		s, err := p.pool.PrepareContext(ctx, p.q)
		if err != nil {
			st.Close()
			return nil, mapErr(err)
		}
		*p.dst = s
	}
	// Prepared here, not on first use: on SQLite a transaction holds the
	// only writer connection. PostgreSQL takes a batch's rows as arrays in
	// one statement (one round trip); SQLite in a few multi-row inserts.
	st.journal = make(map[int]*sql.Stmt, len(intakeChunks))
	chunks := intakeChunks
	if db.Dialect == Postgres {
		chunks = []int{0}
	}
	if db.Dialect == Postgres {
		s, err := db.w.PrepareContext(ctx, `SELECT out_id, out_replaced FROM intake_append($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)`)
		if err != nil {
			st.Close()
			return nil, mapErr(err)
		}
		st.appendOpen = s
	} else {
		// How many of the households ($1: [[id, version, owner], ...]) are
		// still as AppendIntakeOpen's checks say, as intake_append counts
		// them on PostgreSQL.
		s, err := db.w.PrepareContext(ctx, `SELECT count(*) FROM (SELECT json_extract(value, '$[0]') AS hh, json_extract(value, '$[1]') AS v,
			json_extract(value, '$[2]') AS o FROM json_each($1)) c JOIN households h ON h.id = c.hh AND h.version = c.v
		WHERE NOT `+heldCol+`
			AND (c.o = '' OR (SELECT count(*) FROM households x WHERE x.owner_account = c.o) = 1)`)
		if err != nil {
			st.Close()
			return nil, mapErr(err)
		}
		st.stillChecked = s
	}
	for _, n := range chunks {
		s, err := db.w.PrepareContext(ctx, journalInsert(db.Dialect, n))
		if err != nil {
			st.Close()
			return nil, mapErr(err)
		}
		st.journal[n] = s
	}
	return st, nil
}

// Close releases the statements.
func (st *IntakeStatements) Close() error {
	for _, s := range append([]*sql.Stmt{st.upsert, st.draw, st.facts, st.ownersFacts, st.existing, st.owned, st.household, st.appendOpen, st.stillChecked}, slices.Collect(maps.Values(st.journal))...) {
		if s != nil {
			s.Close()
		}
	}
	return nil
}

// UpsertRequest stores r as the live request of its household for its
// date, replacing an earlier one (the id r carries replaces the earlier
// id). It returns the stored id and whether it replaced one. The request
// was made at r.UpdatedAt, or now when that is zero. (Read-write
// transactions only.)
func (tx *Tx) UpsertRequest(ctx context.Context, st *IntakeStatements, r RequestRow) (id string, replaced bool, err error) {
	var key string
	err = tx.StmtContext(ctx, st.upsert).QueryRowContext(ctx, r.Key, r.ID, r.ServiceDate, r.HouseholdID, r.Size, Micros(r.RegisteredAt), r.Preferences, Micros(r.madeAt(tx.Now))).Scan(&key, &id)
	return id, err == nil && key != r.Key, err
}

// madeAt is when a request was made: r.UpdatedAt when set (a request
// folded from the intake journal), else now.
func (r RequestRow) madeAt(now time.Time) time.Time {
	if r.UpdatedAt.IsZero() {
		return now
	}
	return r.UpdatedAt
}

// upsertHead and upsertTail frame the rows of a multi-row upsert.
const (
	upsertHead = `INSERT INTO appointment_requests (key, id, service_date, household_id, size, registered_at, preferences, status, created_at, updated_at) VALUES `
	upsertTail = ` ON CONFLICT (service_date, household_id) DO UPDATE SET id = excluded.id, size = excluded.size, registered_at = excluded.registered_at,
		preferences = excluded.preferences, status = 'live', updated_at = excluded.updated_at
		RETURNING key, id, service_date, household_id`
	upsertChunk = 500 // rows per statement: 4,000 parameters
)

// UpsertRequests stores rows in order as UpsertRequest does, and returns
// each row's stored id and whether it replaced an earlier request (a
// household's second row in rows replaces its first). On PostgreSQL the
// rows go in a few multi-row statements rather than one round trip each;
// SQLite, in process, takes them one prepared row at a time.
func (tx *Tx) UpsertRequests(ctx context.Context, st *IntakeStatements, rows []RequestRow) (ids []string, replaced []bool, err error) {
	ids, replaced = make([]string, len(rows)), make([]bool, len(rows))
	if tx.db.Dialect != Postgres {
		for i, r := range rows {
			if ids[i], replaced[i], err = tx.UpsertRequest(ctx, st, r); err != nil {
				return nil, nil, err
			}
		}
		return ids, replaced, nil
	}
	// One statement may not touch a row twice: a household's second row
	// goes in the next round.
	pending := make([]int, len(rows))
	for i := range pending {
		pending[i] = i
	}
	for len(pending) > 0 {
		seen := make(map[RequestSlot]bool, len(pending))
		var round, later []int
		for _, i := range pending {
			k := RequestSlot{rows[i].ServiceDate, rows[i].HouseholdID}
			if seen[k] {
				later = append(later, i)
				continue
			}
			seen[k] = true
			round = append(round, i)
		}
		for start := 0; start < len(round); start += upsertChunk {
			if err := tx.upsertChunk(ctx, rows, round[start:min(start+upsertChunk, len(round))], ids, replaced); err != nil {
				return nil, nil, err
			}
		}
		pending = later
	}
	return ids, replaced, nil
}

// upsertChunk upserts rows[i] for each i of chunk in one statement (no two
// for the same household and date).
func (tx *Tx) upsertChunk(ctx context.Context, rows []RequestRow, chunk []int, ids []string, replaced []bool) error {
	var q strings.Builder
	q.WriteString(upsertHead)
	args := make([]any, 0, 8*len(chunk))
	at := map[RequestSlot]int{}
	for n, i := range chunk {
		r := rows[i]
		if n > 0 {
			q.WriteByte(',')
		}
		k := len(args)
		fmt.Fprintf(&q, "($%d, $%d, $%d, $%d, $%d, $%d, $%d, 'live', $%d, $%d)", k+1, k+2, k+3, k+4, k+5, k+6, k+7, k+8, k+8)
		args = append(args, r.Key, r.ID, r.ServiceDate, r.HouseholdID, r.Size, Micros(r.RegisteredAt), r.Preferences, Micros(r.madeAt(tx.Now)))
		at[RequestSlot{r.ServiceDate, r.HouseholdID}] = i
	}
	q.WriteString(upsertTail)
	res, err := tx.QueryContext(ctx, q.String(), args...)
	if err != nil {
		return err
	}
	defer res.Close()
	got := 0
	for res.Next() {
		var key, id, date, household string
		if err := res.Scan(&key, &id, &date, &household); err != nil {
			return err
		}
		i, ok := at[RequestSlot{date, household}]
		if !ok {
			return fmt.Errorf("store: upsert returned an unknown request for %s", date)
		}
		ids[i], replaced[i] = id, key != rows[i].Key
		got++
	}
	if err := res.Err(); err != nil {
		return err
	}
	if got != len(chunk) {
		return fmt.Errorf("store: upsert stored %d of %d requests", got, len(chunk))
	}
	return nil
}

// IntakeDraw reads the draw of a date with a share lock on PostgreSQL, so
// that its close waits for the transaction. (Read-write transactions only.)
func (tx *Tx) IntakeDraw(ctx context.Context, st *IntakeStatements, date string) (DrawRow, error) {
	return scanDraw(tx.StmtContext(ctx, st.draw).QueryRowContext(ctx, date))
}

// heldCol says whether the household h holds a live appointment.
const heldCol = `EXISTS (SELECT 1 FROM appointments a WHERE a.household_id = h.id AND a.status IN ('allocated', 'confirmed'))`

// IntakeHousehold is a household as the intake writer checks it: the row
// without its sealed document, and whether it holds a live appointment.
type IntakeHousehold struct {
	HouseholdRow
	Held bool
}

// IntakeHouseholds lists up to limit households an account owns, in one
// statement outside any transaction.
func (st *IntakeStatements) IntakeHouseholds(ctx context.Context, owner string, limit int) ([]HouseholdRow, error) {
	ctx, err := st.db.stmtCtx(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := st.owned.QueryContext(ctx, owner, limit)
	if err != nil {
		return nil, mapErr(err)
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
	return out, mapErr(rows.Err())
}

// IntakeHousehold reads one household, in one statement outside any
// transaction.
func (st *IntakeStatements) IntakeHousehold(ctx context.Context, id string) (HouseholdRow, error) {
	ctx, err := st.db.stmtCtx(ctx)
	if err != nil {
		return HouseholdRow{}, err
	}
	h, err := scanHousehold(st.household.QueryRowContext(ctx, id))
	return h, mapErr(err)
}

// intakeFactCols are the columns of a household the intake writer checks:
// everything but the sealed document, and whether it holds a live
// appointment.
const intakeFactCols = `id, COALESCE(owner_account, ''), status, version, size, created_at, ` + heldCol

// IntakeFacts reads, inside the intake writer's transaction, the households
// that ids name and those that owners own, without their sealed documents:
// the writer checks each request against them in the same transaction that
// stores it. (Read-write transactions only.)
func (tx *Tx) IntakeFacts(ctx context.Context, st *IntakeStatements, ids, owners []string) (byID map[string]IntakeHousehold, byOwner map[string][]IntakeHousehold, err error) {
	return intakeFacts(ctx, func(s *sql.Stmt) *sql.Stmt { return tx.StmtContext(ctx, s) }, tx.Dialect(), st, ids, owners)
}

// IntakeFacts reads as Tx.IntakeFacts does, in statements of their own, for
// a writer that then stores its requests with AppendIntakeOpen. (On
// PostgreSQL, whose transactions read committed, a statement inside the
// transaction would see no more than one run just before it.)
func (db *DB) IntakeFacts(ctx context.Context, st *IntakeStatements, ids, owners []string) (byID map[string]IntakeHousehold, byOwner map[string][]IntakeHousehold, err error) {
	ctx, err = db.stmtCtx(ctx)
	if err != nil {
		return nil, nil, err
	}
	return intakeFacts(ctx, func(s *sql.Stmt) *sql.Stmt { return s }, db.Dialect, st, ids, owners)
}

// intakeFacts runs the household checks' statements, each through in (the
// statement as a transaction's, or itself).
func intakeFacts(ctx context.Context, in func(*sql.Stmt) *sql.Stmt, d Dialect, st *IntakeStatements, ids, owners []string) (byID map[string]IntakeHousehold, byOwner map[string][]IntakeHousehold, err error) {
	byID, byOwner = make(map[string]IntakeHousehold, len(ids)), make(map[string][]IntakeHousehold, len(owners))
	each := func(stmt *sql.Stmt, list []string, fn func(IntakeHousehold)) error {
		if len(list) == 0 {
			return nil
		}
		rs, err := in(stmt).QueryContext(ctx, listArg(d, list))
		if err != nil {
			return mapErr(err)
		}
		defer rs.Close()
		for rs.Next() {
			var h IntakeHousehold
			var c int64
			if err := rs.Scan(&h.ID, &h.OwnerAccount, &h.Status, &h.Version, &h.Size, &c, &h.Held); err != nil {
				return err
			}
			h.CreatedAt = FromMicros(c)
			fn(h)
		}
		return rs.Err()
	}
	if err := each(st.facts, ids, func(h IntakeHousehold) { byID[h.ID] = h }); err != nil {
		return nil, nil, err
	}
	if err := each(st.ownersFacts, owners, func(h IntakeHousehold) { byOwner[h.OwnerAccount] = append(byOwner[h.OwnerAccount], h) }); err != nil {
		return nil, nil, err
	}
	return byID, byOwner, nil
}

// Request reads the request of a household for a date.
func (tx *Tx) Request(ctx context.Context, date, householdID string) (RequestRow, error) {
	return scanRequest(tx.QueryRowContext(ctx, `SELECT `+requestCols+` FROM appointment_requests WHERE service_date = $1 AND household_id = $2`, date, householdID))
}

// RequestsOf lists a household's requests, newest date first.
func (tx *Tx) RequestsOf(ctx context.Context, householdID string, limit int) ([]RequestRow, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+requestCols+` FROM appointment_requests WHERE household_id = $1 ORDER BY service_date DESC LIMIT $2`, householdID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []RequestRow
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// EachRequest calls fn for every request of a date with a status, in no
// particular order, without loading them all at once.
func (tx *Tx) EachRequest(ctx context.Context, date, status string, fn func(RequestRow) error) error {
	rows, err := tx.QueryContext(ctx, `SELECT `+requestCols+` FROM appointment_requests WHERE service_date = $1 AND status = $2`, date, status)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// SetRequestStatus changes the status of the request of a household for a
// date from one status to another; it reports whether it did.
func (tx *Tx) SetRequestStatus(ctx context.Context, date, householdID, from, to string) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE appointment_requests SET status = $4, updated_at = $5 WHERE service_date = $1 AND household_id = $2 AND status = $3`,
		date, householdID, from, to, Micros(tx.Now))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ExcludeHeldRequests marks the live requests of a date whose household
// holds a live appointment as excluded, and returns how many.
func (tx *Tx) ExcludeHeldRequests(ctx context.Context, date string) (int64, error) {
	res, err := tx.ExecContext(ctx, `UPDATE appointment_requests SET status = 'excluded', updated_at = $2 WHERE service_date = $1 AND status = 'live'
		AND household_id IN (SELECT household_id FROM appointments WHERE status IN ('allocated', 'confirmed'))`, date, Micros(tx.Now))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// AppointmentRow is an appointment.
type AppointmentRow struct {
	ID            string
	Code          string
	HouseholdID   string
	RequestID     string
	DrawDate      string
	Position      int
	Phase         string
	ServiceDate   string
	Location      string
	Start         time.Time
	Size          int
	Preferences   string
	Status        string
	ConfirmBy     time.Time
	Challenge     string
	ConfirmedAt   time.Time
	ConfirmMethod string
	ClosedAt      time.Time
	ClosedBy      string
	Moves         int
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// InsertAppointment stores an appointment. A taken code is reported as
// false, so that the caller can draw another.
func (tx *Tx) InsertAppointment(ctx context.Context, a AppointmentRow) (bool, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO appointments (id, code, household_id, request_id, draw_date, position, phase, service_date, location, start_at,
		size, preferences, status, confirm_by, challenge, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16) ON CONFLICT (code) DO NOTHING`,
		a.ID, a.Code, a.HouseholdID, a.RequestID, a.DrawDate, a.Position, a.Phase, a.ServiceDate, a.Location, Micros(a.Start),
		a.Size, a.Preferences, a.Status, Micros(a.ConfirmBy), a.Challenge, Micros(tx.Now))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

const appointmentCols = `id, code, household_id, request_id, draw_date, position, phase, service_date, location, start_at, size, preferences, status,
	confirm_by, challenge, COALESCE(confirmed_at, 0), COALESCE(confirm_method, ''), COALESCE(closed_at, 0), COALESCE(closed_by, ''), moves, created_at, updated_at`

func scanAppointment(row interface{ Scan(...any) error }) (AppointmentRow, error) {
	var a AppointmentRow
	var start, confirmBy, confirmed, closed, created, updated int64
	err := row.Scan(&a.ID, &a.Code, &a.HouseholdID, &a.RequestID, &a.DrawDate, &a.Position, &a.Phase, &a.ServiceDate, &a.Location, &start,
		&a.Size, &a.Preferences, &a.Status, &confirmBy, &a.Challenge, &confirmed, &a.ConfirmMethod, &closed, &a.ClosedBy, &a.Moves, &created, &updated)
	a.Start, a.ConfirmBy, a.ConfirmedAt, a.ClosedAt = FromMicros(start), FromMicros(confirmBy), FromMicros(confirmed), FromMicros(closed)
	a.CreatedAt, a.UpdatedAt = FromMicros(created), FromMicros(updated)
	return a, err
}

func scanAppointments(rows *sql.Rows, err error) ([]AppointmentRow, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AppointmentRow
	for rows.Next() {
		a, err := scanAppointment(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Appointment reads one appointment by id. With lock, on PostgreSQL, it
// locks the row for update (only in a read-write transaction).
func (tx *Tx) Appointment(ctx context.Context, id string, lock bool) (AppointmentRow, error) {
	q := `SELECT ` + appointmentCols + ` FROM appointments WHERE id = $1`
	if lock && tx.Dialect() == Postgres {
		q += ` FOR UPDATE`
	}
	return scanAppointment(tx.QueryRowContext(ctx, q, id))
}

// AppointmentByCode reads one appointment by its short code, locking it on
// PostgreSQL.
func (tx *Tx) AppointmentByCode(ctx context.Context, code string) (AppointmentRow, error) {
	q := `SELECT ` + appointmentCols + ` FROM appointments WHERE code = $1`
	if tx.Dialect() == Postgres {
		q += ` FOR UPDATE`
	}
	return scanAppointment(tx.QueryRowContext(ctx, q, code))
}

// AppointmentsOf lists a household's appointments, newest first.
func (tx *Tx) AppointmentsOf(ctx context.Context, householdID string) ([]AppointmentRow, error) {
	return scanAppointments(tx.QueryContext(ctx, `SELECT `+appointmentCols+` FROM appointments WHERE household_id = $1 ORDER BY created_at DESC, id DESC`, householdID))
}

// AppointmentsAt lists the appointments of a location on a date with one
// of the statuses (none: every status), by start then code.
func (tx *Tx) AppointmentsAt(ctx context.Context, location, date string, statuses ...string) ([]AppointmentRow, error) {
	return scanAppointments(tx.QueryContext(ctx, `SELECT `+appointmentCols+` FROM appointments WHERE location = $1 AND service_date = $2
		AND ($3 = '' OR (',' || $3 || ',') LIKE ('%,' || status || ',%')) ORDER BY start_at, code`, location, date, strings.Join(statuses, ",")))
}

// AppointmentsBetween lists the live appointments of a location starting
// in [from, until).
func (tx *Tx) AppointmentsBetween(ctx context.Context, location string, from, until time.Time) ([]AppointmentRow, error) {
	return scanAppointments(tx.QueryContext(ctx, `SELECT `+appointmentCols+` FROM appointments WHERE location = $1 AND start_at >= $2 AND start_at < $3
		AND status IN ('allocated', 'confirmed') ORDER BY id`, location, Micros(from), Micros(until)))
}

// AppointmentsIn lists the live appointments in slots suspended by a
// closure, in the order of their draw.
func (tx *Tx) AppointmentsIn(ctx context.Context, closureID string) ([]AppointmentRow, error) {
	return scanAppointments(tx.QueryContext(ctx, `SELECT `+appointmentCols+` FROM appointments a WHERE status IN ('allocated', 'confirmed')
		AND EXISTS (SELECT 1 FROM slots s WHERE s.location = a.location AND s.start_at = a.start_at AND s.closure_id = $1)
		ORDER BY draw_date, position, id`, closureID))
}

// AppointmentsInSuspended lists the live appointments of a draw that sit in
// suspended slots, in placement order.
func (tx *Tx) AppointmentsInSuspended(ctx context.Context, drawDate string) ([]AppointmentRow, error) {
	return scanAppointments(tx.QueryContext(ctx, `SELECT `+appointmentCols+` FROM appointments a WHERE draw_date = $1 AND status IN ('allocated', 'confirmed')
		AND EXISTS (SELECT 1 FROM slots s WHERE s.location = a.location AND s.start_at = a.start_at AND s.closure_id IS NOT NULL)
		ORDER BY position, id`, drawDate))
}

// DueForRelease lists allocated appointments whose confirmation deadline
// has passed.
func (tx *Tx) DueForRelease(ctx context.Context, now time.Time, limit int) ([]AppointmentRow, error) {
	return scanAppointments(tx.QueryContext(ctx, `SELECT `+appointmentCols+` FROM appointments WHERE status = 'allocated' AND confirm_by <= $1
		ORDER BY confirm_by, id LIMIT $2`, Micros(now), limit))
}

// DueForExpiry lists confirmed appointments that started before before and
// were never checked in or marked.
func (tx *Tx) DueForExpiry(ctx context.Context, before time.Time, limit int) ([]AppointmentRow, error) {
	return scanAppointments(tx.QueryContext(ctx, `SELECT `+appointmentCols+` FROM appointments WHERE status = 'confirmed' AND start_at <= $1
		ORDER BY start_at, id LIMIT $2`, Micros(before), limit))
}

// NextConfirmedStart returns the earliest start of a confirmed appointment,
// or the zero time when there is none.
func (tx *Tx) NextConfirmedStart(ctx context.Context) (time.Time, error) {
	var at sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT MIN(start_at) FROM appointments WHERE status = 'confirmed'`).Scan(&at)
	return FromMicros(at.Int64), err
}

// NextConfirmDeadline returns the earliest deadline of an allocated
// appointment, or the zero time when there is none.
func (tx *Tx) NextConfirmDeadline(ctx context.Context) (time.Time, error) {
	var at sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT MIN(confirm_by) FROM appointments WHERE status = 'allocated'`).Scan(&at)
	return FromMicros(at.Int64), err
}

// SetAppointmentStatus moves an appointment from one status to another,
// recording when and by whom for closing statuses; it reports whether it
// did.
func (tx *Tx) SetAppointmentStatus(ctx context.Context, id, from, to, by, method string) (bool, error) {
	q := `UPDATE appointments SET status = $3, updated_at = $4, closed_at = $4, closed_by = $5 WHERE id = $1 AND status = $2`
	args := []any{id, from, to, Micros(tx.Now), by}
	if to == "confirmed" {
		q = `UPDATE appointments SET status = $3, updated_at = $4, confirmed_at = $4, confirm_method = $5 WHERE id = $1 AND status = $2`
		args[4] = method
	}
	res, err := tx.ExecContext(ctx, q, args...)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// MoveAppointment puts an appointment in another slot.
func (tx *Tx) MoveAppointment(ctx context.Context, id, location string, start time.Time, date string) error {
	return expectOne(tx.ExecContext(ctx, `UPDATE appointments SET location = $2, start_at = $3, service_date = $4, moves = moves + 1, updated_at = $5
		WHERE id = $1 AND status IN ('allocated', 'confirmed')`, id, location, Micros(start), date, Micros(tx.Now)))
}

// Unannounced lists appointments of a draw whose household has not yet been
// told and audited, in placement order.
func (tx *Tx) Unannounced(ctx context.Context, drawDate string, limit int) ([]AppointmentRow, error) {
	return scanAppointments(tx.QueryContext(ctx, `SELECT `+appointmentCols+` FROM appointments WHERE draw_date = $1 AND announced_at IS NULL
		ORDER BY position LIMIT $2`, drawDate, limit))
}

// MarkAnnounced records that an appointment's household was told; it
// reports false when someone else did it first.
func (tx *Tx) MarkAnnounced(ctx context.Context, id string) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE appointments SET announced_at = $2 WHERE id = $1 AND announced_at IS NULL`, id, Micros(tx.Now))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// SetConfirmBy changes an allocated appointment's confirmation deadline.
func (tx *Tx) SetConfirmBy(ctx context.Context, id string, by time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE appointments SET confirm_by = $2 WHERE id = $1 AND status = 'allocated'`, id, Micros(by))
	return err
}

// AppointmentFor reports whether a household's request led to an
// appointment.
func (tx *Tx) AppointmentFor(ctx context.Context, householdID, requestID string) (bool, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM appointments WHERE household_id = $1 AND request_id = $2`, householdID, requestID).Scan(&n)
	return n > 0, err
}

// HasAppointment reports whether a household holds an appointment with one
// of the statuses.
func (tx *Tx) HasAppointment(ctx context.Context, householdID string, statuses ...string) (bool, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM appointments WHERE household_id = $1 AND (',' || $2 || ',') LIKE ('%,' || status || ',%')`,
		householdID, strings.Join(statuses, ",")).Scan(&n)
	return n > 0, err
}

// MoveRow is one move of an appointment hit by a closure.
type MoveRow struct {
	ID            string
	ClosureID     string
	AppointmentID string
	FromLocation  string
	FromStart     time.Time
	ToLocation    string
	ToStart       time.Time
	Outcome       string
	MessageID     string
	At            time.Time
}

// InsertMove records a move.
func (tx *Tx) InsertMove(ctx context.Context, m MoveRow) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO appointment_moves (id, closure_id, appointment_id, from_location, from_start, to_location, to_start, outcome, message_id, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, m.ID, m.ClosureID, m.AppointmentID, m.FromLocation, Micros(m.FromStart),
		m.ToLocation, Micros(m.ToStart), m.Outcome, m.MessageID, Micros(tx.Now))
	return err
}

// Moves lists the moves of a closure in the order they were made.
func (tx *Tx) Moves(ctx context.Context, closureID string) ([]MoveRow, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, closure_id, appointment_id, from_location, from_start, to_location, to_start, outcome, message_id, at
		FROM appointment_moves WHERE closure_id = $1 ORDER BY at, id`, closureID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []MoveRow
	for rows.Next() {
		var m MoveRow
		var from, to, at int64
		if err := rows.Scan(&m.ID, &m.ClosureID, &m.AppointmentID, &m.FromLocation, &from, &m.ToLocation, &to, &m.Outcome, &m.MessageID, &at); err != nil {
			return nil, err
		}
		m.FromStart, m.ToStart, m.At = FromMicros(from), FromMicros(to), FromMicros(at)
		out = append(out, m)
	}
	return out, rows.Err()
}

// SigningKey is a signing key pair; Private is sealed.
type SigningKey struct {
	ID        string
	Purpose   string
	Public    string
	Private   []byte
	CreatedAt time.Time
}

// InsertSigningKey stores the key of a purpose unless one exists.
func (tx *Tx) InsertSigningKey(ctx context.Context, k SigningKey) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO signing_keys (id, purpose, public_key, private_key, created_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (purpose) DO NOTHING`, k.ID, k.Purpose, k.Public, k.Private, Micros(tx.Now))
	return err
}

// SigningKeyFor reads the key of a purpose.
func (tx *Tx) SigningKeyFor(ctx context.Context, purpose string) (SigningKey, error) {
	var k SigningKey
	var at int64
	err := tx.QueryRowContext(ctx, `SELECT id, purpose, public_key, private_key, created_at FROM signing_keys WHERE purpose = $1`, purpose).
		Scan(&k.ID, &k.Purpose, &k.Public, &k.Private, &at)
	k.CreatedAt = FromMicros(at)
	return k, err
}

// Location reads one stored location.
func (tx *Tx) Location(ctx context.Context, code string) (Location, error) {
	var l Location
	err := tx.QueryRowContext(ctx, `SELECT code, kind, country, name, time_zone, latitude, longitude FROM locations WHERE code = $1`, code).
		Scan(&l.Code, &l.Kind, &l.Country, &l.Name, &l.TimeZone, &l.Latitude, &l.Longitude)
	return l, err
}

// Batches. SQLite binds $N parameters by name, which costs time that grows
// with the square of their number in one statement, so on SQLite a batch is
// one statement with one parameter, a JSON array that json_each unrolls;
// PostgreSQL gets multi-row VALUES or an array parameter.

// placeholders writes "($k, $k+1, ..., $k+n-1)".
func placeholders(b *strings.Builder, k, n int) {
	b.WriteByte('(')
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(k + i))
	}
	b.WriteByte(')')
}

// insertMany runs head VALUES (...), (...) tail for rows of cols values
// (strings and integers), calling scan for every row a RETURNING tail
// returns.
func (tx *Tx) insertMany(ctx context.Context, head, tail string, cols int, rows [][]any, scan func(*sql.Rows) error) error {
	if len(rows) == 0 {
		return nil
	}
	run := func(q string, args []any) error {
		if scan == nil {
			_, err := tx.ExecContext(ctx, q, args...)
			return err
		}
		rs, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			if err := scan(rs); err != nil {
				return err
			}
		}
		return rs.Err()
	}
	if tx.Dialect() == SQLite {
		var q strings.Builder
		q.WriteString(strings.TrimSuffix(strings.TrimSpace(head), "VALUES"))
		q.WriteString(" SELECT ")
		for i := range cols {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("value ->> " + strconv.Itoa(i))
		}
		q.WriteString(" FROM json_each($1) WHERE true")
		q.WriteString(tail)
		for start := 0; start < len(rows); start += 5000 {
			b, err := json.Marshal(rows[start:min(start+5000, len(rows))])
			if err != nil {
				return err
			}
			if err := run(q.String(), []any{string(b)}); err != nil {
				return err
			}
		}
		return nil
	}
	per := min(1000, 30000/cols)
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(start+per, len(rows))]
		var q strings.Builder
		q.WriteString(head)
		args := make([]any, 0, len(chunk)*cols)
		for i, r := range chunk {
			if i > 0 {
				q.WriteString(", ")
			}
			placeholders(&q, len(args)+1, cols)
			args = append(args, r...)
		}
		q.WriteString(tail)
		if err := run(q.String(), args); err != nil {
			return err
		}
	}
	return nil
}

// InsertDrawAllocations stores the allocations of a draw.
func (tx *Tx) InsertDrawAllocations(ctx context.Context, date string, as []DrawAllocationRow) error {
	rows := make([][]any, len(as))
	for i, a := range as {
		rows[i] = []any{date, a.Position, a.RequestID, a.Location, Micros(a.Start), a.Phase}
	}
	return tx.insertMany(ctx, `INSERT INTO draw_allocations (service_date, position, request_id, location, start_at, phase) VALUES `, "", 6, rows, nil)
}

// InsertAppointments stores appointments; a row whose code (or whose
// household's live appointment) is taken is skipped. It returns the ids
// stored.
func (tx *Tx) InsertAppointments(ctx context.Context, as []AppointmentRow) (map[string]bool, error) {
	rows := make([][]any, len(as))
	now := Micros(tx.Now)
	for i, a := range as {
		rows[i] = []any{a.ID, a.Code, a.HouseholdID, a.RequestID, a.DrawDate, a.Position, a.Phase, a.ServiceDate, a.Location, Micros(a.Start),
			a.Size, a.Preferences, a.Status, Micros(a.ConfirmBy), a.Challenge, now, now}
	}
	done := map[string]bool{}
	err := tx.insertMany(ctx, `INSERT INTO appointments (id, code, household_id, request_id, draw_date, position, phase, service_date, location, start_at,
		size, preferences, status, confirm_by, challenge, created_at, updated_at) VALUES `, ` ON CONFLICT DO NOTHING RETURNING id`, 17, rows,
		func(rs *sql.Rows) error {
			var id string
			err := rs.Scan(&id)
			done[id] = true
			return err
		})
	return done, err
}

// listArg is a list of ids as one parameter: an array on PostgreSQL (for
// = ANY($1)), a JSON array on SQLite (for IN (SELECT value FROM
// json_each($1))).
func (tx *Tx) listArg(ids []string) any { return listArg(tx.Dialect(), ids) }

// listArg passes a list of ids as one parameter: an array on PostgreSQL,
// a JSON array on SQLite.
func listArg(d Dialect, ids []string) any {
	if d == Postgres {
		return ids
	}
	b, _ := json.Marshal(ids)
	return string(b)
}

// eachID runs a query that takes a list of ids as $1: an array on
// PostgreSQL (id = ANY($1)), a JSON array on SQLite (id IN (SELECT value
// FROM json_each($1))). The query's other parameters follow as $2, $3...
func (tx *Tx) eachID(ctx context.Context, pgQuery, sqliteQuery string, ids []string, args []any, scan func(*sql.Rows) error) error {
	if len(ids) == 0 {
		return nil
	}
	q := pgQuery
	if tx.Dialect() == SQLite {
		q = sqliteQuery
	}
	rs, err := tx.QueryContext(ctx, q, append([]any{tx.listArg(ids)}, args...)...)
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
		if scan != nil {
			if err := scan(rs); err != nil {
				return err
			}
		}
	}
	return rs.Err()
}

// SetRequestsStatus moves the requests of several households for a date
// from one status to another.
func (tx *Tx) SetRequestsStatus(ctx context.Context, date string, households []string, from, to string) error {
	return tx.eachID(ctx,
		`UPDATE appointment_requests SET status = $4, updated_at = $5 WHERE household_id = ANY($1) AND service_date = $2 AND status = $3 RETURNING key`,
		`UPDATE appointment_requests SET status = $4, updated_at = $5 WHERE household_id IN (SELECT value FROM json_each($1)) AND service_date = $2 AND status = $3 RETURNING key`,
		households, []any{date, from, to, Micros(tx.Now)}, nil)
}

// HouseholdsOwnedBy lists (up to limit of) the households an applicant
// account owns, through the owner index.
func (tx *Tx) HouseholdsOwnedBy(ctx context.Context, owner string, limit int) ([]HouseholdRow, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+householdCols+` FROM households WHERE owner_account = $1 LIMIT $2`, owner, limit)
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

// HouseholdsByID reads the households with the given ids that exist.
func (tx *Tx) HouseholdsByID(ctx context.Context, ids []string) (map[string]HouseholdRow, error) {
	out := map[string]HouseholdRow{}
	err := tx.eachID(ctx, `SELECT `+householdCols+` FROM households WHERE id = ANY($1)`, `SELECT `+householdCols+` FROM households WHERE id IN (SELECT value FROM json_each($1))`,
		ids, nil, func(rs *sql.Rows) error {
			h, err := scanHousehold(rs)
			out[h.ID] = h
			return err
		})
	return out, err
}
