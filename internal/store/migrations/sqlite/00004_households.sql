-- +goose Up
-- Households. The whole record (names, birth dates, documents, contact,
-- screening facts) is one sealed document; only what access control,
-- statistics and search need is kept beside it, never a name, a birth date or
-- a document number in clear.
CREATE TABLE households (
  id            TEXT PRIMARY KEY,
  receipt       TEXT NOT NULL UNIQUE,
  place         TEXT NOT NULL,
  owner_account TEXT REFERENCES accounts (id),
  created_by    TEXT NOT NULL,
  status        TEXT NOT NULL CHECK (status IN ('draft', 'submitted')),
  version       INTEGER NOT NULL,
  size          INTEGER NOT NULL,
  nationality   TEXT NOT NULL DEFAULT '',
  external_key  TEXT UNIQUE,
  data          BLOB NOT NULL,
  created_at    BIGINT NOT NULL,
  updated_at    BIGINT NOT NULL
);
CREATE INDEX households_place ON households (place);
CREATE INDEX households_owner ON households (owner_account);

-- Every earlier version of a household, sealed: changes and merges keep
-- history.
CREATE TABLE household_versions (
  household_id TEXT NOT NULL REFERENCES households (id) ON DELETE CASCADE,
  version      INTEGER NOT NULL,
  data         BLOB NOT NULL,
  changed_by   TEXT NOT NULL,
  changed_at   BIGINT NOT NULL,
  PRIMARY KEY (household_id, version)
);

-- Keyed blind indexes for exact search (document numbers, phones, emails,
-- addresses) without storing the values.
CREATE TABLE household_index (
  kind         TEXT NOT NULL,
  value        TEXT NOT NULL,
  household_id TEXT NOT NULL REFERENCES households (id) ON DELETE CASCADE,
  member_id    TEXT NOT NULL,
  PRIMARY KEY (kind, value, household_id, member_id)
);
CREATE INDEX household_index_household ON household_index (household_id);

-- Idempotency keys of creates and updates sent from weak connections.
CREATE TABLE idempotency_keys (
  key          TEXT PRIMARY KEY,
  request_hash TEXT NOT NULL,
  household_id TEXT NOT NULL REFERENCES households (id) ON DELETE CASCADE,
  version      INTEGER NOT NULL,
  created_at   BIGINT NOT NULL
);

-- Receipt number sequences per prefix.
CREATE TABLE receipt_counters (
  prefix TEXT PRIMARY KEY,
  next   BIGINT NOT NULL
);

-- Likely-same-person pairs for caseworkers to confirm or dismiss.
CREATE TABLE duplicate_pairs (
  id          TEXT PRIMARY KEY,
  a_household TEXT NOT NULL REFERENCES households (id) ON DELETE CASCADE,
  a_member    TEXT NOT NULL,
  b_household TEXT NOT NULL REFERENCES households (id) ON DELETE CASCADE,
  b_member    TEXT NOT NULL,
  score       DOUBLE PRECISION NOT NULL,
  reasons     TEXT NOT NULL,
  status      TEXT NOT NULL CHECK (status IN ('open', 'confirmed', 'dismissed')),
  decided_by  TEXT,
  decided_at  BIGINT,
  created_at  BIGINT NOT NULL,
  UNIQUE (a_member, b_member)
);

-- +goose Down
DROP TABLE duplicate_pairs;
DROP TABLE receipt_counters;
DROP TABLE idempotency_keys;
DROP TABLE household_index;
DROP TABLE household_versions;
DROP TABLE households;
