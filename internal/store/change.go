package store

import "context"

// Change describes a security-relevant change made through a Tx method
// (accounts, sessions, tokens, consent), for the audit trail.
type Change struct {
	Action     string // "account.create", "token.revoke", ...
	RecordType string
	RecordID   string
	Subject    string
	Fields     []string
}

// recordChange reports c to the DB's Audit hook, inside the transaction.
func (tx *Tx) recordChange(ctx context.Context, c Change) error {
	if tx.db == nil || tx.db.Audit == nil {
		return nil
	}
	return tx.db.Audit(ctx, tx, c)
}
