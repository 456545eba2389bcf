-- Each run of a leased background job: which instance ran it and when, so
-- administrators see when retention last ran and that no two instances
-- ever ran a round at once. Kept 30 days.
CREATE TABLE job_runs (
    id           BIGSERIAL PRIMARY KEY,
    job          TEXT    NOT NULL,
    holder       TEXT    NOT NULL,
    started_at   BIGINT  NOT NULL,
    finished_at  BIGINT
);
CREATE INDEX job_runs_job_started ON job_runs (job, started_at);
