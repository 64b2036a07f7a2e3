-- +goose Up
-- PostgreSQL only: a function that runs the intake writer's transaction in
-- one statement. On SQLite the writer's transaction is in process.
SELECT 1;

-- +goose Down
SELECT 1;
