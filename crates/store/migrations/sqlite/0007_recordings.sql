-- Recording: keys, the recording index, event windows and the audit trail.
--
-- account_keys hold each account's key wrapped by the master key; media_keys
-- one key per account, camera and UTC day wrapped by the account key. Each
-- blob's data key is wrapped by a media key, so deleting a key row makes
-- every copy of that day's (or that account's) video unreadable.
-- Segments and inits carry the account that owned the camera when they were
-- recorded: a later owner never sees an earlier owner's video.

CREATE TABLE account_keys (
    account_id BIGINT  PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    key_id     TEXT    NOT NULL UNIQUE,
    wrapped    BLOB    NOT NULL,
    created_at BIGINT  NOT NULL
);

CREATE TABLE media_keys (
    key_id     TEXT    PRIMARY KEY,
    account_id BIGINT  NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    camera_id  BIGINT  NOT NULL,
    day        TEXT    NOT NULL,
    wrapped    BLOB    NOT NULL,
    created_at BIGINT  NOT NULL,
    UNIQUE (account_id, camera_id, day)
);
CREATE INDEX media_keys_by_camera ON media_keys (camera_id, day);

CREATE TABLE recording_inits (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    camera_id   BIGINT  NOT NULL REFERENCES cameras(id) ON DELETE CASCADE,
    account_id  BIGINT  NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    sha256      TEXT    NOT NULL,
    has_audio   BIGINT  NOT NULL,
    video_codec TEXT    NOT NULL,
    width       BIGINT,
    height      BIGINT,
    blob_key    TEXT    NOT NULL,
    key_id      TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    UNIQUE (camera_id, sha256, has_audio)
);

CREATE TABLE recording_segments (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    camera_id    BIGINT  NOT NULL REFERENCES cameras(id) ON DELETE CASCADE,
    account_id   BIGINT  NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    init_id      BIGINT  NOT NULL REFERENCES recording_inits(id),
    device_id    TEXT    NOT NULL,
    start_ms     BIGINT  NOT NULL,
    end_ms       BIGINT  NOT NULL,
    bytes        BIGINT  NOT NULL,
    stored_bytes BIGINT  NOT NULL,
    keyframes    TEXT    NOT NULL,
    has_audio    BIGINT  NOT NULL,
    blob_key     TEXT    NOT NULL,
    key_id       TEXT    NOT NULL,
    missing      BIGINT  NOT NULL DEFAULT 0,
    created_at   BIGINT  NOT NULL,
    UNIQUE (camera_id, device_id)
);
CREATE INDEX recording_segments_by_time ON recording_segments (camera_id, start_ms);
CREATE INDEX recording_segments_by_account ON recording_segments (account_id, start_ms);

CREATE TABLE event_windows (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    camera_id  BIGINT  NOT NULL REFERENCES cameras(id) ON DELETE CASCADE,
    start_ms   BIGINT  NOT NULL,
    end_ms     BIGINT  NOT NULL
);
CREATE INDEX event_windows_by_time ON event_windows (camera_id, start_ms);

-- Retention in days per camera; NULL means the instance default.
ALTER TABLE cameras ADD COLUMN retention_days BIGINT;

CREATE TABLE audit_entries (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    actor_id   BIGINT,
    role       TEXT    NOT NULL,
    subject_id BIGINT,
    action     TEXT    NOT NULL,
    object     TEXT    NOT NULL,
    reason     TEXT,
    created_at BIGINT  NOT NULL
);
CREATE INDEX audit_entries_by_subject ON audit_entries (subject_id, id);
