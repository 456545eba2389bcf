-- The audit log as a keyed hash chain (G4): each entry's place in the
-- sequence, the salted digests of its actor and of its body, and the hashes
-- that link it to the entry before. Rows from before the chain get these at
-- the first start-up. Signed checkpoints of the chain's head.

ALTER TABLE audit_entries ADD COLUMN seq BIGINT;
ALTER TABLE audit_entries ADD COLUMN actor_salt TEXT;
ALTER TABLE audit_entries ADD COLUMN actor_digest TEXT;
ALTER TABLE audit_entries ADD COLUMN body_salt TEXT;
ALTER TABLE audit_entries ADD COLUMN body_digest TEXT;
ALTER TABLE audit_entries ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_entries ADD COLUMN entry_hash TEXT;
CREATE UNIQUE INDEX audit_entries_by_seq ON audit_entries (seq);

CREATE TABLE audit_checkpoints (
    seq         BIGINT  PRIMARY KEY,
    entry_hash  TEXT    NOT NULL,
    signed_at   BIGINT  NOT NULL,
    public_key  TEXT    NOT NULL,
    signature   TEXT    NOT NULL
);
