-- Motion detection the server runs for cameras that send no events (RTSP).
--
-- One row per camera whose settings were ever saved; a camera without a row
-- uses the defaults (on, sensitivity 50, nothing masked). masked_zones is a
-- JSON array of {x, y, w, h} fractions of the picture.

CREATE TABLE motion_settings (
    camera_id     BIGINT  PRIMARY KEY REFERENCES cameras(id) ON DELETE CASCADE,
    enabled       BIGINT  NOT NULL,
    sensitivity   BIGINT  NOT NULL,
    masked_zones  TEXT    NOT NULL
);
