package audit

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/internal/store"
)

// Filter selects entries. Empty fields match everything. Action matches
// exactly, or by prefix when it ends in ".*" ("export.*"). From is inclusive,
// To exclusive. Results come in seq order (oldest first); AfterSeq continues
// after the last entry of the previous page.
type Filter struct {
	ActorID    string
	Subject    string
	RecordType string
	RecordID   string
	Action     string
	From, To   time.Time
	// Limit caps the entries returned: Search defaults to DefaultLimit and
	// allows at most MaxLimit; Export returns every match when it is 0.
	Limit    int
	AfterSeq int64
}

// Search limits.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// String describes the filter as a query string, for the audit entry of a
// search or an export.
func (f Filter) String() string {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	set("actor", f.ActorID)
	set("subject", f.Subject)
	set("record_type", f.RecordType)
	set("record_id", f.RecordID)
	set("action", f.Action)
	if !f.From.IsZero() {
		v.Set("from", formatAt(f.From))
	}
	if !f.To.IsZero() {
		v.Set("to", formatAt(f.To))
	}
	if f.AfterSeq > 0 {
		v.Set("after", fmt.Sprint(f.AfterSeq))
	}
	if f.Limit > 0 {
		v.Set("limit", fmt.Sprint(f.Limit))
	}
	return v.Encode()
}

// query returns the SELECT of f with its arguments.
func (f Filter) query(limit int) (string, []any) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.ActorID != "" {
		where = append(where, "actor_id = "+arg(f.ActorID))
	}
	if f.Subject != "" {
		where = append(where, "subject = "+arg(f.Subject))
	}
	if f.RecordType != "" {
		where = append(where, "record_type = "+arg(f.RecordType))
	}
	if f.RecordID != "" {
		where = append(where, "record_id = "+arg(f.RecordID))
	}
	if p, ok := strings.CutSuffix(f.Action, "*"); ok {
		where = append(where, "substr(action, 1, "+arg(len(p))+") = "+arg(p))
	} else if f.Action != "" {
		where = append(where, "action = "+arg(f.Action))
	}
	if !f.From.IsZero() {
		where = append(where, "at >= "+arg(store.Micros(f.From)))
	}
	if !f.To.IsZero() {
		where = append(where, "at < "+arg(store.Micros(f.To)))
	}
	if f.AfterSeq > 0 {
		where = append(where, "seq > "+arg(f.AfterSeq))
	}
	q := `SELECT ` + columns + ` FROM audit_log`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	q += ` ORDER BY seq`
	if limit > 0 {
		q += ` LIMIT ` + arg(limit)
	}
	return q, args
}

type scanner interface{ Scan(dest ...any) error }

func scanEntry(r scanner, e *Entry) error {
	var at int64
	var fields string
	if err := r.Scan(&e.Seq, &at, &e.ActorID, &e.ActorRole, &e.ActorScope, &e.OnBehalfOf, &e.Action, &e.RecordType, &e.RecordID,
		&e.Subject, &fields, &e.Reason, &e.Remote, &e.RequestID, &e.PrevHash, &e.Hash); err != nil {
		return err
	}
	e.At = store.FromMicros(at)
	e.Fields = nil
	if err := json.Unmarshal([]byte(fields), &e.Fields); err != nil {
		return fmt.Errorf("audit: entry %d: fields: %w", e.Seq, err)
	}
	return nil
}

// each calls fn for every entry that f selects, streaming.
func each(ctx context.Context, db *store.DB, f Filter, limit int, fn func(*Entry) error) error {
	q, args := f.query(limit)
	return db.View(ctx, func(tx *store.Tx) error {
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		var e Entry
		for rows.Next() {
			if err := scanEntry(rows, &e); err != nil {
				return err
			}
			if err := fn(&e); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}

// Search returns the entries f selects, in seq order, at most f.Limit
// (DefaultLimit when 0, MaxLimit at most). It does not audit itself: a caller
// that shows the entries to someone appends its own entry.
func Search(ctx context.Context, db *store.DB, f Filter) ([]Entry, error) {
	limit := f.Limit
	switch {
	case limit <= 0:
		limit = DefaultLimit
	case limit > MaxLimit:
		limit = MaxLimit
	}
	out := []Entry{}
	err := each(ctx, db, f, limit, func(e *Entry) error {
		out = append(out, *e)
		return nil
	})
	return out, err
}

// Export writes the entries f selects as JSON Lines, in seq order, streaming.
// It does not audit itself; ExportAudited does.
func Export(ctx context.Context, db *store.DB, f Filter, w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	err := each(ctx, db, f, f.Limit, func(e *Entry) error { return enc.Encode(e) })
	if err != nil {
		return err
	}
	return bw.Flush()
}

// ExportAction is the action ExportAudited records.
const ExportAction = "export.audit_log"

// ExportAudited records, in its own transaction, that actor exports the
// entries f selects and why, then exports them to w. It refuses an empty
// reason and exports nothing then.
func ExportAudited(ctx context.Context, db *store.DB, actor Actor, reason string, f Filter, w io.Writer) error {
	if strings.TrimSpace(reason) == "" {
		return &senda.Error{Code: senda.CodeInvalid, Key: "error.invalid",
			Fields: []senda.FieldError{{Location: "reason", Key: "audit.reason_required"}}}
	}
	e := actor.Entry(ExportAction)
	e.RecordType, e.RecordID, e.Subject, e.Reason = "audit_log", f.String(), f.Subject, reason
	if err := db.Update(ctx, func(tx *store.Tx) error {
		_, err := Append(ctx, tx, e)
		return err
	}); err != nil {
		return err
	}
	return Export(ctx, db, f, w)
}
