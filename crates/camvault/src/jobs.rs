//! Background jobs on intervals from the configuration, stopped on shutdown.

use std::sync::Arc;
use std::time::Duration;

use domain::events::Events;
use domain::recordings::Recordings;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Runs the retention purge (recordings, then events) every `every` until
/// `stop` turns true.
pub fn spawn_purge(
    recordings: Arc<Recordings>,
    events: Arc<Events>,
    every: Duration,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every.max(Duration::from_secs(1)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stop.changed() => return,
            }
            match recordings.purge().await {
                Ok(r) if r != Default::default() => tracing::info!(
                    expired = r.expired,
                    outside_events = r.outside_events,
                    over_quota = r.over_quota,
                    keys_destroyed = r.keys_destroyed,
                    "retention purge"
                ),
                Ok(_) => {}
                // The next run retries; purging is idempotent.
                Err(e) => tracing::error!(error = %e, "retention purge failed"),
            }
            match events.purge(recordings.config().retention_days).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(events = n, "expired events purged"),
                Err(e) => tracing::error!(error = %e, "event purge failed"),
            }
        }
    })
}

/// Writes upload statistics every `every` until `stop` turns true, and once more then.
pub fn spawn_upload_stats(
    recordings: Arc<Recordings>,
    every: Duration,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every.max(Duration::from_millis(100)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let last = tokio::select! {
                _ = tick.tick() => false,
                _ = stop.changed() => true,
            };
            if let Err(e) = recordings.flush_upload_stats().await {
                // Tallies are only statistics; a failed write loses a few seconds of them.
                tracing::warn!(error = %e, "upload statistics not written");
            }
            if last {
                return;
            }
        }
    })
}
