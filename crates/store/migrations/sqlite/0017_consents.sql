-- Consent records (append-only: the latest per purpose is the current
-- choice) and published privacy policy versions.

CREATE TABLE consents (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id      BIGINT  NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    purpose         TEXT    NOT NULL,
    granted         BIGINT  NOT NULL,
    policy_version  TEXT    NOT NULL,
    channel         TEXT    NOT NULL,
    created_at      BIGINT  NOT NULL
);
CREATE INDEX consents_by_account ON consents (account_id, id);

CREATE TABLE policy_versions (
    version       TEXT    PRIMARY KEY,
    major         BIGINT  NOT NULL,
    summary       TEXT    NOT NULL,
    published_at  BIGINT  NOT NULL
);
