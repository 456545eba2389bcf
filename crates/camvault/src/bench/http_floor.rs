//! What HTTP on both ends of the loopback costs on this machine, for the
//! ingest figures' context: the same number of concurrent uploaders send
//! the same segments to a bare axum route that only writes each body to a
//! file, as the plain-write baseline does. No validation, encryption,
//! index or live hand-over: the ceiling any HTTP ingest can reach here
//! while its cameras share the machine with it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use tokio::task::JoinSet;

use super::sys::cpu_seconds;

/// What the floor run measured.
pub struct Floor {
    /// Wall time of all uploads.
    pub elapsed: Duration,
    /// Process CPU seconds meanwhile.
    pub cpu: Option<f64>,
    /// Bytes sent and written.
    pub bytes: u64,
}

async fn sink(
    State(dir): State<Arc<PathBuf>>,
    UrlPath(name): UrlPath<String>,
    body: Bytes,
) -> StatusCode {
    match tokio::fs::write(dir.join(name), &body).await {
        Ok(()) => StatusCode::CREATED,
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Sends `count` segments from `tasks` tasks, each waiting for the answer
/// before its next one (as the fast-paced cameras do), to files in `dir`.
pub async fn run(
    dir: &Path,
    tasks: usize,
    count: u64,
    segments: Arc<Vec<Vec<u8>>>,
) -> anyhow::Result<Floor> {
    let app = axum::Router::new()
        .route("/sink/{name}", axum::routing::put(sink))
        .layer(axum::extract::DefaultBodyLimit::max(16 * 1024 * 1024))
        .with_state(Arc::new(dir.to_path_buf()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let client = reqwest::Client::new();
    let tasks = tasks.max(1);
    let cpu0 = cpu_seconds();
    let started = Instant::now();
    let mut set = JoinSet::new();
    for t in 0..tasks {
        let share = count / tasks as u64 + u64::from((t as u64) < count % tasks as u64);
        let (client, base, segments) = (client.clone(), base.clone(), segments.clone());
        set.spawn(async move {
            let mut bytes = 0u64;
            for k in 0..share {
                let seg = segments[(t + k as usize) % segments.len()].clone();
                bytes += seg.len() as u64;
                client
                    .put(format!("{base}/sink/{t}-{k}.m4s"))
                    .body(seg)
                    .send()
                    .await?
                    .error_for_status()?;
            }
            anyhow::Ok(bytes)
        });
    }
    let mut bytes = 0;
    let mut failed = None;
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok(Ok(b)) => bytes += b,
            Ok(Err(e)) => failed = Some(e),
            Err(e) => failed = Some(e.into()),
        }
    }
    let elapsed = started.elapsed();
    let cpu = cpu_seconds().zip(cpu0).map(|(b, a)| b - a);
    server.abort();
    if let Some(e) = failed {
        return Err(e);
    }
    Ok(Floor {
        elapsed,
        cpu,
        bytes,
    })
}
