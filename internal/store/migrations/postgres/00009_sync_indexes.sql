-- +goose Up
-- A screening run first checks that every household's compact screening
-- profile is current (same household version and format). These indexes
-- hold the compared columns, so the check reads two narrow indexes instead
-- of every household document.
CREATE INDEX households_sync ON households (id, version);
CREATE INDEX screening_profiles_sync ON screening_profiles (household_id, household_version, format);

-- +goose Down
DROP INDEX screening_profiles_sync;
DROP INDEX households_sync;
