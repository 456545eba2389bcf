//! `bench memory`: the server's resident memory with 100 cameras recording
//! in real time, against the same server idle.
//!
//! The server runs in this process; the cameras run in child processes
//! (`camvault simulate`, this same binary) against it, so this process's
//! VmRSS is the server's plus the small bench harness, measured before the
//! server starts. Two phases, on the same server: first the cameras split
//! over ten children started one after another, so uploads come in ten
//! smaller bursts spread over the 2 s period; then all of them in one
//! child, which starts them together, so every 2 s all their segments are
//! in flight at once: the worst case for memory.

use std::process::Stdio;
use std::time::Duration;

use anyhow::Context;
use domain::ports::CameraStore;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdout, Command};

use super::report::{Goal, Op, Outcome, Reporter};
use super::server::{BenchServer, OWNER};
use super::sys::{mb, remove_segment_blobs, rss_bytes};
use super::Options;

/// Serial prefix of the child's cameras.
const PREFIX: &str = "MEM";
/// How long the idle server settles before its RSS is read.
const IDLE_SETTLE: Duration = Duration::from_secs(3);
/// Child processes of the spread phase.
const SPREAD_CHILDREN: usize = 10;
/// Pause between starting two children of the spread phase.
const STAGGER: Duration = Duration::from_millis(300);
/// How long the child may take to provision its cameras and start.
const START_WAIT: Duration = Duration::from_secs(120);
/// RSS goal with the cameras recording, in MB.
const GOAL_MB: f64 = 150.0;

/// What a load phase measured, in bytes.
struct Load {
    peak: u64,
    last: u64,
    children_peak: u64,
    summaries: Vec<String>,
}

/// Starts `camvault simulate` against the server, with only the settings
/// given here: no camvault.toml from the working directory, no CAMVAULT_*.
fn spawn_simulator(
    server: &BenchServer,
    prefix: &str,
    cameras: usize,
    seconds: u64,
) -> anyhow::Result<Child> {
    let exe = std::env::current_exe().context("finding the camvault binary")?;
    let empty = server.dir().join("empty.toml");
    std::fs::write(&empty, "")?;
    let mut cmd = Command::new(exe);
    cmd.arg("simulate")
        .arg("--config")
        .arg(&empty)
        .arg("--data-dir")
        .arg(&server.config.data_dir)
        .arg("--database-url")
        .arg(server.config.database_url())
        .args([
            "--server",
            &server.base,
            "--owner",
            OWNER,
            "--prefix",
            prefix,
        ])
        .args(["--cameras", &cameras.to_string()])
        .args(["--duration", &seconds.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("CAMVAULT_") {
            cmd.env_remove(key);
        }
    }
    if std::env::var_os("RUST_LOG").is_none() {
        cmd.env("RUST_LOG", "warn");
    }
    cmd.spawn()
        .context("starting `camvault simulate` (run this as the camvault binary)")
}

/// Reads the child's lines until the one announcing its cameras.
async fn wait_started(lines: &mut tokio::io::Lines<BufReader<ChildStdout>>) -> anyhow::Result<()> {
    let started = async {
        while let Some(line) = lines.next_line().await? {
            if line.starts_with("simulate:") && line.contains("camera(s)") {
                return anyhow::Ok(());
            }
        }
        anyhow::bail!("`camvault simulate` ended before starting its cameras")
    };
    tokio::time::timeout(START_WAIT, started)
        .await
        .context("`camvault simulate` did not start in time")?
}

/// One `camvault simulate` child and its output.
struct Running {
    child: Child,
    lines: tokio::io::Lines<BufReader<ChildStdout>>,
}

/// Runs `children` child simulators of `per_child` cameras each against the
/// server, started one after another, and samples RSS for `seconds` once
/// they all record.
async fn load(
    server: &BenchServer,
    tag: &str,
    children: usize,
    per_child: usize,
    seconds: u64,
) -> anyhow::Result<Load> {
    let mut running = Vec::with_capacity(children);
    for k in 0..children {
        // Each child outlives the sampling window, which starts after the last one.
        let left = (children - k) as u64 / 2;
        let mut child = spawn_simulator(
            server,
            &format!("{PREFIX}{tag}{k}"),
            per_child,
            seconds + left + 3,
        )?;
        let stdout = child.stdout.take().context("no stdout from the child")?;
        let mut lines = BufReader::new(stdout).lines();
        wait_started(&mut lines).await?;
        running.push(Running { child, lines });
        if k + 1 < children {
            tokio::time::sleep(STAGGER).await;
        }
    }
    let pids: Vec<u32> = running.iter().filter_map(|r| r.child.id()).collect();
    let (mut peak, mut last, mut children_peak) = (0, 0, 0);
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    for _ in 0..=seconds {
        tick.tick().await;
        last = rss_bytes(None).unwrap_or(0);
        peak = peak.max(last);
        let sum: u64 = pids.iter().filter_map(|p| rss_bytes(Some(*p))).sum();
        children_peak = children_peak.max(sum);
    }
    let mut summaries = Vec::new();
    for mut r in running {
        let mut summary = None;
        let rest = async {
            while let Ok(Some(line)) = r.lines.next_line().await {
                if let Some(s) = line.strip_prefix("simulate: done: ") {
                    summary = Some(s.to_string());
                }
            }
            r.child.wait().await
        };
        let status = tokio::time::timeout(Duration::from_secs(seconds + 60), rest)
            .await
            .context("`camvault simulate` did not stop")??;
        anyhow::ensure!(status.success(), "`camvault simulate` failed: {status}");
        summaries.extend(summary);
    }
    Ok(Load {
        peak,
        last,
        children_peak,
        summaries,
    })
}

/// Lets go of the newest segments live view holds for `prefix`'s cameras,
/// so one phase's do not count in the next.
async fn forget_live(server: &BenchServer, prefix: &str, cameras: usize) -> anyhow::Result<()> {
    for i in 1..=cameras {
        let serial = crate::simulate::serial(prefix, i);
        if let Some(c) = server.core.store.camera_by_serial(&serial).await? {
            server.core.recordings.live().clear(c.id);
        }
    }
    Ok(())
}

/// Runs the benchmark: the spread phase, then the lockstep one.
pub async fn run(opts: &Options, rep: &mut Reporter) -> anyhow::Result<()> {
    let before = rss_bytes(None).unwrap_or(0);
    let server = BenchServer::start("memory").await?;
    let seconds = opts.seconds * 3 / 2;
    let cameras = opts.memory_cameras.max(1);
    let children = SPREAD_CHILDREN.min(cameras);
    let result = async {
        tokio::time::sleep(IDLE_SETTLE).await;
        let idle = rss_bytes(None).unwrap_or(0);
        rep.progress(&format!(
            "memory: {cameras} real-time cameras in {children} staggered child processes for {seconds} s"
        ));
        let spread = load(&server, "S", children, cameras / children, seconds).await?;
        for k in 0..children {
            forget_live(&server, &format!("{PREFIX}S{k}"), cameras / children).await?;
        }
        // Disk space: the development disk is small and shared.
        remove_segment_blobs(server.dir().to_path_buf()).await;
        rep.progress(&format!(
            "memory: {cameras} real-time cameras in lockstep (one child process) for {seconds} s"
        ));
        let lockstep = load(&server, "L", 1, cameras, seconds).await?;
        tokio::time::sleep(Duration::from_secs(1)).await;
        let after = rss_bytes(None).unwrap_or(0);
        anyhow::Ok((idle, spread, lockstep, after))
    }
    .await;
    let stopped = server.stop().await;
    let (idle, spread, lockstep, after) = result?;
    stopped?;
    let known = |b: u64| (b > 0).then(|| mb(b));
    let outcome = |bench: &str, figure: &str, l: &Load| {
        Outcome::new(
            bench,
            figure,
            "MB",
            known(l.peak),
            "VmRSS of the same server idle",
            known(idle),
        )
        .goal(Goal::value(Op::Below, GOAL_MB, "value < 150 MB"))
        .detail("cameras", cameras)
        .detail("seconds", seconds)
        .detail("rss_before_server_mb", known(before))
        .detail("rss_idle_mb", known(idle))
        .detail("rss_peak_mb", known(l.peak))
        .detail("rss_last_sample_mb", known(l.last))
        .detail("simulators_peak_mb", known(l.children_peak))
        .detail("simulator_summaries", l.summaries.clone())
        .note("the simulated cameras run in child processes (`camvault simulate`); this process holds the server and the bench harness (rss_before_server_mb)")
        .note("VmRSS read once a second; a shorter peak can be missed")
    };
    rep.emit(
        outcome(
            "memory.rss_spread",
            "server VmRSS, peak, cameras at staggered phases",
            &spread,
        )
        .detail("child_processes", children)
        .note("children start one after another: ten bursts of cameras/10 spread over the 2 s period instead of one"),
    );
    rep.emit(
        outcome(
            "memory.rss_lockstep",
            "server VmRSS, peak, cameras in lockstep",
            &lockstep,
        )
        .detail("rss_after_load_mb", known(after))
        .note("one `camvault simulate` starts all cameras together: every 2 s all their segments are in flight at once, the worst case")
        .note("measured after the spread phase on the same server; the allocator keeps what it freed, so this is at least the spread peak"),
    );
    Ok(())
}
