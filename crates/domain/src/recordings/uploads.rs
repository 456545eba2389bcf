//! Upload statistics for the network view (B5): per camera and hour, how
//! many segments arrived, failed or were refused, and how long they took.
//!
//! Uploads are tallied in memory and written out by a job every few
//! seconds, so measuring costs no database write per segment.

use std::collections::HashMap;
use std::time::Duration;

use serde::Serialize;

use super::Recordings;
use crate::cameras::network::WINDOW;
use crate::clock::Timestamp;
use crate::ids::{AccountId, CameraId};
use crate::Result;

const HOUR_MS: i64 = 3_600_000;

/// Counts of one camera's uploads over some period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct UploadTally {
    /// Uploads received (stored or not).
    pub uploads: i64,
    /// Uploads that failed: invalid media, too large, server error.
    pub failures: i64,
    /// Uploads refused by the camera's settings (privacy, schedule, off).
    pub refused: i64,
    /// Sum of upload durations, ms (for the mean).
    pub latency_ms_sum: i64,
    /// Longest upload, ms.
    pub latency_ms_max: i64,
}

impl UploadTally {
    fn add(&mut self, other: &UploadTally) {
        self.uploads += other.uploads;
        self.failures += other.failures;
        self.refused += other.refused;
        self.latency_ms_sum += other.latency_ms_sum;
        self.latency_ms_max = self.latency_ms_max.max(other.latency_ms_max);
    }

    /// Mean upload duration in ms, if any upload was counted.
    pub fn mean_latency_ms(&self) -> Option<i64> {
        (self.uploads > 0).then(|| self.latency_ms_sum / self.uploads)
    }
}

/// How an upload ended, for the tally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadOutcome {
    /// Stored (or already stored).
    Stored,
    /// Refused by the camera's settings.
    Refused,
    /// Failed.
    Failed,
}

/// The upload figures of the network view.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UploadReport {
    /// Totals over the last 24 hours.
    pub total: UploadTally,
    /// Per hour (hour start, Unix ms), oldest first.
    pub hours: Vec<(i64, UploadTally)>,
}

/// The in-memory tallies not yet written out.
#[derive(Debug, Default)]
pub(super) struct Pending(HashMap<(CameraId, i64), UploadTally>);

impl Recordings {
    /// Counts one segment upload of `camera` that took `took`.
    pub fn note_upload(&self, camera: CameraId, outcome: UploadOutcome, took: Duration) {
        let hour = self.clock.now().ms().div_euclid(HOUR_MS) * HOUR_MS;
        let ms = i64::try_from(took.as_millis()).unwrap_or(i64::MAX);
        let mut pending = self
            .uploads
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let t = pending.0.entry((camera, hour)).or_default();
        t.add(&UploadTally {
            uploads: 1,
            failures: i64::from(outcome == UploadOutcome::Failed),
            refused: i64::from(outcome == UploadOutcome::Refused),
            latency_ms_sum: ms,
            latency_ms_max: ms,
        });
    }

    /// Writes the tallies counted since the last flush, and drops figures
    /// older than the network window.
    pub async fn flush_upload_stats(&self) -> Result<()> {
        let pending = std::mem::take(
            &mut self
                .uploads
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0,
        );
        if !pending.is_empty() {
            let rows: Vec<(CameraId, i64, UploadTally)> =
                pending.into_iter().map(|((c, h), t)| (c, h, t)).collect();
            self.index.add_upload_stats(&rows).await?;
        }
        let before = self
            .clock
            .now()
            .minus(WINDOW + Duration::from_millis(HOUR_MS as u64));
        self.index.prune_upload_stats(before).await
    }

    /// Upload figures of the last 24 hours, for anyone who may see the camera.
    pub async fn upload_report(&self, who: AccountId, camera: CameraId) -> Result<UploadReport> {
        self.cameras.access(who, camera).await?;
        let since = Timestamp(self.clock.now().minus(WINDOW).ms().div_euclid(HOUR_MS) * HOUR_MS);
        let mut hours = self.index.upload_stats(camera, since).await?;
        // Include what is counted but not yet written, so the view is current.
        let pending: Vec<(i64, UploadTally)> = self
            .uploads
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .0
            .iter()
            .filter(|((c, h), _)| *c == camera && *h >= since.ms())
            .map(|((_, h), t)| (*h, *t))
            .collect();
        for (hour, tally) in pending {
            match hours.iter_mut().find(|(h, _)| *h == hour) {
                Some((_, t)) => t.add(&tally),
                None => hours.push((hour, tally)),
            }
        }
        hours.sort_by_key(|(h, _)| *h);
        let mut total = UploadTally::default();
        for (_, t) in &hours {
            total.add(t);
        }
        Ok(UploadReport { total, hours })
    }
}
