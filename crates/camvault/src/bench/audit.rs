//! `bench audit`: what writing the audit entry (G4) adds to a playback
//! request.
//!
//! Two servers built the same way in this run: one as shipped, whose
//! playlist requests each append a hash-chained audit entry, and one whose
//! recordings hand their entries to a sink that drops them. Each gets a
//! camera with the same real segments; then the same HLS playlist request
//! (bearer token, over HTTP) is timed on both, alternating between them so
//! that the machine's noise falls on both alike, and their p99 compared.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use async_trait::async_trait;
use domain::audit::AuditEntry;
use domain::ids::{AccountId, CameraId};
use domain::ports::{AuditChainStore, AuditStore, CameraStore};
use domain::recordings::ingest::SegmentUpload;

use super::ingest::demo_segments;
use super::report::{Goal, Op, Outcome, Reporter};
use super::server::BenchServer;
use super::sys::quantile;
use super::{shared_cores_note, Options};
use crate::app::Deps;

/// Segments each camera holds (2 s each).
const SEGMENTS: usize = 30;
const SEGMENT_MS: i64 = 2_000;
/// Untimed requests on each server first.
const WARMUP: usize = 20;

/// Takes the recordings' audit entries and keeps none: the server without
/// an audit write.
struct Dropped;

#[async_trait]
impl AuditStore for Dropped {
    async fn append(&self, _entry: &AuditEntry) -> domain::Result<()> {
        Ok(())
    }

    async fn entries_about(
        &self,
        _subject: AccountId,
        _limit: i64,
    ) -> domain::Result<Vec<AuditEntry>> {
        Ok(Vec::new())
    }
}

/// One server ready to be asked for a playlist.
struct Target {
    server: BenchServer,
    url: String,
    token: String,
}

/// A camera with [`SEGMENTS`] real segments on `server`, and the URL of
/// their playlist.
async fn prepare(server: BenchServer) -> anyhow::Result<Target> {
    let (init_bytes, _) = media::demo::demo_segments().context("splitting the demo clip")?;
    let (_, ids) = server.cameras(1, "AUDIT").await?;
    let camera: CameraId = ids[0];
    let cam = server
        .core
        .store
        .camera(camera)
        .await?
        .context("the camera vanished")?;
    let (init, _) = server
        .core
        .recordings
        .upload_init(&cam, &init_bytes)
        .await?;
    let segments = demo_segments()?;
    let first = server.now().ms() - 10 * 60_000;
    for i in 0..SEGMENTS {
        let upload = SegmentUpload {
            device_id: format!("audit-{i}"),
            init_id: init.id,
            start: domain::clock::Timestamp(first + i as i64 * SEGMENT_MS),
            bytes: segments[i % segments.len()].clone(),
        };
        server.core.recordings.upload_segment(&cam, upload).await?;
    }
    let url = format!(
        "{}/api/v1/cameras/{camera}/recordings.m3u8?from={}&to={}",
        server.base,
        first,
        first + SEGMENTS as i64 * SEGMENT_MS
    );
    let token = server.token().await?;
    Ok(Target { server, url, token })
}

/// The sequence number of the audit chain's last entry.
async fn chain_len(server: &BenchServer) -> anyhow::Result<i64> {
    Ok(server.core.store.head().await?.map_or(0, |(seq, _)| seq))
}

/// Times one playlist request, in ms; checks it is a playlist.
async fn timed(client: &reqwest::Client, t: &Target) -> anyhow::Result<f64> {
    let at = Instant::now();
    let resp = client
        .get(&t.url)
        .bearer_auth(&t.token)
        .send()
        .await?
        .error_for_status()?;
    let body = resp.text().await?;
    let ms = at.elapsed().as_secs_f64() * 1000.0;
    anyhow::ensure!(body.starts_with("#EXTM3U"), "not a playlist: {body:.80}");
    Ok(ms)
}

/// Runs the benchmark.
pub async fn run(opts: &Options, rep: &mut Reporter) -> anyhow::Result<()> {
    let requests = if opts.quick { 100 } else { 1000 };
    let audited = prepare(BenchServer::start("audit-on").await?).await?;
    let dropped = Deps {
        recordings_audit: Some(Arc::new(Dropped)),
        ..Deps::default()
    };
    let plain = prepare(BenchServer::start_with("audit-off", dropped).await?).await?;
    let client = reqwest::Client::new();
    let result = async {
        for _ in 0..WARMUP {
            timed(&client, &audited).await?;
            timed(&client, &plain).await?;
        }
        let entries_before = chain_len(&audited.server).await?;
        let (mut with, mut without) = (Vec::new(), Vec::new());
        for i in 0..requests {
            // Alternate which goes first, so neither always follows the other.
            if i % 2 == 0 {
                with.push(timed(&client, &audited).await?);
                without.push(timed(&client, &plain).await?);
            } else {
                without.push(timed(&client, &plain).await?);
                with.push(timed(&client, &audited).await?);
            }
        }
        let written = chain_len(&audited.server).await? - entries_before;
        anyhow::ensure!(
            written == requests as i64,
            "{requests} playbacks wrote {written} audit entries"
        );
        anyhow::Ok((with, without))
    }
    .await;
    let stopped = (audited.server.stop().await, plain.server.stop().await);
    let (with, without) = result?;
    stopped.0?;
    stopped.1?;
    let p = |v: &[f64], q| quantile(v, q);
    rep.emit(
        Outcome::new(
            "audit.playback_p99",
            "GET .../recordings.m3u8 (1 min of segments) with its audit entry, p99",
            "ms",
            p(&with, 0.99),
            "the same request on a server whose recordings drop their audit entries, p99",
            p(&without, 0.99),
        )
        .goal(Goal::value(
            Op::Below,
            5.0,
            "value < 5 ms (goal derived here: the audit must not make starting a playback noticeably slower)",
        ))
        .detail("requests_each", requests)
        .detail("p50_with_ms", p(&with, 0.5))
        .detail("p50_without_ms", p(&without, 0.5))
        .detail("max_with_ms", p(&with, 1.0))
        .detail("max_without_ms", p(&without, 1.0))
        .note("both servers on SQLite in this process, one client, one request at a time, alternating")
        .note("an audit entry is an HMAC-chained row appended under the single writer, with salted digests")
        .note(shared_cores_note()),
    );
    Ok(())
}
