//! `ingest.paced`: the load recording is sized for, N cameras at 2 Mbit/s
//! for a while with encryption on, against writing the same bytes at the
//! same pace to the same disk with no processing. At a pace both can keep,
//! the stored MB/s say whether camvault keeps up; the CPU per MB says what
//! keeping up costs. The fast run of `ingest.throughput` is the saturation
//! figure instead.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::JoinSet;

use super::report::{Goal, Op, Outcome, Reporter};
use super::sys::{cpu_seconds, mb};
use super::{settle, shared_cores_note};
use crate::bench::sys::ScratchDir;

/// What the paced plain writer did.
pub(super) struct PacedPlain {
    elapsed: Duration,
    cpu: Option<f64>,
    bytes: u64,
}

/// `tasks` writers, each writing the next demo segment to a new file once
/// every `period`, spread over the period as cameras are, for `seconds`.
async fn plain_paced(
    dir: &Path,
    tasks: usize,
    seconds: f64,
    period: Duration,
    segments: Arc<Vec<Vec<u8>>>,
) -> anyhow::Result<PacedPlain> {
    let tasks = tasks.max(1);
    let cpu0 = cpu_seconds();
    let started = Instant::now();
    let deadline = tokio::time::Instant::now() + Duration::from_secs_f64(seconds);
    let mut set = JoinSet::new();
    for t in 0..tasks {
        let (root, segments) = (dir.to_path_buf(), segments.clone());
        let phase = period.mul_f64(t as f64 / tasks as f64);
        set.spawn(async move {
            // A real-time camera sends a segment once its 2 s are recorded:
            // the first write comes a period after the writer's phase.
            let mut next = tokio::time::Instant::now() + phase + period;
            let (mut k, mut bytes) = (0usize, 0u64);
            while next < deadline {
                tokio::time::sleep_until(next).await;
                let seg = &segments[(t + k) % segments.len()];
                tokio::fs::write(root.join(format!("{t}-{k}.m4s")), seg).await?;
                bytes += seg.len() as u64;
                k += 1;
                next += period;
            }
            anyhow::Ok(bytes)
        });
    }
    let mut bytes = 0;
    while let Some(joined) = set.join_next().await {
        bytes += joined??;
    }
    let cpu = cpu_seconds().zip(cpu0).map(|(b, a)| b - a);
    Ok(PacedPlain {
        elapsed: started.elapsed(),
        cpu,
        bytes,
    })
}

/// What camvault stored in one real-time capacity step.
pub(super) struct PacedRun {
    /// Cameras in the step.
    pub cameras: usize,
    /// Measured seconds.
    pub seconds: f64,
    /// Bytes stored.
    pub bytes: u64,
    /// Process CPU seconds over the step.
    pub cpu: Option<f64>,
    /// Segment-ack p99.
    pub p99_ms: Option<f64>,
}

/// Runs the paced baseline for `run` and reports the comparison.
pub(super) async fn report(
    run: &PacedRun,
    segments: Arc<Vec<Vec<u8>>>,
    rep: &mut Reporter,
) -> anyhow::Result<()> {
    settle(rep).await;
    let period = Duration::from_secs_f64(media::demo::DEMO_SEGMENT_SECONDS);
    let dir = ScratchDir::new("paced-writes")?;
    let plain = plain_paced(dir.path(), run.cameras, run.seconds, period, segments).await?;
    drop(dir);
    let mb_s = |bytes: u64, secs: f64| mb(bytes) / secs.max(1e-9);
    let per_mb = |cpu: Option<f64>, bytes: u64| cpu.map(|c| c / mb(bytes).max(1e-9));
    let (ours, theirs) = (per_mb(run.cpu, run.bytes), per_mb(plain.cpu, plain.bytes));
    rep.emit(
        Outcome::new(
            "ingest.paced",
            "stored MB/s, real-time cameras at the demo clip's ~2 Mbit/s, encryption on",
            "MB/s",
            Some(mb_s(run.bytes, run.seconds)),
            "tokio::fs::write of the same segments at the same pace and spread, same disk, no processing",
            Some(mb_s(plain.bytes, plain.elapsed.as_secs_f64())),
        )
        .goal(Goal::ratio(Op::AtLeast, 0.8, "ratio >= 0.8"))
        .detail("cameras", run.cameras)
        .detail("seconds", run.seconds)
        .detail("ack_p99_ms", run.p99_ms)
        .detail("cpu_s_per_mb", ours)
        .detail("plain_cpu_s_per_mb", theirs)
        .detail(
            "cpu_ratio_to_plain",
            ours.zip(theirs).map(|(a, b)| a / b.max(1e-9)),
        )
        .note("the 200-camera step of ingest.capacity (or its largest step when it stopped earlier)")
        .note("at a pace both keep, the MB/s are the offered load; the CPU per MB is the cost of encryption, validation and the index")
        .note(shared_cores_note()),
    );
    Ok(())
}
