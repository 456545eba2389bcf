//! The network check of a camera over the last 24 hours (B5).

use std::time::Duration;

use serde::Serialize;

use super::{Access, Cameras, HEARTBEAT_INTERVAL};
use crate::clock::Timestamp;
use crate::ids::{AccountId, CameraId};
use crate::Result;

/// How far back the network view looks, and how long samples are kept.
pub const WINDOW: Duration = Duration::from_secs(24 * 3600);

/// One heartbeat's network figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sample {
    /// When it arrived.
    pub at: Timestamp,
    /// Wi-Fi signal, dBm.
    pub signal_dbm: Option<i64>,
    /// Upload bitrate, kbit/s.
    pub upload_kbps: Option<i64>,
}

/// The network view of one camera.
#[derive(Debug, Clone)]
pub struct NetworkReport {
    /// Heard from within two heartbeat intervals.
    pub online: bool,
    /// Last heartbeat.
    pub last_seen_at: Option<Timestamp>,
    /// Last reported signal.
    pub signal_dbm: Option<i64>,
    /// Last reported bitrate.
    pub upload_kbps: Option<i64>,
    /// Last reported device error.
    pub last_error: Option<String>,
    /// Heartbeats received in the window.
    pub heartbeats: usize,
    /// Heartbeats that should have arrived since the first one in the window
    /// but did not: the camera's dropouts.
    pub missed_heartbeats: usize,
    /// Mean bitrate over the window.
    pub average_kbps: Option<i64>,
    /// Weakest signal over the window.
    pub weakest_signal_dbm: Option<i64>,
    /// The samples, oldest first.
    pub samples: Vec<Sample>,
}

/// Heartbeats expected between `first` and `now`, allowing one interval of slack.
fn expected(first: Timestamp, now: Timestamp) -> usize {
    let span = (now.ms() - first.ms()).max(0) as u128;
    (span / HEARTBEAT_INTERVAL.as_millis()) as usize + 1
}

impl Cameras {
    /// The network check, for anyone who may see the camera.
    pub async fn network(&self, who: AccountId, id: CameraId) -> Result<NetworkReport> {
        let (camera, access) = self.access(who, id).await?;
        debug_assert!(access >= Access::Viewer);
        let now = self.clock.now();
        let samples = self.store.samples(id, now.minus(WINDOW)).await?;
        let bitrates: Vec<i64> = samples.iter().filter_map(|s| s.upload_kbps).collect();
        let missed = match samples.first() {
            Some(first) => expected(first.at, now).saturating_sub(samples.len() + 1),
            None => 0,
        };
        Ok(NetworkReport {
            online: self.is_online(&camera),
            last_seen_at: camera.facts.last_seen_at,
            signal_dbm: camera.facts.signal_dbm,
            upload_kbps: camera.facts.upload_kbps,
            last_error: camera.facts.last_error.clone(),
            heartbeats: samples.len(),
            missed_heartbeats: missed,
            average_kbps: (!bitrates.is_empty())
                .then(|| bitrates.iter().sum::<i64>() / bitrates.len() as i64),
            weakest_signal_dbm: samples.iter().filter_map(|s| s.signal_dbm).min(),
            samples,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_counts_whole_intervals() {
        let t0 = Timestamp(0);
        assert_eq!(expected(t0, t0), 1);
        assert_eq!(expected(t0, Timestamp(59_999)), 1);
        assert_eq!(expected(t0, Timestamp(600_000)), 11);
    }
}
