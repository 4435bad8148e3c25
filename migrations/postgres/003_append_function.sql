-- An append in one statement, hence one round trip and one transaction of its own.
--
-- The writer plans its events (versions, hash chain) on the stream tips it last
-- saw, without any lock, then calls this. Under LOCK TABLE events IN EXCLUSIVE MODE (held to
-- the end of the statement's transaction, see engine/store/postgres.py) it checks
-- that every stream the plan was made on still ends where it was read, assigns
-- positions as head + 1, head + 2, ... in the order given, and records the
-- idempotency keys. A stream that moved meanwhile: nothing is written and NULL is
-- returned. A key recorded before: the primary key refuses it and the statement
-- fails whole. In both cases the writer reads and plans again under the lock.
-- Otherwise it returns the head the positions were counted from.
--
-- Holding the lock only inside the server keeps it short: a writer's process
-- that is busy with other work no longer holds up every other writer while it
-- gets round to sending the next statement of its transaction.
CREATE FUNCTION append_events(
    tip_streams text[], tip_versions integer[], tip_hashes text[],
    event_streams text[], event_versions integer[], event_types text[], event_data text[],
    event_recorded_at timestamptz[], event_prev_hashes text[], event_hashes text[],
    key_streams text[], key_names text[], key_first_versions integer[], key_counts integer[]
) RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    head bigint;
BEGIN
    -- Each statement below takes a new snapshot, and so sees every append committed before the lock
    -- was granted, only under READ COMMITTED; under any other level the writer takes its locked path.
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RETURN NULL;
    END IF;
    LOCK TABLE events IN EXCLUSIVE MODE;
    IF EXISTS (
        SELECT 1
        FROM unnest(tip_streams, tip_versions, tip_hashes) AS tip(stream, version, hash)
        LEFT JOIN LATERAL (
            SELECT e.version, e.hash FROM events AS e
            WHERE e.stream = tip.stream ORDER BY e.version DESC LIMIT 1
        ) AS now ON true
        WHERE now.version IS DISTINCT FROM NULLIF(tip.version, 0)
           OR (tip.version > 0 AND now.hash IS DISTINCT FROM tip.hash)
    ) THEN
        RETURN NULL;
    END IF;
    SELECT COALESCE(MAX(position), 0) INTO head FROM events;
    INSERT INTO events (position, stream, version, type, data, recorded_at, prev_hash, hash)
        SELECT head + x.n, x.stream, x.version, x.type, x.data::json, x.recorded_at, x.prev_hash, x.hash
        FROM unnest(event_streams, event_versions, event_types, event_data, event_recorded_at,
                    event_prev_hashes, event_hashes)
             WITH ORDINALITY AS x(stream, version, type, data, recorded_at, prev_hash, hash, n);
    INSERT INTO idempotency_keys (stream, key, first_version, count)
        SELECT * FROM unnest(key_streams, key_names, key_first_versions, key_counts);
    RETURN head;
END;
$$;
