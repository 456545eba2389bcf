//! `bench live`: what the server adds to live view's delay with 50 viewers
//! on one camera, against the same camera watched by one viewer.
//!
//! A simulated camera uploads in real time over the device API while
//! WebSocket viewers (`/api/v1/cameras/{id}/live`, bearer token) read every
//! message. The figure is the server's own measurement
//! (`LiveHub::take_latencies`): from a segment's arrival at the ingest
//! handler to its hand-over to a viewer's socket, so it includes
//! validating, sealing, writing and indexing the segment as well as the
//! fan-out. Each phase has its own camera, so no viewer starts with an old
//! segment.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use domain::clock::SystemClock;
use domain::ids::CameraId;
use futures_util::StreamExt;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

use super::report::{Goal, Op, Outcome, Reporter};
use super::server::BenchServer;
use super::sys::quantile;
use super::{shared_cores_note, Options};
use crate::simulate::{Pacing, Simulator};

/// Serial prefix of the live cameras.
const PREFIX: &str = "LIVE";
/// How long viewers get to subscribe before the camera starts.
const SUBSCRIBE_WAIT: Duration = Duration::from_secs(10);
/// After the camera stops, time for the last segment to reach every socket.
const DRAIN: Duration = Duration::from_millis(500);

/// What one phase measured.
struct Phase {
    latencies_ms: Vec<f64>,
    uploaded: u64,
    per_viewer: Vec<u64>,
}

/// Resolves once `stop` reads true or its sender is gone.
async fn stopped(stop: &mut watch::Receiver<bool>) {
    while !*stop.borrow_and_update() {
        if stop.changed().await.is_err() {
            return;
        }
    }
}

/// A live-view socket at `url` (`ws://…/live`) with a bearer `token`.
pub(super) async fn live_socket(
    url: &str,
    token: &str,
) -> anyhow::Result<
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
> {
    let mut req = url.into_client_request()?;
    req.headers_mut().insert(
        "authorization",
        HeaderValue::from_str(&format!("Bearer {token}"))?,
    );
    let (ws, _) = tokio_tungstenite::connect_async(req)
        .await
        .context("opening a live socket")?;
    Ok(ws)
}

/// Connects one viewer; its task returns how many media segments it got.
async fn viewer(
    url: &str,
    token: &str,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<JoinHandle<u64>> {
    let mut ws = live_socket(url, token).await?;
    Ok(tokio::spawn(async move {
        let (mut binary, mut text) = (0u64, 0u64);
        loop {
            tokio::select! {
                msg = ws.next() => match msg {
                    Some(Ok(Message::Binary(_))) => binary += 1,
                    Some(Ok(Message::Text(_))) => text += 1,
                    Some(Ok(_)) => {}
                    _ => break,
                },
                _ = stopped(&mut stop) => {
                    let _ = ws.close(None).await;
                    break;
                }
            }
        }
        // Each init description (text) is followed by the init (binary).
        binary.saturating_sub(text)
    }))
}

async fn phase(
    server: &BenchServer,
    camera: (String, String),
    id: CameraId,
    viewers: usize,
    seconds: u64,
) -> anyhow::Result<Phase> {
    let token = server.token().await?;
    let url = format!(
        "{}/api/v1/cameras/{id}/live",
        server.base.replacen("http://", "ws://", 1)
    );
    let (stop_viewers, viewers_stopped) = watch::channel(false);
    let mut tasks = Vec::with_capacity(viewers);
    for _ in 0..viewers {
        tasks.push(viewer(&url, &token, viewers_stopped.clone()).await?);
    }
    let live = server.core.recordings.live();
    let waited = tokio::time::Instant::now();
    while live.viewers(id) < viewers {
        anyhow::ensure!(
            waited.elapsed() < SUBSCRIBE_WAIT,
            "only {} of {viewers} viewers subscribed",
            live.viewers(id)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Anything noted before the camera starts belongs to another phase.
    let _ = live.take_latencies();
    let sim = Simulator::new(
        &server.base,
        vec![camera],
        Pacing::RealTime,
        Arc::new(SystemClock),
    )?;
    let stats = sim.stats();
    let (stop_camera, camera_stopped) = watch::channel(false);
    let uploading = sim.spawn(camera_stopped);
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let _ = stop_camera.send(true);
    uploading.await?;
    tokio::time::sleep(DRAIN).await;
    let latencies_ms = live
        .take_latencies()
        .into_iter()
        .map(|us| f64::from(us) / 1000.0)
        .collect();
    let _ = stop_viewers.send(true);
    let mut per_viewer = Vec::with_capacity(viewers);
    for t in tasks {
        per_viewer.push(t.await?);
    }
    Ok(Phase {
        latencies_ms,
        uploaded: stats.snapshot().stored,
        per_viewer,
    })
}

/// Runs the benchmark: one viewer (the baseline), then `opts.viewers`.
pub async fn run(opts: &Options, rep: &mut Reporter) -> anyhow::Result<()> {
    let server = BenchServer::start("live").await?;
    let result = async {
        let (mut cameras, ids) = server.cameras(2, PREFIX).await?;
        let crowd_camera = cameras.pop().context("no second camera")?;
        let single_camera = cameras.pop().context("no first camera")?;
        rep.progress(&format!("live: 1 viewer for {} s", opts.seconds));
        let single = phase(&server, single_camera, ids[0], 1, opts.seconds).await?;
        rep.progress(&format!(
            "live: {} viewers for {} s",
            opts.viewers, opts.seconds
        ));
        let crowd = phase(&server, crowd_camera, ids[1], opts.viewers, opts.seconds).await?;
        anyhow::Ok((single, crowd))
    }
    .await;
    let stopped = server.stop().await;
    let (single, crowd) = result?;
    stopped?;
    let q = |p: &Phase, q| quantile(&p.latencies_ms, q);
    let details = |o: Outcome| {
        o.detail("viewers", opts.viewers)
            .detail("seconds", opts.seconds)
            .detail("samples", crowd.latencies_ms.len())
            .detail("baseline_samples", single.latencies_ms.len())
            .detail("segments_uploaded", crowd.uploaded)
            .detail("baseline_segments_uploaded", single.uploaded)
            .detail(
                "segments_per_viewer_min",
                crowd.per_viewer.iter().min().copied(),
            )
            .detail(
                "segments_per_viewer_max",
                crowd.per_viewer.iter().max().copied(),
            )
            .note("from a segment's arrival at the ingest handler to its hand-over to each viewer's socket (includes sealing, writing, indexing)")
    };
    rep.emit(details(
        Outcome::new(
            "live.latency_p99",
            "server-added live latency p99",
            "ms",
            q(&crowd, 0.99),
            "the same with 1 viewer",
            q(&single, 0.99),
        )
        .goal(Goal::value(Op::Below, 50.0, "value < 50 ms"))
        .note("the baseline sees one sample per segment, so its p99 is close to its maximum")
        .note(shared_cores_note()),
    ));
    rep.emit(details(Outcome::new(
        "live.latency_p50",
        "server-added live latency p50",
        "ms",
        q(&crowd, 0.5),
        "the same with 1 viewer",
        q(&single, 0.5),
    )));
    Ok(())
}
