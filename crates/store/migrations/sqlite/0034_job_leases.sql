-- Leases on background jobs: which instance runs each, until when. An
-- instance takes a free or expired lease, or renews its own, in one
-- conditional upsert; of several instances on one database exactly one
-- holds a job's lease at a time.
CREATE TABLE job_leases (
    job         TEXT    PRIMARY KEY,
    holder      TEXT    NOT NULL,
    expires_at  BIGINT  NOT NULL,
    taken       BIGINT  NOT NULL
);
