-- Breach notices (G6): what an administrator told the people affected by a
-- personal-data breach, to whom (the audience query), and each delivery.

CREATE TABLE breach_notices (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    title          TEXT    NOT NULL,
    what_happened  TEXT    NOT NULL,
    data_affected  TEXT    NOT NULL,
    measures       TEXT    NOT NULL,
    advice         TEXT    NOT NULL,
    contact        TEXT    NOT NULL,
    audience       TEXT    NOT NULL,
    created_by     BIGINT,
    created_at     BIGINT  NOT NULL,
    sent_at        BIGINT
);

CREATE TABLE breach_deliveries (
    notice_id     BIGINT  NOT NULL REFERENCES breach_notices(id) ON DELETE CASCADE,
    account_id    BIGINT  NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    channel       TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    delivered_at  BIGINT  NOT NULL,
    PRIMARY KEY (notice_id, account_id, channel)
);
CREATE INDEX breach_deliveries_by_account ON breach_deliveries (account_id);
