package audit

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/senda-platform/senda/internal/store"
)

// Problem says why an entry breaks the chain.
type Problem string

// Problems, in the order Verify checks them for each entry.
const (
	// ProblemGap: the entry with this seq is missing (seq must count 1, 2, 3, ...).
	ProblemGap Problem = "gap"
	// ProblemSeq: an entry's seq is lower than the one expected.
	ProblemSeq Problem = "sequence"
	// ProblemEncoding: a stored value is NULL or the fields column is not the
	// canonical JSON array.
	ProblemEncoding Problem = "encoding"
	// ProblemLink: prev_hash is not the hash of the entry before.
	ProblemLink Problem = "link"
	// ProblemHash: the stored hash is not the hash of the entry's content.
	ProblemHash Problem = "hash"
)

// Break is the first entry at which the chain does not hold.
type Break struct {
	Seq     int64
	Problem Problem
	Detail  string
}

func (b *Break) Error() string {
	return fmt.Sprintf("audit log broken at entry %d: %s", b.Seq, b.Detail)
}

// VerifyResult is the outcome of Verify. Broken is nil when the chain holds;
// then Entries, LastSeq and LastHash describe the whole log. Otherwise they
// describe the intact prefix before the break.
type VerifyResult struct {
	Entries  int64
	LastSeq  int64
	LastHash string
	Broken   *Break
}

// chain checks entries one by one in seq order. It keeps only the previous
// entry's hash, so memory stays flat however long the log.
type chain struct {
	next int64
	prev string
	buf  []byte
}

func newChain() *chain { return &chain{next: 1, prev: Genesis, buf: make([]byte, 0, 1024)} }

// check verifies e, whose fields column was stored as fieldsText (e.Fields
// is ignored), and advances the chain when it holds.
func (c *chain) check(e *Entry, fieldsText string) *Break {
	switch {
	case e.Seq > c.next:
		d := fmt.Sprintf("entry %d is missing: the log goes from entry %d to entry %d", c.next, c.next-1, e.Seq)
		if c.next == 1 {
			d = fmt.Sprintf("entry 1 is missing: the log starts at entry %d", e.Seq)
		}
		return &Break{Seq: c.next, Problem: ProblemGap, Detail: d}
	case e.Seq < c.next:
		return &Break{Seq: e.Seq, Problem: ProblemSeq, Detail: fmt.Sprintf("unexpected entry number %d after entry %d", e.Seq, c.next-1)}
	}
	if !canonicalArray(fieldsText) {
		return &Break{Seq: e.Seq, Problem: ProblemEncoding, Detail: "the fields column is not the canonical JSON array of field names"}
	}
	if e.PrevHash != c.prev {
		return &Break{Seq: e.Seq, Problem: ProblemLink, Detail: fmt.Sprintf("prev_hash %.12s… is not the hash of entry %d (%.12s…): an entry was changed, removed or inserted", e.PrevHash, e.Seq-1, c.prev)}
	}
	// The fields column is canonical, so it is spliced into the hashed form
	// as stored, without decoding it.
	if h := hashFields(c.buf[:0], e, fieldsText); h != e.Hash {
		return &Break{Seq: e.Seq, Problem: ProblemHash, Detail: fmt.Sprintf("stored hash %.12s… does not match its content (%.12s…): the entry was changed after it was written", e.Hash, h)}
	}
	c.prev, c.next = e.Hash, c.next+1
	return nil
}

// Verify reads the whole log in seq order, streaming, and checks that seq
// counts 1, 2, 3, ..., that each prev_hash is the hash before it (Genesis for
// the first) and that each hash matches its entry. It stops at the first
// broken entry. An error means the log could not be read, not that it is
// broken.
func Verify(ctx context.Context, db *store.DB) (VerifyResult, error) {
	var res VerifyResult
	err := db.View(ctx, func(tx *store.Tx) error {
		var err error
		res, err = verifyTx(ctx, tx)
		return err
	})
	if err != nil {
		return VerifyResult{}, err
	}
	return res, nil
}

// verifyTx verifies the log as tx sees it.
func verifyTx(ctx context.Context, tx *store.Tx) (VerifyResult, error) {
	res := VerifyResult{LastHash: Genesis}
	err := func() error {
		rows, err := tx.QueryContext(ctx, `SELECT `+columns+` FROM audit_log ORDER BY seq`)
		if err != nil {
			return err
		}
		defer rows.Close()
		c := newChain()
		var e Entry
		var at sql.NullInt64
		var s [14]sql.NullString
		dest := []any{&e.Seq, &at}
		for i := range s {
			dest = append(dest, &s[i])
		}
		for rows.Next() {
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			valid := at.Valid
			for i := range s {
				valid = valid && s[i].Valid
			}
			e.At = store.FromMicros(at.Int64)
			e.ActorID, e.ActorRole, e.ActorScope, e.OnBehalfOf, e.Action = s[0].String, s[1].String, s[2].String, s[3].String, s[4].String
			e.RecordType, e.RecordID, e.Subject = s[5].String, s[6].String, s[7].String
			e.Reason, e.Remote, e.RequestID, e.PrevHash, e.Hash = s[9].String, s[10].String, s[11].String, s[12].String, s[13].String
			if !valid {
				res.Broken = &Break{Seq: e.Seq, Problem: ProblemEncoding, Detail: "a column is NULL"}
				return nil
			}
			if b := c.check(&e, s[8].String); b != nil {
				res.Broken = b
				return nil
			}
			res.Entries++
			res.LastSeq, res.LastHash = e.Seq, e.Hash
		}
		return rows.Err()
	}()
	return res, err
}

// columns are the audit_log columns in Entry order.
const columns = `seq, at, actor_id, actor_role, actor_scope, on_behalf_of, action, record_type, record_id, subject, fields, reason, remote, request_id, prev_hash, hash`
