-- +goose Up
-- PostgreSQL only: intake_append also checks the households. On SQLite the
-- writer's transaction is in process.
SELECT 1;

-- +goose Down
SELECT 1;
