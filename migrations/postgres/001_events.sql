-- The event log. Appends hold LOCK TABLE events IN EXCLUSIVE MODE for their
-- transaction and assign positions as head + 1, so positions are gap-free and
-- become visible in order (see engine/store/postgres.py).
CREATE TABLE events (
    position    bigint      PRIMARY KEY,
    stream      text        NOT NULL CHECK (stream <> ''),
    version     integer     NOT NULL CHECK (version >= 1),
    type        text        NOT NULL,
    data        json        NOT NULL,  -- json, not jsonb: keeps the text as written, so hashes verify on what is read back
    recorded_at timestamptz NOT NULL,
    prev_hash   text        NOT NULL CHECK (length(prev_hash) = 64),
    hash        text        NOT NULL CHECK (length(hash) = 64),
    UNIQUE (stream, version)
);

-- streams() lists streams in the order they were created.
CREATE INDEX events_stream_starts ON events (position) WHERE version = 1;

-- An idempotency key answers a retried append with the events it first wrote.
CREATE TABLE idempotency_keys (
    stream        text    NOT NULL,
    key           text    NOT NULL,
    first_version integer NOT NULL,
    count         integer NOT NULL,
    PRIMARY KEY (stream, key)
);

-- The log is append-only, whoever connects.
CREATE FUNCTION events_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE TRIGGER events_no_update_or_delete BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_refuse_change();

CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change();
