//! Filling an account with gigabytes of stored media, quickly, for the
//! benchmarks that need a lot of it (`export`, `shred`).
//!
//! The demo clip's segments are laid back to back in one run per camera per
//! UTC day and stored through `Recordings::upload_segment` (validation,
//! sealing under that day's media key, the blob write, the index row) by
//! several tasks at once. The device API over HTTP would only add what
//! `bench ingest` measures already, and make a 10 GB fill slower.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use domain::clock::Timestamp;
use domain::ids::{AccountId, CameraId};
use domain::ports::CameraStore;
use domain::recordings::ingest::SegmentUpload;
use tokio::task::JoinSet;

use super::report::Reporter;
use super::server::BenchServer;
use super::sys::{free_bytes, mb};
use crate::simulate;

const DAY_MS: i64 = 86_400_000;
/// Concurrent uploaders: enough to keep both cores and SQLite's one writer busy.
const UPLOADERS: usize = 6;
/// The newest run ends this long before now, well clear of the camera
/// clock check at the other end.
const END_MARGIN_MS: i64 = 120_000;
/// Kept between the oldest start and the oldest the server accepts, since
/// a large fill takes minutes and the limit moves with the clock.
const BACKLOG_SLACK_MS: i64 = 3_600_000;
/// Free space left on the disk after a fill: it is shared.
const SPARE_BYTES: u64 = 1_000_000_000;

/// What to store for one account.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Cameras, each with its own runs.
    pub cameras: usize,
    /// UTC days each camera has one run on (today and the days before).
    pub days: usize,
    /// Plaintext media bytes to store, about (whole segments, at least one a run).
    pub bytes: u64,
}

/// What a fill stored for one account.
#[derive(Debug)]
pub struct Filled {
    /// The account.
    pub account: AccountId,
    /// Its cameras, in serial order.
    pub cameras: Vec<CameraId>,
    /// Segments stored.
    pub segments: u64,
    /// Their plaintext size, as the index records it.
    pub plain_bytes: u64,
    /// Their sealed size on disk.
    pub stored_bytes: u64,
    /// Every media key the media is sealed under (inits' included).
    pub key_ids: BTreeSet<String>,
    /// One stored segment id of each camera, to try reading back.
    pub samples: Vec<(CameraId, i64)>,
    /// How long storing the segments took.
    pub elapsed: Duration,
}

/// One segment to store: which camera, run and place in the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Job {
    camera: usize,
    run: usize,
    index: usize,
    start_ms: i64,
}

/// Segments of every run, back to back; run `r` is camera `r % cameras` on
/// the UTC day `r / cameras` days before today, and ends [`END_MARGIN_MS`]
/// before that day's `now`. `durations_ms` are the demo segments' lengths,
/// used in turn.
fn layout(now_ms: i64, plan: Plan, segments: usize, durations_ms: &[i64]) -> Vec<Job> {
    let runs = plan.cameras.max(1) * plan.days.max(1);
    let segments = segments.max(runs);
    let cycle: i64 = durations_ms.iter().sum();
    let mut jobs = Vec::with_capacity(segments);
    for run in 0..runs {
        let count = segments / runs + usize::from(run < segments % runs);
        let whole = (count / durations_ms.len()) as i64 * cycle;
        let rest: i64 = durations_ms[..count % durations_ms.len()].iter().sum();
        let day = (run / plan.cameras.max(1)) as i64;
        let mut start_ms = now_ms - day * DAY_MS - END_MARGIN_MS - whole - rest;
        for index in 0..count {
            jobs.push(Job {
                camera: run % plan.cameras.max(1),
                run,
                index,
                start_ms,
            });
            start_ms += durations_ms[index % durations_ms.len()];
        }
    }
    jobs
}

/// Fails unless `need` bytes fit on the disk holding `dir` with some to spare.
pub async fn ensure_room(dir: &Path, need: u64) -> anyhow::Result<()> {
    if let Some(free) = free_bytes(dir).await {
        anyhow::ensure!(
            free >= need + SPARE_BYTES,
            "not enough disk: this needs {:.1} GB and {:.1} GB spare, {:.1} GB is free under {}",
            need as f64 / 1e9,
            SPARE_BYTES as f64 / 1e9,
            free as f64 / 1e9,
            dir.display()
        );
    }
    Ok(())
}

/// Creates account `owner` with `plan.cameras` cameras `<prefix>-0001`…
/// and stores about `plan.bytes` of media for it.
pub async fn fill(
    server: &BenchServer,
    owner: &str,
    prefix: &str,
    plan: Plan,
    rep: &Reporter,
) -> anyhow::Result<Filled> {
    let core = &server.core;
    let (init_bytes, demo) = media::demo::demo_segments().context("splitting the demo clip")?;
    anyhow::ensure!(!demo.is_empty(), "the demo clip has no segments");
    let parsed = media::fmp4::parse_init(&init_bytes).context("parsing the demo init")?;
    let durations_ms = demo
        .iter()
        .map(|s| {
            let m = media::fmp4::parse_media(s, &parsed).context("parsing a demo segment")?;
            anyhow::Ok((m.duration_seconds() * 1000.0).round() as i64)
        })
        .collect::<anyhow::Result<Vec<i64>>>()?;
    let average = demo.iter().map(Vec::len).sum::<usize>() / demo.len();
    let segments = plan.bytes.div_ceil(average.max(1) as u64) as usize;
    let now = server.now().ms();
    let jobs = layout(now, plan, segments, &durations_ms);
    let oldest = jobs.iter().map(|j| j.start_ms).min().unwrap_or(now);
    let limit = core.recordings.config().max_backlog.as_millis() as i64;
    anyhow::ensure!(
        oldest > now - limit + BACKLOG_SLACK_MS,
        "{:.0} MB over {} camera(s) and {} day(s) reaches further back than the server accepts uploads; use fewer MB",
        mb(plan.bytes),
        plan.cameras,
        plan.days
    );

    simulate::prepare(core, owner, plan.cameras, prefix).await?;
    let (account, _) = simulate::ensure_owner(core, owner).await?;
    let mut cameras = Vec::with_capacity(plan.cameras);
    let mut inits = Vec::with_capacity(plan.cameras);
    let mut key_ids = BTreeSet::new();
    for i in 1..=plan.cameras {
        let serial = simulate::serial(prefix, i);
        let camera = core
            .store
            .camera_by_serial(&serial)
            .await?
            .with_context(|| format!("{serial} vanished after provisioning"))?;
        let (init, _) = core.recordings.upload_init(&camera, &init_bytes).await?;
        key_ids.insert(init.key_id.clone());
        inits.push(init.id);
        cameras.push(camera);
    }
    rep.progress(&format!(
        "account {owner}: storing {} segments ({:.0} MB) on {} camera(s) over {} UTC day(s)",
        jobs.len(),
        mb(plan.bytes),
        plan.cameras,
        plan.days
    ));

    let (jobs, demo, cameras, inits) = (
        Arc::new(jobs),
        Arc::new(demo),
        Arc::new(cameras),
        Arc::new(inits),
    );
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut set = JoinSet::new();
    for _ in 0..UPLOADERS {
        let (recordings, jobs, demo) = (core.recordings.clone(), jobs.clone(), demo.clone());
        let (cameras, inits, next) = (cameras.clone(), inits.clone(), next.clone());
        set.spawn(async move {
            let mut done = Part::default();
            while let Some(job) = jobs.get(next.fetch_add(1, Ordering::Relaxed)).copied() {
                let upload = SegmentUpload {
                    device_id: format!("fill-{}-{}", job.run, job.index),
                    init_id: inits[job.camera],
                    start: Timestamp(job.start_ms),
                    bytes: demo[job.index % demo.len()].clone(),
                };
                let camera = &cameras[job.camera];
                let (record, _) = recordings
                    .upload_segment(camera, upload)
                    .await
                    .with_context(|| format!("storing segment {} of run {}", job.index, job.run))?;
                done.segments += 1;
                done.plain += record.segment.bytes as u64;
                done.stored += record.segment.stored_bytes as u64;
                done.key_ids.insert(record.segment.key_id);
                done.samples.entry(camera.id).or_insert(record.id);
            }
            anyhow::Ok(done)
        });
    }
    let mut total = Part::default();
    while let Some(joined) = set.join_next().await {
        let part = joined.context("an uploader panicked")??;
        total.segments += part.segments;
        total.plain += part.plain;
        total.stored += part.stored;
        total.key_ids.extend(part.key_ids);
        for (camera, id) in part.samples {
            total.samples.entry(camera).or_insert(id);
        }
    }
    let elapsed = started.elapsed();
    // Live view keeps each camera's newest segment; nobody watches these.
    for camera in cameras.iter() {
        core.recordings.live().clear(camera.id);
    }
    key_ids.extend(total.key_ids);
    rep.progress(&format!(
        "account {owner}: stored {:.0} MB in {:.1} s ({:.0} MB/s)",
        mb(total.plain),
        elapsed.as_secs_f64(),
        mb(total.plain) / elapsed.as_secs_f64().max(1e-9)
    ));
    Ok(Filled {
        account,
        cameras: cameras.iter().map(|c| c.id).collect(),
        segments: total.segments,
        plain_bytes: total.plain,
        stored_bytes: total.stored,
        key_ids,
        samples: total.samples.into_iter().collect(),
        elapsed,
    })
}

/// What one uploader stored.
#[derive(Debug, Default)]
struct Part {
    segments: u64,
    plain: u64,
    stored: u64,
    key_ids: BTreeSet<String>,
    samples: std::collections::BTreeMap<CameraId, i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_are_back_to_back_one_per_camera_and_day() {
        let now = 1_800_000_000_000;
        let plan = Plan {
            cameras: 3,
            days: 7,
            bytes: 0,
        };
        let durations = [2_000, 2_000, 1_960];
        let jobs = layout(now, plan, 100, &durations);
        assert_eq!(jobs.len(), 100);
        let mut days = BTreeSet::new();
        for run in 0..21 {
            let mine: Vec<&Job> = jobs.iter().filter(|j| j.run == run).collect();
            assert!(!mine.is_empty());
            assert!(mine.iter().all(|j| j.camera == run % 3));
            for w in mine.windows(2) {
                let d = durations[w[0].index % durations.len()];
                assert_eq!(w[1].start_ms, w[0].start_ms + d);
            }
            let last = mine[mine.len() - 1];
            let end = last.start_ms + durations[last.index % durations.len()];
            assert_eq!(end, now - (run / 3) as i64 * DAY_MS - END_MARGIN_MS);
            days.insert((run % 3, mine[0].start_ms.div_euclid(DAY_MS)));
        }
        assert_eq!(days.len(), 21);
        // Fewer segments than runs still gives every run one.
        assert_eq!(layout(now, plan, 5, &durations).len(), 21);
    }
}
