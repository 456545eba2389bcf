-- Support unmaskings (E3): who saw which part of whose account in full,
-- why, and until when.

CREATE TABLE support_unmasks (
    staff_id    BIGINT  NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    account_id  BIGINT  NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    field       TEXT    NOT NULL,
    reason      TEXT    NOT NULL,
    granted_at  BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL
);
CREATE INDEX support_unmasks_by_pair ON support_unmasks (staff_id, account_id, expires_at);
