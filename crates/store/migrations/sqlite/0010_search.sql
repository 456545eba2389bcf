-- Recent searches, kept only to offer them again; people can clear them
-- and switch keeping them off (C7).

CREATE TABLE search_history (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT  NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    query      TEXT    NOT NULL,
    created_at BIGINT  NOT NULL
);
CREATE INDEX search_history_by_account ON search_history (account_id, id);

CREATE TABLE search_settings (
    account_id      BIGINT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    history_enabled BIGINT NOT NULL
);
