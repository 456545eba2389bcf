//! Push ingest: a camera's init and media segments, validated, sealed and indexed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use media::fmp4::{self, Codec, InitSegment, TrackKind};
use sha2::{Digest, Sha256};

use super::live::LiveSegment;
use super::{InitRecord, NewSegment, PlayableInit, Recordings, Refusal, SegmentRecord};
use crate::cameras::{schedule, Camera, RecordingMode};
use crate::clock::Timestamp;
use crate::ids::AccountId;
use crate::{Error, Result};

/// Shortest and longest media segment accepted, in seconds: 1–6 s with a
/// little slack for cameras whose GOP length drifts.
const MIN_SEGMENT_SECS: f64 = 0.9;
const MAX_SEGMENT_SECS: f64 = 6.6;
/// How far ahead of the server a camera's clock may run.
const MAX_CLOCK_AHEAD: Duration = Duration::from_secs(300);

/// A media segment upload.
#[derive(Debug, Clone)]
pub struct SegmentUpload {
    /// The device's id for the segment: a retry with the same id is stored once.
    pub device_id: String,
    /// The init it plays with (from the init upload).
    pub init_id: i64,
    /// The camera's wall-clock time of its first frame.
    pub start: Timestamp,
    /// The fMP4 media segment (moof + mdat pairs).
    pub bytes: Vec<u8>,
}

/// How an upload was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// Stored now.
    New,
    /// Already stored by an earlier try with the same id.
    Again,
}

fn invalid_media(e: fmp4::Fmp4Error) -> Error {
    Error::InvalidMedia(e.to_string())
}

fn check_device_id(id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "segment_id",
            "1–64 characters of letters, digits, '-', '_' or '.'",
        ))
    }
}

/// The consent purpose that keeps location tags in media.
const LOCATION_TAGS: &str = "location_tags";

impl Recordings {
    /// Whether the camera may record now; the owner it records for if so (C3).
    pub fn recording_gate(&self, camera: &Camera, check_schedule: bool) -> Result<AccountId> {
        let owner = camera.owner.ok_or(Error::Refused(Refusal::Unbound))?;
        let s = &camera.settings;
        if s.privacy {
            return Err(Error::Refused(Refusal::PrivacyMode));
        }
        if s.recording_mode == RecordingMode::Off {
            return Err(Error::Refused(Refusal::RecordingOff));
        }
        if check_schedule
            && !schedule::allows(
                &s.schedule,
                camera.facts.time_zone.as_deref(),
                self.clock.now(),
            )
        {
            return Err(Error::Refused(Refusal::OutsideSchedule));
        }
        Ok(owner)
    }

    /// Stores a camera's init segment, or finds the identical one stored before.
    pub async fn upload_init(&self, camera: &Camera, bytes: &[u8]) -> Result<(InitRecord, Stored)> {
        let owner = self.recording_gate(camera, false)?;
        self.cameras.refuse_if_restricted(owner).await?;
        if bytes.len() > self.config.max_init_bytes {
            return Err(Error::TooLarge {
                what: "init segment",
                limit: self.config.max_init_bytes,
            });
        }
        let parsed = fmp4::parse_init(bytes).map_err(invalid_media)?;
        let video = parsed
            .tracks
            .iter()
            .find(|t| t.kind == TrackKind::Video)
            .ok_or_else(|| Error::InvalidMedia("the init segment has no video track".into()))?;
        let video_codec = match video.codec {
            Codec::H264 => "h264",
            Codec::H265 => "h265",
            Codec::Aac => return Err(Error::InvalidMedia("video track is not video".into())),
        };
        let has_audio = parsed.tracks.iter().any(|t| t.kind == TrackKind::Audio);
        // Where the camera stands is kept only with the owner's consent,
        // and removed before anything is sealed or stored (C4).
        let stripped;
        let bytes = if self.consents.allows(owner, LOCATION_TAGS).await? {
            bytes
        } else {
            match fmp4::strip_location_init(bytes).map_err(invalid_media)? {
                (clean, true) => {
                    stripped = clean;
                    &stripped[..]
                }
                (_, false) => bytes,
            }
        };
        // The hash is of what is stored, so the same upload with and
        // without location are two inits.
        let sha256 = hex::encode(Sha256::digest(bytes));
        if let Some(found) = self
            .index
            .init_by_hash(camera.id, &sha256, has_audio)
            .await?
        {
            if found.account_id == owner {
                return Ok((found, Stored::Again));
            }
        }
        let now = self.clock.now();
        let (key_id, kek) = self
            .keys
            .media_key(owner, camera.id, super::keys::INIT_DAY)
            .await?;
        let blob_key = format!(
            "{}media/{}/init/{}.mp4.cvb",
            self.regions.for_account(owner).await?,
            camera.id,
            uuid::Uuid::new_v4().simple()
        );
        let sealed =
            crypto::blob::seal_blob(&kek, &key_id, crypto::blob::DEFAULT_CHUNK_LOG2, bytes)
                .map_err(|e| Error::Storage(e.to_string()))?;
        self.blobs.put(&blob_key, sealed).await?;
        let mut record = InitRecord {
            id: 0,
            camera_id: camera.id,
            account_id: owner,
            sha256,
            has_audio,
            video_codec: video_codec.into(),
            width: video.width.map(i64::from),
            height: video.height.map(i64::from),
            blob_key,
            key_id,
            created_at: now,
        };
        match self.index.insert_init(&record).await {
            Ok(id) => {
                record.id = id;
                self.remember_init(id, Arc::new(parsed));
                Ok((record, Stored::New))
            }
            Err(Error::Taken(_)) => {
                // A concurrent upload of the same init won; keep its row.
                self.blobs.delete(&record.blob_key).await?;
                let found = self
                    .index
                    .init_by_hash(camera.id, &record.sha256, has_audio)
                    .await?
                    .ok_or(Error::NotFound("init"))?;
                Ok((found, Stored::Again))
            }
            Err(e) => {
                self.blobs.delete(&record.blob_key).await?;
                Err(e)
            }
        }
    }

    fn remember_init(&self, id: i64, init: Arc<InitSegment>) {
        let mut inits = self
            .inits
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if inits.len() >= 10_000 {
            inits.clear();
        }
        inits.insert(id, init);
    }

    /// The decrypted bytes of an init, as uploaded.
    pub(crate) async fn init_bytes(&self, init: &InitRecord) -> Result<Vec<u8>> {
        let sealed = self
            .blobs
            .get(&init.blob_key)
            .await?
            .ok_or(Error::NotFound("init"))?;
        let kek = self.keys.media_key_by_id(&init.key_id).await?;
        crypto::blob::open_blob(&kek, &sealed).map_err(|e| Error::Storage(e.to_string()))
    }

    async fn parsed_init(&self, init: &InitRecord) -> Result<Arc<InitSegment>> {
        let cached = self
            .inits
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&init.id)
            .cloned();
        if let Some(parsed) = cached {
            return Ok(parsed);
        }
        let bytes = self.init_bytes(init).await?;
        let parsed = Arc::new(fmp4::parse_init(&bytes).map_err(invalid_media)?);
        self.remember_init(init.id, parsed.clone());
        Ok(parsed)
    }

    /// Stores one media segment (idempotent by `device_id`), then hands it
    /// to live viewers.
    pub async fn upload_segment(
        &self,
        camera: &Camera,
        upload: SegmentUpload,
    ) -> Result<(SegmentRecord, Stored)> {
        let owner = self.recording_gate(camera, true)?;
        self.cameras.refuse_if_restricted(owner).await?;
        check_device_id(&upload.device_id)?;
        if let Some(found) = self
            .index
            .segment_by_device_id(camera.id, &upload.device_id)
            .await?
        {
            return Ok((found, Stored::Again));
        }
        if upload.bytes.len() > self.config.max_segment_bytes {
            return Err(Error::TooLarge {
                what: "media segment",
                limit: self.config.max_segment_bytes,
            });
        }
        let arrived = Instant::now();
        let now = self.clock.now();
        if upload.start > now.plus(MAX_CLOCK_AHEAD)
            || upload.start < now.minus(self.config.max_backlog)
        {
            return Err(Error::invalid(
                "start_ms",
                "is too far from the server's time (camera clock wrong?)",
            ));
        }
        let init = self
            .index
            .init(upload.init_id)
            .await?
            .filter(|i| i.camera_id == camera.id && i.account_id == owner)
            .ok_or(Error::NotFound("init"))?;
        let parsed_init = self.parsed_init(&init).await?;
        let parsed = fmp4::parse_media(&upload.bytes, &parsed_init).map_err(invalid_media)?;
        let video = parsed_init
            .tracks
            .iter()
            .find(|t| t.kind == TrackKind::Video)
            .and_then(|t| parsed.track(t.track_id))
            .ok_or_else(|| Error::InvalidMedia("the segment has no video samples".into()))?;
        if video.keyframes.first().map(|k| k.sample_index) != Some(0) {
            return Err(Error::InvalidMedia(
                "the segment must start with a keyframe".into(),
            ));
        }
        let secs = parsed.duration_seconds();
        if !(MIN_SEGMENT_SECS..=MAX_SEGMENT_SECS).contains(&secs) {
            return Err(Error::InvalidMedia(format!(
                "segment lasts {secs:.2} s; segments must last 1–6 s"
            )));
        }
        let keyframes = video
            .keyframes
            .iter()
            .map(|k| {
                let ms = ((k.seconds - video.start_seconds) * 1000.0).round() as i64;
                (ms, k.offset as i64)
            })
            .collect();
        let keep_audio = camera.settings.audio && init.has_audio;
        let plain = if init.has_audio && !keep_audio {
            fmp4::strip_audio(&upload.bytes, &parsed_init).map_err(invalid_media)?
        } else {
            upload.bytes
        };
        let day = super::utc_day(upload.start);
        let region = self.regions.for_account(owner).await?;
        let (key_id, kek) = self.keys.media_key(owner, camera.id, &day).await?;
        let sealed =
            crypto::blob::seal_blob(&kek, &key_id, crypto::blob::DEFAULT_CHUNK_LOG2, &plain)
                .map_err(|e| Error::Storage(e.to_string()))?;
        let segment = NewSegment {
            camera_id: camera.id,
            account_id: owner,
            init_id: init.id,
            device_id: upload.device_id,
            start: upload.start,
            end: upload.start.plus(Duration::from_secs_f64(secs)),
            bytes: plain.len() as i64,
            stored_bytes: sealed.len() as i64,
            keyframes,
            has_audio: keep_audio,
            blob_key: format!(
                "{region}media/{}/{day}/{}.m4s.cvb",
                camera.id,
                uuid::Uuid::new_v4().simple()
            ),
            key_id,
            created_at: now,
        };
        // Blob first, row after: a crash in between leaves an orphan blob
        // that reconciliation deletes, never a row pointing at nothing.
        self.blobs.put(&segment.blob_key, sealed).await?;
        let id = match self.index.insert_segment(&segment).await {
            Ok(id) => id,
            Err(e) => {
                self.blobs.delete(&segment.blob_key).await?;
                if matches!(e, Error::Taken(_)) {
                    // A concurrent retry with the same id won.
                    let found = self
                        .index
                        .segment_by_device_id(camera.id, &segment.device_id)
                        .await?
                        .ok_or(Error::NotFound("segment"))?;
                    return Ok((found, Stored::Again));
                }
                return Err(e);
            }
        };
        self.slots.inserted(
            segment.account_id,
            super::SegmentSlot {
                id,
                init_id: segment.init_id,
                has_audio: segment.has_audio,
                start: segment.start,
                end: segment.end,
            },
            camera.id,
        );
        self.publish_live(camera, &init, keep_audio, &segment, plain, arrived)
            .await;
        if let Some(cluster) = self.cluster.get() {
            if cluster.watched_elsewhere(camera.id) {
                cluster
                    .send(&crate::cluster::Message::Segment {
                        camera: camera.id.0,
                        segment: id,
                    })
                    .await;
            }
        }
        Ok((
            SegmentRecord {
                id,
                segment,
                missing: false,
            },
            Stored::New,
        ))
    }

    async fn publish_live(
        &self,
        camera: &Camera,
        init: &InitRecord,
        keep_audio: bool,
        segment: &NewSegment,
        data: Vec<u8>,
        arrived: Instant,
    ) {
        let playable = match self.playable_init(init, keep_audio).await {
            Ok(b) => b,
            Err(e) => {
                // Live is best effort; the segment is stored either way.
                tracing::warn!(camera = %camera.id, error = %e, "live view skipped a segment");
                return;
            }
        };
        self.live.publish(
            camera.id,
            LiveSegment {
                init_key: (init.id, keep_audio),
                init: playable.bytes,
                mime: playable.mime,
                codec: Arc::from(init.video_codec.as_str()),
                data,
                start: segment.start,
                arrived,
            },
        );
    }

    /// The init that plays segments stored with or without audio, cached:
    /// live viewers need it with every segment.
    pub(crate) async fn playable_init(
        &self,
        init: &InitRecord,
        with_audio: bool,
    ) -> Result<PlayableInit> {
        let key = (init.id, with_audio);
        if let Some(p) = self
            .playable_inits
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&key)
        {
            return Ok(p.clone());
        }
        let bytes = self.init_bytes(init).await?;
        let bytes = if init.has_audio && !with_audio {
            fmp4::strip_audio_init(&bytes).map_err(invalid_media)?
        } else {
            bytes
        };
        let parsed = fmp4::parse_init(&bytes).map_err(invalid_media)?;
        let playable = PlayableInit {
            bytes: Arc::new(bytes),
            mime: Arc::from(fmp4::mime_type(&parsed).as_str()),
        };
        let mut cache = self
            .playable_inits
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if cache.len() >= 10_000 {
            cache.clear();
        }
        cache.insert(key, playable.clone());
        Ok(playable)
    }
}
