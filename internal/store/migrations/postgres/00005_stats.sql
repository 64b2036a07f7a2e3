-- +goose Up
-- Published statistics (encounters). A dataset is one source layout
-- (cbp-sw-land-border, cbp-nationwide, ohss-usbp-monthly); each import of a
-- new release is a version. stats_rows holds the current cells of every
-- dataset; stats_changes keeps, per version, every cell it added, removed or
-- revised, so anyone can see what each release changed.
CREATE TABLE stats_datasets (
  key        TEXT PRIMARY KEY,
  version    INTEGER NOT NULL,
  updated_at BIGINT NOT NULL
);

CREATE TABLE stats_versions (
  dataset_key TEXT NOT NULL REFERENCES stats_datasets (key),
  version     INTEGER NOT NULL,
  file_name   TEXT NOT NULL,
  sha256      TEXT NOT NULL,
  imported_at BIGINT NOT NULL,
  imported_by TEXT NOT NULL,
  first_month TEXT NOT NULL,
  last_month  TEXT NOT NULL,
  months      INTEGER NOT NULL,
  row_count   INTEGER NOT NULL,
  added       INTEGER NOT NULL,
  removed     INTEGER NOT NULL,
  changed     INTEGER NOT NULL,
  summary     TEXT NOT NULL,
  PRIMARY KEY (dataset_key, version),
  UNIQUE (dataset_key, sha256)
);

CREATE TABLE stats_rows (
  dataset_key     TEXT NOT NULL REFERENCES stats_datasets (key),
  month           TEXT NOT NULL,
  fiscal_year     INTEGER NOT NULL,
  component       TEXT NOT NULL,
  region          TEXT NOT NULL,
  aor             TEXT NOT NULL,
  demographic     TEXT NOT NULL,
  citizenship     TEXT NOT NULL,
  citizenship_iso TEXT NOT NULL,
  title           TEXT NOT NULL,
  encounter_type  TEXT NOT NULL,
  encounters      BIGINT NOT NULL CHECK (encounters >= 0),
  PRIMARY KEY (dataset_key, month, component, region, aor, demographic, citizenship, title, encounter_type)
);

CREATE TABLE stats_changes (
  dataset_key     TEXT NOT NULL,
  version         INTEGER NOT NULL,
  seq             INTEGER NOT NULL,
  kind            TEXT NOT NULL CHECK (kind IN ('added', 'removed', 'changed')),
  month           TEXT NOT NULL,
  fiscal_year     INTEGER NOT NULL,
  component       TEXT NOT NULL,
  region          TEXT NOT NULL,
  aor             TEXT NOT NULL,
  demographic     TEXT NOT NULL,
  citizenship     TEXT NOT NULL,
  citizenship_iso TEXT NOT NULL,
  title           TEXT NOT NULL,
  encounter_type  TEXT NOT NULL,
  old_count       BIGINT NOT NULL,
  new_count       BIGINT NOT NULL,
  PRIMARY KEY (dataset_key, version, seq),
  FOREIGN KEY (dataset_key, version) REFERENCES stats_versions (dataset_key, version)
);

-- +goose Down
DROP TABLE stats_changes;
DROP TABLE stats_rows;
DROP TABLE stats_versions;
DROP TABLE stats_datasets;
