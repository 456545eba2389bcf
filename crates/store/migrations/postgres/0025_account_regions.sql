-- Data residency (F11): the region whose blob store holds an account's
-- data. No row means the home region.

CREATE TABLE account_regions (
    account_id  BIGINT  PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    region      TEXT    NOT NULL,
    since       BIGINT  NOT NULL
);
