//! Keeping only what may be kept: retention, events-mode windows, quotas,
//! and the start-up reconciliation of blobs against the index.

use std::collections::HashSet;
use std::time::Duration;

use super::{EventWindow, Recordings, SegmentRecord};
use crate::cameras::{Access, RecordingMode};
use crate::clock::Timestamp;
use crate::ids::{AccountId, CameraId};
use crate::{Error, Result};

/// Rows handled per batch, so one purge never holds a huge result in memory.
const BATCH: i64 = 500;
/// Events-mode segments younger than this wait for a late event to claim them.
const EVENT_GRACE: Duration = Duration::from_secs(60);

/// What one purge run removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PurgeReport {
    /// Segments past their camera's retention.
    pub expired: u64,
    /// Events-mode segments outside every event window.
    pub outside_events: u64,
    /// Segments removed to bring accounts under quota.
    pub over_quota: u64,
    /// Media keys destroyed with their days.
    pub keys_destroyed: u64,
}

/// How long reconciliation waits before deleting blobs without a row.
const RECONCILE_SETTLE: std::time::Duration = std::time::Duration::from_secs(2);

/// What reconciliation found.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ReconcileReport {
    /// Blobs with no index row, deleted.
    pub orphan_blobs: u64,
    /// Index rows whose blob is gone, flagged missing.
    pub missing_blobs: u64,
}

impl Recordings {
    async fn remove(&self, segments: &[SegmentRecord]) -> Result<u64> {
        // Blobs first: a crash between leaves rows flagged missing at the
        // next start, never video that outlives its row.
        for s in segments {
            self.blobs.delete(&s.segment.blob_key).await?;
        }
        let ids: Vec<i64> = segments.iter().map(|s| s.id).collect();
        self.index.delete_segments(&ids).await?;
        let mut cameras: Vec<_> = segments.iter().map(|s| s.segment.camera_id).collect();
        cameras.dedup();
        for camera in cameras {
            self.slots.forget_camera(camera);
        }
        Ok(ids.len() as u64)
    }

    /// Marks an event window (events-mode recording keeps the video around
    /// it); owner or operator only.
    pub async fn mark_event(
        &self,
        who: AccountId,
        camera: CameraId,
        at: Timestamp,
    ) -> Result<EventWindow> {
        let (_, access) = self.cameras.access(who, camera).await?;
        if access < Access::Operator {
            return Err(Error::Forbidden);
        }
        let mut window = EventWindow {
            id: 0,
            camera_id: camera,
            start: at.minus(self.config.pre_roll),
            end: at.plus(self.config.post_roll),
        };
        window.id = self.index.insert_event_window(&window).await?;
        Ok(window)
    }

    /// Records the window around an event the camera reported itself.
    pub async fn add_event_window(&self, camera: CameraId, at: Timestamp) -> Result<()> {
        let window = EventWindow {
            id: 0,
            camera_id: camera,
            start: at.minus(self.config.pre_roll),
            end: at.plus(self.config.post_roll),
        };
        self.index.insert_event_window(&window).await.map(|_| ())
    }

    /// Sets how many days a camera's recordings are kept (owner only);
    /// None returns to the instance default.
    pub async fn set_retention(
        &self,
        who: AccountId,
        camera: CameraId,
        days: Option<i64>,
    ) -> Result<()> {
        let (_, access) = self.cameras.access(who, camera).await?;
        if access != Access::Owner {
            return Err(Error::Forbidden);
        }
        if days.is_some_and(|d| !(1..=3650).contains(&d)) {
            return Err(Error::invalid("retention_days", "between 1 and 3650"));
        }
        self.index.set_retention(camera, days).await
    }

    /// Deletes what is past retention, outside event windows (events mode)
    /// or over quota, and destroys the media keys of expired days.
    pub async fn purge(&self) -> Result<PurgeReport> {
        let now = self.clock.now();
        let mut report = PurgeReport::default();
        for (camera, owner, days) in self.index.cameras_with_recordings().await? {
            // The owner's plan sets the retention (E1); the camera's own
            // setting may shorten it, never lengthen it.
            let allowance = match &self.allowance {
                Some(a) => a.camera(owner, camera).await?,
                None => Default::default(),
            };
            let days = match (days, allowance.retention_days) {
                (Some(own), Some(plan)) => own.min(plan),
                (Some(own), None) => own,
                (None, Some(plan)) => plan,
                (None, None) => self.config.retention_days,
            }
            .max(1);
            let cutoff = now.minus(Duration::from_secs(days as u64 * 86_400));
            loop {
                let batch = self.index.segments_before(camera, cutoff, BATCH).await?;
                if batch.is_empty() {
                    break;
                }
                report.expired += self.remove(&batch).await?;
            }
            report.keys_destroyed += self
                .keys
                .destroy_media_keys_before(camera, &super::utc_day(cutoff))
                .await?;
            let events_mode = allowance.events_only
                || self
                    .cameras
                    .get(camera)
                    .await?
                    .is_some_and(|c| c.settings.recording_mode == RecordingMode::Events);
            if events_mode {
                report.outside_events += self.purge_outside_events(camera, owner, now).await?;
            }
        }
        for account in self.index.accounts_with_recordings().await? {
            let planned = match &self.allowance {
                Some(a) => a.quota_bytes(account).await?,
                None => None,
            };
            if let Some(quota) = planned.or(self.config.account_quota_bytes) {
                let mut usage = self.index.account_usage(account).await?;
                while usage > quota {
                    let mut batch = self.index.oldest_segments_of_account(account, 50).await?;
                    if batch.is_empty() {
                        break;
                    }
                    // Only as many of the oldest as bring usage under quota.
                    let mut keep_from = 0;
                    for s in &batch {
                        if usage <= quota {
                            break;
                        }
                        usage = usage.saturating_sub(s.segment.stored_bytes.max(0) as u64);
                        keep_from += 1;
                    }
                    batch.truncate(keep_from);
                    report.over_quota += self.remove(&batch).await?;
                }
            }
        }
        Ok(report)
    }

    async fn purge_outside_events(
        &self,
        camera: CameraId,
        owner: AccountId,
        now: Timestamp,
    ) -> Result<u64> {
        let to = now.minus(self.config.pre_roll + EVENT_GRACE);
        let from = to.minus(Duration::from_secs(86_400));
        let windows = self.index.event_windows(camera, from, to).await?;
        let doomed: Vec<SegmentRecord> = self
            .index
            .segments_between(camera, owner, from, to)
            .await?
            .into_iter()
            .filter(|s| s.segment.end <= to)
            .filter(|s| {
                !windows
                    .iter()
                    .any(|w| s.segment.start < w.end && w.start < s.segment.end)
            })
            .collect();
        self.remove(&doomed).await
    }

    /// Start-up check of blobs against the index: blobs without a row
    /// (a crash between blob write and index insert) are deleted; rows
    /// without a blob are flagged so playback skips them. Run it before
    /// accepting uploads, or an in-flight blob looks orphaned.
    pub async fn reconcile(&self) -> Result<ReconcileReport> {
        let stored = self.blobs.list("media/").await?;
        let mut indexed: HashSet<String> =
            self.index.indexed_blob_keys().await?.into_iter().collect();
        if stored.iter().any(|(k, _)| !indexed.contains(k)) {
            // A killed server's last insert can still commit after it died
            // (a database server finishes a COMMIT it fully received), so a
            // blob that looks orphaned gets a moment before it is judged.
            tokio::time::sleep(RECONCILE_SETTLE).await;
            indexed = self.index.indexed_blob_keys().await?.into_iter().collect();
        }
        let stored_keys: HashSet<&str> = stored.iter().map(|(k, _)| k.as_str()).collect();
        let mut report = ReconcileReport::default();
        for (key, _) in &stored {
            if !indexed.contains(key) {
                self.blobs.delete(key).await?;
                report.orphan_blobs += 1;
            }
        }
        let missing: Vec<String> = indexed
            .iter()
            .filter(|k| !stored_keys.contains(k.as_str()))
            .cloned()
            .collect();
        if !missing.is_empty() {
            report.missing_blobs = self.index.flag_missing(&missing).await?;
            self.slots.clear();
        }
        Ok(report)
    }
}
