-- +goose Up
-- The intake writer's one round trip to find the latest request id of each
-- household and date: it takes the slots' advisory locks in a fixed order
-- (so that writers on several nodes take turns per slot), then, in a fresh
-- snapshot that sees what the writer before it committed, reads the latest
-- id in the journal, else among the folded requests ('' when none).
-- +goose StatementBegin
CREATE FUNCTION intake_latest_ids(households text[], dates text[], lock_class integer)
RETURNS TABLE (household text, service_date text, latest text)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM count(pg_advisory_xact_lock(lock_class, l.k)) FROM
    (SELECT DISTINCT hashtext(s.hh || '/' || s.dd) AS k FROM unnest(households, dates) AS s(hh, dd) ORDER BY 1) l;
  RETURN QUERY SELECT s.hh, s.dd, COALESCE(
    (SELECT j.id FROM appointment_intake j WHERE j.household_id = s.hh AND j.service_date = s.dd ORDER BY j.seq DESC LIMIT 1),
    (SELECT r.id FROM appointment_requests r WHERE r.household_id = s.hh AND r.service_date = s.dd), '')
  FROM unnest(households, dates) AS s(hh, dd);
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION intake_latest_ids(text[], text[], integer);
