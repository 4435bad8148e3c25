-- The identity keys leave the log's file for a file of their own (migrations/sqlite/keys/):
-- whoever copies or reads the log no longer gets the keys that open every identity in it.
-- The store copies the rows into the keys file, commits that file, and empties this table
-- (engine/store/sqlite.py, _move_keys) before this migration runs; should a row still be here,
-- the CHECK below refuses the migration and nothing is dropped (the next start moves it).
CREATE TABLE subject_keys_left_in_the_log (
    count INTEGER NOT NULL
        CONSTRAINT "subject_keys must be moved to the keys file before the table is dropped"
        CHECK (count = 0)
);
INSERT INTO subject_keys_left_in_the_log (count) SELECT count(*) FROM subject_keys;
DROP TABLE subject_keys_left_in_the_log;
DROP TABLE subject_keys;
