//! `bench ingest`, second half: how many cameras recording in real time one
//! server keeps with segment acknowledgements under 20 ms at p99.
//!
//! Real-time cameras each send one 2 s segment every 2 s. Real cameras are
//! not synchronised, but all cameras of one [`Simulator`] start together
//! and so upload in lockstep, which would measure bursts instead. So each
//! step runs up to [`MAX_GROUPS`] simulators started at evenly spread
//! phases of the 2 s period, and their latencies are merged sample by
//! sample (see [`samples_ms`]). Steps grow until one misses the goal.

use std::sync::Arc;
use std::time::{Duration, Instant};

use domain::clock::SystemClock;
use serde_json::json;
use tokio::sync::watch;

use super::ingest::samples_ms;
use super::report::{Goal, Op, Outcome, Reporter};
use super::server::BenchServer;
use super::sys::{free_bytes, mb, quantile, remove_segment_blobs};
use super::{settle, shared_cores_note, Options};
use crate::simulate::{Pacing, SimStats, Simulator};

/// Serial prefix of the real-time cameras.
const PREFIX: &str = "RT";
/// The acknowledgement p99 a step must stay under, in ms.
const P99_GOAL_MS: f64 = 20.0;
/// The camera count the capacity should reach.
const CAMERAS_GOAL: f64 = 200.0;
/// At most this many phases (simulators) per step: each holds its own copy
/// of the demo clip (about 3 MB), so one per camera would cost too much at
/// large counts, while more than a few cameras per phase would be a burst.
const MAX_GROUPS: usize = 200;
/// Free disk a step needs, as a multiple of the bytes its cameras send.
const DISK_MARGIN: f64 = 1.5;
/// Unmeasured real-time running before each step: two segment periods,
/// so every camera has uploaded once.
const WARMUP: Duration = Duration::from_secs(4);

/// One step of the search.
struct Step {
    cameras: usize,
    seconds: f64,
    stored: u64,
    refused: u64,
    failed: u64,
    bytes: u64,
    /// Process CPU seconds over the measured run.
    cpu: Option<f64>,
    p50_ms: Option<f64>,
    p99_ms: Option<f64>,
    p999_ms: Option<f64>,
    max_ms: Option<f64>,
}

impl Step {
    fn passed(&self) -> bool {
        self.stored > 0
            && self.failed == 0
            && self.refused == 0
            && self.p99_ms.is_some_and(|p| p < P99_GOAL_MS)
    }

    fn json(&self) -> serde_json::Value {
        json!({
            "cameras": self.cameras,
            "seconds": self.seconds,
            "segments_stored": self.stored,
            "segments_refused": self.refused,
            "segments_failed": self.failed,
            "stored_mb_s": mb(self.bytes) / self.seconds.max(1e-9),
            "ack_p50_ms": self.p50_ms,
            "ack_p99_ms": self.p99_ms,
            "ack_p999_ms": self.p999_ms,
            "ack_max_ms": self.max_ms,
            "pass": self.passed(),
        })
    }
}

/// Camera counts to try: 50, 100, then every 100 up to `max`, and `max`.
fn steps(max: usize) -> Vec<usize> {
    let mut out: Vec<usize> = [50, 100]
        .into_iter()
        .chain((200..=max).step_by(100))
        .filter(|&n| n <= max)
        .collect();
    if out.last() != Some(&max) && max > 0 {
        out.push(max);
    }
    out
}

/// Runs `cameras` in real time at spread phases for `seconds`; returns each
/// simulator's statistics and the time it took.
async fn spread_run(
    server: &BenchServer,
    cameras: &[(String, String)],
    seconds: f64,
) -> anyhow::Result<(Vec<Arc<SimStats>>, f64)> {
    let n = cameras.len();
    let groups = n.clamp(1, MAX_GROUPS);
    let mut sims = Vec::with_capacity(groups);
    for g in 0..groups {
        let members: Vec<(String, String)> =
            cameras.iter().skip(g).step_by(groups).cloned().collect();
        sims.push(Simulator::new(
            &server.base,
            members,
            Pacing::RealTime,
            Arc::new(SystemClock),
        )?);
    }
    let stats: Vec<_> = sims.iter().map(Simulator::stats).collect();
    let period = Duration::from_secs_f64(media::demo::DEMO_SEGMENT_SECONDS);
    let (stop, stopped) = watch::channel(false);
    let started = Instant::now();
    let tasks: Vec<_> = sims
        .into_iter()
        .enumerate()
        .map(|(g, sim)| {
            let stopped = stopped.clone();
            let phase = period.mul_f64(g as f64 / groups as f64);
            tokio::spawn(async move {
                tokio::time::sleep(phase).await;
                sim.run(stopped).await;
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
    let _ = stop.send(true);
    for t in tasks {
        t.await?;
    }
    Ok((stats, started.elapsed().as_secs_f64()))
}

/// One step: an unmeasured warm-up, then the measured run.
async fn step(
    server: &BenchServer,
    cameras: &[(String, String)],
    seconds: u64,
) -> anyhow::Result<Step> {
    // First contact costs what a running camera does not pay again: its
    // token, its init and the day's media key. Simulators count from their
    // start, so the warm-up runs on simulators of its own.
    spread_run(server, cameras, WARMUP.as_secs_f64()).await?;
    let cpu0 = super::sys::cpu_seconds();
    let (stats, elapsed) = spread_run(server, cameras, seconds as f64).await?;
    let cpu = super::sys::cpu_seconds().zip(cpu0).map(|(b, a)| b - a);
    let mut samples = Vec::new();
    let (mut stored, mut refused, mut failed, mut bytes) = (0, 0, 0, 0);
    for s in &stats {
        samples.extend(samples_ms(s));
        let snap = s.snapshot();
        stored += snap.stored;
        refused += snap.refused;
        failed += snap.failed;
        bytes += snap.bytes;
    }
    Ok(Step {
        cameras: cameras.len(),
        seconds: elapsed,
        stored,
        refused,
        failed,
        bytes,
        cpu,
        p50_ms: quantile(&samples, 0.5),
        p99_ms: quantile(&samples, 0.99),
        p999_ms: quantile(&samples, 0.999),
        max_ms: quantile(&samples, 1.0),
    })
}

/// The steps run, and the camera count the disk had no room for, if any.
async fn search(
    opts: &Options,
    per_camera_mb_s: f64,
    rep: &Reporter,
) -> anyhow::Result<(Vec<Step>, Option<usize>)> {
    let server = BenchServer::start("capacity").await?;
    let result = async {
        let max = opts.max_cameras.max(1);
        rep.progress(&format!("ingest.capacity: provisioning {max} cameras"));
        let at = Instant::now();
        let (cameras, _) = server.cameras(max, PREFIX).await?;
        rep.progress(&format!(
            "ingest.capacity: provisioned in {:.1} s",
            at.elapsed().as_secs_f64()
        ));
        settle(rep).await;
        let mut done = Vec::new();
        for n in steps(max) {
            let secs = opts.seconds as f64 + WARMUP.as_secs_f64();
            let need = n as f64 * per_camera_mb_s * 1e6 * secs * DISK_MARGIN;
            if let Some(free) = free_bytes(server.dir()).await {
                if (free as f64) < need {
                    rep.progress(&format!(
                        "ingest.capacity: {n} cameras need about {:.1} GB of disk, {:.1} GB free: stopping",
                        need / 1e9,
                        free as f64 / 1e9
                    ));
                    return anyhow::Ok((done, Some(n)));
                }
            }
            let s = step(&server, &cameras[..n], opts.seconds).await?;
            // Nobody reads these segments again; deleting them keeps the
            // search within a small disk. The index rows stay.
            remove_segment_blobs(server.dir().to_path_buf()).await;
            settle(rep).await;
            rep.progress(&format!(
                "ingest.capacity: {n} real-time cameras: ack p50 {} ms, p99 {} ms, {} stored, {} failed -> {}",
                super::report::num(s.p50_ms),
                super::report::num(s.p99_ms),
                s.stored,
                s.failed,
                if s.passed() { "pass" } else { "fail" }
            ));
            let passed = s.passed();
            done.push(s);
            // Larger counts only add load; stopping here saves minutes.
            if !passed {
                break;
            }
        }
        anyhow::Ok((done, None))
    }
    .await;
    let stopped = server.stop().await;
    let result = result?;
    stopped?;
    Ok(result)
}

/// Runs the search; `fast_mb_s` is the fast run's stored MB/s, from which
/// the baseline (the cameras that throughput would carry) is derived.
pub async fn run(
    opts: &Options,
    fast_mb_s: f64,
    per_camera_mb_s: f64,
    rep: &mut Reporter,
) -> anyhow::Result<()> {
    let (done, no_room) = search(opts, per_camera_mb_s, rep).await?;
    let best = done
        .iter()
        .filter(|s| s.passed())
        .map(|s| s.cameras)
        .max()
        .unwrap_or(0);
    let tried_max = done.last().is_some_and(|s| s.cameras >= opts.max_cameras);
    let mut o = Outcome::new(
        "ingest.capacity",
        "most real-time cameras with segment-ack p99 < 20 ms",
        "cameras",
        Some(best as f64),
        "cameras the fast run's stored MB/s would carry at the demo clip's bitrate",
        (per_camera_mb_s > 0.0).then(|| fast_mb_s / per_camera_mb_s),
    )
    .goal(Goal::value(Op::AtLeast, CAMERAS_GOAL, "value >= 200 cameras"))
    .detail("steps", done.iter().map(Step::json).collect::<Vec<_>>())
    .detail("per_camera_mbit_s", per_camera_mb_s * 8.0)
    .detail("step_seconds", opts.seconds)
    .note(format!(
        "real-time pacing, cameras spread over up to {MAX_GROUPS} phases of the 2 s period; a step also fails on any failed upload"
    ))
    .note("each step starts with an unmeasured 4 s warm-up (tokens, inits, the day's media keys)")
    .note("between steps the stored segments are deleted (disk space) and the disk left to settle")
    .note(shared_cores_note());
    if let Some(n) = no_room {
        o = o.note(format!(
            "the search stopped before {n} cameras: not enough free disk for that step"
        ));
    }
    if tried_max && best == opts.max_cameras {
        o = o.note(format!(
            "every step passed up to --max-cameras {}: the capacity is at least that",
            opts.max_cameras
        ));
    }
    rep.emit(o);
    // The sizing load: the 200-camera step against paced plain writes.
    let paced = done
        .iter()
        .find(|s| s.cameras as f64 == CAMERAS_GOAL)
        .or(done.last());
    if let Some(s) = paced {
        let run = super::paced::PacedRun {
            cameras: s.cameras,
            seconds: s.seconds,
            bytes: s.bytes,
            cpu: s.cpu,
            p99_ms: s.p99_ms,
        };
        let segments = Arc::new(super::ingest::demo_segments()?);
        super::paced::report(&run, segments, rep).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_counts() {
        assert_eq!(steps(400), vec![50, 100, 200, 300, 400]);
        assert_eq!(steps(250), vec![50, 100, 200, 250]);
        assert_eq!(steps(2), vec![2]);
        assert_eq!(steps(100), vec![50, 100]);
    }
}
