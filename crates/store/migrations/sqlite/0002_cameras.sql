-- Cameras (provisioned devices, bound to at most one owner) and device tokens.
-- Booleans are BIGINT 0/1 so both dialects decode them the same way.

CREATE TABLE cameras (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    serial           TEXT    NOT NULL UNIQUE,
    model            TEXT    NOT NULL,
    code_hash        TEXT    NOT NULL,
    secret_hash      TEXT    NOT NULL,
    owner_id         BIGINT  REFERENCES accounts(id) ON DELETE SET NULL,
    name             TEXT,
    recording_mode   TEXT    NOT NULL DEFAULT 'continuous' CHECK (recording_mode IN ('off', 'events', 'continuous')),
    audio            BIGINT  NOT NULL DEFAULT 1,
    alerts           BIGINT  NOT NULL DEFAULT 1,
    privacy          BIGINT  NOT NULL DEFAULT 0,
    schedule         TEXT    NOT NULL DEFAULT '[]',
    settings_version BIGINT  NOT NULL DEFAULT 1,
    firmware_version TEXT,
    time_zone        TEXT,
    language         TEXT,
    uptime_secs      BIGINT,
    signal_dbm       BIGINT,
    upload_kbps      BIGINT,
    last_error       TEXT,
    last_seen_at     BIGINT,
    provisioned_at   BIGINT  NOT NULL,
    bound_at         BIGINT
);
CREATE INDEX cameras_by_owner ON cameras (owner_id);

CREATE TABLE device_tokens (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    camera_id  BIGINT  NOT NULL REFERENCES cameras(id) ON DELETE CASCADE,
    token_hash TEXT    NOT NULL UNIQUE,
    expires_at BIGINT  NOT NULL,
    created_at BIGINT  NOT NULL
);
CREATE INDEX device_tokens_by_camera ON device_tokens (camera_id);
