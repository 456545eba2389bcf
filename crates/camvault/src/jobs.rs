//! Background jobs on intervals from the configuration, stopped on shutdown.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use delivery::MqttPublisher;
use domain::cameras::{Camera, Cameras};
use domain::ports::{JobLeaseStore, RateCountStore};
use domain::recordings::Recordings;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::app::Core;

/// Runs `round` at once and then every `every` (at least `floor`) until
/// `stop` turns true, then `last` once: the shape of every periodic job.
fn spawn_every<R, RF, L, LF>(
    every: Duration,
    floor: Duration,
    mut stop: watch::Receiver<bool>,
    mut round: R,
    last: L,
) -> JoinHandle<()>
where
    R: FnMut() -> RF + Send + 'static,
    RF: Future<Output = ()> + Send,
    L: FnOnce() -> LF + Send + 'static,
    LF: Future<Output = ()> + Send,
{
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every.max(floor));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => round().await,
                _ = stop.changed() => break,
            }
        }
        last().await;
    })
}

/// The lease every instance asks for before a purge round.
const PURGE_JOB: &str = "purge";

/// Every `every` until `stop` turns true, one round of [`purge_round`] if
/// this instance holds the purge lease. Instances sharing a database thus
/// run each round once; the lease lasts three intervals, so when its
/// holder dies another instance takes over within that time.
pub fn spawn_purge(core: Core, every: Duration, stop: watch::Receiver<bool>) -> JoinHandle<()> {
    let every = every.max(Duration::from_secs(1));
    let leased = core.clone();
    let round = move || {
        let core = leased.clone();
        async move {
            let now = core.clock.now();
            let until = now.plus(every * 3);
            match core
                .store
                .take_lease(PURGE_JOB, &core.instance, now, until)
                .await
            {
                Ok(true) => {
                    let run = core
                        .store
                        .start_job_run(PURGE_JOB, &core.instance, now)
                        .await;
                    purge_round(&core).await;
                    match run {
                        Ok(id) => {
                            if let Err(e) = core.store.finish_job_run(id, core.clock.now()).await {
                                tracing::warn!(error = %e, "purge run end not noted");
                            }
                        }
                        Err(e) => tracing::warn!(error = %e, "purge run not noted"),
                    }
                }
                Ok(false) => tracing::debug!("another instance holds the purge lease"),
                Err(e) => tracing::warn!(error = %e, "purge lease not taken"),
            }
        }
    };
    let last = move || async move {
        // Stopping gives the lease up, so another instance need not wait.
        if let Err(e) = core.store.release_lease(PURGE_JOB, &core.instance).await {
            tracing::warn!(error = %e, "purge lease not released");
        }
    };
    spawn_every(every, Duration::from_secs(1), stop, round, last)
}

/// Applies the retention rules of the service log, throttles and requests,
/// prunes usage counts, erases cancelled accounts whose grace period is
/// over, reminds administrators of rights requests due soon, then purges
/// recordings and events past retention. Each step is idempotent: one that
/// fails is retried by the next round.
pub async fn purge_round(core: &Core) {
    let result = core.retention.run(false).await;
    core.metrics.job("retention_rules", result.is_ok());
    match result {
        Ok(items) => {
            for i in items.iter().filter(|i| i.count > 0) {
                tracing::info!(class = i.class, rule = %i.rule, rows = i.count, "retention applied");
            }
        }
        Err(e) => tracing::error!(error = %e, "retention rules not applied"),
    }
    let result = core.usage.purge().await;
    core.metrics.job("usage_prune", result.is_ok());
    if let Err(e) = result {
        tracing::warn!(error = %e, "old usage counts not pruned");
    }
    let result = core.closures.erase_due().await;
    core.metrics.job("account_erasure", result.is_ok());
    match result {
        Ok(0) => {}
        Ok(n) => tracing::info!(accounts = n, "cancelled accounts erased"),
        // Erasure is key-first, so a half-done one is unreadable already.
        Err(e) => tracing::error!(error = %e, "account erasure failed"),
    }
    let result = core.requests.remind().await;
    core.metrics.job("request_reminders", result.is_ok());
    match result {
        Ok(0) => {}
        Ok(n) => tracing::info!(requests = n, "administrators reminded of requests due soon"),
        Err(e) => tracing::error!(error = %e, "request reminders failed"),
    }
    // Periods end before the purge, so it applies the plans that hold now.
    let result = core.billing.roll_periods().await;
    core.metrics.job("plan_periods", result.is_ok());
    match result {
        Ok(0) => {}
        Ok(n) => tracing::info!(orders = n, "plan periods rolled"),
        Err(e) => tracing::error!(error = %e, "plan periods not rolled"),
    }
    let result = core
        .store
        .prune_request_counts(core.clock.now().minus(Duration::from_secs(120)))
        .await;
    core.metrics.job("request_counts", result.is_ok());
    if let Err(e) = result {
        tracing::warn!(error = %e, "old request counts not pruned");
    }
    let result = core
        .store
        .prune_job_runs(core.clock.now().minus(Duration::from_secs(30 * 86_400)))
        .await;
    core.metrics.job("job_runs", result.is_ok());
    if let Err(e) = result {
        tracing::warn!(error = %e, "old job runs not pruned");
    }
    let result = core.cluster.prune().await;
    core.metrics.job("cluster_messages", result.is_ok());
    if let Err(e) = result {
        tracing::warn!(error = %e, "old cluster messages not pruned");
    }
    let result = core.album.drop_abandoned_uploads().await;
    core.metrics.job("abandoned_uploads", result.is_ok());
    match result {
        Ok(0) => {}
        Ok(n) => tracing::info!(uploads = n, "abandoned album uploads dropped"),
        Err(e) => tracing::warn!(error = %e, "abandoned album uploads not dropped"),
    }
    let result = core.recordings.purge().await;
    core.metrics.job("recording_purge", result.is_ok());
    match result {
        Ok(r) if r != Default::default() => tracing::info!(
            expired = r.expired,
            outside_events = r.outside_events,
            over_quota = r.over_quota,
            keys_destroyed = r.keys_destroyed,
            "retention purge"
        ),
        Ok(_) => {}
        Err(e) => tracing::error!(error = %e, "retention purge failed"),
    }
    let days = core.recordings.config().retention_days;
    let result = core.events.purge(days).await;
    core.metrics.job("event_purge", result.is_ok());
    match result {
        Ok(0) => {}
        Ok(n) => tracing::info!(events = n, "expired events purged"),
        Err(e) => tracing::error!(error = %e, "event purge failed"),
    }
}

/// Signs the audit log's head every `every` (when it grew) until `stop`
/// turns true, and once more then: entries deleted from the end of the log
/// show once a checkpoint covers them. The first round is one interval
/// after start-up, which signs what an earlier run left unsigned itself.
pub fn spawn_audit_checkpoints(
    audit: Arc<domain::audit::AuditLog>,
    every: Duration,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    let every = every.max(Duration::from_secs(1));
    tokio::spawn(async move {
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => checkpoint(&audit).await,
                _ = stop.changed() => break,
            }
        }
        checkpoint(&audit).await;
    })
}

async fn checkpoint(audit: &domain::audit::AuditLog) {
    match audit.checkpoint().await {
        Ok(Some(c)) => tracing::debug!(seq = c.seq, "audit log checkpoint signed"),
        Ok(None) => {}
        Err(e) => tracing::error!(error = %e, "audit log checkpoint failed"),
    }
}

/// Writes upload statistics every `every` until `stop` turns true, and once more then.
pub fn spawn_upload_stats(
    recordings: Arc<Recordings>,
    every: Duration,
    stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    let flush = move || {
        let recordings = recordings.clone();
        async move {
            if let Err(e) = recordings.flush_upload_stats().await {
                // Tallies are only statistics; a failed write loses a few seconds of them.
                tracing::warn!(error = %e, "upload statistics not written");
            }
        }
    };
    let last = flush.clone();
    spawn_every(every, Duration::from_millis(100), stop, flush, last)
}

/// Cameras read per page of the registry.
const CAMERA_PAGE: i64 = 200;

/// Publishes every bound camera's state and Home Assistant discovery to
/// MQTT at once and then every `every`; when `stop` turns true, says
/// camvault is offline and disconnects.
pub fn spawn_mqtt_state(
    cameras: Arc<Cameras>,
    mqtt: Arc<MqttPublisher>,
    every: Duration,
    stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    let publisher = mqtt.clone();
    // The first tick is immediate: the broker hears of every camera at start.
    let round = move || {
        let (cameras, mqtt) = (cameras.clone(), publisher.clone());
        async move {
            // The next round retries; every publication is retained and idempotent.
            if let Err(e) = publish_mqtt_state(&cameras, &mqtt).await {
                tracing::warn!(error = %e, "MQTT camera state not published");
            }
        }
    };
    spawn_every(
        every,
        Duration::from_secs(1),
        stop,
        round,
        move || async move {
            mqtt.shutdown().await;
        },
    )
}

/// One round of [`spawn_mqtt_state`]: every bound camera with whether it is online.
pub async fn publish_mqtt_state(cameras: &Cameras, mqtt: &MqttPublisher) -> domain::Result<()> {
    let mut bound: Vec<(Camera, bool)> = Vec::new();
    let mut offset = 0;
    loop {
        let page = cameras.registry(CAMERA_PAGE, offset).await?;
        let full = page.len() as i64 == CAMERA_PAGE;
        for camera in page.into_iter().filter(|c| c.owner.is_some()) {
            let online = cameras.is_online(&camera);
            bound.push((camera, online));
        }
        if !full {
            break;
        }
        offset += CAMERA_PAGE;
    }
    mqtt.publish_cameras(&bound).await
}

/// Sends due webhook deliveries every `every`, and at once when new ones
/// are queued, until `stop` turns true. An attempt in flight at shutdown
/// finishes first; anything left is still queued in the database.
pub fn spawn_webhooks(
    webhooks: Arc<domain::events::webhooks::Webhooks>,
    every: Duration,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every.max(Duration::from_millis(100)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = webhooks.woken() => {}
                _ = stop.changed() => return,
            }
            // Sent ones are rescheduled or done, so this drains what is due.
            loop {
                match webhooks.send_due().await {
                    Ok(n) if n > 0 && !*stop.borrow() => continue,
                    Ok(_) => break,
                    // The next tick retries; deliveries stay queued.
                    Err(e) => {
                        tracing::error!(error = %e, "webhook deliveries failed");
                        break;
                    }
                }
            }
        }
    })
}
