-- Minors (A7): an account whose holder is under the configured age waits
-- for a guardian to confirm through a link mailed to them. The birth date
-- itself is never stored; only this request and its answer are.

CREATE TABLE guardian_approvals (
    account_id      BIGINT  PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    guardian_email  TEXT    NOT NULL,
    token_hash      TEXT    NOT NULL UNIQUE,
    requested_at    BIGINT  NOT NULL,
    confirmed_at    BIGINT
);
