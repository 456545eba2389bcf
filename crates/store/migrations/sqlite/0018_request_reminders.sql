-- When administrators were reminded that a request is due soon (once).

ALTER TABLE rights_requests ADD COLUMN reminded_at BIGINT;
