-- IP cameras and NVR channels the server pulls from over RTSP. They live in
-- the cameras table (so access and sharing work the same) with kind 'rtsp':
-- source_url is the URL without credentials, for display; source_sealed holds
-- URL, username and password encrypted (AES-256-GCM). Their code_hash and
-- secret_hash are empty strings, which no keyed hash ever equals, so nobody
-- can bind them or sign in as their device.

ALTER TABLE cameras ADD COLUMN kind TEXT NOT NULL DEFAULT 'cloud' CHECK (kind IN ('cloud', 'rtsp'));
ALTER TABLE cameras ADD COLUMN source_url TEXT;
ALTER TABLE cameras ADD COLUMN source_sealed BYTEA;
