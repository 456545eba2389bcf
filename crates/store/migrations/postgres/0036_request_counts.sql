-- Requests per client address and minute, when instances share their rate
-- limits (shared_rate_limits): one row per address, door and minute, kept
-- for two minutes.
CREATE TABLE request_counts (
    key           TEXT    NOT NULL,
    window_start  BIGINT  NOT NULL,
    hits          BIGINT  NOT NULL,
    PRIMARY KEY (key, window_start)
);
CREATE INDEX request_counts_window ON request_counts (window_start);
