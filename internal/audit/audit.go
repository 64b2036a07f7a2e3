// Package audit keeps Senda's tamper-evident audit trail: every read of
// personal data and every change is appended, inside the transaction of the
// change, as an entry that carries the hash of the entry before it. Verify
// recomputes the chain and names the first broken entry; Search and Export
// serve auditors and applicants. The hashed form is specified in
// docs/audit.md so that anyone can re-verify the chain without Senda.
package audit

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/internal/seal"
	"github.com/senda-platform/senda/internal/store"
)

// Entry is one line of the audit trail. Fields holds the names of the fields
// read or changed, never their values. Subject is the opaque id of the
// applicant account or household the record belongs to. Remote is the client
// address sealed with SealRemote, or empty for a local process. The JSON tags
// name the form MarshalJSON writes, for schema generators.
type Entry struct {
	Seq        int64     `json:"seq"`
	At         time.Time `json:"at"`
	ActorID    string    `json:"actor_id"`
	ActorRole  string    `json:"actor_role"`
	ActorScope string    `json:"actor_scope"`
	OnBehalfOf string    `json:"on_behalf_of"`
	Action     string    `json:"action"`
	RecordType string    `json:"record_type"`
	RecordID   string    `json:"record_id"`
	Subject    string    `json:"subject"`
	Fields     []string  `json:"fields"`
	Reason     string    `json:"reason"`
	Remote     string    `json:"remote"`
	RequestID  string    `json:"request_id"`
	PrevHash   string    `json:"prev_hash"`
	Hash       string    `json:"hash"`
}

// jsonEntry is the JSON form of an Entry, one per line in exports. At is in
// TimeLayout, so that an export can be re-verified as it is.
type jsonEntry struct {
	Seq        int64    `json:"seq"`
	At         string   `json:"at"`
	ActorID    string   `json:"actor_id"`
	ActorRole  string   `json:"actor_role"`
	ActorScope string   `json:"actor_scope"`
	OnBehalfOf string   `json:"on_behalf_of"`
	Action     string   `json:"action"`
	RecordType string   `json:"record_type"`
	RecordID   string   `json:"record_id"`
	Subject    string   `json:"subject"`
	Fields     []string `json:"fields"`
	Reason     string   `json:"reason"`
	Remote     string   `json:"remote"`
	RequestID  string   `json:"request_id"`
	PrevHash   string   `json:"prev_hash"`
	Hash       string   `json:"hash"`
}

// MarshalJSON writes the entry with snake_case names and At in TimeLayout.
func (e Entry) MarshalJSON() ([]byte, error) {
	f := e.Fields
	if f == nil {
		f = []string{}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	err := enc.Encode(jsonEntry{e.Seq, formatAt(e.At), e.ActorID, e.ActorRole, e.ActorScope, e.OnBehalfOf, e.Action,
		e.RecordType, e.RecordID, e.Subject, f, e.Reason, e.Remote, e.RequestID, e.PrevHash, e.Hash})
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), err
}

// UnmarshalJSON reads the form MarshalJSON writes.
func (e *Entry) UnmarshalJSON(b []byte) error {
	var j jsonEntry
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	at, err := time.Parse(time.RFC3339Nano, j.At)
	if err != nil {
		return err
	}
	*e = Entry{j.Seq, at.UTC(), j.ActorID, j.ActorRole, j.ActorScope, j.OnBehalfOf, j.Action,
		j.RecordType, j.RecordID, j.Subject, j.Fields, j.Reason, j.Remote, j.RequestID, j.PrevHash, j.Hash}
	return nil
}

// Actor is who acts, and from where: the parts of an Entry that come from the
// session and the request rather than from the action.
type Actor struct {
	ID, Role, Scope, OnBehalfOf string
	// Remote is the client address sealed with SealRemote, or empty.
	Remote    string
	RequestID string
}

// Entry returns an entry of action by a, to be completed by the caller.
func (a Actor) Entry(action string) Entry {
	return Entry{ActorID: a.ID, ActorRole: a.Role, ActorScope: a.Scope, OnBehalfOf: a.OnBehalfOf,
		Action: action, Remote: a.Remote, RequestID: a.RequestID}
}

// lockID is the PostgreSQL advisory lock that serialises appenders ("SENDAUDT").
const lockID int64 = 0x53454e4441554454

// Append adds e to the trail inside tx, so that the entry commits exactly
// with the change it records. It sets Seq (last + 1), At (the transaction's
// clock, unless the entry carries an earlier time: an action journaled when
// it was made and recorded later), PrevHash and Hash, and returns the
// stored entry. Action and
// ActorRole are required; an action starting with "export." needs a Reason.
func Append(ctx context.Context, tx *store.Tx, e Entry) (Entry, error) {
	out, err := AppendMany(ctx, tx, []Entry{e})
	if err != nil {
		return Entry{}, err
	}
	return out[0], nil
}

// insertHead is the audit_log insert without its rows.
const insertHead = `INSERT INTO audit_log (seq, at, actor_id, actor_role, actor_scope, on_behalf_of, action,
	record_type, record_id, subject, fields, reason, remote, request_id, prev_hash, hash) VALUES `

// rowsPerInsert bounds the rows of one multi-row insert on PostgreSQL (16
// parameters each, far below its limit of 65,535).
const rowsPerInsert = 256

// AppendMany adds entries to the trail in order inside tx, as Append does
// for one: the trail's lock is taken and its last entry read once, and the
// entries are written in as few statements as the engine allows. Nothing is
// written when any entry is invalid.
func AppendMany(ctx context.Context, tx *store.Tx, entries []Entry) ([]Entry, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	out := make([]Entry, len(entries))
	at := tx.Now.UTC().Truncate(time.Microsecond)
	for i, e := range entries {
		if e.At.IsZero() || e.At.After(at) {
			e.At = at
		} else {
			e.At = e.At.UTC().Truncate(time.Microsecond)
		}
		if e.Fields == nil {
			e.Fields = []string{}
		}
		if err := validate(&e); err != nil {
			return nil, err
		}
		out[i] = e
	}
	if tx.Dialect() == store.Postgres {
		// Appenders take turns; the lock is released at commit or rollback.
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, lockID); err != nil {
			return nil, fmt.Errorf("audit: lock the trail: %w", err)
		}
	}
	var last int64
	prev := Genesis
	err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1`).Scan(&last, &prev)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("audit: read the last entry: %w", err)
	}
	buf := make([]byte, 0, 512)
	args := make([]any, 0, 16*min(len(out), rowsPerInsert))
	for i := range out {
		e := &out[i]
		e.Seq, e.PrevHash = last+1+int64(i), prev
		e.Hash = hashInto(buf, e)
		prev = e.Hash
	}
	row := func(e *Entry) []any {
		return []any{e.Seq, store.Micros(e.At), e.ActorID, e.ActorRole, e.ActorScope, e.OnBehalfOf, e.Action,
			e.RecordType, e.RecordID, e.Subject, string(appendStrings(buf[:0], e.Fields)), e.Reason, e.Remote, e.RequestID, e.PrevHash, e.Hash}
	}
	if tx.Dialect() != store.Postgres && len(out) > 1 {
		// SQLite runs in process: one prepared row at a time costs no
		// round trip, and keeps its parameter binding cheap.
		stmt, err := tx.PrepareContext(ctx, insertHead+placeholders(0))
		if err != nil {
			return nil, fmt.Errorf("audit: append entry %d: %w", out[0].Seq, err)
		}
		defer stmt.Close()
		for i := range out {
			if _, err := stmt.ExecContext(ctx, row(&out[i])...); err != nil {
				return nil, fmt.Errorf("audit: append entry %d: %w", out[i].Seq, err)
			}
		}
		return out, nil
	}
	for start := 0; start < len(out); start += rowsPerInsert {
		end := min(start+rowsPerInsert, len(out))
		var q strings.Builder
		q.WriteString(insertHead)
		args = args[:0]
		for i := start; i < end; i++ {
			if i > start {
				q.WriteByte(',')
			}
			q.WriteString(placeholders(len(args)))
			args = append(args, row(&out[i])...)
		}
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return nil, fmt.Errorf("audit: append entries %d to %d: %w", out[start].Seq, out[end-1].Seq, err)
		}
	}
	return out, nil
}

// placeholders is the parenthesised list of one row's 16 parameters,
// numbered from first+1.
func placeholders(first int) string {
	var b strings.Builder
	b.WriteByte('(')
	for i := range 16 {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "$%d", first+i+1)
	}
	b.WriteByte(')')
	return b.String()
}

// validate returns every problem of e at once.
func validate(e *Entry) error {
	var fe []senda.FieldError
	add := func(loc, key string) { fe = append(fe, senda.FieldError{Location: loc, Key: key}) }
	switch {
	case e.Action == "":
		add("action", "validation.required")
	case !validAction(e.Action):
		add("action", "audit.action_format")
	}
	if e.ActorRole == "" {
		add("actor_role", "validation.required")
	}
	if strings.HasPrefix(e.Action, "export.") && strings.TrimSpace(e.Reason) == "" {
		add("reason", "audit.reason_required")
	}
	if e.Remote != "" && !isSealed(e.Remote) {
		add("remote", "audit.remote_not_sealed")
	}
	for _, f := range []struct{ loc, s string }{
		{"actor_id", e.ActorID}, {"actor_role", e.ActorRole}, {"actor_scope", e.ActorScope},
		{"on_behalf_of", e.OnBehalfOf}, {"record_type", e.RecordType}, {"record_id", e.RecordID},
		{"subject", e.Subject}, {"reason", e.Reason}, {"request_id", e.RequestID},
	} {
		if !cleanText(f.s) {
			add(f.loc, "audit.text")
		}
	}
	for i, f := range e.Fields {
		if f == "" || !cleanText(f) {
			add(fmt.Sprintf("fields[%d]", i), "audit.text")
		}
	}
	if len(fe) > 0 {
		return &senda.Error{Code: senda.CodeInvalid, Key: "error.invalid", Fields: fe}
	}
	return nil
}

// validAction reports whether a is a lower-case dotted name such as
// "household.read": letters, digits, '_', '-' and '.'.
func validAction(a string) bool {
	if len(a) > 100 {
		return false
	}
	for i := 0; i < len(a); i++ {
		c := a[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// cleanText reports whether s can be stored the same on both engines: valid
// UTF-8 without NUL.
func cleanText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// The client address is personal data: it is stored sealed with the data
// keys. The hash covers the sealed text, so the chain verifies without keys.
const (
	sealedPrefix = "sealed:"
	remotePlace  = "audit_log.remote"
)

// SealRemote returns the form of a client address that an Entry stores.
func SealRemote(k *seal.Keyring, addr string) string {
	if addr == "" {
		return ""
	}
	return sealedPrefix + base64.RawURLEncoding.EncodeToString(k.Seal([]byte(addr), remotePlace))
}

// OpenRemote returns the client address of a stored Remote.
func OpenRemote(k *seal.Keyring, stored string) (string, error) {
	if stored == "" {
		return "", nil
	}
	if !strings.HasPrefix(stored, sealedPrefix) {
		return "", seal.ErrOpen
	}
	ct, err := base64.RawURLEncoding.DecodeString(stored[len(sealedPrefix):])
	if err != nil {
		return "", seal.ErrOpen
	}
	pt, err := k.Open(ct, remotePlace)
	return string(pt), err
}

func isSealed(s string) bool {
	if !strings.HasPrefix(s, sealedPrefix) || len(s) == len(sealedPrefix) {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(s[len(sealedPrefix):])
	return err == nil
}
