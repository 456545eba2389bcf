//! Events from cameras: validated, snapshot sealed (only when the owner
//! keeps alerts on, D1), stored, linked to the video around them, fanned out.

use std::time::Duration;

use serde::Deserialize;

use super::{check_kind, Event, Events, Region};
use crate::audit::AuditEntry;
use crate::cameras::Camera;
use crate::clock::Timestamp;
use crate::ids::{AccountId, CameraId};
use crate::recordings::Refusal;
use crate::{Error, Result};

/// How far ahead of the server a camera's clock may run.
const MAX_CLOCK_AHEAD: Duration = Duration::from_secs(300);
/// Largest snapshot side accepted, in pixels.
const MAX_SIDE: usize = 8192;

/// What a camera reports.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventInput {
    /// `motion`, `person`, `vehicle`, `animal`, `sound`, `doorbell`,
    /// `tamper`, or another lower-case word.
    #[serde(rename = "type")]
    pub kind: String,
    /// The camera's time of the event, Unix ms.
    pub at_ms: i64,
    /// Confidence 0–1.
    #[serde(default)]
    pub score: Option<f64>,
    /// Where in the picture.
    #[serde(default)]
    pub region: Option<Region>,
    /// Words for search, e.g. a detected object's class.
    #[serde(default)]
    pub labels: Vec<String>,
}

fn check_labels(labels: &[String]) -> Result<Vec<String>> {
    if labels.len() > 16 {
        return Err(Error::invalid("labels", "at most 16"));
    }
    labels
        .iter()
        .map(|l| {
            let l = l.trim().to_lowercase();
            let ok = !l.is_empty()
                && l.len() <= 32
                && l.chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '-');
            if ok {
                Ok(l)
            } else {
                Err(Error::invalid(
                    "labels",
                    "words of 1–32 letters, digits, '_' or '-'",
                ))
            }
        })
        .collect()
}

impl EventInput {
    /// Checks what needs no storage — type, time against `now`, score,
    /// region, labels — and returns the labels normalised.
    pub fn check(&self, now: Timestamp, max_backlog: std::time::Duration) -> Result<Vec<String>> {
        check_kind(&self.kind)?;
        let at = Timestamp(self.at_ms);
        if at > now.plus(MAX_CLOCK_AHEAD) || at < now.minus(max_backlog) {
            return Err(Error::invalid(
                "at_ms",
                "is too far from the server's time (camera clock wrong?)",
            ));
        }
        if self.score.is_some_and(|s| !(0.0..=1.0).contains(&s)) {
            return Err(Error::invalid("score", "between 0 and 1"));
        }
        if let Some(r) = &self.region {
            r.check()?;
        }
        check_labels(&self.labels)
    }
}

/// Checks a snapshot is a real JPEG of sane size: its header and frame
/// dimensions, not just a file name or a claimed type.
pub fn check_jpeg(bytes: &[u8], max: usize) -> Result<(u32, u32)> {
    if bytes.len() > max {
        return Err(Error::TooLarge {
            what: "snapshot",
            limit: max,
        });
    }
    let not_jpeg = || Error::InvalidMedia("the snapshot is not a JPEG image".into());
    if imagesize::image_type(bytes).map_err(|_| not_jpeg())? != imagesize::ImageType::Jpeg {
        return Err(not_jpeg());
    }
    let size = imagesize::blob_size(bytes).map_err(|_| not_jpeg())?;
    if size.width == 0 || size.height == 0 || size.width > MAX_SIDE || size.height > MAX_SIDE {
        return Err(Error::InvalidMedia(format!(
            "snapshot is {}×{} pixels; sides must be 1–{MAX_SIDE}",
            size.width, size.height
        )));
    }
    Ok((size.width as u32, size.height as u32))
}

impl Events {
    /// Records an event a camera reports, with an optional JPEG snapshot.
    pub async fn record(
        &self,
        camera: &Camera,
        input: EventInput,
        snapshot: Option<Vec<u8>>,
    ) -> Result<Event> {
        let owner = camera.owner.ok_or(Error::Refused(Refusal::Unbound))?;
        if camera.settings.privacy {
            return Err(Error::Refused(Refusal::PrivacyMode));
        }
        self.cameras.refuse_if_restricted(owner).await?;
        let now = self.clock.now();
        let labels = input.check(now, self.config.max_backlog)?;
        let at = Timestamp(input.at_ms);
        let snapshot = match snapshot {
            Some(bytes) => Some((check_jpeg(&bytes, self.config.max_snapshot_bytes)?, bytes)),
            None => None,
        };
        // D1: with the owner's alerts off for this camera, no snapshot is kept.
        let (snapshot_key, snapshot_size) = match snapshot {
            Some((size, bytes)) if camera.settings.alerts => (
                Some(self.seal_snapshot(owner, camera.id, at, &bytes).await?),
                Some(size),
            ),
            _ => (None, None),
        };
        let mut event = Event {
            id: 0,
            camera_id: camera.id,
            account_id: owner,
            kind: input.kind,
            at,
            score: input.score,
            region: input.region,
            labels,
            snapshot_key,
            snapshot_size,
            alerted: false,
            created_at: now,
        };
        event.id = match self.store.insert_event(&event).await {
            Ok(id) => id,
            Err(e) => {
                if let Some(key) = &event.snapshot_key {
                    self.blobs.delete(key).await?;
                }
                return Err(e);
            }
        };
        self.recordings.add_event_window(camera.id, at).await?;
        event.alerted = self.fan_out(camera, &event).await?;
        Ok(event)
    }

    async fn seal_snapshot(
        &self,
        owner: AccountId,
        camera: CameraId,
        at: Timestamp,
        bytes: &[u8],
    ) -> Result<String> {
        let day = crate::recordings::utc_day(at);
        let (key_id, kek) = self
            .recordings
            .keys()
            .media_key(owner, camera, &day)
            .await?;
        let sealed =
            crypto::blob::seal_blob(&kek, &key_id, crypto::blob::DEFAULT_CHUNK_LOG2, bytes)
                .map_err(|e| Error::Storage(e.to_string()))?;
        let key = format!(
            "{}events/{camera}/{day}/{}.jpg.cvb",
            self.recordings.blob_prefix(owner).await?,
            uuid::Uuid::new_v4().simple()
        );
        self.blobs.put(&key, sealed).await?;
        Ok(key)
    }

    /// Events of a camera `who` may see, newest first (at most `limit`).
    pub async fn list(
        &self,
        who: AccountId,
        camera: CameraId,
        from: Timestamp,
        to: Timestamp,
        limit: i64,
    ) -> Result<Vec<Event>> {
        let (c, _) = self.cameras.access(who, camera).await?;
        let owner = c.owner.ok_or(Error::NotFound("camera"))?;
        if to <= from {
            return Err(Error::invalid("to", "must be after from"));
        }
        self.store
            .events_between(camera, owner, from, to, limit.clamp(1, 500))
            .await
    }

    /// An event's snapshot, decrypted, for someone who may see the camera;
    /// each view is in the owner's access log.
    pub async fn snapshot(&self, who: AccountId, camera: CameraId, event: i64) -> Result<Vec<u8>> {
        let (c, access) = self.cameras.access(who, camera).await?;
        let e = self
            .store
            .event(event)
            .await?
            .filter(|e| e.camera_id == camera && Some(e.account_id) == c.owner)
            .ok_or(Error::NotFound("event"))?;
        let key = e.snapshot_key.ok_or(Error::NotFound("snapshot"))?;
        let plain = super::integration::open_sealed(&*self.blobs, &self.recordings, &key)
            .await?
            .ok_or(Error::NotFound("snapshot"))?;
        self.audit
            .append(&AuditEntry {
                actor: Some(who),
                role: crate::recordings::playback::access_name(access).into(),
                subject: Some(e.account_id),
                action: "event.snapshot".into(),
                object: format!("camera:{camera} event:{event}"),
                reason: None,
                at: self.clock.now(),
            })
            .await?;
        Ok(plain)
    }
}
