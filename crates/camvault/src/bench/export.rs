//! `bench export`: how fast a person gets a copy of all their video through
//! the data export, against reading the same stored media from disk, and
//! how much memory the server needs for it.
//!
//! One account is filled with `--export-mb` MB of media (see `fill.rs`),
//! then the export goes through the real HTTP API with the owner's bearer
//! token: `POST /api/v1/me/exports`, `GET /api/v1/me/exports` every 50 ms
//! until it is ready, and the download of its `download_url`, streamed and
//! counted, never held. Both it and the baseline read the media from the
//! disk: the media's pages are flushed and dropped from the page cache
//! before each. The server runs in this process, so the memory
//! figure is this process's VmRSS, sampled every 50 ms by a thread of its
//! own from just before the request to the end of the download.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::Value;

use super::fill::{self, Filled, Plan};
use super::report::{Goal, Op, Outcome, Reporter};
use super::server::{BenchServer, OWNER};
use super::sys::{cpu_seconds, evict_from_page_cache, mb, rss_bytes, RssSampler};
use super::{settle, shared_cores_note, Options};

/// Serial prefix of the exported cameras.
const PREFIX: &str = "EXP";
/// Cameras the media is spread over (one MP4 per recording span each).
const CAMERAS: usize = 2;
/// How often the export list is polled, and RSS sampled.
const TICK: Duration = Duration::from_millis(50);
/// Slowest export rate waited for before giving up, in MB/s.
const SLOWEST_MB_S: f64 = 2.0;
/// Memory the export may add to the server, in MB.
const GOAL_GROWTH_MB: f64 = 100.0;
/// The baseline's read buffer.
const READ_BUFFER: usize = 1 << 20;

/// Cores this process may run on, for the CPU share.
fn cores() -> f64 {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get) as f64
}

/// What the export over HTTP measured.
struct Exported {
    build: Duration,
    download: Duration,
    archive_bytes: u64,
    downloaded: u64,
    media_files: u64,
    polls: u64,
}

/// What the plain read measured.
struct DiskRead {
    bytes: u64,
    files: u64,
    elapsed: Duration,
}

/// Reads every file under `dir` in full, one after another, into one buffer.
fn read_tree(dir: &Path) -> std::io::Result<(u64, u64)> {
    let (mut bytes, mut files) = (0u64, 0u64);
    let mut buf = vec![0u8; READ_BUFFER];
    let mut stack: Vec<PathBuf> = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let entry = entry?;
            if entry.file_type()?.is_dir() {
                stack.push(entry.path());
                continue;
            }
            let mut f = std::fs::File::open(entry.path())?;
            loop {
                match f.read(&mut buf)? {
                    0 => break,
                    n => bytes += n as u64,
                }
            }
            files += 1;
        }
    }
    Ok((bytes, files))
}

/// Reads every file under `dir`; with `cold`, after dropping them from the
/// page cache, so that the bytes come from the disk.
async fn disk_read(dir: PathBuf, cold: bool) -> anyhow::Result<DiskRead> {
    tokio::task::spawn_blocking(move || {
        if cold {
            evict(&dir)?;
        }
        let at = Instant::now();
        let (bytes, files) =
            read_tree(&dir).with_context(|| format!("reading {}", dir.display()))?;
        Ok(DiskRead {
            bytes,
            files,
            elapsed: at.elapsed(),
        })
    })
    .await
    .context("the disk reader panicked")?
}

fn evict(dir: &Path) -> anyhow::Result<u64> {
    evict_from_page_cache(dir)
        .with_context(|| format!("dropping {} from the page cache", dir.display()))
}

/// A field of an export view that must be a count.
fn count(view: &Value, key: &str) -> anyhow::Result<u64> {
    view[key]
        .as_u64()
        .with_context(|| format!("export view without {key}: {view}"))
}

/// Asks for the export, waits until it is ready and downloads it.
async fn export_over_http(
    server: &BenchServer,
    token: &str,
    patience: Duration,
) -> anyhow::Result<Exported> {
    let client = reqwest::Client::new();
    let list = format!("{}/api/v1/me/exports", server.base);
    let started = Instant::now();
    let resp = client.post(&list).bearer_auth(token).send().await?;
    anyhow::ensure!(
        resp.status() == reqwest::StatusCode::ACCEPTED,
        "POST /api/v1/me/exports answered {}",
        resp.status()
    );
    let asked: Value = resp.json().await?;
    let id = asked["id"]
        .as_str()
        .context("the export has no id")?
        .to_string();
    let mut polls = 0;
    let ready = loop {
        let mine: Vec<Value> = client
            .get(&list)
            .bearer_auth(token)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        polls += 1;
        let view = mine
            .into_iter()
            .find(|e| e["id"].as_str() == Some(id.as_str()))
            .context("the export is missing from GET /api/v1/me/exports")?;
        match view["state"].as_str() {
            Some("ready") => break view,
            Some("pending" | "running") => {}
            Some("failed") => anyhow::bail!("the export failed: {}", view["error"]),
            other => anyhow::bail!("the export is {other:?}"),
        }
        anyhow::ensure!(
            started.elapsed() < patience,
            "the export was not ready after {patience:?}"
        );
        tokio::time::sleep(TICK).await;
    };
    let build = started.elapsed();
    let link = ready["download_url"]
        .as_str()
        .context("a ready export without download_url")?;
    let at = Instant::now();
    let mut resp = client
        .get(format!("{}{link}", server.base))
        .bearer_auth(token)
        .send()
        .await?
        .error_for_status()?;
    let mut downloaded = 0u64;
    while let Some(chunk) = resp.chunk().await? {
        if downloaded == 0 {
            anyhow::ensure!(chunk.starts_with(b"PK"), "the download is not a ZIP");
        }
        downloaded += chunk.len() as u64;
    }
    let download = at.elapsed();
    let archive_bytes = count(&ready, "bytes")?;
    anyhow::ensure!(
        downloaded == archive_bytes,
        "downloaded {downloaded} bytes of a {archive_bytes}-byte archive"
    );
    Ok(Exported {
        build,
        download,
        archive_bytes,
        downloaded,
        media_files: count(&ready, "media_files")?,
        polls,
    })
}

/// What one run measured.
struct Measured {
    filled: Filled,
    disk: DiskRead,
    warm: DiskRead,
    export: Exported,
    rss_before: u64,
    rss_peak: u64,
    rss_samples: u64,
    cpu: Option<f64>,
}

async fn measure(server: &BenchServer, opts: &Options, rep: &Reporter) -> anyhow::Result<Measured> {
    let bytes = opts.export_mb.saturating_mul(1_000_000);
    // The media, then as much again for the archive's sealed parts.
    fill::ensure_room(server.dir(), bytes.saturating_mul(41) / 20).await?;
    let plan = Plan {
        cameras: CAMERAS,
        days: 1,
        bytes,
    };
    let filled = fill::fill(server, OWNER, PREFIX, plan, rep).await?;
    if !opts.quick {
        settle(rep).await;
    }
    let media = server.config.blob_dir().join("media");
    let warm = disk_read(media.clone(), false).await?;
    let disk = disk_read(media.clone(), true).await?;
    let token = server.token().await?;
    let patience =
        Duration::from_secs(120) + Duration::from_secs_f64(mb(filled.plain_bytes) / SLOWEST_MB_S);
    rep.progress(&format!(
        "export: exporting {:.0} MB over HTTP",
        mb(filled.plain_bytes)
    ));
    let evicted = media.clone();
    tokio::task::spawn_blocking(move || evict(&evicted))
        .await
        .context("evicting panicked")??;
    let rss_before = rss_bytes(None).unwrap_or(0);
    let sampler = RssSampler::start(TICK);
    let cpu0 = cpu_seconds();
    let export = export_over_http(server, &token, patience).await;
    let cpu = cpu_seconds().zip(cpu0).map(|(b, a)| b - a);
    let (rss_peak, rss_samples) = sampler.finish();
    let export = export?;
    anyhow::ensure!(
        export.media_files >= CAMERAS as u64,
        "the export has {} media file(s) for {CAMERAS} cameras",
        export.media_files
    );
    Ok(Measured {
        filled,
        disk,
        warm,
        export,
        rss_before,
        rss_peak,
        rss_samples,
        cpu,
    })
}

/// Runs the benchmark.
pub async fn run(opts: &Options, rep: &mut Reporter) -> anyhow::Result<()> {
    let before_server = rss_bytes(None).unwrap_or(0);
    let server = BenchServer::start("export").await?;
    let result = measure(&server, opts, rep).await;
    let stopped = server.stop().await;
    let m = result?;
    stopped?;
    let e = &m.export;
    let secs = |d: Duration| d.as_secs_f64().max(1e-9);
    let media_mb = mb(m.filled.plain_bytes);
    let export_mb_s = media_mb / secs(e.build + e.download);
    let disk_mb_s = mb(m.disk.bytes) / secs(m.disk.elapsed);
    rep.emit(
        Outcome::new(
            "export.throughput",
            "media MB exported per second: request to ready (archive built) plus its HTTP download",
            "MB/s",
            Some(export_mb_s),
            "std::fs reads of every stored media blob from the disk, one after another",
            Some(disk_mb_s),
        )
        .goal(Goal::ratio(Op::AtLeast, 0.5, "ratio >= 0.5"))
        .detail("media_mb", media_mb)
        .detail("segments", m.filled.segments)
        .detail("cameras", CAMERAS)
        .detail("build_seconds", e.build.as_secs_f64())
        .detail("download_seconds", e.download.as_secs_f64())
        .detail("build_media_mb_s", media_mb / secs(e.build))
        .detail("download_mb_s", mb(e.downloaded) / secs(e.download))
        .detail("archive_mb", mb(e.archive_bytes))
        .detail("media_files", e.media_files)
        .detail("status_polls", e.polls)
        .detail("cpu_seconds", m.cpu)
        .detail(
            "cpu_busy_share_of_all_cores",
            m.cpu.map(|c| c / secs(e.build + e.download) / cores()),
        )
        .detail("disk_read_mb", mb(m.disk.bytes))
        .detail("disk_read_files", m.disk.files)
        .detail("disk_read_seconds", m.disk.elapsed.as_secs_f64())
        .detail(
            "page_cache_read_mb_s",
            mb(m.warm.bytes) / secs(m.warm.elapsed),
        )
        .detail(
            "ratio_to_page_cache_read",
            export_mb_s / (mb(m.warm.bytes) / secs(m.warm.elapsed)),
        )
        .detail("fill_seconds", m.filled.elapsed.as_secs_f64())
        .note("before the baseline and again before the export, every dirty page is written out and the media files are dropped from the page cache (posix_fadvise), so both read the media from the disk; the same read from the page cache is in the details")
        .note("the export decrypts and re-times every segment, seals the ZIP in 8 MiB parts to disk, then the download decrypts the parts again; the baseline only reads")
        .note("time to ready is polled every 50 ms, so it may be up to 50 ms late")
        .note(shared_cores_note()),
    );
    let known = |b: u64| (b > 0).then(|| mb(b));
    rep.emit(
        Outcome::new(
            "export.rss_growth",
            "server VmRSS growth during the export: peak minus just before the request",
            "MB",
            known(m.rss_peak).zip(known(m.rss_before)).map(|(p, b)| (p - b).max(0.0)),
            "VmRSS just before the request",
            known(m.rss_before),
        )
        .goal(Goal::value(Op::Below, GOAL_GROWTH_MB, "value < 100 MB"))
        .detail("rss_peak_mb", known(m.rss_peak))
        .detail("rss_before_server_mb", known(before_server))
        .detail("rss_samples", m.rss_samples)
        .note("the server runs in this process, sampled every 50 ms on a thread of its own from just before the request to the end of the download; the bench's own HTTP client (a chunk at a time) is included")
        .note("the fill ran before the 'before' reading; memory the allocator kept from it can be reused by the export and not show as growth"),
    );
    rep.emit(
        Outcome::new(
            "export.rss_peak",
            "server VmRSS, peak during the export",
            "MB",
            known(m.rss_peak),
            "VmRSS just before the request",
            known(m.rss_before),
        )
        .detail("rss_before_server_mb", known(before_server))
        .note("the bench process: the server, the harness and its HTTP client"),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_tree_reads_every_file_under_it() {
        let dir = super::super::sys::ScratchDir::new("read-tree").unwrap();
        std::fs::create_dir_all(dir.path().join("a/b")).unwrap();
        std::fs::write(dir.path().join("a/one"), vec![1u8; 3 * READ_BUFFER + 7]).unwrap();
        std::fs::write(dir.path().join("a/b/two"), b"xy").unwrap();
        assert_eq!(
            read_tree(dir.path()).unwrap(),
            (3 * READ_BUFFER as u64 + 9, 2)
        );
    }
}
