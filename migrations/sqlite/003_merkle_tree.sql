-- The log's Merkle tree (RFC 9162 hashing): the hash of every complete, aligned
-- subtree over the events in position order. Level 0 holds the leaves (leaf idx
-- is the event at position idx + 1), level l the subtrees of 2^l leaves starting
-- at leaf idx * 2^l. Written by the store in the transaction that writes the
-- events; a log from before this table gets its tree when the store opens it.
-- A root or a proof needs a logarithmic number of rows (engine/store/tree.py).
CREATE TABLE merkle_nodes (
    level INTEGER NOT NULL CHECK (level >= 0),
    idx   INTEGER NOT NULL CHECK (idx >= 0),
    hash  BLOB    NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, idx)
) WITHOUT ROWID;

CREATE TRIGGER merkle_nodes_no_update BEFORE UPDATE ON merkle_nodes
BEGIN
    SELECT RAISE(ABORT, 'the Merkle tree is append-only: UPDATE refused');
END;

CREATE TRIGGER merkle_nodes_no_delete BEFORE DELETE ON merkle_nodes
BEGIN
    SELECT RAISE(ABORT, 'the Merkle tree is append-only: DELETE refused');
END;
