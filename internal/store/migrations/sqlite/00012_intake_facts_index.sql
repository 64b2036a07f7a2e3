-- +goose Up
-- The intake writer checks each request against its household: owner,
-- status, version, size and registration time. These indexes hold exactly
-- those columns, so the check reads a narrow index entry instead of the
-- household row, whose time columns lie past its sealed document. The
-- owner's index serves every lookup by owner, so it replaces the narrow one.
DROP INDEX households_owner;
CREATE INDEX households_intake_owner ON households (owner_account, id, status, version, size, created_at);
CREATE INDEX households_intake_id ON households (id, owner_account, status, version, size, created_at);

-- +goose Down
DROP INDEX households_intake_id;
DROP INDEX households_intake_owner;
CREATE INDEX households_owner ON households (owner_account);
