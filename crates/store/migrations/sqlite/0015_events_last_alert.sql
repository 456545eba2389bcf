-- The cooldown check reads a camera's latest alerted event on every event;
-- without this index it walked all of the camera's events.

CREATE INDEX events_alerted_by_camera ON events (camera_id, created_at) WHERE alerted = 1;
