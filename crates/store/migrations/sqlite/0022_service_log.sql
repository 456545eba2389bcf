-- The service log (F15): sign-ins and failed attempts with the address and
-- browser they came from. Addresses are truncated after a short time and
-- rows deleted after a longer one, by the retention job.

CREATE TABLE service_log (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id    BIGINT  REFERENCES accounts(id) ON DELETE CASCADE,
    kind          TEXT    NOT NULL,
    ip            TEXT    NOT NULL,
    ip_truncated  BIGINT  NOT NULL DEFAULT 0,
    user_agent    TEXT,
    created_at    BIGINT  NOT NULL
);
CREATE INDEX service_log_by_account ON service_log (account_id, id);
CREATE INDEX service_log_by_time ON service_log (created_at);
