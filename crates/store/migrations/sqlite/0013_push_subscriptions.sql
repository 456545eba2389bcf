-- Web Push subscriptions: one row per browser that asked for alerts.
--
-- endpoint is the push service URL the browser gave (a capability: whoever
-- knows it can post to the browser), unique because it names one browser;
-- subscribing it again, from any account, replaces the row. p256dh is the
-- browser's P-256 public key (65 bytes), auth its 16-byte secret.

CREATE TABLE push_subscriptions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id  BIGINT  NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    endpoint    TEXT    NOT NULL UNIQUE,
    p256dh      BLOB    NOT NULL,
    auth        BLOB    NOT NULL,
    created_at  BIGINT  NOT NULL
);
CREATE INDEX push_subscriptions_by_account ON push_subscriptions (account_id, id);
