-- +goose Up
-- The access epoch counts the changes that can end a signed-in session
-- early: a revoked session, an account's role, scope or disabling changed,
-- a new password. Each process remembers live sessions for speed and
-- forgets them all when the epoch moves (docs/ARCHITECTURE.md, "Sessions").
CREATE TABLE access_epoch (
  id    INTEGER PRIMARY KEY CHECK (id = 1),
  epoch BIGINT NOT NULL
);
INSERT INTO access_epoch (id, epoch) VALUES (1, 0);

-- +goose Down
DROP TABLE access_epoch;
