-- +goose Up
-- Appointments at ports of entry and offices (docs/appointments.md).

-- Weekly capacity templates: per location and weekday (0 = Sunday), the
-- slots as JSON [{"start":"08:00","capacity":30}], start in local time.
CREATE TABLE capacity_templates (
  location   TEXT NOT NULL REFERENCES locations (code),
  weekday    INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
  slots      TEXT NOT NULL,
  updated_by TEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (location, weekday)
);

-- Date overrides: the slots of one location on one service date, replacing
-- its weekly template ([] takes no one that day).
CREATE TABLE capacity_overrides (
  location     TEXT NOT NULL REFERENCES locations (code),
  service_date TEXT NOT NULL,
  slots        TEXT NOT NULL,
  updated_by   TEXT NOT NULL,
  updated_at   BIGINT NOT NULL,
  PRIMARY KEY (location, service_date)
);

-- Service dates whose slots have been materialised from templates and
-- overrides into the slots table.
CREATE TABLE slot_dates (
  service_date    TEXT PRIMARY KEY,
  materialized_at BIGINT NOT NULL
);

-- Slots: capacity in persons. used counts the persons holding an
-- appointment; held counts free seats set aside for a draw between its close
-- and its run. The check is the last guard against overbooking.
CREATE TABLE slots (
  location     TEXT NOT NULL REFERENCES locations (code),
  start_at     BIGINT NOT NULL,
  service_date TEXT NOT NULL,
  capacity     INTEGER NOT NULL CHECK (capacity >= 0),
  used         INTEGER NOT NULL DEFAULT 0 CHECK (used >= 0),
  held         INTEGER NOT NULL DEFAULT 0 CHECK (held >= 0),
  held_by      TEXT,
  closure_id   TEXT,
  CHECK (used + held <= capacity),
  PRIMARY KEY (location, start_at)
);
CREATE INDEX slots_date ON slots (service_date, location);
CREATE INDEX slots_start ON slots (start_at);

-- Closures suspend a location, or some of its slots (starts: local HH:MM,
-- comma-separated; empty means every slot), for a period.
CREATE TABLE closures (
  id          TEXT PRIMARY KEY,
  location    TEXT NOT NULL REFERENCES locations (code),
  from_at     BIGINT NOT NULL,
  until_at    BIGINT NOT NULL,
  starts      TEXT NOT NULL DEFAULT '',
  reason      TEXT NOT NULL,
  created_by  TEXT NOT NULL,
  created_at  BIGINT NOT NULL,
  reopened_by TEXT,
  reopened_at BIGINT,
  CHECK (until_at > from_at)
);
CREATE INDEX closures_location ON closures (location, from_at);

-- One row per service date: the draw. The seed is sealed with the data keys
-- until it is revealed.
CREATE TABLE draws (
  service_date      TEXT PRIMARY KEY,
  status            TEXT NOT NULL CHECK (status IN ('open', 'closed', 'drawn', 'published')),
  commitment        TEXT NOT NULL,
  seed              BLOB NOT NULL,
  revealed_seed     TEXT,
  opens_at          BIGINT NOT NULL,
  closes_at         BIGINT NOT NULL,
  priority_share_bp INTEGER NOT NULL,
  requests_root     TEXT,
  request_count     INTEGER NOT NULL DEFAULT 0,
  beacon_source     TEXT,
  beacon_round      BIGINT,
  beacon_value      TEXT,
  beacon_note       TEXT NOT NULL DEFAULT '',
  allocation_count  INTEGER NOT NULL DEFAULT 0,
  created_at        BIGINT NOT NULL,
  closed_at         BIGINT,
  drawn_at          BIGINT,
  published_at      BIGINT
);

-- The slots of a draw as frozen at its close, in record order.
CREATE TABLE draw_slots (
  service_date TEXT NOT NULL REFERENCES draws (service_date),
  position     INTEGER NOT NULL,
  location     TEXT NOT NULL,
  start_at     BIGINT NOT NULL,
  capacity     INTEGER NOT NULL,
  PRIMARY KEY (service_date, position)
);

-- The requests of a draw as frozen at its close, in compact chunks.
CREATE TABLE draw_requests (
  service_date TEXT NOT NULL REFERENCES draws (service_date),
  chunk        INTEGER NOT NULL,
  data         BLOB NOT NULL,
  PRIMARY KEY (service_date, chunk)
);

-- The allocations of a draw, in placement order, exactly as published.
CREATE TABLE draw_allocations (
  service_date TEXT NOT NULL REFERENCES draws (service_date),
  position     INTEGER NOT NULL,
  request_id   TEXT NOT NULL,
  location     TEXT NOT NULL,
  start_at     BIGINT NOT NULL,
  phase        TEXT NOT NULL CHECK (phase IN ('priority', 'lottery')),
  PRIMARY KEY (service_date, position)
);

-- Requests: one per household and service date; sending again replaces it.
-- key is time-ordered (UUIDv7) so that intake appends; id is the random
-- public id that enters the draw.
CREATE TABLE appointment_requests (
  key           TEXT PRIMARY KEY,
  id            TEXT NOT NULL,
  service_date  TEXT NOT NULL,
  household_id  TEXT NOT NULL,
  size          INTEGER NOT NULL CHECK (size BETWEEN 1 AND 1000),
  registered_at BIGINT NOT NULL,
  preferences   TEXT NOT NULL,
  status        TEXT NOT NULL CHECK (status IN ('live', 'withdrawn', 'excluded', 'allocated', 'unallocated', 'void')),
  created_at    BIGINT NOT NULL,
  updated_at    BIGINT NOT NULL,
  UNIQUE (service_date, household_id)
);

-- Appointments. A household holds at most one live appointment (allocated or
-- confirmed), hence at most one on any date.
CREATE TABLE appointments (
  id             TEXT PRIMARY KEY,
  code           TEXT NOT NULL UNIQUE,
  household_id   TEXT NOT NULL,
  request_id     TEXT NOT NULL,
  draw_date      TEXT NOT NULL,
  position       INTEGER NOT NULL,
  phase          TEXT NOT NULL,
  service_date   TEXT NOT NULL,
  location       TEXT NOT NULL,
  start_at       BIGINT NOT NULL,
  size           INTEGER NOT NULL,
  preferences    TEXT NOT NULL,
  status         TEXT NOT NULL CHECK (status IN ('allocated', 'confirmed', 'checked_in', 'no_show', 'cancelled', 'released', 'unplaced', 'expired')),
  confirm_by     BIGINT NOT NULL,
  challenge      TEXT NOT NULL,
  confirmed_at   BIGINT,
  confirm_method TEXT,
  closed_at      BIGINT,
  closed_by      TEXT,
  moves          INTEGER NOT NULL DEFAULT 0,
  announced_at   BIGINT,
  created_at     BIGINT NOT NULL,
  updated_at     BIGINT NOT NULL
);
CREATE UNIQUE INDEX appointments_one_live ON appointments (household_id) WHERE status IN ('allocated', 'confirmed');
CREATE UNIQUE INDEX appointments_household_date ON appointments (household_id, service_date) WHERE status IN ('allocated', 'confirmed', 'checked_in');
CREATE INDEX appointments_slot ON appointments (location, start_at);
CREATE INDEX appointments_date ON appointments (service_date, location);
CREATE INDEX appointments_confirm ON appointments (status, confirm_by);
CREATE INDEX appointments_household ON appointments (household_id);
CREATE INDEX appointments_announce ON appointments (draw_date, announced_at);

-- Every move of an appointment hit by a closure, and where it went.
CREATE TABLE appointment_moves (
  id             TEXT PRIMARY KEY,
  closure_id     TEXT NOT NULL,
  appointment_id TEXT NOT NULL,
  from_location  TEXT NOT NULL,
  from_start     BIGINT NOT NULL,
  to_location    TEXT NOT NULL DEFAULT '',
  to_start       BIGINT NOT NULL DEFAULT 0,
  outcome        TEXT NOT NULL CHECK (outcome IN ('same_date', 'later_date', 'unplaced')),
  message_id     TEXT NOT NULL DEFAULT '',
  at             BIGINT NOT NULL
);
CREATE INDEX appointment_moves_closure ON appointment_moves (closure_id, at);

-- Signing keys (Ed25519) for appointment passes; the private key is sealed.
CREATE TABLE signing_keys (
  id          TEXT PRIMARY KEY,
  purpose     TEXT NOT NULL UNIQUE,
  public_key  TEXT NOT NULL,
  private_key BLOB NOT NULL,
  created_at  BIGINT NOT NULL
);

-- +goose Down
DROP TABLE signing_keys;
DROP TABLE appointment_moves;
DROP TABLE appointments;
DROP TABLE appointment_requests;
DROP TABLE draw_allocations;
DROP TABLE draw_requests;
DROP TABLE draw_slots;
DROP TABLE draws;
DROP TABLE closures;
DROP TABLE slots;
DROP TABLE slot_dates;
DROP TABLE capacity_overrides;
DROP TABLE capacity_templates;
