-- Formal rights requests and every step they take.
--
-- state: received, verified, in_progress, completed, refused. repeat_of
-- links a request to the earlier identical one it repeats.

CREATE TABLE rights_requests (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id  BIGINT  NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    kind        TEXT    NOT NULL,
    details     TEXT    NOT NULL,
    state       TEXT    NOT NULL,
    reason      TEXT,
    due_at      BIGINT  NOT NULL,
    repeat_of   BIGINT,
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL
);
CREATE INDEX rights_requests_by_account ON rights_requests (account_id, id);
CREATE INDEX rights_requests_open ON rights_requests (state, due_at);

CREATE TABLE rights_request_steps (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id  BIGINT  NOT NULL REFERENCES rights_requests(id) ON DELETE CASCADE,
    state       TEXT    NOT NULL,
    reason      TEXT,
    actor_id    BIGINT,
    created_at  BIGINT  NOT NULL
);
CREATE INDEX rights_request_steps_by_request ON rights_request_steps (request_id, id);
