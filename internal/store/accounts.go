package store

import (
	"context"
	"database/sql"
	"time"
)

// Account is a staff member's or an applicant's account. Email, Phone and
// Name are sealed bytes; EmailIndex and PhoneIndex are blind indexes.
type Account struct {
	ID           string
	Kind         string
	Role         string
	Scope        string
	EmailIndex   string
	PhoneIndex   string
	Email        []byte
	Phone        []byte
	Name         []byte
	Language     string
	PasswordHash string
	OIDCSubject  string
	Organisation string
	FlaggedAt    time.Time
	DisabledAt   time.Time
	CreatedAt    time.Time
}

const accountCols = `id, kind, role, scope, COALESCE(email_index, ''), COALESCE(phone_index, ''), email, phone, name, language,
	COALESCE(password_hash, ''), COALESCE(oidc_subject, ''), COALESCE(organisation, ''), COALESCE(flagged_at, 0), COALESCE(disabled_at, 0), created_at`

func scanAccount(row interface{ Scan(...any) error }) (Account, error) {
	var a Account
	var flagged, disabled, created int64
	err := row.Scan(&a.ID, &a.Kind, &a.Role, &a.Scope, &a.EmailIndex, &a.PhoneIndex, &a.Email, &a.Phone, &a.Name, &a.Language,
		&a.PasswordHash, &a.OIDCSubject, &a.Organisation, &flagged, &disabled, &created)
	a.FlaggedAt, a.DisabledAt, a.CreatedAt = FromMicros(flagged), FromMicros(disabled), FromMicros(created)
	return a, err
}

// CreateAccount stores a new account. A taken email, phone or OIDC subject
// is a conflict.
func (tx *Tx) CreateAccount(ctx context.Context, a Account) error {
	if a.Language == "" {
		a.Language = "es"
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO accounts (id, kind, role, scope, email_index, phone_index, email, phone, name, language,
		password_hash, oidc_subject, organisation, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		a.ID, a.Kind, a.Role, a.Scope, nullIfEmpty(a.EmailIndex), nullIfEmpty(a.PhoneIndex), a.Email, a.Phone, a.Name, a.Language,
		nullIfEmpty(a.PasswordHash), nullIfEmpty(a.OIDCSubject), nullIfEmpty(a.Organisation), Micros(tx.Now))
	if err != nil {
		return err
	}
	return tx.recordChange(ctx, Change{Action: "account.create", RecordType: "account", RecordID: a.ID, Subject: a.ID, Fields: []string{"kind", "role", "scope"}})
}

// Account reads one account by id.
func (tx *Tx) Account(ctx context.Context, id string) (Account, error) {
	return scanAccount(tx.QueryRowContext(ctx, `SELECT `+accountCols+` FROM accounts WHERE id = $1`, id))
}

// AccountBy reads one account by a unique column: "email_index",
// "phone_index" or "oidc_subject".
func (tx *Tx) AccountBy(ctx context.Context, column, value string) (Account, error) {
	switch column {
	case "email_index", "phone_index", "oidc_subject":
	default:
		panic("store: AccountBy on " + column)
	}
	return scanAccount(tx.QueryRowContext(ctx, `SELECT `+accountCols+` FROM accounts WHERE `+column+` = $1`, value))
}

// Accounts lists accounts of a kind ("" for all), oldest first.
func (tx *Tx) Accounts(ctx context.Context, kind string, limit int) ([]Account, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+accountCols+` FROM accounts WHERE ($1 = '' OR kind = $1) ORDER BY created_at, id LIMIT $2`, kind, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// UpdateAccountAccess changes role, scope and whether the account is disabled.
func (tx *Tx) UpdateAccountAccess(ctx context.Context, id, role, scope string, disabled bool) error {
	var d any
	if disabled {
		d = Micros(tx.Now)
	}
	if err := expectOne(tx.ExecContext(ctx, `UPDATE accounts SET role = $2, scope = $3, disabled_at = CASE WHEN CAST($4 AS BIGINT) IS NULL THEN NULL ELSE COALESCE(disabled_at, $4) END WHERE id = $1`,
		id, role, scope, d)); err != nil {
		return err
	}
	if err := tx.moveEpoch(ctx); err != nil {
		return err
	}
	return tx.recordChange(ctx, Change{Action: "account.update_access", RecordType: "account", RecordID: id, Subject: id, Fields: []string{"role", "scope", "disabled"}})
}

// SetPassword replaces an account's password hash.
func (tx *Tx) SetPassword(ctx context.Context, id, hash string) error {
	if err := expectOne(tx.ExecContext(ctx, `UPDATE accounts SET password_hash = $2 WHERE id = $1`, id, hash)); err != nil {
		return err
	}
	if err := tx.moveEpoch(ctx); err != nil {
		return err
	}
	return tx.recordChange(ctx, Change{Action: "account.password", RecordType: "account", RecordID: id, Subject: id, Fields: []string{"password"}})
}

// FlagAccount marks an account for review (once).
func (tx *Tx) FlagAccount(ctx context.Context, id string) error {
	res, err := tx.ExecContext(ctx, `UPDATE accounts SET flagged_at = $2 WHERE id = $1 AND flagged_at IS NULL`, id, Micros(tx.Now))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return tx.recordChange(ctx, Change{Action: "account.flag", RecordType: "account", RecordID: id, Fields: []string{"flagged"}})
	}
	return nil
}

// Session is a browser session; the cookie value itself is never stored.
type Session struct {
	IDHash     string
	AccountID  string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastSeenAt time.Time
	RevokedAt  time.Time
}

// CreateSession stores a session.
func (tx *Tx) CreateSession(ctx context.Context, s Session) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO sessions (id_hash, account_id, created_at, expires_at, last_seen_at) VALUES ($1, $2, $3, $4, $3)`,
		s.IDHash, s.AccountID, Micros(tx.Now), Micros(s.ExpiresAt))
	if err != nil {
		return err
	}
	return tx.recordChange(ctx, Change{Action: "session.create", RecordType: "session", RecordID: s.IDHash[:16], Subject: s.AccountID})
}

// SessionAccount is what signing a request in needs of a live session and
// its account.
type SessionAccount struct {
	AccountID, Kind, Role, Scope string
	Disabled                     bool
	CreatedAt, LastSeenAt        time.Time
}

// LiveSessionAccount reads a live session (not revoked, not expired at now)
// with its account: from the session cache when it holds it (see
// sessioncache.go), else in one statement outside any transaction.
func (db *DB) LiveSessionAccount(ctx context.Context, idHash string, now time.Time) (SessionAccount, error) {
	if err := db.pollEpoch(ctx); err != nil {
		return SessionAccount{}, err
	}
	e, gen, ok := db.sessions.get(idHash)
	if ok && now.Before(e.expires) {
		return e.SessionAccount, nil
	}
	st, err := db.readStmt(ctx, `SELECT s.account_id, a.kind, a.role, a.scope, COALESCE(a.disabled_at, 0), s.created_at, s.last_seen_at, s.expires_at
		FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE s.id_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2`)
	if err != nil {
		return SessionAccount{}, err
	}
	if ctx, err = db.stmtCtx(ctx); err != nil {
		return SessionAccount{}, err
	}
	var sa SessionAccount
	var disabled, created, seen, expires int64
	if err := st.QueryRowContext(ctx, idHash, Micros(now)).Scan(&sa.AccountID, &sa.Kind, &sa.Role, &sa.Scope, &disabled, &created, &seen, &expires); err != nil {
		return SessionAccount{}, mapErr(err)
	}
	sa.Disabled, sa.CreatedAt, sa.LastSeenAt = disabled != 0, FromMicros(created), FromMicros(seen)
	db.sessions.put(idHash, sessionEntry{SessionAccount: sa, expires: FromMicros(expires)}, gen)
	return sa, nil
}

// TouchSession records activity and extends an idle session.
func (tx *Tx) TouchSession(ctx context.Context, idHash string, expires time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE sessions SET last_seen_at = $2, expires_at = $3 WHERE id_hash = $1`, idHash, Micros(tx.Now), Micros(expires))
	if err == nil {
		seen := tx.Now
		tx.OnCommit(func() { tx.db.sessions.touched(idHash, seen, expires) })
	}
	return err
}

// RevokeSessions revokes one session (idHash, or a prefix of at least 16
// characters as shown to administrators) or, with idHash empty, every
// session of accountID. It returns how many were revoked.
func (tx *Tx) RevokeSessions(ctx context.Context, idHash, accountID string) (int64, error) {
	var res sql.Result
	var err error
	if idHash != "" {
		res, err = tx.ExecContext(ctx, `UPDATE sessions SET revoked_at = $2 WHERE revoked_at IS NULL AND substr(id_hash, 1, 16) = substr($1, 1, 16) AND ($3 = '' OR account_id = $3)`, idHash, Micros(tx.Now), accountID)
	} else {
		res, err = tx.ExecContext(ctx, `UPDATE sessions SET revoked_at = $2 WHERE revoked_at IS NULL AND account_id = $1`, accountID, Micros(tx.Now))
	}
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil || n == 0 {
		return n, err
	}
	if err := tx.moveEpoch(ctx); err != nil {
		return 0, err
	}
	id := accountID
	if idHash != "" {
		id = idHash[:min(16, len(idHash))]
	}
	return n, tx.recordChange(ctx, Change{Action: "session.revoke", RecordType: "session", RecordID: id, Subject: accountID})
}

// Sessions lists an account's live sessions.
func (tx *Tx) Sessions(ctx context.Context, accountID string) ([]Session, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id_hash, account_id, created_at, expires_at, last_seen_at FROM sessions
		WHERE account_id = $1 AND revoked_at IS NULL AND expires_at > $2 ORDER BY created_at`, accountID, Micros(tx.Now))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Session
	for rows.Next() {
		var s Session
		var c, e, l int64
		if err := rows.Scan(&s.IDHash, &s.AccountID, &c, &e, &l); err != nil {
			return nil, err
		}
		s.CreatedAt, s.ExpiresAt, s.LastSeenAt = FromMicros(c), FromMicros(e), FromMicros(l)
		out = append(out, s)
	}
	return out, rows.Err()
}

// Token is an API token; only the hash of its secret is stored.
type Token struct {
	ID         string
	Hash       string
	Name       string
	Role       string
	Scope      string
	CreatedBy  string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	RevokedAt  time.Time
	LastUsedAt time.Time
}

// CreateToken stores a token.
func (tx *Tx) CreateToken(ctx context.Context, t Token) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO api_tokens (id, hash, name, role, scope, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		t.ID, t.Hash, t.Name, t.Role, t.Scope, nullIfEmpty(t.CreatedBy), Micros(tx.Now), Micros(t.ExpiresAt))
	if err != nil {
		return err
	}
	return tx.recordChange(ctx, Change{Action: "token.create", RecordType: "token", RecordID: t.ID, Fields: []string{"role", "scope", "expires_at"}})
}

const tokenCols = `id, hash, name, role, scope, COALESCE(created_by, ''), created_at, expires_at, COALESCE(revoked_at, 0), COALESCE(last_used_at, 0)`

func scanToken(row interface{ Scan(...any) error }) (Token, error) {
	var t Token
	var c, e, r, l int64
	err := row.Scan(&t.ID, &t.Hash, &t.Name, &t.Role, &t.Scope, &t.CreatedBy, &c, &e, &r, &l)
	t.CreatedAt, t.ExpiresAt, t.RevokedAt, t.LastUsedAt = FromMicros(c), FromMicros(e), FromMicros(r), FromMicros(l)
	return t, err
}

// LiveToken returns an unexpired, unrevoked token by hash.
func (tx *Tx) LiveToken(ctx context.Context, hash string) (Token, error) {
	return scanToken(tx.QueryRowContext(ctx, `SELECT `+tokenCols+` FROM api_tokens WHERE hash = $1 AND revoked_at IS NULL AND expires_at > $2`, hash, Micros(tx.Now)))
}

// Tokens lists tokens, newest first.
func (tx *Tx) Tokens(ctx context.Context) ([]Token, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+tokenCols+` FROM api_tokens ORDER BY created_at DESC, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken revokes a token by id.
func (tx *Tx) RevokeToken(ctx context.Context, id string) error {
	if err := expectOne(tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL`, id, Micros(tx.Now))); err != nil {
		return err
	}
	return tx.recordChange(ctx, Change{Action: "token.revoke", RecordType: "token", RecordID: id})
}

// Throttle is the failed-sign-in record of one key (an account or an address).
type Throttle struct {
	Failures    int
	LockedUntil time.Time
}

// GetThrottle reads a throttle record; a missing one is zero.
func (tx *Tx) GetThrottle(ctx context.Context, key string) (Throttle, error) {
	var t Throttle
	var lu int64
	err := tx.QueryRowContext(ctx, `SELECT failures, locked_until FROM login_throttle WHERE key = $1`, key).Scan(&t.Failures, &lu)
	if err == sql.ErrNoRows {
		return Throttle{}, nil
	}
	t.LockedUntil = FromMicros(lu)
	return t, err
}

// PutThrottle writes a throttle record.
func (tx *Tx) PutThrottle(ctx context.Context, key string, t Throttle) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO login_throttle (key, failures, last_failure_at, locked_until) VALUES ($1, $2, $3, $4)
		ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, last_failure_at = excluded.last_failure_at, locked_until = excluded.locked_until`,
		key, t.Failures, Micros(tx.Now), Micros(t.LockedUntil))
	return err
}

// ClearThrottle forgets a key's failures.
func (tx *Tx) ClearThrottle(ctx context.Context, key string) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM login_throttle WHERE key = $1`, key)
	return err
}

// OneTimeCode is a sign-in code; only its hash is stored.
type OneTimeCode struct {
	ID        string
	AccountID string
	CodeHash  string
	ExpiresAt time.Time
	Attempts  int
}

// CreateCode stores a code, replacing the account's earlier unused codes.
func (tx *Tx) CreateCode(ctx context.Context, c OneTimeCode) error {
	if _, err := tx.ExecContext(ctx, `UPDATE one_time_codes SET used_at = $2 WHERE account_id = $1 AND used_at IS NULL`, c.AccountID, Micros(tx.Now)); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO one_time_codes (id, account_id, code_hash, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)`,
		c.ID, c.AccountID, c.CodeHash, Micros(c.ExpiresAt), Micros(tx.Now))
	return err
}

// LiveCode returns the account's current unused, unexpired code.
func (tx *Tx) LiveCode(ctx context.Context, accountID string) (OneTimeCode, error) {
	var c OneTimeCode
	var e int64
	err := tx.QueryRowContext(ctx, `SELECT id, account_id, code_hash, expires_at, attempts FROM one_time_codes
		WHERE account_id = $1 AND used_at IS NULL AND expires_at > $2 ORDER BY created_at DESC LIMIT 1`, accountID, Micros(tx.Now)).
		Scan(&c.ID, &c.AccountID, &c.CodeHash, &e, &c.Attempts)
	c.ExpiresAt = FromMicros(e)
	return c, err
}

// CodeAttempt counts a try; used marks the code spent.
func (tx *Tx) CodeAttempt(ctx context.Context, id string, used bool) error {
	var u any
	if used {
		u = Micros(tx.Now)
	}
	_, err := tx.ExecContext(ctx, `UPDATE one_time_codes SET attempts = attempts + 1, used_at = COALESCE(used_at, CAST($2 AS BIGINT)) WHERE id = $1`, id, u)
	return err
}

// Grant is an applicant's consent for a helper to act for them.
type Grant struct {
	ID          string
	HelperID    string
	ApplicantID string
	Purpose     string
	GrantedAt   time.Time
	RevokedAt   time.Time
}

// CreateGrant records consent.
func (tx *Tx) CreateGrant(ctx context.Context, g Grant) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO helper_grants (id, helper_id, applicant_id, purpose, granted_at) VALUES ($1, $2, $3, $4, $5)`,
		g.ID, g.HelperID, g.ApplicantID, g.Purpose, Micros(tx.Now))
	if err != nil {
		return err
	}
	return tx.recordChange(ctx, Change{Action: "consent.grant", RecordType: "helper_grant", RecordID: g.ID, Subject: g.ApplicantID, Fields: []string{"helper_id", "purpose"}})
}

// RevokeGrant withdraws consent; only the applicant who gave it may.
func (tx *Tx) RevokeGrant(ctx context.Context, id, applicantID string) error {
	if err := expectOne(tx.ExecContext(ctx, `UPDATE helper_grants SET revoked_at = $3 WHERE id = $1 AND applicant_id = $2 AND revoked_at IS NULL`, id, applicantID, Micros(tx.Now))); err != nil {
		return err
	}
	return tx.recordChange(ctx, Change{Action: "consent.revoke", RecordType: "helper_grant", RecordID: id, Subject: applicantID})
}

// Grants lists grants by helper or by applicant (give one), live ones only
// unless all.
func (tx *Tx) Grants(ctx context.Context, helperID, applicantID string, all bool) ([]Grant, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, helper_id, applicant_id, purpose, granted_at, COALESCE(revoked_at, 0) FROM helper_grants
		WHERE ($1 = '' OR helper_id = $1) AND ($2 = '' OR applicant_id = $2) AND ($3 OR revoked_at IS NULL) ORDER BY granted_at, id`, helperID, applicantID, all)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Grant
	for rows.Next() {
		var g Grant
		var ga, ra int64
		if err := rows.Scan(&g.ID, &g.HelperID, &g.ApplicantID, &g.Purpose, &ga, &ra); err != nil {
			return nil, err
		}
		g.GrantedAt, g.RevokedAt = FromMicros(ga), FromMicros(ra)
		out = append(out, g)
	}
	return out, rows.Err()
}
