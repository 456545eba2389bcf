-- Events from cameras (motion, person, doorbell…), people's alert
-- preferences, and the log of alert deliveries.
--
-- An event belongs to the account that owned the camera when it happened.
-- Its snapshot, when kept, is a sealed blob like media (snapshot_key names
-- it). labels is a space-separated list of lower-case words for search.

CREATE TABLE events (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    camera_id       BIGINT  NOT NULL REFERENCES cameras(id) ON DELETE CASCADE,
    account_id      BIGINT  NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    kind            TEXT    NOT NULL,
    at_ms           BIGINT  NOT NULL,
    score_milli     BIGINT,
    region          TEXT,
    labels          TEXT    NOT NULL DEFAULT '',
    snapshot_key    TEXT,
    snapshot_width  BIGINT,
    snapshot_height BIGINT,
    alerted         BIGINT  NOT NULL DEFAULT 0,
    created_at      BIGINT  NOT NULL
);
CREATE INDEX events_by_camera_time ON events (camera_id, at_ms);
CREATE INDEX events_by_account_time ON events (account_id, at_ms);

-- One row per person, camera and channel they changed from the default.
CREATE TABLE alert_preferences (
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    camera_id  BIGINT NOT NULL REFERENCES cameras(id) ON DELETE CASCADE,
    channel    TEXT   NOT NULL,
    enabled    BIGINT NOT NULL,
    PRIMARY KEY (account_id, camera_id, channel)
);

-- A person's quiet hours (in their time zone) and email snapshot choice.
CREATE TABLE alert_settings (
    account_id        BIGINT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    quiet_start       TEXT,
    quiet_end         TEXT,
    time_zone         TEXT,
    snapshot_in_email BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE alert_deliveries (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id     BIGINT  NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    account_id   BIGINT  NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    channel      TEXT    NOT NULL,
    status       TEXT    NOT NULL,
    detail       TEXT,
    created_at   BIGINT  NOT NULL
);
CREATE INDEX alert_deliveries_by_account ON alert_deliveries (account_id, id);
