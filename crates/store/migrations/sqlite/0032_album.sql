-- The album (C5): photos and clips people upload, sealed under their
-- account key like camera media; and large uploads in progress, whose
-- pieces are sealed blobs until the file is complete.

CREATE TABLE album_items (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id     BIGINT   NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    media_type     TEXT     NOT NULL,
    name           TEXT,
    bytes          BIGINT   NOT NULL,
    blob_key       TEXT     NOT NULL,
    location_kept  BOOLEAN  NOT NULL,
    created_at     BIGINT   NOT NULL
);
CREATE INDEX album_items_by_account ON album_items (account_id, created_at);

CREATE TABLE album_uploads (
    id          TEXT    PRIMARY KEY,
    account_id  BIGINT  NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    media_type  TEXT    NOT NULL,
    name        TEXT,
    size        BIGINT  NOT NULL,
    received    BIGINT  NOT NULL,
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL
);
