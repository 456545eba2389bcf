-- Small messages between instances sharing the database: alerts for
-- sessions on another instance, which cameras someone watches live, which
-- segments to relay. Each instance reads the rows after the last it saw;
-- rows older than a few minutes are pruned.
CREATE TABLE cluster_messages (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    origin      TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL
);
CREATE INDEX cluster_messages_created ON cluster_messages (created_at);

-- A running export belongs to one instance until its lease runs out, so
-- an export whose instance died is built again by another, once.
ALTER TABLE exports ADD COLUMN claimed_by TEXT;
ALTER TABLE exports ADD COLUMN lease_until BIGINT;
