-- Two-step sign-in (A5): an authenticator app's secret (sealed under a
-- master-derived key), single-use recovery codes (keyed hashes), and
-- sessions that still wait for their second step.

CREATE TABLE totp_factors (
    account_id    BIGINT  PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    secret        TEXT    NOT NULL,
    confirmed_at  BIGINT,
    last_step     BIGINT  NOT NULL DEFAULT 0,
    created_at    BIGINT  NOT NULL
);

CREATE TABLE recovery_codes (
    account_id  BIGINT  NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    code_hash   TEXT    NOT NULL,
    used_at     BIGINT,
    PRIMARY KEY (account_id, code_hash)
);

ALTER TABLE sessions ADD COLUMN second_factor_pending BOOLEAN NOT NULL DEFAULT FALSE;
