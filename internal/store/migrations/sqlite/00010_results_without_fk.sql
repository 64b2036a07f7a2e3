-- +goose Up
-- Stored results no longer carry foreign keys: on PostgreSQL each key
-- check locks the household row, which made writing a bulk run's results
-- cost more than screening. Their integrity is kept by the code instead:
-- results are only inserted for households that still exist, and erasing
-- a household deletes its results in the same transaction (see
-- InsertEligibilityResults and DeleteHousehold).
CREATE TABLE eligibility_results_new (
  household_id      TEXT NOT NULL,
  run_id            TEXT NOT NULL,
  household_version INTEGER NOT NULL,
  data              BLOB NOT NULL,
  PRIMARY KEY (household_id, run_id)
);
INSERT INTO eligibility_results_new (household_id, run_id, household_version, data)
  SELECT household_id, run_id, household_version, data FROM eligibility_results;
DROP TABLE eligibility_results;
ALTER TABLE eligibility_results_new RENAME TO eligibility_results;

-- +goose Down
CREATE TABLE eligibility_results_old (
  household_id      TEXT NOT NULL REFERENCES households (id) ON DELETE CASCADE,
  run_id            TEXT NOT NULL REFERENCES eligibility_runs (id),
  household_version INTEGER NOT NULL,
  data              BLOB NOT NULL,
  PRIMARY KEY (household_id, run_id)
);
INSERT INTO eligibility_results_old (household_id, run_id, household_version, data)
  SELECT household_id, run_id, household_version, data FROM eligibility_results;
DROP TABLE eligibility_results;
ALTER TABLE eligibility_results_old RENAME TO eligibility_results;
