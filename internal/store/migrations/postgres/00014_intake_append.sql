-- +goose Up
-- The intake writer's whole transaction as one statement, hence one round
-- trip committed on its own: given a batch of requests already checked
-- against their households, it
--   1. holds a share lock on the draw of each date the batch names, in date
--      order, so that a close waits for it, and returns no row (writing
--      nothing) unless every one of them is open at _at;
--   2. takes the slots' advisory locks in the order intake_latest_ids
--      takes them (migration 00013);
--   3. in a fresh snapshot, which sees what the writer before it committed,
--      gives each request the latest id of its household and date (in the
--      journal, else among the folded requests, else the first of the batch
--      for it, else its own) and marks it a replacement when it has one;
--   4. appends the requests to the journal in the batch's order, a
--      replacement with _replace_action, and returns each one's id and
--      whether it replaced another, in the same order.
-- +goose StatementBegin
CREATE FUNCTION intake_append(_at bigint, _lock_class integer, _replace_action text,
  _keys text[], _ids text[], _dates text[], _households text[], _sizes integer[], _registered bigint[], _preferences text[],
  _actions text[], _subjects text[], _actor_ids text[], _actor_roles text[], _actor_scopes text[], _on_behalf_of text[],
  _remotes text[], _request_ids text[])
RETURNS TABLE (out_id text, out_replaced boolean)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  IF (SELECT count(*) FROM (SELECT 1 FROM draws d WHERE d.service_date = ANY(_dates) AND d.status = 'open'
        AND d.opens_at <= _at AND _at < d.closes_at ORDER BY d.service_date FOR SHARE) o)
     <> (SELECT count(DISTINCT x.d) FROM unnest(_dates) AS x(d)) THEN
    RETURN;
  END IF;
  PERFORM count(pg_advisory_xact_lock(_lock_class, l.k)) FROM
    (SELECT DISTINCT hashtext(s.hh || '/' || s.dd) AS k FROM unnest(_households, _dates) AS s(hh, dd) ORDER BY 1) l;
  RETURN QUERY
  WITH u AS (
    SELECT * FROM unnest(_keys, _ids, _dates, _households, _sizes, _registered, _preferences, _actions, _subjects,
        _actor_ids, _actor_roles, _actor_scopes, _on_behalf_of, _remotes, _request_ids) WITH ORDINALITY
      AS u(key, id, service_date, household_id, size, registered_at, preferences, action, subject,
        actor_id, actor_role, actor_scope, on_behalf_of, remote, request_id, n)
  ), firsts AS (
    SELECT DISTINCT ON (u.household_id, u.service_date) u.household_id, u.service_date, u.id, u.n
    FROM u ORDER BY u.household_id, u.service_date, u.n
  ), slot AS (
    SELECT f.household_id, f.service_date, f.id AS first_id, f.n AS first_n, COALESCE(
      (SELECT j.id FROM appointment_intake j WHERE j.household_id = f.household_id AND j.service_date = f.service_date ORDER BY j.seq DESC LIMIT 1),
      (SELECT r.id FROM appointment_requests r WHERE r.household_id = f.household_id AND r.service_date = f.service_date)) AS latest
    FROM firsts f
  ), w AS (
    SELECT u.*, COALESCE(s.latest, s.first_id) AS final_id, s.latest IS NOT NULL OR u.n > s.first_n AS again
    FROM u JOIN slot s ON s.household_id = u.household_id AND s.service_date = u.service_date
  ), appended AS (
    INSERT INTO appointment_intake (at, key, id, service_date, household_id, size, registered_at, preferences, action, subject,
      actor_id, actor_role, actor_scope, on_behalf_of, remote, request_id)
    SELECT _at, w.key, w.final_id, w.service_date, w.household_id, w.size, w.registered_at, w.preferences,
      CASE WHEN w.again THEN _replace_action ELSE w.action END, w.subject,
      w.actor_id, w.actor_role, w.actor_scope, w.on_behalf_of, w.remote, w.request_id
    FROM w ORDER BY w.n
  )
  SELECT w.final_id, w.again FROM w ORDER BY w.n;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION intake_append(bigint, integer, text, text[], text[], text[], text[], integer[], bigint[], text[], text[], text[], text[], text[], text[], text[], text[], text[]);
