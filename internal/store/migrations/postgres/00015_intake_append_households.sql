-- +goose Up
-- intake_append (migration 00014) also checks the households, so that an
-- intake writer that remembers them stores a batch in one round trip,
-- without reading them first. For each row, _versions holds the version of
-- its household that the writer checked the request against, and _only_of
-- the account whose only household the request was for ('' when the
-- request named its household); both are empty when the writer has just
-- read the households. Unless every household is still at that
-- version, holds no live appointment and, where _only_of is set, is still
-- that account's only household, it writes nothing and returns one row
-- whose id is NULL: the writer then reads the households again. (A draw
-- that is not open still returns no row, checked first.)
-- +goose StatementBegin
DROP FUNCTION intake_append(bigint, integer, text, text[], text[], text[], text[], integer[], bigint[], text[], text[], text[], text[], text[], text[], text[], text[], text[]);
CREATE FUNCTION intake_append(_at bigint, _lock_class integer, _replace_action text,
  _keys text[], _ids text[], _dates text[], _households text[], _sizes integer[], _registered bigint[], _preferences text[],
  _actions text[], _subjects text[], _actor_ids text[], _actor_roles text[], _actor_scopes text[], _on_behalf_of text[],
  _remotes text[], _request_ids text[], _versions integer[], _only_of text[])
RETURNS TABLE (out_id text, out_replaced boolean)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  IF (SELECT count(*) FROM (SELECT 1 FROM draws d WHERE d.service_date = ANY(_dates) AND d.status = 'open'
        AND d.opens_at <= _at AND _at < d.closes_at ORDER BY d.service_date FOR SHARE) o)
     <> (SELECT count(DISTINCT x.d) FROM unnest(_dates) AS x(d)) THEN
    RETURN;
  END IF;
  IF cardinality(_versions) > 0 AND (SELECT count(*) FROM unnest(_households, _versions, _only_of) AS c(hh, v, o)
        JOIN households h ON h.id = c.hh AND h.version = c.v
        WHERE NOT EXISTS (SELECT 1 FROM appointments a WHERE a.household_id = h.id AND a.status IN ('allocated', 'confirmed'))
          AND (c.o = '' OR (SELECT count(*) FROM households x WHERE x.owner_account = c.o) = 1))
     <> cardinality(_households) THEN
    RETURN QUERY SELECT NULL::text, NULL::boolean;
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
-- +goose StatementBegin
DROP FUNCTION intake_append(bigint, integer, text, text[], text[], text[], text[], integer[], bigint[], text[], text[], text[], text[], text[], text[], text[], text[], text[], integer[], text[]);
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
