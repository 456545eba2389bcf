-- Usage statistics (F14): page views per feature per UTC day, counted only
-- for people who consented and whose browser sent neither DNT nor GPC
-- (F12). No account, address or device is kept; the report is keyed by a
-- random installation id (the settings row `installation_id`).

CREATE TABLE usage_counts (
    day      TEXT    NOT NULL,
    feature  TEXT    NOT NULL,
    count    BIGINT  NOT NULL,
    PRIMARY KEY (day, feature)
);
