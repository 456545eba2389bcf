//! `bench shred`: how long crypto-shredding an account takes — destroying
//! its vault secret, account key and every media key under it — for an
//! account with `--shred-mb` MB of media and one with ten times as much,
//! against deleting the same accounts' sealed files.
//!
//! Both accounts get the same cameras and days (so the same number of
//! media keys, one per camera per UTC day plus one per camera for inits);
//! only the video under each key grows tenfold. Shredding deletes a file
//! and key rows, so its time should not follow the size of the video; the
//! fill is synced to disk first, since the shred's own sync would otherwise
//! wait for its writeback, which does grow with the size. After each shred
//! the bench checks for real that the video is gone: every media key it
//! used must be unknown, and a segment that played over HTTP just before
//! must not play any more; otherwise the benchmark fails.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use domain::ids::CameraId;

use super::fill::{self, Filled, Plan};
use super::report::{Goal, Op, Outcome, Reporter};
use super::server::BenchServer;
use super::sys::{mb, probe_fsync};
use super::{settle, Options};

/// Cameras of each account.
const CAMERAS: usize = 3;
/// UTC days each camera recorded on: as many as uploads reach back to (the
/// server takes segments up to 7 days old).
const DAYS: usize = 7;
/// The large account holds this many times the small one's media.
const SCALE: u64 = 10;
/// Shredding an account must take less than this, in ms.
const GOAL_MS: f64 = 100.0;
/// 10× the media may cost at most this many times the shred time.
const GOAL_SCALING: f64 = 3.0;

/// What shredding one account measured.
struct Shredded {
    filled: Filled,
    shred: Duration,
    synced: Option<Duration>,
    fsync_before: Option<Duration>,
    keys_destroyed: usize,
    status_after: Vec<u16>,
    delete: Deleted,
}

/// What deleting an account's files measured.
#[derive(Debug, Default)]
struct Deleted {
    files: u64,
    bytes: u64,
    elapsed: Duration,
}

/// Deletes every file under `dirs`, one after another, then the directories.
fn remove_trees(dirs: &[PathBuf]) -> std::io::Result<Deleted> {
    let at = Instant::now();
    let mut done = Deleted::default();
    let mut stack = dirs.to_vec();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            if entry.file_type()?.is_dir() {
                stack.push(entry.path());
            } else {
                done.bytes += entry.metadata()?.len();
                std::fs::remove_file(entry.path())?;
                done.files += 1;
            }
        }
    }
    done.elapsed = at.elapsed();
    for dir in dirs {
        std::fs::remove_dir_all(dir)?;
    }
    Ok(done)
}

/// Writes back everything the filesystem holding `dir` has in memory
/// (`sync -f`, i.e. syncfs) and returns how long it took; None if it could not.
async fn sync_filesystem(dir: &Path) -> Option<Duration> {
    let at = Instant::now();
    let status = tokio::process::Command::new("sync")
        .arg("-f")
        .arg(dir)
        .status()
        .await
        .ok()?;
    status.success().then(|| at.elapsed())
}

/// Whether the segment still plays: a 2xx answer with its bytes.
async fn plays(
    client: &reqwest::Client,
    server: &BenchServer,
    token: &str,
    (camera, id): (CameraId, i64),
) -> anyhow::Result<(bool, u16)> {
    let url = format!(
        "{}/api/v1/cameras/{camera}/recordings/segments/{id}.m4s",
        server.base
    );
    let resp = client.get(url).bearer_auth(token).send().await?;
    let status = resp.status();
    // A body that breaks off after a 2xx start did not play either.
    let body = if status.is_success() {
        resp.bytes().await.map(|b| b.len()).unwrap_or(0)
    } else {
        0
    };
    Ok((status.is_success() && body > 0, status.as_u16()))
}

/// Fills one account, shreds it, proves its video unreadable, then deletes its files.
async fn one(
    server: &BenchServer,
    opts: &Options,
    rep: &Reporter,
    tag: &str,
    bytes: u64,
) -> anyhow::Result<Shredded> {
    fill::ensure_room(server.dir(), bytes.saturating_mul(51) / 50).await?;
    let plan = Plan {
        cameras: CAMERAS,
        days: DAYS,
        bytes,
    };
    let prefix = format!("SHRED{}", tag.to_uppercase());
    let filled = fill::fill(server, &format!("shred-{tag}"), &prefix, plan, rep).await?;
    let core = &server.core;
    let token = core
        .accounts
        .create_api_token(filled.account, "bench")
        .await?
        .1;
    let client = reqwest::Client::new();
    // Proves the check after shredding can tell: the same requests work now.
    for sample in &filled.samples {
        let (ok, status) = plays(&client, server, &token, *sample).await?;
        anyhow::ensure!(
            ok,
            "segment {sample:?} does not play before shredding (HTTP {status})"
        );
    }
    let synced = if opts.quick {
        None
    } else {
        let synced = sync_filesystem(server.dir()).await;
        settle(rep).await;
        synced
    };
    // What a sync costs right now, to read the shred time against.
    let fsync_before = probe_fsync(server.dir().join("fsync-probe")).await;
    let at = Instant::now();
    core.recordings
        .keys()
        .destroy_account_key(filled.account)
        .await
        .context("destroying the account key")?;
    let shred = at.elapsed();

    for key_id in &filled.key_ids {
        match core.recordings.keys().media_key_by_id(key_id).await {
            Err(domain::Error::NotFound(_)) => {}
            Ok(_) => anyhow::bail!("media key {key_id} still unwraps after shredding"),
            Err(e) => anyhow::bail!("looking up media key {key_id} after shredding: {e}"),
        }
    }
    let mut status_after = Vec::with_capacity(filled.samples.len());
    for sample in &filled.samples {
        let (ok, status) = plays(&client, server, &token, *sample).await?;
        anyhow::ensure!(
            !ok,
            "segment {sample:?} still plays after shredding (HTTP {status}): the data is readable"
        );
        status_after.push(status);
    }

    let media = server.config.blob_dir().join("media");
    let dirs: Vec<PathBuf> = filled
        .cameras
        .iter()
        .map(|c| media.join(c.to_string()))
        .collect();
    let delete = tokio::task::spawn_blocking(move || remove_trees(&dirs))
        .await
        .context("the file deleter panicked")?
        .context("deleting the shredded account's files")?;
    anyhow::ensure!(
        delete.files >= filled.segments,
        "found {} files for {} stored segments",
        delete.files,
        filled.segments
    );
    Ok(Shredded {
        keys_destroyed: filled.key_ids.len(),
        filled,
        shred,
        synced,
        fsync_before,
        status_after,
        delete,
    })
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The result of one account.
fn outcome(bench: &str, s: &Shredded) -> Outcome {
    let f = &s.filled;
    let gb = f.plain_bytes as f64 / 1e9;
    Outcome::new(
        bench,
        &format!("destroy_account_key wall time, account with {gb:.2} GB of media"),
        "ms",
        Some(ms(s.shred)),
        "deleting the same account's sealed files (std::fs::remove_file, one after another)",
        Some(ms(s.delete.elapsed)),
    )
    .goal(Goal::value(Op::Below, GOAL_MS, "value < 100 ms"))
    .detail("media_mb", mb(f.plain_bytes))
    .detail("stored_mb", mb(f.stored_bytes))
    .detail("segments", f.segments)
    .detail("cameras", CAMERAS)
    .detail("utc_days", DAYS)
    .detail("media_keys_destroyed", s.keys_destroyed)
    .detail("http_status_after", s.status_after.clone())
    .detail("files_deleted", s.delete.files)
    .detail("files_deleted_mb", mb(s.delete.bytes))
    .detail("fill_seconds", f.elapsed.as_secs_f64())
    .detail("sync_seconds", s.synced.map(|d| d.as_secs_f64()))
    .detail("fsync_4k_ms_before", s.fsync_before.map(ms))
}

/// Runs the benchmark: the small account, then the large one, on one server.
pub async fn run(opts: &Options, rep: &mut Reporter) -> anyhow::Result<()> {
    let small_bytes = opts.shred_mb.max(1).saturating_mul(1_000_000);
    let server = BenchServer::start("shred").await?;
    let result = async {
        let small = one(&server, opts, rep, "small", small_bytes).await?;
        let large = one(&server, opts, rep, "large", small_bytes * SCALE).await?;
        anyhow::Ok((small, large))
    }
    .await;
    let stopped = server.stop().await;
    let (small, large) = result?;
    stopped?;
    let verified = "verified after shredding: every media key used is gone (media_key_by_id is NotFound) and segments that played over HTTP just before no longer do (http_status_after)";
    let why_files = "the baseline is what erasure without encryption would have to do; erasure deletes the files after the shred too, but the video is unreadable from the shred on, in backups as well";
    rep.emit(
        outcome("shred.small", &small)
            .note(verified)
            .note(why_files)
            .note("before each shred the filesystem is synced (`sync -f`) and the disk left to settle, since the shred syncs too and would otherwise wait for the fill's writeback, which grows with the account; the shred deletes the vault secret (a file, then a directory fsync) and the key rows (SQLite, WAL, synchronous=NORMAL)"),
    );
    rep.emit(
        outcome("shred.large", &large)
            .note(format!("{SCALE}× the small account's media on the same number of cameras and days, so the same number of media keys"))
            .note("the small account's index rows are still in the database"),
    );
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64().max(1e-9);
    rep.emit(
        Outcome::new(
            "shred.scaling",
            &format!("shred time of the {SCALE}× account ÷ that of the small one"),
            "x",
            Some(ratio(large.shred, small.shred)),
            "the same for deleting their files",
            Some(ratio(large.delete.elapsed, small.delete.elapsed)),
        )
        .goal(Goal::value(
            Op::Below,
            GOAL_SCALING,
            "value < 3 (about independent of size)",
        ))
        .detail("small_ms", ms(small.shred))
        .detail("large_ms", ms(large.shred))
        .detail("media_keys_each", small.keys_destroyed)
        .note("one shred per account, so each time is a single sample of an operation this short: expect noise"),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remove_trees_counts_and_removes_everything() {
        let dir = super::super::sys::ScratchDir::new("remove-trees").unwrap();
        let (a, b) = (dir.path().join("1"), dir.path().join("2"));
        std::fs::create_dir_all(a.join("2026-01-01")).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        std::fs::write(a.join("2026-01-01/x.m4s.cvb"), [0u8; 10]).unwrap();
        std::fs::write(a.join("init.cvb"), [0u8; 5]).unwrap();
        std::fs::write(b.join("y"), [0u8; 1]).unwrap();
        let done = remove_trees(&[a.clone(), b.clone()]).unwrap();
        assert_eq!((done.files, done.bytes), (3, 16));
        assert!(!a.exists() && !b.exists());
    }
}
