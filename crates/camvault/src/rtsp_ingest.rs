//! RTSP pull ingest (B7): one task per IP camera that should be recording,
//! feeding the same pipeline as cameras that push.
//!
//! A supervisor compares, every `rescan` interval, the cameras that should
//! be pulled (bound, not in privacy mode, recording not off) with the
//! running tasks: new ones start, removed ones stop, and a changed URL or
//! credentials restart the task. Each task runs `media::rtsp_pull::pull`
//! (reconnects with back-off) and hands its init and segments to
//! [`Recordings`], which applies the schedule and the audio setting and
//! encrypts, exactly as for uploaded segments. Each stored segment also goes
//! to the camera's motion detector ([`crate::motion_watch`]).
//!
//! Of several instances sharing a database, each camera is pulled by one:
//! the supervisor holds a lease per camera (`rtsp:<id>` in `job_leases`),
//! renewed at every scan, and starts a pull only while it holds it. When an
//! instance dies, its cameras' leases run out and other instances' next
//! scans take them over.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use domain::cameras::device::Heartbeat;
use domain::cameras::rtsp::PullSource;
use domain::cameras::Cameras;
use domain::clock::{Clock, Timestamp};
use domain::events::Events;
use domain::ids::CameraId;
use domain::ports::JobLeaseStore;
use domain::recordings::ingest::SegmentUpload;
use domain::recordings::uploads::UploadOutcome;
use domain::recordings::Recordings;
use media::rtsp_pull::{self, PullEvent};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::motion_watch::MotionWatch;

/// Target segment length: 2 s keeps live latency low and playback seeks fine.
const SEGMENT_SECS: f64 = 2.0;

/// What the pull needs from the server.
#[derive(Clone)]
pub struct PullDeps {
    /// Cameras (sources, settings, facts).
    pub cameras: Arc<Cameras>,
    /// The recording pipeline.
    pub recordings: Arc<Recordings>,
    /// Events, for the motion the server detects.
    pub events: Arc<Events>,
    /// Wall-clock time for segment timestamps.
    pub clock: Arc<dyn Clock>,
    /// Leases, so one instance pulls each camera.
    pub leases: Arc<dyn JobLeaseStore>,
    /// This instance's name on its leases.
    pub instance: String,
}

/// The lease name of a camera's pull.
fn lease_name(camera: CameraId) -> String {
    format!("rtsp:{}", camera.0)
}

struct Running {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
    /// URL and credentials it was started with: a change restarts it.
    source: (String, Option<String>, Option<String>),
}

fn identity(s: &PullSource) -> (String, Option<String>, Option<String>) {
    (s.url.clone(), s.username.clone(), s.password.clone())
}

/// Runs the supervisor until `stop` turns true; then stops every pull.
pub fn spawn(deps: PullDeps, rescan: Duration, mut stop: watch::Receiver<bool>) -> JoinHandle<()> {
    // Renewed every scan; three missed scans hand the camera to another instance.
    let lease = (rescan * 3).max(Duration::from_secs(3));
    tokio::spawn(async move {
        let mut running: HashMap<CameraId, Running> = HashMap::new();
        let mut tick = tokio::time::interval(rescan.max(Duration::from_millis(100)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stop.changed() => break,
            }
            if let Err(e) = reconcile(&deps, &mut running, lease).await {
                // The next scan retries; running pulls keep going meanwhile.
                tracing::error!(error = %e, "rtsp pull scan failed");
            }
        }
        for (id, r) in running.drain() {
            let _ = r.stop.send(true);
            let _ = r.task.await;
            // Another instance may take the camera over at once.
            release(&deps, id).await;
        }
    })
}

async fn release(deps: &PullDeps, camera: CameraId) {
    if let Err(e) = deps
        .leases
        .release_lease(&lease_name(camera), &deps.instance)
        .await
    {
        tracing::warn!(camera = %camera, error = %e, "rtsp pull lease not released");
    }
}

async fn reconcile(
    deps: &PullDeps,
    running: &mut HashMap<CameraId, Running>,
    lease: Duration,
) -> domain::Result<()> {
    let wanted = deps.cameras.cameras_to_pull().await?;
    let mut keep = Vec::with_capacity(wanted.len());
    for camera in wanted {
        let now = deps.clock.now();
        let held = deps
            .leases
            .take_lease(&lease_name(camera.id), &deps.instance, now, now.plus(lease))
            .await?;
        if !held {
            // Another instance pulls it (or took it over from this one).
            continue;
        }
        let source = match deps.cameras.pull_source(&camera).await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(camera = %camera.id, error = %e, "rtsp camera source unreadable");
                continue;
            }
        };
        let print = identity(&source);
        keep.push(camera.id);
        match running.get(&camera.id) {
            Some(r) if r.source == print && !r.task.is_finished() => continue,
            Some(_) => {
                if let Some(old) = running.remove(&camera.id) {
                    let _ = old.stop.send(true);
                }
            }
            None => {}
        }
        tracing::info!(camera = %camera.id, url = %media::rtsp::redact_url(&source.url), "rtsp pull starting");
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(run_camera(deps.clone(), camera.id, source, stopped));
        running.insert(
            camera.id,
            Running {
                stop,
                task,
                source: print,
            },
        );
    }
    let mut dropped = Vec::new();
    running.retain(|id, r| {
        let wanted = keep.contains(id);
        if !wanted {
            tracing::info!(camera = %id, "rtsp pull stopping");
            let _ = r.stop.send(true);
            dropped.push(*id);
        }
        wanted
    });
    for id in dropped {
        release(deps, id).await;
    }
    Ok(())
}

async fn run_camera(deps: PullDeps, id: CameraId, source: PullSource, stop: watch::Receiver<bool>) {
    let (tx, mut rx) = mpsc::channel(16);
    let clock = deps.clock.clone();
    let now: rtsp_pull::WallClock = Arc::new(move || clock.now().ms());
    let pull = tokio::spawn(rtsp_pull::pull(
        rtsp_pull::PullSource {
            url: source.url,
            username: source.username,
            password: source.password,
        },
        SEGMENT_SECS,
        now,
        tx,
        stop,
    ));
    let mut init_id = None;
    let motion = MotionWatch::spawn(deps.events.clone());
    while let Some(event) = rx.recv().await {
        if let Err(e) = handle(&deps, id, &mut init_id, &motion, event).await {
            tracing::warn!(camera = %id, error = %e, "rtsp segment not stored");
        }
    }
    let _ = pull.await;
}

async fn handle(
    deps: &PullDeps,
    id: CameraId,
    init_id: &mut Option<i64>,
    motion: &MotionWatch,
    event: PullEvent,
) -> domain::Result<()> {
    // Fresh settings for every event: privacy, schedule and audio apply at once.
    let Some(camera) = deps.cameras.get(id).await? else {
        return Ok(());
    };
    match event {
        PullEvent::Init(bytes) => {
            *init_id = None;
            let (init, _) = deps.recordings.upload_init(&camera, &bytes).await?;
            *init_id = Some(init.id);
            motion.init(bytes).await;
        }
        PullEvent::Segment {
            bytes,
            start_wall_ms,
            ..
        } => {
            let Some(init) = *init_id else {
                return Ok(());
            };
            let started = std::time::Instant::now();
            let copy = bytes.clone();
            let stored = deps
                .recordings
                .upload_segment(
                    &camera,
                    SegmentUpload {
                        device_id: format!("rtsp-{start_wall_ms}"),
                        init_id: init,
                        start: Timestamp(start_wall_ms),
                        bytes,
                    },
                )
                .await;
            let outcome = match &stored {
                Ok(_) => UploadOutcome::Stored,
                Err(domain::Error::Refused(_)) => UploadOutcome::Refused,
                Err(_) => UploadOutcome::Failed,
            };
            deps.recordings.note_upload(id, outcome, started.elapsed());
            match stored {
                Ok(_) => motion.segment(&camera, copy, start_wall_ms),
                Err(domain::Error::Refused(_)) => {}
                Err(e) => return Err(e),
            }
            deps.cameras.heartbeat(&camera, seen()).await?;
        }
        PullEvent::Status {
            connected, reason, ..
        } => {
            // Disconnects only go to the log: a heartbeat would mark the
            // camera as seen. Its last-seen time stops moving instead.
            tracing::info!(camera = %id, connected, reason = reason.unwrap_or(""), "rtsp camera status");
        }
    }
    Ok(())
}

/// A heartbeat on the camera's behalf: the server just received its video.
fn seen() -> Heartbeat {
    Heartbeat {
        firmware_version: None,
        model: None,
        time_zone: None,
        language: None,
        uptime_secs: None,
        signal_dbm: None,
        upload_kbps: None,
        last_error: None,
    }
}
