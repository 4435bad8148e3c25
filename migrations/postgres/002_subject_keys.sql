-- Keys that encrypt bidders' identities inside the events (crypto-shredding).
-- They live outside the append-only log: deleting a row makes that person's
-- identity unreadable everywhere in the log, while the log and its hash chain
-- stay exactly as written. ``owner`` is a SHA-256 digest of the identity.
CREATE TABLE subject_keys (
    key_id     TEXT PRIMARY KEY,
    owner      TEXT NOT NULL UNIQUE,
    key        BYTEA NOT NULL CHECK (octet_length(key) = 32),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
