//! Prometheus metrics: requests by route and status, ingest, live viewers,
//! background jobs and database connections, served at `/metrics` in the
//! text exposition format to a scraper holding the configured token.
//!
//! Each server has its own registry (no process-wide state), so several
//! servers in one process, as in the tests, count apart.

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::state::AppState;

/// A request's route (the pattern, never the raw path), method and status.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// The matched route pattern, or `unmatched`.
    pub route: String,
    /// HTTP method.
    pub method: String,
    /// Status code.
    pub status: u16,
}

/// A route and method, for latencies.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    /// The matched route pattern, or `unmatched`.
    pub route: String,
    /// HTTP method.
    pub method: String,
}

/// How a segment upload ended.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    /// `stored`, `refused` or `failed`.
    pub outcome: &'static str,
}

/// One background job.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct JobLabels {
    /// The job's name.
    pub job: &'static str,
}

/// One connection pool and one state of its connections.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PoolLabels {
    /// `read`, `write` or `main`.
    pub pool: &'static str,
    /// `idle` or `busy`.
    pub state: &'static str,
}

/// Connections of one pool: (name, open, idle).
pub type PoolSample = (&'static str, u32, usize);

type LatencyFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 1 ms to about 16 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

/// Every metric of one server.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: LatencyFamily,
    /// Segment uploads by outcome.
    pub ingest_segments: Family<OutcomeLabels, Counter>,
    /// Media bytes stored by uploads.
    pub ingest_bytes: Counter,
    /// Live-view sockets open now.
    pub live_viewers: Gauge,
    /// Background job runs.
    pub job_runs: Family<JobLabels, Counter>,
    /// Background job runs that failed.
    pub job_failures: Family<JobLabels, Counter>,
    db_connections: Family<PoolLabels, Gauge>,
    pools: OnceLock<Box<dyn Fn() -> Vec<PoolSample> + Send + Sync>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("camvault");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route, method and status",
            requests.clone(),
        );
        let latency: LatencyFamily = Family::new_with_constructor(latency_histogram);
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request (until the response starts)",
            latency.clone(),
        );
        let ingest_segments = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "ingest_segments",
            "Media segment uploads, by outcome",
            ingest_segments.clone(),
        );
        let ingest_bytes = Counter::default();
        registry.register(
            "ingest_bytes",
            "Bytes of media segments stored",
            ingest_bytes.clone(),
        );
        let live_viewers = Gauge::default();
        registry.register(
            "live_viewers",
            "Live-view sockets open",
            live_viewers.clone(),
        );
        let job_runs = Family::<JobLabels, Counter>::default();
        registry.register("job_runs", "Background job runs", job_runs.clone());
        let job_failures = Family::<JobLabels, Counter>::default();
        registry.register(
            "job_failures",
            "Background job runs that failed",
            job_failures.clone(),
        );
        let db_connections = Family::<PoolLabels, Gauge>::default();
        registry.register(
            "db_connections",
            "Database connections by pool and state",
            db_connections.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            ingest_segments,
            ingest_bytes,
            live_viewers,
            job_runs,
            job_failures,
            db_connections,
            pools: OnceLock::new(),
        }
    }
}

impl Metrics {
    /// Where the connection-pool figures come from, read at each scrape.
    pub fn set_pool_source(&self, source: impl Fn() -> Vec<PoolSample> + Send + Sync + 'static) {
        let _ = self.pools.set(Box::new(source));
    }

    /// Counts one run of `job`, and whether it failed.
    pub fn job(&self, job: &'static str, ok: bool) {
        let labels = JobLabels { job };
        self.job_runs.get_or_create(&labels).inc();
        if !ok {
            self.job_failures.get_or_create(&labels).inc();
        }
    }

    /// The text exposition of every metric now.
    pub fn render(&self) -> String {
        if let Some(source) = self.pools.get() {
            for (pool, open, idle) in source() {
                let idle = idle.min(open as usize) as i64;
                self.db_connections
                    .get_or_create(&PoolLabels {
                        pool,
                        state: "idle",
                    })
                    .set(idle);
                self.db_connections
                    .get_or_create(&PoolLabels {
                        pool,
                        state: "busy",
                    })
                    .set(i64::from(open) - idle);
            }
        }
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// A live viewer counted while this is alive.
pub struct ViewerGuard(Gauge);

impl ViewerGuard {
    /// Counts a viewer in.
    pub fn new(metrics: &Metrics) -> ViewerGuard {
        metrics.live_viewers.inc();
        ViewerGuard(metrics.live_viewers.clone())
    }
}

impl Drop for ViewerGuard {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// Counts every request by its route pattern and status, with its latency.
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let method = req.method().as_str().to_string();
    let started = Instant::now();
    let response = next.run(req).await;
    let metrics = &state.metrics;
    metrics
        .latency
        .get_or_create(&RouteLabels {
            route: route.clone(),
            method: method.clone(),
        })
        .observe(started.elapsed().as_secs_f64());
    metrics
        .requests
        .get_or_create(&RequestLabels {
            route,
            method,
            status: response.status().as_u16(),
        })
        .inc();
    response
}

/// The scraper's token, hashed, so comparing it takes the same time
/// whatever the guess.
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// `GET /metrics`: the text exposition, to a bearer of the configured
/// token; 404 when metrics are off, 401 without the token.
pub async fn serve(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(expected) = state.settings.metrics_token_hash else {
        return ApiError::route_not_found().into_response();
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(token_hash);
    if given != Some(expected) {
        return ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "send the metrics token as a bearer token",
        )
        .into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}

/// Shared handle to a server's metrics.
pub type SharedMetrics = Arc<Metrics>;
