-- +goose Up
-- The intake journal. During a request window the intake writer appends
-- each accepted request here, one row per request in commit order, and
-- nothing else: a commit then writes a few pages at the end of one table
-- instead of a page of every index of appointment_requests and audit_log.
-- Rows are later folded, in order, into appointment_requests and the audit
-- trail (the entry keeps the time of the request): when intake is quiet,
-- before anything reads a household's requests, and when the window closes.
-- A household's latest request for a date that is not folded yet (sending
-- again replaces it) is known from memory: one process writes an SQLite
-- database, and an index here would dirty a random page per request.
CREATE TABLE appointment_intake (
  seq           INTEGER PRIMARY KEY,
  at            BIGINT NOT NULL,
  key           TEXT NOT NULL,
  id            TEXT NOT NULL,
  service_date  TEXT NOT NULL,
  household_id  TEXT NOT NULL,
  size          INTEGER NOT NULL,
  registered_at BIGINT NOT NULL,
  preferences   TEXT NOT NULL,
  action        TEXT NOT NULL,
  subject       TEXT NOT NULL,
  actor_id      TEXT NOT NULL,
  actor_role    TEXT NOT NULL,
  actor_scope   TEXT NOT NULL,
  on_behalf_of  TEXT NOT NULL,
  remote        TEXT NOT NULL,
  request_id    TEXT NOT NULL
);

-- +goose Down
DROP TABLE appointment_intake;
