-- The identity keys leave the log's schema for one of their own, ``identity``: a role that
-- reads and writes the log need not be able to read the keys (and the other way round), and a
-- dump of the log (pg_dump --exclude-schema=identity) opens no identity. The store reaches the
-- keys through the log's connections, or through AUCTION_KEYS_DATABASE_URL, a role given the
-- schema alone (docs/keys.md says which GRANTs). The rows move with the table: no key is
-- copied, none can be lost.
CREATE SCHEMA IF NOT EXISTS identity;
COMMENT ON SCHEMA identity IS
    'identity keys of the auction engine (crypto-shredding): kept, backed up and granted apart from the event log';
ALTER TABLE subject_keys SET SCHEMA identity;
