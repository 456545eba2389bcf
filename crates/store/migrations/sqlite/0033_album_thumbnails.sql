-- Album thumbnails: a small JPEG of each photo, sealed like the photo.
ALTER TABLE album_items ADD COLUMN thumb_key TEXT;
