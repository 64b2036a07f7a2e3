package store

import "context"

// LinkOIDCSubject records the OpenID Connect subject of an account on its
// first sign-in through the provider. An account already linked to a subject
// is a conflict; so is a subject already linked to another account.
func (tx *Tx) LinkOIDCSubject(ctx context.Context, id, subject string) error {
	if err := expectOne(tx.ExecContext(ctx, `UPDATE accounts SET oidc_subject = $2 WHERE id = $1 AND oidc_subject IS NULL`, id, subject)); err != nil {
		return err
	}
	return tx.recordChange(ctx, Change{Action: "account.link_oidc", RecordType: "account", RecordID: id, Subject: id, Fields: []string{"oidc_subject"}})
}
