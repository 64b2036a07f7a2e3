-- +goose Up
-- Policy packs uploaded through the console (docs/policy/README.md): drafts
-- and published versions. The shipped packs are embedded in the binary and
-- are not stored. source is the YAML as uploaded; version and
-- effective_from are read from it. Two published versions never share a
-- version string or an effective date.
CREATE TABLE policy_packs (
  id             TEXT PRIMARY KEY,
  version        TEXT NOT NULL,
  effective_from TEXT NOT NULL,
  status         TEXT NOT NULL CHECK (status IN ('draft', 'published')),
  file_name      TEXT NOT NULL,
  source         TEXT NOT NULL,
  sha256         TEXT NOT NULL,
  created_by     TEXT NOT NULL,
  created_at     BIGINT NOT NULL,
  published_by   TEXT NOT NULL DEFAULT '',
  published_at   BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX policy_packs_published_version ON policy_packs (version) WHERE status = 'published';
CREATE UNIQUE INDEX policy_packs_published_date ON policy_packs (effective_from) WHERE status = 'published';

-- The screening profiles of each household, derived from its sealed
-- document and kept in a compact binary form for bulk screening (what-if
-- reports, runs over every household). data is sealed with the data keys;
-- household_version says which version of the household it was derived from
-- and format which layout of the profile fields it is written in.
CREATE TABLE screening_profiles (
  household_id      TEXT PRIMARY KEY REFERENCES households (id) ON DELETE CASCADE,
  household_version INTEGER NOT NULL,
  status            TEXT NOT NULL,
  place             TEXT NOT NULL,
  members           INTEGER NOT NULL,
  format            TEXT NOT NULL,
  data              BLOB NOT NULL,
  updated_at        BIGINT NOT NULL
);

-- One screening: of one household (kind 'household') or of every household
-- (kind 'all'), with the policy version that decided and the date screened.
CREATE TABLE eligibility_runs (
  id             TEXT PRIMARY KEY,
  kind           TEXT NOT NULL CHECK (kind IN ('household', 'all')),
  policy_version TEXT NOT NULL,
  as_of          TEXT NOT NULL,
  started_by     TEXT NOT NULL,
  started_at     BIGINT NOT NULL,
  finished_at    BIGINT NOT NULL DEFAULT 0,
  households     INTEGER NOT NULL DEFAULT 0,
  profiles       INTEGER NOT NULL DEFAULT 0
);

-- The stored results of a run, one row per household: every member's
-- outcome and criteria per programme in a compact binary form, sealed.
-- Results are never rewritten: a later run or version adds rows.
CREATE TABLE eligibility_results (
  household_id      TEXT NOT NULL REFERENCES households (id) ON DELETE CASCADE,
  run_id            TEXT NOT NULL REFERENCES eligibility_runs (id),
  household_version INTEGER NOT NULL,
  data              BLOB NOT NULL,
  PRIMARY KEY (household_id, run_id)
);

-- +goose Down
DROP TABLE eligibility_results;
DROP TABLE eligibility_runs;
DROP TABLE screening_profiles;
DROP TABLE policy_packs;
