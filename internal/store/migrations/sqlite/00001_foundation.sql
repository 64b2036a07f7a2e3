-- +goose Up
-- Instants are BIGINT microseconds since the Unix epoch (UTC) on both engines.
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- Ports of entry and Safe Mobility Offices, loaded from the reference data.
CREATE TABLE locations (
  code              TEXT PRIMARY KEY,
  kind              TEXT NOT NULL CHECK (kind IN ('port', 'office')),
  country           TEXT NOT NULL,
  name              TEXT NOT NULL,
  time_zone         TEXT NOT NULL,
  latitude          DOUBLE PRECISION NOT NULL,
  longitude         DOUBLE PRECISION NOT NULL,
  reference_version TEXT NOT NULL
);

-- Background jobs: claimed with a lease, retried with backoff.
CREATE TABLE jobs (
  id           TEXT PRIMARY KEY,
  kind         TEXT NOT NULL,
  payload      TEXT NOT NULL,
  unique_key   TEXT UNIQUE,
  status       TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
  run_at       BIGINT NOT NULL,
  attempts     INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  locked_by    TEXT,
  locked_until BIGINT,
  last_error   TEXT,
  created_at   BIGINT NOT NULL,
  finished_at  BIGINT
);
CREATE INDEX jobs_ready ON jobs (status, run_at);

-- Outgoing messages. Recipient and template parameters are personal data and
-- are stored sealed (AES-256-GCM).
CREATE TABLE outbox (
  id         TEXT PRIMARY KEY,
  channel    TEXT NOT NULL CHECK (channel IN ('sms', 'email', 'whatsapp')),
  recipient  BLOB NOT NULL,
  language   TEXT NOT NULL,
  template   TEXT NOT NULL,
  params     BLOB NOT NULL,
  status     TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
  sender     TEXT,
  attempts   INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  created_at BIGINT NOT NULL,
  sent_at    BIGINT
);
CREATE INDEX outbox_created ON outbox (created_at);

-- +goose Down
DROP TABLE outbox;
DROP TABLE jobs;
DROP TABLE locations;
DROP TABLE meta;
