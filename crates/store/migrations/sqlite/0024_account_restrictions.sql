-- Restriction of processing (F6): while a row exists, nothing new is
-- recorded, alerted or analysed for the account; what is stored stays.

CREATE TABLE account_restrictions (
    account_id  BIGINT  PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    since       BIGINT  NOT NULL
);
