-- The keys file (``<database>.keys`` beside the log, or AUCTION_KEYS_DATABASE_URL): the keys
-- that encrypt bidders' identities inside the events (crypto-shredding), kept in a file of
-- their own so that a copy of the log, published or handed to an auditor, opens no identity.
-- Deleting a row makes that person's identity unreadable everywhere in the log, while the log
-- and its hash chain stay exactly as written. ``owner`` is a SHA-256 digest of the identity.
-- (The log's own migrations are the numbered files of the directory above.)
CREATE TABLE subject_keys (
    key_id     TEXT PRIMARY KEY,
    owner      TEXT NOT NULL UNIQUE,
    key        BLOB NOT NULL CHECK (length(key) = 32),
    created_at TEXT NOT NULL
);
