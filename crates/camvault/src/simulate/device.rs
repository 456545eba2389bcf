//! One simulated camera: the device API as firmware would use it.
//!
//! It signs in with its serial and secret, reports heartbeats, uploads the
//! demo clip's init once and then the clip's segments in a loop, each
//! re-timed so decode times keep rising and stamped with the wall-clock
//! time it "was recorded". Refusals drop the segment (as a camera in privacy
//! mode would), a 401 renews the token, and network trouble is retried with
//! back-off; nothing here panics.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use domain::clock::{Clock, Timestamp};
use rand::Rng;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::watch;

use super::clip::Clip;
use super::stats::SimStats;
use super::Pacing;

/// Firmware version the simulated cameras report.
pub const FIRMWARE_VERSION: &str = "sim-1.0";
/// Tries per segment (the first plus retries) before it counts as failed.
const MAX_ATTEMPTS: u32 = 6;
/// First back-off after an error; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
/// Longest back-off between two tries.
const MAX_BACKOFF: Duration = Duration::from_secs(8);
/// Heartbeat retry after a failed one (the server's interval applies otherwise).
const HEARTBEAT_RETRY: Duration = Duration::from_secs(10);
/// In fast mode, a refused camera pauses this long so it does not spin.
const REFUSED_PAUSE: Duration = Duration::from_millis(100);
/// Longest sleep while waiting for the clock, so a manual clock moved by a
/// test is noticed promptly.
const CLOCK_POLL: Duration = Duration::from_millis(100);
/// Fast mode stamps segments on a timeline that starts this far in the past,
/// like a camera emptying its SD card after an outage: it can then run far
/// ahead of real time before reaching the server's clock.
pub const FAST_BACKFILL: Duration = Duration::from_secs(24 * 3600);
/// How far ahead of the clock the fast timeline may run (the server refuses
/// more than five minutes) before it starts over at [`FAST_BACKFILL`].
const FAST_MAX_LEAD: Duration = Duration::from_secs(60);

/// Why a request did not succeed.
#[derive(Debug)]
enum Problem {
    /// The stop signal came first.
    Stopped,
    /// 401: the token is no longer good.
    Unauthorized,
    /// 403/409: the camera's settings (or binding) forbid recording.
    Refused(String),
    /// 404: for a segment, the server no longer knows its init.
    NotFound,
    /// Worth retrying: network errors, 408, 429, 5xx.
    Transient(String),
    /// Retrying the same request cannot help.
    Permanent(String),
}

/// How one segment ended.
enum Outcome {
    Stored(Duration),
    Refused(String),
    Failed(String),
    Stopped,
}

#[derive(Deserialize)]
struct TokenAnswer {
    token: String,
    expires_in: u64,
}

#[derive(Deserialize)]
struct InitAnswer {
    init_id: i64,
}

#[derive(Deserialize)]
struct HeartbeatAnswer {
    heartbeat_interval_secs: u64,
}

/// A device token and when to replace it.
struct Token {
    value: String,
    renew_at: Timestamp,
}

/// Turns a non-2xx answer into a [`Problem`], naming its error code.
async fn check(resp: reqwest::Response) -> Result<reqwest::Response, Problem> {
    let status = resp.status();
    if status.is_success() {
        return Ok(resp);
    }
    let code = resp
        .json::<Value>()
        .await
        .ok()
        .and_then(|v| v["error"]["code"].as_str().map(str::to_string))
        .unwrap_or_default();
    Err(match status.as_u16() {
        401 => Problem::Unauthorized,
        403 | 409 => Problem::Refused(code),
        404 => Problem::NotFound,
        408 | 429 | 500..=599 => Problem::Transient(format!("{status} {code}")),
        _ => Problem::Permanent(format!("{status} {code}")),
    })
}

/// Resolves once `stop` reads true or its sender is gone.
async fn stopped(stop: &mut watch::Receiver<bool>) {
    loop {
        if *stop.borrow_and_update() {
            return;
        }
        if stop.changed().await.is_err() {
            return;
        }
    }
}

/// What all cameras of one simulator share.
pub(super) struct Shared {
    /// Server base URLs without a trailing slash: the first, then the
    /// others in turn while the current one cannot be reached.
    pub(super) bases: Vec<String>,
    /// One connection pool for every camera.
    pub(super) client: reqwest::Client,
    /// Wall-clock time: when segments were "recorded", token and heartbeat timing.
    pub(super) clock: Arc<dyn Clock>,
    /// Real time or as fast as possible.
    pub(super) pacing: Pacing,
    /// The demo clip.
    pub(super) clip: Clip,
    /// Counters the caller reads.
    pub(super) stats: Arc<SimStats>,
    /// Raise a motion event (with a snapshot) every this many segments.
    pub(super) motion_every: Option<u64>,
}

/// One simulated camera and its connection state.
pub(super) struct Device {
    index: usize,
    serial: String,
    secret: String,
    shared: Arc<Shared>,
    stop: watch::Receiver<bool>,
    token: Option<Token>,
    init_id: Option<i64>,
    heartbeat_due: Timestamp,
    upload_kbps: Option<f64>,
    booted: Instant,
    /// Which of the server URLs this camera talks to.
    server: usize,
}

impl Device {
    /// Camera number `index` (its place in the stats), not yet online.
    pub(super) fn new(
        index: usize,
        (serial, secret): (String, String),
        shared: Arc<Shared>,
        stop: watch::Receiver<bool>,
    ) -> Device {
        Device {
            index,
            serial,
            secret,
            shared,
            stop,
            token: None,
            init_id: None,
            heartbeat_due: Timestamp(i64::MIN),
            upload_kbps: None,
            booted: Instant::now(),
            server: 0,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.shared.bases[self.server])
    }

    /// Sends a request unless the stop signal comes first. A server that
    /// cannot be reached makes the next request go to the next URL, as a
    /// camera behind a load balancer would land on another instance.
    async fn send(&mut self, req: reqwest::RequestBuilder) -> Result<reqwest::Response, Problem> {
        tokio::select! {
            resp = req.send() => match resp {
                Ok(r) => check(r).await,
                Err(e) => {
                    if e.is_connect() || e.is_timeout() {
                        self.server = (self.server + 1) % self.shared.bases.len();
                    }
                    Err(Problem::Transient(e.to_string()))
                }
            },
            _ = stopped(&mut self.stop) => Err(Problem::Stopped),
        }
    }

    /// Sleeps for `d`; false if the stop signal came first.
    async fn pause(&mut self, d: Duration) -> bool {
        tokio::select! {
            _ = tokio::time::sleep(d) => true,
            _ = stopped(&mut self.stop) => false,
        }
    }

    /// Waits until the clock reads `at`; false if stopped first.
    async fn wait_until(&mut self, at: Timestamp) -> bool {
        loop {
            let now = self.shared.clock.now();
            if now >= at {
                return true;
            }
            let left = Duration::from_millis(u64::try_from(at.ms() - now.ms()).unwrap_or(0));
            if !self.pause(left.min(CLOCK_POLL)).await {
                return false;
            }
        }
    }

    /// A valid device token, fetching a new one when due.
    async fn token(&mut self) -> Result<String, Problem> {
        if let Some(t) = &self.token {
            if self.shared.clock.now() < t.renew_at {
                return Ok(t.value.clone());
            }
        }
        let req = self
            .shared
            .client
            .post(self.url("/api/v1/device/token"))
            .json(&json!({"serial": self.serial, "secret": self.secret}));
        let answer: TokenAnswer = match self.send(req).await {
            Ok(resp) => resp
                .json()
                .await
                .map_err(|e| Problem::Transient(e.to_string()))?,
            // A refused secret may be a re-provisioning in progress: wait and retry.
            Err(Problem::Unauthorized) => {
                return Err(Problem::Transient("device secret refused".into()))
            }
            Err(p) => return Err(p),
        };
        // Renew at four fifths of the lifetime, well before it runs out.
        let ttl = Duration::from_secs(answer.expires_in.max(1)) * 4 / 5;
        self.token = Some(Token {
            value: answer.token.clone(),
            renew_at: self.shared.clock.now().plus(ttl),
        });
        Ok(answer.token)
    }

    /// Reports facts when a heartbeat is due; failures only delay the next.
    async fn heartbeat_if_due(&mut self) {
        if self.shared.clock.now() < self.heartbeat_due {
            return;
        }
        let outcome = match self.token().await {
            Ok(token) => {
                let mut beat = json!({
                    "firmware_version": FIRMWARE_VERSION,
                    "time_zone": "UTC",
                    "uptime_secs": self.booted.elapsed().as_secs(),
                });
                if let Some(kbps) = self.upload_kbps {
                    beat["upload_kbps"] = json!(kbps.round() as i64);
                }
                let req = self
                    .shared
                    .client
                    .post(self.url("/api/v1/device/heartbeat"))
                    .bearer_auth(token)
                    .json(&beat);
                match self.send(req).await {
                    Ok(resp) => resp
                        .json::<HeartbeatAnswer>()
                        .await
                        .map_err(|e| Problem::Transient(e.to_string())),
                    Err(p) => Err(p),
                }
            }
            Err(p) => Err(p),
        };
        let next = match outcome {
            Ok(a) => Duration::from_secs(a.heartbeat_interval_secs.max(1)),
            Err(p) => {
                if matches!(p, Problem::Unauthorized) {
                    self.token = None;
                }
                tracing::debug!(serial = %self.serial, problem = ?p, "heartbeat failed");
                HEARTBEAT_RETRY
            }
        };
        self.heartbeat_due = self.shared.clock.now().plus(next);
    }

    /// The init id, uploading the clip's init if the server has none yet.
    async fn init_id(&mut self, token: &str) -> Result<i64, Problem> {
        if let Some(id) = self.init_id {
            return Ok(id);
        }
        let req = self
            .shared
            .client
            .put(self.url("/api/v1/device/init"))
            .bearer_auth(token)
            .header("content-type", "video/mp4")
            .body(self.shared.clip.init.clone());
        let answer: InitAnswer = self
            .send(req)
            .await?
            .json()
            .await
            .map_err(|e| Problem::Transient(e.to_string()))?;
        self.init_id = Some(answer.init_id);
        Ok(answer.init_id)
    }

    /// Uploads one segment, retrying what can be retried.
    async fn deliver(&mut self, id: &str, start: Timestamp, bytes: &Bytes) -> Outcome {
        let mut attempt = 0;
        let mut wait = false;
        let mut last = String::new();
        loop {
            if attempt >= MAX_ATTEMPTS {
                return Outcome::Failed(last);
            }
            if wait {
                let backoff = FIRST_BACKOFF
                    .saturating_mul(1 << (attempt - 1).min(16))
                    .min(MAX_BACKOFF);
                // Jitter keeps many cameras from retrying in lockstep.
                let jitter = Duration::from_millis(rand::thread_rng().gen_range(0..100));
                if !self.pause(backoff + jitter).await {
                    return Outcome::Stopped;
                }
            }
            attempt += 1;
            (wait, last) = match self.try_once(id, start, bytes).await {
                Ok(latency) => return Outcome::Stored(latency),
                Err(Problem::Stopped) => return Outcome::Stopped,
                Err(Problem::Refused(code)) => return Outcome::Refused(code),
                Err(Problem::Permanent(why)) => return Outcome::Failed(why),
                // A fresh token or init is fetched on the next try: at once
                // the first time, after a back-off if that did not help.
                Err(Problem::Unauthorized) => {
                    self.token = None;
                    (attempt > 1, "unauthorized".into())
                }
                Err(Problem::NotFound) => {
                    self.init_id = None;
                    (attempt > 1, "unknown init".into())
                }
                Err(Problem::Transient(why)) => (true, why),
            };
        }
    }

    /// One try: token, init if needed, then the segment. Returns the time
    /// from sending the segment to its acknowledgement.
    async fn try_once(
        &mut self,
        id: &str,
        start: Timestamp,
        bytes: &Bytes,
    ) -> Result<Duration, Problem> {
        let token = self.token().await?;
        let init_id = self.init_id(&token).await?;
        let req = self
            .shared
            .client
            .put(self.url(&format!(
                "/api/v1/device/segments/{id}?init_id={init_id}&start_ms={}",
                start.ms()
            )))
            .bearer_auth(&token)
            .header("content-type", "video/iso.segment")
            .body(bytes.clone());
        let sent = Instant::now();
        self.send(req).await?;
        Ok(sent.elapsed())
    }

    /// Folds one upload into the bitrate the heartbeat reports.
    fn note_rate(&mut self, bytes: usize, latency: Duration) {
        let ms = latency.as_secs_f64() * 1000.0;
        if ms <= 0.0 {
            return;
        }
        // bits per millisecond are kbit/s.
        let kbps = bytes as f64 * 8.0 / ms;
        self.upload_kbps = Some(match self.upload_kbps {
            Some(old) => old * 0.7 + kbps * 0.3,
            None => kbps,
        });
    }

    /// Reports a motion event at `at` with the demo snapshot; a failure is
    /// only logged, as a camera would drop an alert it could not send.
    async fn raise_motion(&mut self, at: Timestamp) {
        let Ok(token) = self.token().await else {
            return;
        };
        let event = json!({"type": "motion", "at_ms": at.ms(), "score": 0.9, "labels": ["demo"]});
        let form = reqwest::multipart::Form::new()
            .text("event", event.to_string())
            .part(
                "snapshot",
                reqwest::multipart::Part::bytes(media::demo::DEMO_SNAPSHOT)
                    .file_name("snapshot.jpg"),
            );
        let req = self
            .shared
            .client
            .post(self.url("/api/v1/device/events"))
            .bearer_auth(token)
            .multipart(form);
        if let Err(p) = self.send(req).await {
            tracing::debug!(serial = %self.serial, problem = ?p, "motion event not sent");
        }
    }

    /// Runs until the stop signal.
    pub(super) async fn run(mut self) {
        // A run tag keeps segment ids unique across runs of the same camera:
        // the server would take a reused id for a retry and store nothing.
        let run: u32 = rand::random();
        // Recording starts at boot; the first segment covers the two
        // seconds from here.
        let mut next = match self.shared.pacing {
            Pacing::RealTime => self.shared.clock.now(),
            Pacing::Fast => self.shared.clock.now().minus(FAST_BACKFILL),
        };
        // Come online at once, as a camera does after boot; what fails here
        // is retried by the upload loop.
        self.heartbeat_if_due().await;
        if let Ok(token) = self.token().await {
            let _ = self.init_id(&token).await;
        }
        let mut failing = false;
        for k in 0u64.. {
            match self.shared.pacing {
                // A segment leaves once its two seconds have been recorded.
                Pacing::RealTime => {
                    if !self.wait_until(next.plus(self.shared.clip.segment)).await {
                        break;
                    }
                }
                Pacing::Fast => {
                    let now = self.shared.clock.now();
                    if next > now.plus(FAST_MAX_LEAD) {
                        tracing::info!(serial = %self.serial, "fast timeline caught up with the clock; starting over a day back");
                        next = now.minus(FAST_BACKFILL);
                    }
                }
            }
            if *self.stop.borrow() {
                break;
            }
            self.heartbeat_if_due().await;
            let bytes = match self.shared.clip.segment(k) {
                Ok(b) => b,
                Err(e) => {
                    tracing::error!(serial = %self.serial, error = %e, "cannot re-time the demo segment");
                    self.shared.stats.sent(self.index);
                    self.shared.stats.failed(self.index);
                    next = next.plus(self.shared.clip.segment);
                    continue;
                }
            };
            let id = format!("{}-{run:08x}-{k}", self.serial);
            let outcome = self.deliver(&id, next, &bytes).await;
            if !matches!(outcome, Outcome::Stopped) {
                self.shared.stats.sent(self.index);
            }
            match outcome {
                Outcome::Stored(latency) => {
                    if failing {
                        tracing::info!(serial = %self.serial, "uploads work again");
                        failing = false;
                    }
                    self.shared
                        .stats
                        .stored(self.index, bytes.len() as u64, latency);
                    self.note_rate(bytes.len(), latency);
                    if self.shared.motion_every.is_some_and(|n| k % n.max(1) == 0) {
                        self.raise_motion(next.plus(self.shared.clip.segment / 2))
                            .await;
                    }
                }
                Outcome::Refused(code) => {
                    tracing::debug!(serial = %self.serial, code = %code, "segment refused; dropped");
                    self.shared.stats.refused(self.index);
                    if self.shared.pacing == Pacing::Fast && !self.pause(REFUSED_PAUSE).await {
                        break;
                    }
                }
                Outcome::Failed(why) => {
                    tracing::warn!(serial = %self.serial, segment = %id, problem = %why, "segment upload failed; dropped");
                    failing = true;
                    self.shared.stats.failed(self.index);
                }
                Outcome::Stopped => break,
            }
            next = next.plus(self.shared.clip.segment);
        }
    }
}
