-- Each person's notices, their e-mail outbox, their watchlist and their e-mail address
-- (engine/app/notifications.py, projections/notifications.py). Personal data kept beside the
-- log, never in it: the log is append-only, these rows are deleted by ``auction forget``.
-- ``owner`` is the person's key handle (engine.vault.owner_of); the address is sealed with
-- the person's key, so erasing the key leaves it unreadable even where a row survives.
CREATE TABLE notification_checkpoint (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    position INTEGER NOT NULL
);
INSERT INTO notification_checkpoint (id, position) VALUES (1, 0);
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dedupe_key TEXT NOT NULL UNIQUE,
    owner TEXT NOT NULL,
    auction_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    at TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX notifications_by_owner ON notifications (owner, id);
CREATE TABLE notification_outbox (
    dedupe_key TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    sent_at TEXT,
    last_error TEXT
);
CREATE INDEX notification_outbox_due ON notification_outbox (next_attempt_at) WHERE sent_at IS NULL;
CREATE TABLE notification_emails (
    owner TEXT PRIMARY KEY,
    sealed TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE watches (
    owner TEXT NOT NULL,
    auction_id TEXT NOT NULL,
    since TEXT NOT NULL,
    PRIMARY KEY (owner, auction_id)
);
CREATE INDEX watches_by_auction ON watches (auction_id);
