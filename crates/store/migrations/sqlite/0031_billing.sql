-- Storage plans and orders (E1, E2): the plans an administrator offers,
-- each order with its number, amount, payment method and where it stands,
-- the payment provider's callbacks seen (against replays), failed payments,
-- and flags of unusual patterns for administrators.

CREATE TABLE plans (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    name            TEXT    NOT NULL UNIQUE,
    price_minor     BIGINT  NOT NULL,
    currency        TEXT    NOT NULL,
    period_days     BIGINT  NOT NULL,
    retention_days  BIGINT  NOT NULL,
    mode            TEXT    NOT NULL,
    cameras         BIGINT  NOT NULL,
    quota_mb        BIGINT  NOT NULL,
    offered         BOOLEAN NOT NULL DEFAULT 1,
    created_at      BIGINT  NOT NULL
);

CREATE TABLE orders (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    number        TEXT    UNIQUE,
    account_id    BIGINT  NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    plan_id       BIGINT  NOT NULL REFERENCES plans(id),
    amount_minor  BIGINT  NOT NULL,
    currency      TEXT    NOT NULL,
    method        TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL,
    paid_at       BIGINT,
    active_from   BIGINT,
    active_until  BIGINT,
    closed_at     BIGINT
);
CREATE INDEX orders_by_account ON orders (account_id, created_at);
CREATE INDEX orders_by_status ON orders (status);

CREATE TABLE payment_events (
    event_id     TEXT    PRIMARY KEY,
    order_id     BIGINT  NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    received_at  BIGINT  NOT NULL
);

CREATE TABLE payment_failures (
    order_id    BIGINT  NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    account_id  BIGINT  NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    at          BIGINT  NOT NULL
);
CREATE INDEX payment_failures_by_account ON payment_failures (account_id, at);

CREATE TABLE billing_flags (
    account_id  BIGINT  NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    kind        TEXT    NOT NULL,
    detail      TEXT    NOT NULL,
    day         BIGINT  NOT NULL,
    raised_at   BIGINT  NOT NULL,
    PRIMARY KEY (account_id, kind, day)
);
