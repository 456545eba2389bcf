-- Cancelled accounts waiting for erasure (A8), and the erasure ledger (F9):
-- the numbers of erased accounts and when, nothing else, so erasure can be
-- replayed after a restore.

CREATE TABLE account_closures (
    account_id    BIGINT  PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    cancelled_at  BIGINT  NOT NULL,
    erase_after   BIGINT  NOT NULL
);
CREATE INDEX account_closures_due ON account_closures (erase_after);

CREATE TABLE erasures (
    account_id  BIGINT  PRIMARY KEY,
    erased_at   BIGINT  NOT NULL
);
