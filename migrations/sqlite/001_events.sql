-- The event log. Positions are assigned by the store as head + 1 while it holds
-- the write lock (BEGIN IMMEDIATE), so they are gap-free and commit in order.
CREATE TABLE events (
    position    INTEGER PRIMARY KEY,
    stream      TEXT    NOT NULL CHECK (stream <> ''),
    version     INTEGER NOT NULL CHECK (version >= 1),
    type        TEXT    NOT NULL,
    data        TEXT    NOT NULL,  -- the JSON text as written: hashes verify on what is read back
    recorded_at TEXT    NOT NULL,  -- UTC, ISO 8601 with microseconds
    prev_hash   TEXT    NOT NULL CHECK (length(prev_hash) = 64),
    hash        TEXT    NOT NULL CHECK (length(hash) = 64),
    UNIQUE (stream, version)
);

-- streams() lists streams in the order they were created.
CREATE INDEX events_stream_starts ON events (position) WHERE version = 1;

-- An idempotency key answers a retried append with the events it first wrote.
CREATE TABLE idempotency_keys (
    stream        TEXT    NOT NULL,
    key           TEXT    NOT NULL,
    first_version INTEGER NOT NULL,
    count         INTEGER NOT NULL,
    PRIMARY KEY (stream, key)
);

-- The log is append-only, whoever connects.
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only: UPDATE refused');
END;

CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only: DELETE refused');
END;
