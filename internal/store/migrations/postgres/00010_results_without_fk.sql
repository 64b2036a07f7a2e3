-- +goose Up
-- Stored results no longer carry foreign keys: each key check locks the
-- household row, which made writing a bulk run's results cost more than
-- screening. Their integrity is kept by the code instead: results are only
-- inserted for households that still exist, under a shared advisory lock
-- that erasing a household takes exclusively before it deletes the
-- household's results (see InsertEligibilityResults and DeleteHousehold).
ALTER TABLE eligibility_results
  DROP CONSTRAINT eligibility_results_household_id_fkey,
  DROP CONSTRAINT eligibility_results_run_id_fkey;

-- +goose Down
DELETE FROM eligibility_results e WHERE NOT EXISTS (SELECT 1 FROM households h WHERE h.id = e.household_id);
ALTER TABLE eligibility_results
  ADD CONSTRAINT eligibility_results_household_id_fkey FOREIGN KEY (household_id) REFERENCES households (id) ON DELETE CASCADE,
  ADD CONSTRAINT eligibility_results_run_id_fkey FOREIGN KEY (run_id) REFERENCES eligibility_runs (id);
