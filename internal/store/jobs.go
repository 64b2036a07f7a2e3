package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/senda-platform/senda"
)

// Job is one persisted background job.
type Job struct {
	ID          string
	Kind        string
	Payload     string
	UniqueKey   string
	Status      string
	RunAt       time.Time
	Attempts    int
	MaxAttempts int
	LastError   string
	CreatedAt   time.Time
	FinishedAt  time.Time
}

// NewID returns a time-ordered unique id (UUIDv7).
func NewID() string { return uuid.Must(uuid.NewV7()).String() }

// EnqueueJob adds a job inside tx. A job with a UniqueKey that is already
// queued or done is not added twice; it returns the existing id.
func (tx *Tx) EnqueueJob(ctx context.Context, j Job) (string, error) {
	if j.ID == "" {
		j.ID = NewID()
	}
	if j.MaxAttempts == 0 {
		j.MaxAttempts = 10
	}
	if j.RunAt.IsZero() {
		j.RunAt = tx.Now
	}
	var uk any
	if j.UniqueKey != "" {
		uk = j.UniqueKey
	}
	var id string
	err := tx.QueryRowContext(ctx, `INSERT INTO jobs (id, kind, payload, unique_key, status, run_at, max_attempts, created_at)
		VALUES ($1, $2, $3, $4, 'queued', $5, $6, $7)
		ON CONFLICT (unique_key) DO UPDATE SET unique_key = excluded.unique_key
		RETURNING id`, j.ID, j.Kind, j.Payload, uk, Micros(j.RunAt), j.MaxAttempts, Micros(tx.Now)).Scan(&id)
	return id, mapErr(err)
}

// EnqueueJob adds a job in its own transaction.
func (db *DB) EnqueueJob(ctx context.Context, j Job) (id string, err error) {
	err = db.Update(ctx, func(tx *Tx) error {
		id, err = tx.EnqueueJob(ctx, j)
		return err
	})
	return id, err
}

// ClaimJob leases the next job that is due, or a running job whose lease
// expired (its worker died), to worker for lease. It returns a not_found
// error when nothing is due. A job is leased to one worker at a time, even
// with several processes on one database.
func (db *DB) ClaimJob(ctx context.Context, worker string, kinds []string, lease time.Duration) (Job, error) {
	var j Job
	err := db.Update(ctx, func(tx *Tx) error {
		now := Micros(tx.Now)
		pick := `SELECT id FROM jobs WHERE ((status = 'queued' AND run_at <= $1) OR (status = 'running' AND locked_until < $1))
			ORDER BY run_at, id LIMIT 1`
		if db.Dialect == Postgres {
			pick += ` FOR UPDATE SKIP LOCKED`
		}
		var id string
		if err := tx.QueryRowContext(ctx, pick, now).Scan(&id); err != nil {
			return err
		}
		var runAt, created int64
		var lastErr sql.NullString
		var uk sql.NullString
		err := tx.QueryRowContext(ctx, `UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_by = $2, locked_until = $3
			WHERE id = $1 RETURNING id, kind, payload, unique_key, status, run_at, attempts, max_attempts, last_error, created_at`,
			id, worker, now+lease.Microseconds()).Scan(&j.ID, &j.Kind, &j.Payload, &uk, &j.Status, &runAt, &j.Attempts, &j.MaxAttempts, &lastErr, &created)
		j.RunAt, j.CreatedAt, j.LastError, j.UniqueKey = FromMicros(runAt), FromMicros(created), lastErr.String, uk.String
		return err
	})
	return j, err
}

// CompleteJob marks a leased job done.
func (db *DB) CompleteJob(ctx context.Context, id, worker string) error {
	return db.Update(ctx, func(tx *Tx) error {
		return expectOne(tx.ExecContext(ctx, `UPDATE jobs SET status = 'done', finished_at = $3, locked_by = NULL, locked_until = NULL, last_error = NULL
			WHERE id = $1 AND locked_by = $2 AND status = 'running'`, id, worker, Micros(tx.Now)))
	})
}

// FailJob records a failed attempt: the job runs again at retryAt, or is
// marked failed when it has used all its attempts.
func (db *DB) FailJob(ctx context.Context, id, worker, reason string, retryAt time.Time) error {
	return db.Update(ctx, func(tx *Tx) error {
		return expectOne(tx.ExecContext(ctx, `UPDATE jobs SET
			status = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END,
			finished_at = CASE WHEN attempts >= max_attempts THEN CAST($4 AS BIGINT) ELSE NULL END,
			run_at = $5, last_error = $3, locked_by = NULL, locked_until = NULL
			WHERE id = $1 AND locked_by = $2 AND status = 'running'`, id, worker, reason, Micros(tx.Now), Micros(retryAt)))
	})
}

// GetJob reads one job.
func (db *DB) GetJob(ctx context.Context, id string) (Job, error) {
	var j Job
	err := db.View(ctx, func(tx *Tx) error {
		var runAt, created int64
		var fin sql.NullInt64
		var lastErr, uk sql.NullString
		err := tx.QueryRowContext(ctx, `SELECT id, kind, payload, unique_key, status, run_at, attempts, max_attempts, last_error, created_at, finished_at
			FROM jobs WHERE id = $1`, id).Scan(&j.ID, &j.Kind, &j.Payload, &uk, &j.Status, &runAt, &j.Attempts, &j.MaxAttempts, &lastErr, &created, &fin)
		j.RunAt, j.CreatedAt, j.FinishedAt, j.LastError, j.UniqueKey = FromMicros(runAt), FromMicros(created), FromMicros(fin.Int64), lastErr.String, uk.String
		return err
	})
	return j, err
}

// JobCounts returns the number of jobs by status, for metrics.
func (db *DB) JobCounts(ctx context.Context) (map[string]int, error) {
	out := map[string]int{}
	err := db.View(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT status, COUNT(*) FROM jobs GROUP BY status`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var s string
			var n int
			if err := rows.Scan(&s, &n); err != nil {
				return err
			}
			out[s] = n
		}
		return rows.Err()
	})
	return out, err
}

func expectOne(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n != 1 {
		return &senda.Error{Code: senda.CodeConflict, Key: "error.conflict", Err: errors.New("row changed by another worker")}
	}
	return nil
}
