-- +goose Up
-- The audit trail: append-only, each entry carrying the hash of the one before
-- (docs/audit.md). seq is assigned by the appender as last + 1, never by the
-- engine. fields is a JSON array of field names; remote is the client address
-- sealed with the data keys.
CREATE TABLE audit_log (
  seq          BIGINT PRIMARY KEY,
  at           BIGINT NOT NULL,
  actor_id     TEXT NOT NULL DEFAULT '',
  actor_role   TEXT NOT NULL,
  actor_scope  TEXT NOT NULL DEFAULT '',
  on_behalf_of TEXT NOT NULL DEFAULT '',
  action       TEXT NOT NULL,
  record_type  TEXT NOT NULL DEFAULT '',
  record_id    TEXT NOT NULL DEFAULT '',
  subject      TEXT NOT NULL DEFAULT '',
  fields       TEXT NOT NULL DEFAULT '[]',
  reason       TEXT NOT NULL DEFAULT '',
  remote       TEXT NOT NULL DEFAULT '',
  request_id   TEXT NOT NULL DEFAULT '',
  prev_hash    TEXT NOT NULL,
  hash         TEXT NOT NULL
);
CREATE INDEX audit_log_subject ON audit_log (subject, seq);
CREATE INDEX audit_log_record ON audit_log (record_type, record_id, seq);
CREATE INDEX audit_log_actor ON audit_log (actor_id, seq);
CREATE INDEX audit_log_at ON audit_log (at);

-- +goose Down
DROP TABLE audit_log;
