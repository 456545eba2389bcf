-- Hourly tallies of each camera's segment uploads for the 24-hour network
-- view (technical data: counts and latencies, nothing about the video).

CREATE TABLE upload_stats (
    camera_id      BIGINT NOT NULL REFERENCES cameras(id) ON DELETE CASCADE,
    hour_ms        BIGINT NOT NULL,
    uploads        BIGINT NOT NULL,
    failures       BIGINT NOT NULL,
    refused        BIGINT NOT NULL,
    latency_ms_sum BIGINT NOT NULL,
    latency_ms_max BIGINT NOT NULL,
    PRIMARY KEY (camera_id, hour_ms)
);
