-- Sign-in through an external OpenID Connect provider (A3): the provider's
-- subject id and its verified email, nothing else; and sign-ins in flight
-- (state hash, PKCE verifier, nonce) for the ten minutes they may take.

CREATE TABLE external_identities (
    account_id    BIGINT  NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    issuer        TEXT    NOT NULL,
    subject       TEXT    NOT NULL,
    email         TEXT,
    linked_at     BIGINT  NOT NULL,
    last_used_at  BIGINT  NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX external_identities_by_account ON external_identities (account_id);

CREATE TABLE external_sign_ins (
    state_hash     TEXT    PRIMARY KEY,
    pkce_verifier  TEXT    NOT NULL,
    nonce          TEXT    NOT NULL,
    redirect_url   TEXT    NOT NULL,
    link_account   BIGINT  REFERENCES accounts(id) ON DELETE CASCADE,
    created_at     BIGINT  NOT NULL
);
CREATE INDEX external_sign_ins_by_age ON external_sign_ins (created_at);
