-- Ownership claims: a holder of a camera bound to someone else asks an admin
-- to move it. The evidence file lives encrypted in the blob store under
-- evidence_key until the claim is decided; then it is erased and the key nulled.

CREATE TABLE ownership_claims (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    camera_id     BIGINT  NOT NULL REFERENCES cameras(id) ON DELETE CASCADE,
    claimant_id   BIGINT  NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    note          TEXT    NOT NULL DEFAULT '',
    evidence_key  TEXT,
    evidence_type TEXT    NOT NULL CHECK (evidence_type IN ('image/jpeg', 'image/png', 'application/pdf')),
    status        TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'refused')),
    reason        TEXT,
    decided_by    BIGINT  REFERENCES accounts(id) ON DELETE SET NULL,
    decided_at    BIGINT,
    created_at    BIGINT  NOT NULL
);
CREATE UNIQUE INDEX one_pending_claim_per_camera_and_claimant
    ON ownership_claims (camera_id, claimant_id) WHERE status = 'pending';
CREATE INDEX ownership_claims_by_status ON ownership_claims (status, created_at);
