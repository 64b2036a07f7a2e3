-- +goose Up
-- Accounts of staff and applicants. Contact details and names are sealed;
-- email_index and phone_index are keyed blind indexes for exact lookup.
CREATE TABLE accounts (
  id            TEXT PRIMARY KEY,
  kind          TEXT NOT NULL CHECK (kind IN ('staff', 'applicant')),
  role          TEXT NOT NULL,
  scope         TEXT NOT NULL,
  email_index   TEXT UNIQUE,
  phone_index   TEXT UNIQUE,
  email         BLOB,
  phone         BLOB,
  name          BLOB,
  language      TEXT NOT NULL DEFAULT 'es',
  password_hash TEXT,
  oidc_subject  TEXT UNIQUE,
  organisation  TEXT,
  flagged_at    BIGINT,
  disabled_at   BIGINT,
  created_at    BIGINT NOT NULL
);

-- Browser sessions: only the SHA-256 of the cookie value is stored.
CREATE TABLE sessions (
  id_hash      TEXT PRIMARY KEY,
  account_id   TEXT NOT NULL REFERENCES accounts (id),
  created_at   BIGINT NOT NULL,
  expires_at   BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  revoked_at   BIGINT
);
CREATE INDEX sessions_account ON sessions (account_id);

-- API tokens for automation: hashed, expiring, revocable.
CREATE TABLE api_tokens (
  id           TEXT PRIMARY KEY,
  hash         TEXT NOT NULL UNIQUE,
  name         TEXT NOT NULL,
  role         TEXT NOT NULL,
  scope        TEXT NOT NULL,
  created_by   TEXT,
  created_at   BIGINT NOT NULL,
  expires_at   BIGINT NOT NULL,
  revoked_at   BIGINT,
  last_used_at BIGINT
);

-- Failed sign-ins per account and per address, shared by every app node.
CREATE TABLE login_throttle (
  key             TEXT PRIMARY KEY,
  failures        INTEGER NOT NULL,
  last_failure_at BIGINT NOT NULL,
  locked_until    BIGINT NOT NULL
);

-- One-time sign-in codes sent through the outbox; only a hash is kept.
CREATE TABLE one_time_codes (
  id         TEXT PRIMARY KEY,
  account_id TEXT NOT NULL REFERENCES accounts (id),
  code_hash  TEXT NOT NULL,
  expires_at BIGINT NOT NULL,
  attempts   INTEGER NOT NULL DEFAULT 0,
  used_at    BIGINT,
  created_at BIGINT NOT NULL
);
CREATE INDEX one_time_codes_account ON one_time_codes (account_id);

-- An applicant's recorded consent for a helper to act for them.
CREATE TABLE helper_grants (
  id           TEXT PRIMARY KEY,
  helper_id    TEXT NOT NULL REFERENCES accounts (id),
  applicant_id TEXT NOT NULL REFERENCES accounts (id),
  purpose      TEXT NOT NULL,
  granted_at   BIGINT NOT NULL,
  revoked_at   BIGINT
);
CREATE INDEX helper_grants_helper ON helper_grants (helper_id);
CREATE INDEX helper_grants_applicant ON helper_grants (applicant_id);

-- +goose Down
DROP TABLE helper_grants;
DROP TABLE one_time_codes;
DROP TABLE login_throttle;
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE accounts;
