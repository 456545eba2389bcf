-- Accounts, contacts, one-time codes, sessions, API tokens, throttles, settings.
-- Times are milliseconds since the Unix epoch (BIGINT) in both dialects.

CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'support', 'admin')),
    created_at    BIGINT  NOT NULL
);

CREATE TABLE contacts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id  BIGINT  NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    kind        TEXT    NOT NULL CHECK (kind IN ('email', 'phone')),
    value       TEXT    NOT NULL,
    state       TEXT    NOT NULL CHECK (state IN ('current', 'pending')),
    verified_at BIGINT,
    created_at  BIGINT  NOT NULL
);
CREATE UNIQUE INDEX contacts_one_per_kind_and_state ON contacts (account_id, kind, state);
CREATE UNIQUE INDEX contacts_verified_are_unique ON contacts (kind, value) WHERE verified_at IS NOT NULL;
CREATE INDEX contacts_by_value ON contacts (kind, value);

CREATE TABLE one_time_codes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    contact_id BIGINT  NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    purpose    TEXT    NOT NULL CHECK (purpose IN ('verify', 'login')),
    code_hash  TEXT    NOT NULL,
    attempts   BIGINT  NOT NULL DEFAULT 0,
    expires_at BIGINT  NOT NULL,
    created_at BIGINT  NOT NULL
);
CREATE UNIQUE INDEX one_code_per_contact_and_purpose ON one_time_codes (contact_id, purpose);

CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id   BIGINT  NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    token_hash   TEXT    NOT NULL UNIQUE,
    user_agent   TEXT,
    created_at   BIGINT  NOT NULL,
    last_seen_at BIGINT  NOT NULL
);
CREATE INDEX sessions_by_account ON sessions (account_id);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id   BIGINT  NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    token_hash   TEXT    NOT NULL UNIQUE,
    created_at   BIGINT  NOT NULL,
    last_used_at BIGINT
);
CREATE INDEX api_tokens_by_account ON api_tokens (account_id);

CREATE TABLE throttles (
    key          TEXT    PRIMARY KEY,
    failures     BIGINT  NOT NULL,
    locked_until BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL
);

CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
