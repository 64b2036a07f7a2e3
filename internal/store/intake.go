package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// IntakeRow is a request as the intake journal keeps it until it is folded
// into appointment_requests: the request, and the audit entry that will
// record it (with the time it was made).
type IntakeRow struct {
	Seq     int64
	At      time.Time
	Request RequestRow
	Action  string
	Subject string

	ActorID, ActorRole, ActorScope, OnBehalfOf, Remote, RequestID string
}

const intakeCols = `at, key, id, service_date, household_id, size, registered_at, preferences, action, subject,
	actor_id, actor_role, actor_scope, on_behalf_of, remote, request_id`

// intakeChunks are the row counts of the prepared journal inserts on
// SQLite: a batch goes in as few of them as add up to its size.
var intakeChunks = []int{256, 64, 16, 4, 1}

// intakeWidth is the number of journal columns written per row.
var intakeWidth = strings.Count(intakeCols, ",") + 1

// journalInsert is the insert of n journal rows; on PostgreSQL (n = 0) of
// as many rows as its arrays hold, in their order.
func journalInsert(d Dialect, n int) string {
	if d == Postgres {
		return `INSERT INTO appointment_intake (` + intakeCols + `) SELECT $1, ` + intakeColsOf("u") + `
		FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::bigint[], $8::text[], $9::text[], $10::text[],
			$11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[]) WITH ORDINALITY AS u(` + intakeColsOf("") + `, n)
		ORDER BY u.n`
	}
	return `INSERT INTO appointment_intake (` + intakeCols + `) VALUES ` + groups(d, n, intakeWidth)
}

// intakeColsOf lists the journal's columns after at, each prefixed with
// alias when one is given.
func intakeColsOf(alias string) string {
	cols := strings.Split(intakeCols, ",")[1:]
	for i, c := range cols {
		c = strings.TrimSpace(c)
		if alias != "" {
			c = alias + "." + c
		}
		cols[i] = c
	}
	return strings.Join(cols, ", ")
}

// AppendIntake appends rows to the intake journal, in order, stamped with
// the transaction's time. (Read-write transactions only.)
func (tx *Tx) AppendIntake(ctx context.Context, st *IntakeStatements, rows []IntakeRow) error {
	at, all := Micros(tx.Now), rows
	if tx.Dialect() == Postgres {
		if len(rows) == 0 {
			return nil
		}
		_, err := tx.StmtContext(ctx, st.journal[0]).ExecContext(ctx, append([]any{at}, journalArrays(rows)...)...)
		return mapErr(err)
	}
	args := make([]any, 0, intakeWidth*min(len(rows), intakeChunks[0]))
	for len(rows) > 0 {
		n := intakeChunks[len(intakeChunks)-1]
		for _, c := range intakeChunks {
			if c <= len(rows) {
				n = c
				break
			}
		}
		stmt := st.journal[n]
		args = args[:0]
		for _, r := range rows[:n] {
			q := r.Request
			args = append(args, at, q.Key, q.ID, q.ServiceDate, q.HouseholdID, q.Size, Micros(q.RegisteredAt), q.Preferences,
				r.Action, r.Subject, r.ActorID, r.ActorRole, r.ActorScope, r.OnBehalfOf, r.Remote, r.RequestID)
		}
		if _, err := tx.StmtContext(ctx, stmt).ExecContext(ctx, args...); err != nil {
			return mapErr(err)
		}
		rows = rows[n:]
	}
	if tx.Dialect() != Postgres {
		tx.db.journal.appended(tx, all)
	}
	return nil
}

// journalArrays returns the journal's columns after at as one array per
// column, in intakeCols' order: size and registered_at are numbers, the
// rest text.
func journalArrays(rows []IntakeRow) []any {
	var text [13][]string
	for c := range text {
		text[c] = make([]string, len(rows))
	}
	sizes, registered := make([]int64, len(rows)), make([]int64, len(rows))
	for i, r := range rows {
		q := r.Request
		for c, v := range [...]string{q.Key, q.ID, q.ServiceDate, q.HouseholdID, q.Preferences,
			r.Action, r.Subject, r.ActorID, r.ActorRole, r.ActorScope, r.OnBehalfOf, r.Remote, r.RequestID} {
			text[c][i] = v
		}
		sizes[i], registered[i] = int64(q.Size), Micros(q.RegisteredAt)
	}
	return []any{text[0], text[1], text[2], text[3], sizes, registered,
		text[4], text[5], text[6], text[7], text[8], text[9], text[10], text[11], text[12]}
}

// ErrIntakeClosed says that AppendIntakeOpen wrote nothing because the draw
// of a date it was given is not open.
var ErrIntakeClosed = errors.New("store: the draw of an intake date is not open")

// ErrIntakeStale says that AppendIntakeOpen wrote nothing because a
// household is no longer as the writer checked it.
var ErrIntakeStale = errors.New("store: an intake household changed since it was checked")

// HouseholdCheck is what the intake writer checked a request's household
// against: the household's version and, when the request did not name it,
// the account whose only household it is.
type HouseholdCheck struct {
	Version int
	OnlyOf  string
}

// AppendIntakeOpen appends rows to the intake journal in a transaction of
// its own, stamped at, provided that the draw of each of their dates is open
// at that time (holding a share lock on it on PostgreSQL, so that a close
// waits), else it writes nothing and returns ErrIntakeClosed; and, when
// checks are given (one per row), provided that each row's household is
// still as checks[i] says (at that version, and the only household of
// OnlyOf when set) and holds no live appointment, else it writes nothing
// and returns ErrIntakeStale. Each row takes the latest id of its household
// and date, if it has one (in the journal, among the folded requests or in
// an earlier row of rows), and is then a replacement, recorded with
// replaceAction; else it keeps its own. It returns each row's id and
// whether it replaced one, in order.
//
// On PostgreSQL it is one statement (intake_append, migrations 00014 and
// 00015), so one round trip that commits on its own.
func (db *DB) AppendIntakeOpen(ctx context.Context, st *IntakeStatements, at time.Time, replaceAction string, rows []IntakeRow, checks []HouseholdCheck) (ids []string, replaced []bool, err error) {
	if len(rows) == 0 {
		return nil, nil, nil
	}
	if checks != nil && len(checks) != len(rows) {
		return nil, nil, fmt.Errorf("store: %d household checks for %d intake rows", len(checks), len(rows))
	}
	ids, replaced = make([]string, 0, len(rows)), make([]bool, 0, len(rows))
	if db.Dialect == Postgres {
		versions, onlyOf := make([]int64, len(checks)), make([]string, len(checks))
		for i, c := range checks {
			versions[i], onlyOf[i] = int64(c.Version), c.OnlyOf
		}
		args := append([]any{Micros(at), slotLockClass, replaceAction}, journalArrays(rows)...)
		rs, err := st.appendOpen.QueryContext(ctx, append(args, versions, onlyOf)...)
		if err != nil {
			return nil, nil, mapErr(err)
		}
		defer rs.Close()
		stale := false
		for rs.Next() {
			var id sql.NullString
			var again sql.NullBool
			if err := rs.Scan(&id, &again); err != nil {
				return nil, nil, err
			}
			stale = stale || !id.Valid
			ids, replaced = append(ids, id.String), append(replaced, again.Bool)
		}
		// Closing the rows reads to the end of the statement, past its
		// commit.
		if err := rs.Close(); err != nil {
			return nil, nil, mapErr(err)
		}
		if err := rs.Err(); err != nil {
			return nil, nil, mapErr(err)
		}
		switch {
		case len(ids) == 0:
			return nil, nil, ErrIntakeClosed
		case stale:
			return nil, nil, ErrIntakeStale
		case len(ids) != len(rows):
			return nil, nil, fmt.Errorf("store: intake_append returned %d rows for %d", len(ids), len(rows))
		}
		return ids, replaced, nil
	}
	triples := make([][3]any, len(checks))
	for i, c := range checks {
		triples[i] = [3]any{rows[i].Request.HouseholdID, c.Version, c.OnlyOf}
	}
	checkArg, _ := json.Marshal(triples)
	err = db.Update(ctx, func(tx *Tx) error {
		tx.Now = at
		slots := make([]RequestSlot, len(rows))
		for i, r := range rows {
			slots[i] = RequestSlot{Date: r.Request.ServiceDate, Household: r.Request.HouseholdID}
		}
		checked := map[string]bool{}
		for _, s := range slots {
			if checked[s.Date] {
				continue
			}
			checked[s.Date] = true
			d, err := tx.IntakeDraw(ctx, st, s.Date)
			if IsNotFound(err) || err == nil && !d.OpenAt(at) {
				return ErrIntakeClosed
			}
			if err != nil {
				return err
			}
		}
		if checks != nil {
			var still int
			if err := tx.StmtContext(ctx, st.stillChecked).QueryRowContext(ctx, string(checkArg)).Scan(&still); err != nil {
				return err
			}
			if still != len(rows) {
				return ErrIntakeStale
			}
		}
		known, err := tx.LiveRequestIDs(ctx, st, slots)
		if err != nil {
			return err
		}
		rows := slices.Clone(rows)
		for i := range rows {
			q := &rows[i].Request
			id, again := known[slots[i]]
			if again {
				q.ID, rows[i].Action = id, replaceAction
			}
			known[slots[i]] = q.ID
			ids, replaced = append(ids, q.ID), append(replaced, again)
		}
		return tx.AppendIntake(ctx, st, rows)
	})
	for _, sentinel := range []error{ErrIntakeClosed, ErrIntakeStale} {
		if errors.Is(err, sentinel) {
			return nil, nil, sentinel
		}
	}
	if err != nil {
		return nil, nil, err
	}
	return ids, replaced, nil
}

// RequestSlot is what makes a request unique: one live request per
// household and date.
type RequestSlot struct{ Date, Household string }

// LiveRequestIDs returns, for each slot that holds a request (live or not),
// the id of its latest one: in the journal if it has one not yet folded,
// else in appointment_requests.
func (tx *Tx) LiveRequestIDs(ctx context.Context, st *IntakeStatements, slots []RequestSlot) (map[RequestSlot]string, error) {
	out := make(map[RequestSlot]string, len(slots))
	if len(slots) == 0 {
		return out, nil
	}
	var rs *sql.Rows
	var err error
	if tx.Dialect() == Postgres {
		dates, hs := make([]string, len(slots)), make([]string, len(slots))
		for i, s := range slots {
			dates[i], hs[i] = s.Date, s.Household
		}
		// Writers on several nodes take turns per slot, in one order, so
		// that the second sees the first's journal row (migration 00013).
		rs, err = tx.StmtContext(ctx, st.existing).QueryContext(ctx, hs, dates, slotLockClass)
	} else {
		// The journal's latest ids are in memory; only the slots it does
		// not hold are looked up among the folded requests.
		if err := tx.db.journal.overlay(ctx, tx, slots, out); err != nil {
			return nil, err
		}
		var pairs [][2]string
		for _, s := range slots {
			if _, ok := out[s]; !ok {
				pairs = append(pairs, [2]string{s.Household, s.Date})
			}
		}
		if len(pairs) == 0 {
			return out, nil
		}
		b, _ := json.Marshal(pairs)
		rs, err = tx.StmtContext(ctx, st.existing).QueryContext(ctx, string(b))
	}
	if err != nil {
		return nil, mapErr(err)
	}
	defer rs.Close()
	for rs.Next() {
		var s RequestSlot
		var id string
		if err := rs.Scan(&s.Household, &s.Date, &id); err != nil {
			return nil, err
		}
		if id != "" {
			out[s] = id
		}
	}
	if err := rs.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// existingQuery finds the latest request id of each (household, date)
// pair. On PostgreSQL it first takes the pairs' locks, in one round trip
// (intake_latest_ids, migration 00013). On SQLite it reads only
// appointment_requests: the journal's latest ids are in memory (see
// journalIndex).
func existingQuery(d Dialect) string {
	if d == Postgres {
		return `SELECT household, service_date, latest FROM intake_latest_ids($1, $2, $3)`
	}
	return `SELECT s.h, s.d, COALESCE((SELECT r.id FROM appointment_requests r WHERE r.household_id = s.h AND r.service_date = s.d), '')
		FROM (SELECT json_extract(value, '$[0]') AS h, json_extract(value, '$[1]') AS d FROM json_each($1)) s`
}

// journalIndex holds, on SQLite, the latest id of each slot with rows in
// the intake journal. One process writes an SQLite database, so memory can
// stand in for an index of the journal, whose every insert would dirty a
// random page. It is read from the journal on first use, then kept by the
// commits that append to the journal and take from it. A slot is forgotten
// once its rows are taken, even if a later row of it waits: that row
// carries the same id, which the folded request now holds.
type journalIndex struct {
	mu     sync.Mutex
	loaded bool
	latest map[RequestSlot]string
}

// overlay sets the slots' ids that the journal holds into out.
func (j *journalIndex) overlay(ctx context.Context, tx *Tx, slots []RequestSlot, out map[RequestSlot]string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.loaded {
		rs, err := tx.QueryContext(ctx, `SELECT household_id, service_date, id FROM appointment_intake ORDER BY seq`)
		if err != nil {
			return err
		}
		defer rs.Close()
		j.latest = map[RequestSlot]string{}
		for rs.Next() {
			var s RequestSlot
			var id string
			if err := rs.Scan(&s.Household, &s.Date, &id); err != nil {
				return err
			}
			j.latest[s] = id
		}
		if err := rs.Err(); err != nil {
			return err
		}
		j.loaded = true
	}
	for _, s := range slots {
		if id, ok := j.latest[s]; ok {
			out[s] = id
		}
	}
	return nil
}

// appended records, once tx commits, the journal rows it appended.
func (j *journalIndex) appended(tx *Tx, rows []IntakeRow) {
	latest := make(map[RequestSlot]string, len(rows))
	for _, r := range rows {
		latest[RequestSlot{r.Request.ServiceDate, r.Request.HouseholdID}] = r.Request.ID
	}
	tx.OnCommit(func() {
		j.mu.Lock()
		defer j.mu.Unlock()
		if j.loaded {
			maps.Copy(j.latest, latest)
		}
	})
}

// taken forgets, once tx commits, the slots of the journal rows it took.
func (j *journalIndex) taken(tx *Tx, rows []IntakeRow) {
	tx.OnCommit(func() {
		j.mu.Lock()
		defer j.mu.Unlock()
		for _, r := range rows {
			delete(j.latest, RequestSlot{r.Request.ServiceDate, r.Request.HouseholdID})
		}
	})
}

// slotLockClass is the class of the PostgreSQL advisory locks that
// writers take per household and date ("SEND").
const slotLockClass int32 = 0x53454e44

// intakeLock serialises takers of the journal on PostgreSQL ("SENDAJRN").
const intakeLock int64 = 0x53454e44414a524e

// TakeIntake removes up to limit of the oldest rows of the intake journal
// (only household's, when it is set) and returns them in commit order, for
// the caller to fold in the same transaction. (Read-write transactions
// only.)
func (tx *Tx) TakeIntake(ctx context.Context, household string, limit int) ([]IntakeRow, error) {
	if tx.Dialect() == Postgres {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, intakeLock); err != nil {
			return nil, err
		}
	}
	where, args := "", []any{limit}
	if household != "" {
		where, args = ` WHERE household_id = $2`, append(args, household)
	}
	rs, err := tx.QueryContext(ctx, `DELETE FROM appointment_intake WHERE seq IN (SELECT seq FROM appointment_intake`+where+` ORDER BY seq LIMIT $1)
		RETURNING seq, `+intakeCols, args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []IntakeRow
	for rs.Next() {
		var r IntakeRow
		var at, reg int64
		q := &r.Request
		if err := rs.Scan(&r.Seq, &at, &q.Key, &q.ID, &q.ServiceDate, &q.HouseholdID, &q.Size, &reg, &q.Preferences, &r.Action, &r.Subject,
			&r.ActorID, &r.ActorRole, &r.ActorScope, &r.OnBehalfOf, &r.Remote, &r.RequestID); err != nil {
			return nil, err
		}
		r.At, q.RegisteredAt, q.Status = FromMicros(at), FromMicros(reg), "live"
		q.CreatedAt, q.UpdatedAt = r.At, r.At
		out = append(out, r)
	}
	if err := rs.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b IntakeRow) int { return cmp.Compare(a.Seq, b.Seq) })
	if tx.Dialect() != Postgres {
		tx.db.journal.taken(tx, out)
	}
	return out, nil
}
