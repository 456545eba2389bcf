-- Webhooks: owners' URLs that receive their cameras' events as signed JSON
-- POSTs, the queue of deliveries (so retries survive restarts) and the log
-- of every attempt.
--
-- camera_ids and event_types are space-separated filters; empty means all.
-- sealed_secret is the signing secret sealed under a master-derived key: it
-- must stay usable for signing, so it cannot be stored as a hash. A
-- delivery's body is cleared once it is delivered or has failed for good.
-- Deliveries and their attempts go with their event (retention) and webhook.

CREATE TABLE webhooks (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id    BIGINT  NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    url           TEXT    NOT NULL,
    camera_ids    TEXT    NOT NULL DEFAULT '',
    event_types   TEXT    NOT NULL DEFAULT '',
    sealed_secret BLOB    NOT NULL,
    created_at    BIGINT  NOT NULL
);
CREATE INDEX webhooks_by_account ON webhooks (account_id, id);

CREATE TABLE webhook_deliveries (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id BIGINT  NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    event_id   BIGINT  NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    body       TEXT    NOT NULL,
    state      TEXT    NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts   BIGINT  NOT NULL DEFAULT 0,
    next_at    BIGINT,
    created_at BIGINT  NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_at);
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id);
CREATE INDEX webhook_deliveries_by_event ON webhook_deliveries (event_id);

CREATE TABLE webhook_attempts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id BIGINT  NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
    webhook_id  BIGINT  NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    event_id    BIGINT  NOT NULL,
    attempt     BIGINT  NOT NULL,
    status_code BIGINT,
    error       TEXT,
    duration_ms BIGINT  NOT NULL,
    state       TEXT    NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    next_at     BIGINT,
    created_at  BIGINT  NOT NULL
);
CREATE INDEX webhook_attempts_by_webhook ON webhook_attempts (webhook_id, id);
CREATE INDEX webhook_attempts_by_delivery ON webhook_attempts (delivery_id);
