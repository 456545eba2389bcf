-- Heartbeat samples for the 24-hour network view (technical data, kept 24 h)
-- and firmware manifests published by admins.

CREATE TABLE camera_heartbeats (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    camera_id   BIGINT  NOT NULL REFERENCES cameras(id) ON DELETE CASCADE,
    at          BIGINT  NOT NULL,
    signal_dbm  BIGINT,
    upload_kbps BIGINT
);
CREATE INDEX camera_heartbeats_by_camera_time ON camera_heartbeats (camera_id, at);

CREATE TABLE firmware_manifests (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    model        TEXT    NOT NULL,
    version      TEXT    NOT NULL,
    url          TEXT    NOT NULL,
    sha256       TEXT    NOT NULL,
    notes        TEXT    NOT NULL DEFAULT '',
    published_at BIGINT  NOT NULL,
    UNIQUE (model, version)
);
