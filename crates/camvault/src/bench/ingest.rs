//! `bench ingest`, first half: simulated cameras uploading as fast as the
//! server acknowledges, against writing the same bytes to plain files.
//!
//! The cameras go through the real device API (token, init, segments) and
//! the server through its whole path: HTTP, fMP4 validation, sealing, the
//! blob write, the index row and the live hand-over. The baseline writes as
//! many segments of the same demo clip to files under the same temporary
//! directory with `tokio::fs::write`, from as many concurrent tasks as
//! there were cameras, with no parsing, no encryption and no database. The second half, the
//! real-time capacity search, is in `capacity.rs`.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use domain::clock::SystemClock;
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::report::{Goal, Op, Outcome, Reporter};
use super::server::{BenchServer, OWNER};
use super::sys::{cpu_seconds, free_bytes, mb, quantile, ScratchDir};
use super::{capacity, http_floor, settle, shared_cores_note, Options};
use crate::simulate::{Pacing, SimStats, Simulator};

/// Serial prefix of the fast-run cameras.
const PREFIX: &str = "FAST";

/// Share of the free disk space one phase may fill: the disk is shared.
const DISK_SHARE: f64 = 0.5;
/// The budget when free space cannot be read.
const DEFAULT_BUDGET: u64 = 4_000_000_000;

/// What a fast run measured.
pub(super) struct FastRun {
    /// Free space before, and the bytes the run was allowed to store.
    pub(super) disk: (Option<u64>, u64),
    /// Whether the run stopped early at its disk budget.
    pub(super) budget_hit: bool,
    pub(super) elapsed: Duration,
    pub(super) cpu: Option<f64>,
    pub(super) stored: u64,
    pub(super) refused: u64,
    pub(super) failed: u64,
    pub(super) bytes: u64,
    pub(super) p50_ms: Option<f64>,
    pub(super) p99_ms: Option<f64>,
}

/// What the plain-write baseline measured.
struct PlainRun {
    elapsed: Duration,
    cpu: Option<f64>,
    segments: u64,
    bytes: u64,
    p50_ms: Option<f64>,
    p99_ms: Option<f64>,
}

/// The demo clip's media segments, as the simulated cameras send them.
pub fn demo_segments() -> anyhow::Result<Vec<Vec<u8>>> {
    let (_, segments) = media::demo::demo_segments().context("splitting the demo clip")?;
    anyhow::ensure!(!segments.is_empty(), "the demo clip has no segments");
    Ok(segments)
}

/// MB/s one real-time simulated camera sends: the demo clip's bitrate.
pub fn per_camera_mb_s() -> anyhow::Result<f64> {
    let segments = demo_segments()?;
    let bytes: usize = segments.iter().map(Vec::len).sum();
    let secs = segments.len() as f64 * media::demo::DEMO_SEGMENT_SECONDS;
    Ok(bytes as f64 / 1e6 / secs)
}

/// Every acknowledgement latency a simulator recorded, in ms, to its
/// histogram's resolution (about 1.6 %). [`SimStats`] answers quantile
/// queries only; asking for rank k of n for each k gives back each sample,
/// which is what merging several simulators' latencies exactly needs.
pub fn samples_ms(stats: &SimStats) -> Vec<f64> {
    let n: u64 = stats.cameras().iter().map(|c| c.stored).sum();
    (1..=n)
        .filter_map(|k| stats.percentile_ms((k as f64 - 0.5) / n as f64))
        .collect()
}

fn per_mb(cpu: Option<f64>, bytes: u64) -> Option<f64> {
    cpu.filter(|_| bytes > 0).map(|c| c / mb(bytes))
}

/// Free space under `dir`, and the share of it one fast run may store.
pub(super) async fn disk_budget(dir: &Path) -> (Option<u64>, u64) {
    let free = free_bytes(dir).await;
    (
        free,
        free.map_or(DEFAULT_BUDGET, |f| (f as f64 * DISK_SHARE) as u64),
    )
}

async fn fast_run(server: &BenchServer, opts: &Options) -> anyhow::Result<FastRun> {
    let disk = disk_budget(server.dir()).await;
    let (cameras, _) = server.cameras(opts.cameras, PREFIX).await?;
    fast_load(&server.base, cameras, opts.seconds, disk).await
}

/// `cameras` at fast pacing against the server at `base` for `seconds`,
/// stopping early once they have stored `disk.1` bytes.
pub(super) async fn fast_load(
    base: &str,
    cameras: Vec<(String, String)>,
    seconds: u64,
    disk: (Option<u64>, u64),
) -> anyhow::Result<FastRun> {
    let budget = disk.1;
    let sim = Simulator::new(base, cameras, Pacing::Fast, Arc::new(SystemClock))?;
    let stats = sim.stats();
    let (stop, stopped) = watch::channel(false);
    let cpu0 = cpu_seconds();
    let started = Instant::now();
    let task = sim.spawn(stopped);
    let deadline = started + Duration::from_secs(seconds);
    let mut budget_hit = false;
    // At hundreds of MB/s a 20 s run can fill a small disk: stop at the
    // budget instead, which leaves the rate measured just as valid.
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        if left.is_zero() {
            break;
        }
        tokio::time::sleep(left.min(Duration::from_millis(250))).await;
        if stats.cameras().iter().map(|c| c.bytes).sum::<u64>() >= budget {
            budget_hit = true;
            break;
        }
    }
    let _ = stop.send(true);
    task.await
        .context("the simulated cameras stopped abnormally")?;
    let elapsed = started.elapsed();
    let cpu = cpu_seconds().zip(cpu0).map(|(b, a)| b - a);
    let snap = stats.snapshot();
    Ok(FastRun {
        disk,
        budget_hit,
        elapsed,
        cpu,
        stored: snap.stored,
        refused: snap.refused,
        failed: snap.failed,
        bytes: snap.bytes,
        p50_ms: snap.p50_ms,
        p99_ms: snap.p99_ms,
    })
}

/// Writes `count` demo segments to files under `dir` from `tasks` tasks.
async fn plain_writes(
    dir: &Path,
    tasks: usize,
    count: u64,
    segments: Arc<Vec<Vec<u8>>>,
) -> anyhow::Result<PlainRun> {
    let root = dir.to_path_buf();
    let tasks = tasks.max(1);
    let cpu0 = cpu_seconds();
    let started = Instant::now();
    let mut set = JoinSet::new();
    for t in 0..tasks {
        let share = count / tasks as u64 + u64::from((t as u64) < count % tasks as u64);
        let (root, segments) = (root.clone(), segments.clone());
        set.spawn(async move {
            let mut latencies = Vec::with_capacity(share as usize);
            let mut bytes = 0u64;
            for k in 0..share {
                let seg = &segments[(t + k as usize) % segments.len()];
                let at = Instant::now();
                tokio::fs::write(root.join(format!("{t}-{k}.m4s")), seg).await?;
                latencies.push(at.elapsed().as_secs_f64() * 1000.0);
                bytes += seg.len() as u64;
            }
            anyhow::Ok((latencies, bytes))
        });
    }
    let (mut latencies, mut bytes) = (Vec::new(), 0u64);
    while let Some(joined) = set.join_next().await {
        let (l, b) = joined??;
        latencies.extend(l);
        bytes += b;
    }
    let elapsed = started.elapsed();
    let cpu = cpu_seconds().zip(cpu0).map(|(b, a)| b - a);
    Ok(PlainRun {
        elapsed,
        cpu,
        segments: latencies.len() as u64,
        bytes,
        p50_ms: quantile(&latencies, 0.5),
        p99_ms: quantile(&latencies, 0.99),
    })
}

/// The fast run, then its baseline once the server and its files are gone,
/// so the baseline also starts with the page cache free of dirty data.
async fn measure(
    opts: &Options,
    rep: &Reporter,
) -> anyhow::Result<(FastRun, PlainRun, http_floor::Floor)> {
    let segments = Arc::new(demo_segments()?);
    let server = BenchServer::start("ingest").await?;
    let fast = fast_run(&server, opts).await;
    let stopped = server.stop().await;
    let fast = fast?;
    stopped?;
    settle(rep).await;
    let dir = ScratchDir::new("plain-writes")?;
    let plain = plain_writes(
        dir.path(),
        opts.cameras,
        fast.stored.max(1),
        segments.clone(),
    )
    .await?;
    drop(dir);
    settle(rep).await;
    let dir = ScratchDir::new("http-floor")?;
    let floor = http_floor::run(dir.path(), opts.cameras, fast.stored.max(1), segments).await?;
    drop(dir);
    settle(rep).await;
    Ok((fast, plain, floor))
}

/// Runs the benchmark: the fast run, then the real-time capacity search.
pub async fn run(opts: &Options, rep: &mut Reporter) -> anyhow::Result<()> {
    rep.progress(&format!(
        "ingest: {} cameras at fast pacing for {} s, then the same number of plain file writes",
        opts.cameras, opts.seconds
    ));
    let (fast, plain, floor) = measure(opts, rep).await?;
    let rate = |bytes: u64, d: Duration| mb(bytes) / d.as_secs_f64().max(1e-9);
    let fast_mb_s = rate(fast.bytes, fast.elapsed);
    let gb = |b: u64| b as f64 / 1e9;
    let shared = shared_cores_note();
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let mut throughput = Outcome::new(
        "ingest.throughput",
        "stored MB/s, simulated cameras at fast pacing",
        "MB/s",
        Some(fast_mb_s),
        "tokio::fs::write of as many demo segments, same disk and concurrency, no processing",
        Some(rate(plain.bytes, plain.elapsed)),
    )
    .goal(Goal::ratio(Op::AtLeast, 0.8, "ratio >= 0.8"))
    .detail("cameras", opts.cameras)
    .detail("seconds", fast.elapsed.as_secs_f64())
    .detail("segments_stored", fast.stored)
    .detail("segments_refused", fast.refused)
    .detail("segments_failed", fast.failed)
    .detail("stored_mb", mb(fast.bytes))
    .detail("ack_p50_ms", fast.p50_ms)
    .detail("ack_p99_ms", fast.p99_ms)
    .detail("plain_segments", plain.segments)
    .detail("plain_seconds", plain.elapsed.as_secs_f64())
    .detail("http_floor_mb_s", rate(floor.bytes, floor.elapsed))
    .detail(
        "http_floor_ratio_to_plain",
        rate(floor.bytes, floor.elapsed) / rate(plain.bytes, plain.elapsed).max(1e-9),
    )
    .detail(
        "ratio_to_http_floor",
        fast_mb_s / rate(floor.bytes, floor.elapsed).max(1e-9),
    )
    .detail("http_floor_cpu_s_per_mb", per_mb(floor.cpu, floor.bytes))
    .detail("disk_free_gb", fast.disk.0.map(gb))
    .detail("disk_budget_gb", gb(fast.disk.1))
    .note(format!(
        "account {OWNER}; segments are the demo clip's, about 2 Mbit/s"
    ))
    .note(shared.clone());
    if fast.budget_hit {
        throughput = throughput.note(format!(
            "stopped after {:.1} s of {} s: the disk budget ({:.1} GB, half the free space) was stored",
            fast.elapsed.as_secs_f64(),
            opts.seconds,
            gb(fast.disk.1)
        ));
    }
    rep.emit(throughput);
    rep.emit(
        Outcome::new(
            "ingest.cpu",
            "process CPU seconds per stored MB (utime+stime)",
            "s/MB",
            per_mb(fast.cpu, fast.bytes),
            "CPU seconds per MB of the plain file writes",
            per_mb(plain.cpu, plain.bytes),
        )
        .detail("cpu_seconds", fast.cpu)
        .detail(
            "cpu_busy_share_of_all_cores",
            fast.cpu.map(|c| c / fast.elapsed.as_secs_f64() / cores as f64),
        )
        .detail("plain_cpu_seconds", plain.cpu)
        .note("the simulated cameras run in this process: their CPU (re-timing segments, HTTP client) is included")
        .note("kernel writeback of dirty pages happens in other threads and is not counted for either"),
    );
    rep.emit(
        Outcome::new(
            "ingest.ack_p99",
            "segment-ack latency p99 at fast pacing",
            "ms",
            fast.p99_ms,
            "p99 of one tokio::fs::write of a segment in the baseline",
            plain.p99_ms,
        )
        .detail("ack_p50_ms", fast.p50_ms)
        .detail("plain_write_p50_ms", plain.p50_ms)
        .note("fast pacing saturates the server, so this is mostly queueing; the latency goal is judged at real-time pacing in ingest.capacity")
        .note(shared),
    );
    let per_camera = per_camera_mb_s()?;
    capacity::run(opts, fast_mb_s, per_camera, rep).await
}
