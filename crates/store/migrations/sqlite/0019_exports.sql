-- Data exports (F13). The archive itself is in the blob store under
-- exports/<id>/, sealed under the account key.
--
-- state: pending, running, ready, failed, expired.

CREATE TABLE exports (
    id            TEXT    PRIMARY KEY,
    account_id    BIGINT  NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    state         TEXT    NOT NULL,
    requested_at  BIGINT  NOT NULL,
    finished_at   BIGINT,
    expires_at    BIGINT,
    bytes         BIGINT  NOT NULL DEFAULT 0,
    parts         BIGINT  NOT NULL DEFAULT 0,
    media_files   BIGINT  NOT NULL DEFAULT 0,
    error         TEXT
);
CREATE INDEX exports_by_account ON exports (account_id, requested_at);
CREATE INDEX exports_by_state ON exports (state, requested_at);
