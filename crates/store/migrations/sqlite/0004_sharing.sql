-- Sharing a camera with family and friends: granted shares and pending invitations.
-- An invitation holds the invitee's address until it is accepted, declined,
-- cancelled or expired; then the row is deleted.

CREATE TABLE camera_shares (
    camera_id  BIGINT NOT NULL REFERENCES cameras(id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    role       TEXT   NOT NULL CHECK (role IN ('viewer', 'operator')),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (camera_id, account_id)
);
CREATE INDEX camera_shares_by_account ON camera_shares (account_id);

CREATE TABLE share_invitations (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    camera_id  BIGINT  NOT NULL REFERENCES cameras(id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL CHECK (kind IN ('email', 'phone')),
    value      TEXT    NOT NULL,
    role       TEXT    NOT NULL CHECK (role IN ('viewer', 'operator')),
    expires_at BIGINT  NOT NULL,
    created_at BIGINT  NOT NULL
);
CREATE INDEX share_invitations_by_camera ON share_invitations (camera_id);
CREATE INDEX share_invitations_by_contact ON share_invitations (kind, value);
