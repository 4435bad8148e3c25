-- The log's Merkle tree (RFC 9162 hashing): the hash of every complete, aligned
-- subtree over the events in position order. Level 0 holds the leaves (leaf idx
-- is the event at position idx + 1; the leaf is SHA-256(0x00 || the event's hash)),
-- level l the subtrees of 2^l leaves starting at leaf idx * 2^l
-- (SHA-256(0x01 || left || right)). A root or a proof needs a logarithmic number of
-- rows (engine/store/tree.py).
--
-- The database keeps it: a trigger after every INSERT into events adds the new
-- leaves and the subtrees they complete, in the inserting transaction, whoever
-- inserts. Appends insert in position order under the table lock (003), so each
-- statement's events extend the tree; anything else is refused.
CREATE TABLE merkle_nodes (
    level integer NOT NULL CHECK (level >= 0),
    idx   bigint  NOT NULL CHECK (idx >= 0),
    hash  bytea   NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, idx)
);

CREATE TRIGGER merkle_nodes_no_update_or_delete BEFORE UPDATE OR DELETE ON merkle_nodes
    FOR EACH ROW EXECUTE FUNCTION events_refuse_change();

CREATE TRIGGER merkle_nodes_no_truncate BEFORE TRUNCATE ON merkle_nodes
    FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change();

-- Add leaves first + 1 .. last (positions) to a tree of `first` leaves.
CREATE FUNCTION merkle_extend(first bigint, last bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    lvl integer := 1;
BEGIN
    INSERT INTO merkle_nodes (level, idx, hash)
        SELECT 0, e.position - 1, sha256('\x00'::bytea || decode(e.hash, 'hex'))
        FROM events AS e WHERE e.position > first AND e.position <= last;
    -- The subtrees of level lvl the new leaves complete: indexes (first >> lvl) .. (last >> lvl) - 1.
    WHILE (first >> lvl) < (last >> lvl) LOOP
        INSERT INTO merkle_nodes (level, idx, hash)
            SELECT lvl, l.idx / 2, sha256('\x01'::bytea || l.hash || r.hash)
            FROM merkle_nodes AS l
            JOIN merkle_nodes AS r ON r.level = lvl - 1 AND r.idx = l.idx + 1
            WHERE l.level = lvl - 1 AND l.idx >= 2 * (first >> lvl) AND l.idx < 2 * (last >> lvl)
              AND l.idx % 2 = 0;
        lvl := lvl + 1;
    END LOOP;
END;
$$;

CREATE FUNCTION merkle_size() RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT COALESCE(MAX(idx) + 1, 0) FROM merkle_nodes WHERE level = 0
$$;

-- The hashes of the complete subtrees that make the root of a tree of `size` leaves, largest first.
CREATE FUNCTION merkle_frontier(size bigint) RETURNS bytea[]
LANGUAGE sql STABLE AS $$
    SELECT COALESCE(array_agg(n.hash ORDER BY n.level DESC), '{}')
    FROM generate_series(0, 62) AS b(level)
    JOIN merkle_nodes AS n ON n.level = b.level AND n.idx = (size >> b.level) - 1
    WHERE (size >> b.level) & 1 = 1
$$;

CREATE FUNCTION events_extend_tree() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    first bigint;
    last bigint;
    added bigint;
    size bigint;
BEGIN
    SELECT MIN(position) - 1, MAX(position), count(*) INTO first, last, added FROM new_events;
    IF last IS NULL THEN
        RETURN NULL;
    END IF;
    size := merkle_size();
    IF size <> first OR added <> last - first THEN
        RAISE EXCEPTION 'the Merkle tree holds % leaves: events % to % do not extend it', size, first + 1, last
            USING ERRCODE = 'restrict_violation';
    END IF;
    PERFORM merkle_extend(first, last);
    RETURN NULL;
END;
$$;

-- A log from before the tree: its events become the tree's first leaves.
SELECT merkle_extend(0, (SELECT COALESCE(MAX(position), 0) FROM events));

CREATE TRIGGER events_extend_tree AFTER INSERT ON events
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION events_extend_tree();

-- append_events (003) now also answers the frontier of the tree it extended, so that the
-- writer learns the new root and every new event's inclusion proof without reading again.
DROP FUNCTION append_events(text[], integer[], text[], text[], integer[], text[], text[], timestamptz[], text[],
                            text[], text[], text[], integer[], integer[]);

CREATE FUNCTION append_events(
    tip_streams text[], tip_versions integer[], tip_hashes text[],
    event_streams text[], event_versions integer[], event_types text[], event_data text[],
    event_recorded_at timestamptz[], event_prev_hashes text[], event_hashes text[],
    key_streams text[], key_names text[], key_first_versions integer[], key_counts integer[],
    OUT head bigint, OUT frontier bytea[]
)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    -- See 003 for the reasoning: one statement, the table lock, the tips checked under it.
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RETURN;
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
        RETURN;
    END IF;
    SELECT COALESCE(MAX(position), 0) INTO head FROM events;
    frontier := merkle_frontier(head);
    INSERT INTO events (position, stream, version, type, data, recorded_at, prev_hash, hash)
        SELECT head + x.n, x.stream, x.version, x.type, x.data::json, x.recorded_at, x.prev_hash, x.hash
        FROM unnest(event_streams, event_versions, event_types, event_data, event_recorded_at,
                    event_prev_hashes, event_hashes)
             WITH ORDINALITY AS x(stream, version, type, data, recorded_at, prev_hash, hash, n);
    INSERT INTO idempotency_keys (stream, key, first_version, count)
        SELECT * FROM unnest(key_streams, key_names, key_first_versions, key_counts);
END;
$$;
