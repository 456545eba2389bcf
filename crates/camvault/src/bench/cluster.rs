//! `bench cluster`: instances sharing one database and one blob store.
//!
//! **Live relay.** Two servers, A and B, run in this process on one
//! database (SQLite by default, or `--database-url`), one master key, one
//! key vault and one blob directory. Simulated cameras upload to A in real
//! time; each camera has one WebSocket viewer on A (local, the baseline)
//! and one on B (remote: A names each new segment in `cluster_messages`, B
//! reads it from the shared stores and feeds its viewer). A sample is the
//! time from a segment's arrival at A's ingest handler, read from A's own
//! live feed in this process, to a viewer's client holding the whole
//! message; servers and clients share one monotonic clock.
//!
//! **S3 ingest.** With `--s3-endpoint` (or `CAMVAULT_BENCH_S3_ENDPOINT`),
//! the fast-pacing ingest load of `bench ingest` runs once against a server
//! keeping its blobs on the local disk and once against one keeping them in
//! a fresh bucket on that endpoint.

use std::collections::{HashMap, HashSet};
use std::hash::{DefaultHasher, Hasher};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use domain::clock::SystemClock;
use domain::ids::CameraId;
use domain::recordings::live::LiveSegment;
use futures_util::StreamExt;
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;

use super::ingest::{disk_budget, fast_load, samples_ms, FastRun};
use super::report::{Outcome, Reporter};
use super::server::BenchServer;
use super::sys::{mb, quantile, ScratchDir};
use super::{settle, shared_cores_note, Options};
use crate::app::Deps;
use crate::config::Config;
use crate::simulate::{Pacing, Simulator};

/// Serial prefix of the relayed cameras.
const PREFIX: &str = "CLU";
/// Serial prefix of the cameras of the S3 ingest runs.
const INGEST_PREFIX: &str = "CLS";
/// How long viewers get to subscribe (and A to hear of B's) before the cameras start.
const SUBSCRIBE_WAIT: Duration = Duration::from_secs(10);
/// After the cameras stop, time for the last segments to reach every viewer.
const DRAIN: Duration = Duration::from_secs(1);
/// Segments arriving at A this close to the cameras' stop are not counted:
/// the stop may cut their handling short.
const TAIL: Duration = Duration::from_millis(500);
/// Most an S3 run stores: moto keeps every object in memory.
const S3_BUDGET: u64 = 2_000_000_000;
/// The period of a real-time camera, over which camera starts are spread.
const PERIOD: Duration = Duration::from_secs(2);

/// Points a bench server's settings at the stores the instances share
/// under `root` (database `db`), or at blobs in `s3` (an endpoint and a
/// bucket) when given.
fn share(c: &mut Config, root: Option<&Path>, db: Option<&str>, s3: Option<&(String, String)>) {
    if let Some(root) = root {
        c.master_key_file = Some(root.join("master.key"));
        c.key_vault_dir = Some(root.join("keys"));
        c.blob_dir = Some(root.join("blobs"));
    }
    if let Some(db) = db {
        c.database_url = Some(db.into());
    }
    if let Some((endpoint, bucket)) = s3 {
        // Real credentials from the environment win; moto takes any.
        let cred = |var: &str| std::env::var_os(var).is_none().then(|| "bench".to_string());
        c.blob_bucket = Some(bucket.clone());
        c.s3_endpoint = Some(endpoint.clone());
        c.s3_access_key_id = cred("AWS_ACCESS_KEY_ID");
        c.s3_secret_access_key = cred("AWS_SECRET_ACCESS_KEY");
        c.s3_path_style = true;
        c.s3_allow_http = endpoint.starts_with("http://");
    }
}

/// Identifies a segment's bytes (different per camera only with the camera).
fn digest(bytes: &[u8]) -> u64 {
    let mut h = DefaultHasher::new();
    h.write(bytes);
    h.finish()
}

/// Segment digests and when they arrived (at A, or at a viewer's client).
type Seen = Vec<(u64, Instant)>;

/// Resolves once `stop` reads true or its sender is gone.
async fn stopped(stop: &mut watch::Receiver<bool>) {
    while !*stop.borrow_and_update() {
        if stop.changed().await.is_err() {
            return;
        }
    }
}

/// Every segment A's live feed of one camera carried: its digest and arrival.
fn probe(
    mut rx: broadcast::Receiver<Arc<LiveSegment>>,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<Seen> {
    tokio::spawn(async move {
        let mut got = Vec::new();
        loop {
            tokio::select! {
                seg = rx.recv() => match seg {
                    Ok(seg) => got.push((digest(&seg.data), seg.arrived)),
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => break,
                },
                _ = stopped(&mut stop) => break,
            }
        }
        got
    })
}

/// A WebSocket viewer; its task returns each media segment's digest and
/// when the whole message was read.
async fn viewer(
    url: String,
    token: &str,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<JoinHandle<Seen>> {
    let mut ws = super::live::live_socket(&url, token).await?;
    Ok(tokio::spawn(async move {
        let (mut got, mut init_next) = (Vec::new(), false);
        loop {
            tokio::select! {
                msg = ws.next() => match msg {
                    Some(Ok(Message::Binary(data))) => {
                        let at = Instant::now();
                        // An init description (text) is followed by the init.
                        if !std::mem::take(&mut init_next) {
                            got.push((digest(&data[..]), at));
                        }
                    }
                    Some(Ok(Message::Text(_))) => init_next = true,
                    Some(Ok(_)) => {}
                    _ => break,
                },
                _ = stopped(&mut stop) => {
                    let _ = ws.close(None).await;
                    break;
                }
            }
        }
        got
    }))
}

/// What the relay phase measured, in ms.
#[derive(Default)]
struct Relay {
    local: Vec<f64>,
    remote: Vec<f64>,
    /// Remote minus local latency of the same segment.
    extra: Vec<f64>,
    /// Segments counted, and left out (see [`tally`]).
    segments: usize,
    excluded: usize,
    /// Counted segments a viewer never got, and viewer segments A never had.
    missed_local: usize,
    missed_remote: usize,
    unknown: usize,
    ack: Vec<f64>,
    failed: u64,
}

/// Matches one camera's viewer segments with their arrival at A. Counted:
/// A's segments that arrived before `cutoff`, after the first if `warm`.
fn tally(r: &mut Relay, fed: &Seen, (local, remote): (&Seen, &Seen), warm: bool, cutoff: Instant) {
    let (mut counted, mut left_out) = (HashMap::new(), HashSet::new());
    for (i, &(d, t0)) in fed.iter().enumerate() {
        if (warm && i == 0) || t0 >= cutoff {
            left_out.insert(d);
        } else {
            counted.insert(d, t0);
        }
    }
    r.segments += counted.len();
    r.excluded += left_out.len();
    let mut side = |seen: &Seen| {
        let mut by = HashMap::new();
        for &(d, at) in seen {
            match counted.get(&d) {
                Some(&t0) => drop(by.insert(d, (at - t0).as_secs_f64() * 1e3)),
                None if left_out.contains(&d) => {}
                None => r.unknown += 1,
            }
        }
        by
    };
    let (here, there) = (side(local), side(remote));
    r.missed_local += counted.len() - here.len();
    r.missed_remote += counted.len() - there.len();
    r.extra
        .extend(there.iter().filter_map(|(d, t)| here.get(d).map(|l| t - l)));
    r.local.extend(here.values());
    r.remote.extend(there.values());
}

/// Cameras on A, their viewers on A and B, and the measurement.
async fn relay_on(a: &BenchServer, b: &BenchServer, opts: &Options) -> anyhow::Result<Relay> {
    let (creds, ids) = a.cameras(opts.cameras, PREFIX).await?;
    let token = a.token().await?;
    let url = |n: &BenchServer, id: CameraId| {
        format!(
            "{}/api/v1/cameras/{id}/live",
            n.base.replacen("http://", "ws://", 1)
        )
    };
    let (stop_watching, watching) = watch::channel(false);
    let mut tasks = Vec::with_capacity(ids.len());
    for &id in &ids {
        let fed = probe(a.core.recordings.live().subscribe(id).1, watching.clone());
        let local = viewer(url(a, id), &token, watching.clone()).await?;
        let remote = viewer(url(b, id), &token, watching.clone()).await?;
        tasks.push((fed, local, remote));
    }
    let waited = Instant::now();
    for &id in &ids {
        while a.core.recordings.live().viewers(id) < 2
            || b.core.recordings.live().viewers(id) < 1
            || !a.core.cluster.watched_elsewhere(id)
        {
            anyhow::ensure!(
                waited.elapsed() < SUBSCRIBE_WAIT,
                "camera {id}: viewers not subscribed on both instances, or A never heard of B's"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    // One simulator per camera, started at spread phases of the period
    // (cameras of one simulator upload in lockstep), each at a random point
    // of its slot: a camera keeps its phase to B's polling all run long.
    let sims = creds
        .into_iter()
        .map(|c| Simulator::new(&a.base, vec![c], Pacing::RealTime, Arc::new(SystemClock)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let stats: Vec<_> = sims.iter().map(Simulator::stats).collect();
    let (stop_cameras, cameras_stopped) = watch::channel(false);
    let n = sims.len() as f64;
    let mut uploading = Vec::with_capacity(sims.len());
    for (i, sim) in sims.into_iter().enumerate() {
        let offset = PERIOD.mul_f64((i as f64 + rand::random::<f64>()) / n);
        let mut stop = cameras_stopped.clone();
        uploading.push(tokio::spawn(async move {
            tokio::select! {
                _ = tokio::time::sleep(offset) => sim.run(stop).await,
                _ = stopped(&mut stop) => {}
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(opts.seconds)).await;
    let cutoff = Instant::now() - TAIL;
    let _ = stop_cameras.send(true);
    for t in uploading {
        t.await.context("a simulated camera stopped abnormally")?;
    }
    tokio::time::sleep(DRAIN).await;
    let _ = stop_watching.send(true);
    let mut relay = Relay::default();
    for (fed, local, remote) in tasks {
        let (fed, local, remote) = (fed.await?, local.await?, remote.await?);
        tally(&mut relay, &fed, (&local, &remote), !opts.quick, cutoff);
    }
    for s in &stats {
        relay.ack.extend(samples_ms(s));
        relay.failed += s.snapshot().failed;
    }
    Ok(relay)
}

/// The relay phase on two fresh instances over the shared stores.
async fn relay(opts: &Options) -> anyhow::Result<Relay> {
    let dir = ScratchDir::new("cluster")?;
    let sqlite = format!("sqlite://{}", dir.path().join("shared.db").display());
    let db = opts.database_url.as_deref().unwrap_or(&sqlite);
    let shared = |c: &mut Config| share(c, Some(dir.path()), Some(db), None);
    let a = BenchServer::start_adjusted("cluster-a", Deps::default(), shared).await?;
    // A dropped server stops too.
    let b = BenchServer::start_adjusted("cluster-b", Deps::default(), shared).await?;
    let result = relay_on(&a, &b, opts).await;
    let (stopped_b, stopped_a) = (b.stop().await, a.stop().await);
    let relay = result?;
    stopped_b?;
    stopped_a?;
    Ok(relay)
}

/// Creates a bucket on `endpoint` with an unsigned request (moto takes it).
async fn fresh_bucket(endpoint: &str) -> anyhow::Result<String> {
    let bucket = format!("camvault-bench-{:012x}", rand::random::<u64>() >> 16);
    let made = reqwest::Client::new()
        .put(format!("{}/{bucket}", endpoint.trim_end_matches('/')))
        .send()
        .await
        .with_context(|| format!("the S3 endpoint {endpoint} does not answer"))?;
    anyhow::ensure!(
        made.status().is_success(),
        "creating bucket {bucket} on {endpoint}: {} (an unsigned PUT works on moto; create it yourself elsewhere)",
        made.status()
    );
    Ok(bucket)
}

/// The fast ingest load on one fresh server with its blobs on the local
/// disk (`bucket` None) or in `bucket`.
async fn ingest_on(opts: &Options, bucket: Option<(String, String)>) -> anyhow::Result<FastRun> {
    let node = BenchServer::start_adjusted("cluster-ingest", Deps::default(), |c| {
        share(c, None, None, bucket.as_ref())
    })
    .await?;
    let result = async {
        let (creds, _) = node.cameras(opts.cameras, INGEST_PREFIX).await?;
        let disk = match bucket {
            Some(_) => (None, S3_BUDGET),
            None => disk_budget(node.dir()).await,
        };
        let run = fast_load(&node.base, creds, opts.seconds, disk).await?;
        if bucket.is_some() {
            // moto holds every object in memory until deleted.
            let blobs = &node.core.blobs;
            futures_util::stream::iter(blobs.list("").await?)
                .for_each_concurrent(8, |(key, _)| async move {
                    let _ = blobs.delete(&key).await;
                })
                .await;
        }
        anyhow::Ok(run)
    }
    .await;
    let stopped = node.stop().await;
    let run = result?;
    stopped?;
    Ok(run)
}

/// The S3 throughput result; None values when the run was skipped.
fn s3_outcome(s3: Option<f64>, disk: Option<f64>) -> Outcome {
    Outcome::new(
        "cluster.s3_ingest",
        "stored MB/s with blobs in an S3 bucket, simulated cameras at fast pacing",
        "MB/s",
        s3,
        "the same load with blobs on the local disk",
        disk,
    )
}

fn emit_relay(rep: &mut Reporter, opts: &Options, r: &Relay, postgres: bool) {
    let q = |v: &[f64], p| quantile(v, p);
    let wakeups = if postgres {
        "PostgreSQL: NOTIFY wakes B when A writes the message"
    } else {
        "SQLite: B reads the message table every 100 ms, which adds up to 100 ms (half on average)"
    };
    let details = |o: Outcome| {
        o.detail("cameras", opts.cameras)
            .detail("seconds", opts.seconds)
            .detail("database", if postgres { "postgresql" } else { "sqlite" })
            .detail("segments", r.segments)
            .detail("segments_excluded", r.excluded)
            .detail("remote_samples", r.remote.len())
            .detail("local_samples", r.local.len())
            .detail("missed_remote", r.missed_remote)
            .detail("missed_local", r.missed_local)
            .detail("unknown_segments", r.unknown)
            .detail("extra_p50_ms", q(&r.extra, 0.5))
            .detail("extra_p99_ms", q(&r.extra, 0.99))
            .detail("extra_max_ms", q(&r.extra, 1.0))
            .detail("camera_ack_p50_ms", q(&r.ack, 0.5))
            .detail("camera_ack_p99_ms", q(&r.ack, 0.99))
            .detail("segments_failed", r.failed)
            .note("from a segment's arrival at A's ingest handler (body received) to the viewer's client holding the whole WebSocket message; A, B and every client run in this process on one monotonic clock")
            .note(wakeups)
    };
    for (p, name) in [(0.5, "p50"), (0.99, "p99")] {
        let mut o = Outcome::new(
            &format!("cluster.relay_{name}"),
            &format!("live latency {name}, viewers on instance B of cameras uploading to A"),
            "ms",
            q(&r.remote, p),
            "the same for viewers on A, same segments",
            q(&r.local, p),
        );
        if p > 0.5 {
            o = o
                .note("extra_* in the details: remote minus local latency of the same segment")
                .note(shared_cores_note());
        }
        rep.emit(details(o));
    }
}

fn emit_s3(rep: &mut Reporter, opts: &Options, endpoint: &str, disk: &FastRun, s3: &FastRun) {
    let rate = |r: &FastRun| mb(r.bytes) / r.elapsed.as_secs_f64().max(1e-9);
    let details = |o: Outcome| {
        o.detail("cameras", opts.cameras)
            .detail("endpoint", endpoint)
            .detail("seconds", s3.elapsed.as_secs_f64())
            .detail("disk_seconds", disk.elapsed.as_secs_f64())
            .detail("segments_stored", s3.stored)
            .detail("disk_segments_stored", disk.stored)
            .detail("segments_failed", s3.failed)
            .detail("disk_segments_failed", disk.failed)
            .detail("ack_p50_ms", s3.p50_ms)
            .detail("disk_ack_p50_ms", disk.p50_ms)
            .detail("s3_budget_hit", s3.budget_hit)
            .detail("disk_budget_hit", disk.budget_hit)
            .note("one server each, SQLite index; only where the sealed blobs go differs")
            .note(shared_cores_note())
    };
    rep.emit(details(s3_outcome(Some(rate(s3)), Some(rate(disk))).note(
        format!(
        "the S3 run stops once {:.1} GB are stored (moto keeps objects in memory): s3_budget_hit",
        S3_BUDGET as f64 / 1e9
    ),
    )));
    rep.emit(details(
        Outcome::new(
            "cluster.s3_ack_p99",
            "segment-ack p99 with blobs in an S3 bucket, fast pacing",
            "ms",
            s3.p99_ms,
            "the same with blobs on the local disk",
            disk.p99_ms,
        )
        .note("fast pacing saturates the server: mostly queueing"),
    ));
}

/// Runs the benchmark: the live relay, then ingest with S3 against the disk.
pub async fn run(opts: &Options, rep: &mut Reporter) -> anyhow::Result<()> {
    let postgres = opts
        .database_url
        .as_deref()
        .is_some_and(|u| u.starts_with("postgres"));
    rep.progress(&format!(
        "cluster: {} real-time cameras on A, a viewer of each on A and on B, {} s, {}",
        opts.cameras,
        opts.seconds,
        if postgres { "PostgreSQL" } else { "SQLite" }
    ));
    let r = relay(opts).await?;
    emit_relay(rep, opts, &r, postgres);
    let Some(endpoint) = opts.s3_endpoint.clone() else {
        rep.progress("cluster: no S3 endpoint, S3 ingest skipped");
        rep.emit(
            s3_outcome(None, None)
            .note("skipped: no S3 endpoint given (--s3-endpoint URL or CAMVAULT_BENCH_S3_ENDPOINT); `bash scripts/s3-throwaway.sh start /tmp/s3bench` prints a local one"),
        );
        return Ok(());
    };
    settle(rep).await;
    rep.progress(&format!(
        "cluster: {} cameras at fast pacing for {} s, blobs on the local disk, then in a bucket on {endpoint}",
        opts.cameras, opts.seconds
    ));
    let disk = ingest_on(opts, None).await?;
    settle(rep).await;
    let bucket = fresh_bucket(&endpoint).await?;
    let s3 = ingest_on(opts, Some((endpoint.clone(), bucket))).await?;
    emit_s3(rep, opts, &endpoint, &disk, &s3);
    Ok(())
}
