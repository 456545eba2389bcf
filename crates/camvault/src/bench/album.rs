//! `bench album`: uploading a long clip to the album, against copying the
//! same file on the same disk, and the server's memory meanwhile.
//!
//! The clip (`--album-mb` MB, default 1,000) is a progressive MP4 written to
//! the scratch directory: `ftyp`, a `mdat` of incompressible bytes, then a
//! `moov` carrying a place, as phones record. It goes through the real HTTP
//! API the way the album page sends large files: `POST
//! /api/v1/me/album/uploads`, then 8 MiB `PUT` pieces read from the file,
//! each sealed as it arrives; the last one has the server walk the clip's
//! boxes, remove the place and seal it into the album a window at a time.
//! The baseline is `std::fs::copy` of the same file into the same
//! directory, as `cp` does. Before each, the file is flushed and dropped
//! from the page cache, so both read it from the disk.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::{json, Value};
use tokio::io::AsyncReadExt;

use super::report::{Goal, Op, Outcome, Reporter};
use super::server::BenchServer;
use super::sys::{cpu_seconds, evict_from_page_cache, mb, rss_bytes, RssSampler};
use super::{settle, shared_cores_note, Options};

/// The piece size the album page sends.
const PIECE: usize = 8 * 1024 * 1024;
/// How often RSS is sampled.
const TICK: Duration = Duration::from_millis(50);
/// Memory the upload may add to the server, in MB: what a long clip must
/// not need is memory in proportion to its length.
const GOAL_GROWTH_MB: f64 = 100.0;
/// The place the clip carries, which the upload must remove.
const PLACE: &str = "+48.8577+002.2950/";

/// Writes the clip into `dir`; its path and length.
fn write_clip(dir: &Path, bytes: u64) -> anyhow::Result<(PathBuf, u64)> {
    let (init, _) = media::demo::demo_segments().context("splitting the demo clip")?;
    let tagged = media::fmp4::with_location(&init, PLACE).context("tagging the clip")?;
    let ftyp = u32::from_be_bytes(tagged[..4].try_into()?) as usize;
    let media_len = bytes.saturating_sub(tagged.len() as u64 + 16).max(1);
    let path = dir.join("clip.mp4");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path)?);
    out.write_all(&tagged[..ftyp])?;
    // A 64-bit size, so clips past 4 GB are written the same way.
    out.write_all(&1u32.to_be_bytes())?;
    out.write_all(b"mdat")?;
    out.write_all(&(media_len + 16).to_be_bytes())?;
    let mut block = vec![0u8; PIECE];
    let mut left = media_len;
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    while left > 0 {
        // xorshift: cheap bytes no compression or deduplication shrinks.
        for word in block.chunks_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            word.copy_from_slice(&state.to_le_bytes()[..word.len()]);
        }
        let n = left.min(PIECE as u64) as usize;
        out.write_all(&block[..n])?;
        left -= n as u64;
    }
    out.write_all(&tagged[ftyp..])?;
    out.flush()?;
    let len = std::fs::metadata(&path)?.len();
    Ok((path, len))
}

/// Sends the clip in pieces; the stored item, and how long the last piece
/// took (it completes the clip).
async fn upload(
    server: &BenchServer,
    token: &str,
    clip: &Path,
    len: u64,
) -> anyhow::Result<(Value, Duration)> {
    let client = reqwest::Client::new();
    let started: Value = client
        .post(format!("{}/api/v1/me/album/uploads", server.base))
        .bearer_auth(token)
        .json(&json!({"media_type": "video/mp4", "size": len, "name": "bench.mp4"}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let id = started["id"].as_str().context("no upload id")?.to_string();
    let mut file = tokio::fs::File::open(clip).await?;
    let mut offset = 0u64;
    loop {
        let n = (len - offset).min(PIECE as u64) as usize;
        let mut piece = vec![0u8; n];
        file.read_exact(&mut piece).await?;
        let at = Instant::now();
        let answer: Value = client
            .put(format!(
                "{}/api/v1/me/album/uploads/{id}?offset={offset}",
                server.base
            ))
            .bearer_auth(token)
            .body(piece)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        offset += n as u64;
        if offset == len {
            let item = answer.get("item").cloned();
            return Ok((item.context("no item after the last piece")?, at.elapsed()));
        }
    }
}

/// Drops the clip's pages from the page cache (after writing them out).
async fn evict(dir: PathBuf) -> anyhow::Result<()> {
    tokio::task::spawn_blocking(move || evict_from_page_cache(&dir))
        .await
        .context("evicting panicked")??;
    Ok(())
}

/// What one run measured.
struct Measured {
    len: u64,
    copy: Duration,
    upload: Duration,
    last_piece: Duration,
    rss_before: u64,
    rss_peak: u64,
    rss_samples: u64,
    cpu: Option<f64>,
}

async fn measure(server: &BenchServer, opts: &Options, rep: &Reporter) -> anyhow::Result<Measured> {
    let source = server.dir().join("source");
    std::fs::create_dir_all(&source)?;
    let (clip, len) = write_clip(&source, opts.album_mb.saturating_mul(1_000_000))?;
    let token = server.token().await?;

    rep.progress(&format!("album: copying {:.0} MB", mb(len)));
    evict(source.clone()).await?;
    let copy_to = server.dir().join("copy.mp4");
    let (from, to) = (clip.clone(), copy_to.clone());
    let at = Instant::now();
    tokio::task::spawn_blocking(move || std::fs::copy(from, to))
        .await
        .context("copying panicked")??;
    let copy = at.elapsed();
    std::fs::remove_file(&copy_to)?;
    if !opts.quick {
        settle(rep).await;
    }

    rep.progress(&format!("album: uploading {:.0} MB", mb(len)));
    evict(source).await?;
    let rss_before = rss_bytes(None).unwrap_or(0);
    let sampler = RssSampler::start(TICK);
    let cpu0 = cpu_seconds();
    let at = Instant::now();
    let item = upload(server, &token, &clip, len).await;
    let upload = at.elapsed();
    let cpu = cpu_seconds().zip(cpu0).map(|(b, a)| b - a);
    let (rss_peak, rss_samples) = sampler.finish();
    let (item, last_piece) = item?;
    anyhow::ensure!(
        item["bytes"].as_u64() == Some(len) && item["location_kept"] == false,
        "the stored clip is not what was sent: {item}"
    );
    Ok(Measured {
        len,
        copy,
        upload,
        last_piece,
        rss_before,
        rss_peak,
        rss_samples,
        cpu,
    })
}

/// Runs the benchmark.
pub async fn run(opts: &Options, rep: &mut Reporter) -> anyhow::Result<()> {
    let server = BenchServer::start("album").await?;
    let result = measure(&server, opts, rep).await;
    let stopped = server.stop().await;
    let m = result?;
    stopped?;
    let secs = |d: Duration| d.as_secs_f64().max(1e-9);
    let upload_mb_s = mb(m.len) / secs(m.upload);
    rep.emit(
        Outcome::new(
            "album.upload",
            "clip MB stored per second: 8 MiB pieces over HTTP, each sealed, then the place removed and the clip sealed into the album",
            "MB/s",
            Some(upload_mb_s),
            "std::fs::copy of the same file into the same directory",
            Some(mb(m.len) / secs(m.copy)),
        )
        .detail("clip_mb", mb(m.len))
        .detail("upload_seconds", m.upload.as_secs_f64())
        .detail("last_piece_seconds", m.last_piece.as_secs_f64())
        .detail("copy_seconds", m.copy.as_secs_f64())
        .detail("cpu_seconds", m.cpu)
        .note("the clip is read from the disk by both: flushed and dropped from the page cache before each")
        .note("the upload writes the clip twice (sealed pieces, then the sealed album file) and reads the pieces back once; the copy writes it once")
        .note(shared_cores_note()),
    );
    let known = |b: u64| (b > 0).then(|| mb(b));
    rep.emit(
        Outcome::new(
            "album.rss_growth",
            "server VmRSS growth during the upload: peak minus just before it",
            "MB",
            known(m.rss_peak)
                .zip(known(m.rss_before))
                .map(|(p, b)| (p - b).max(0.0)),
            "VmRSS just before the upload",
            known(m.rss_before),
        )
        .goal(Goal::value(Op::Below, GOAL_GROWTH_MB, "value < 100 MB"))
        .detail("rss_peak_mb", known(m.rss_peak))
        .detail("clip_mb", mb(m.len))
        .detail("rss_samples", m.rss_samples)
        .note("the server runs in this process, sampled every 50 ms on a thread of its own; the bench's HTTP client and its 8 MiB piece are included"),
    );
    Ok(())
}
