//! Simulated cameras: a camvault server with video and no hardware.
//!
//! [`Simulator`] drives a server over HTTP exactly as camera firmware does
//! (device token, heartbeat, init, then segments), looping the built-in
//! demo clip with ever-rising timestamps, one tokio task per camera. It
//! counts what happened in [`SimStats`] for benchmarks (ack latency
//! percentiles, bytes per second). [`prepare`] makes the accounts and
//! devices it needs straight through the domain services. `camvault
//! simulate` and `camvault serve --demo` are built on these.

mod clip;
mod device;
mod prepare;
mod stats;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use domain::clock::Clock;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use device::{FAST_BACKFILL, FIRMWARE_VERSION};
pub use prepare::{ensure_owner, prepare, random_password, reset_account, serial, SIM_MODEL};
pub use stats::{CameraSnapshot, SimStats, Snapshot};

/// How fast simulated cameras send their segments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pacing {
    /// Each 2 s segment leaves once its 2 s have passed on the clock, and is
    /// stamped with the time its recording began: a live camera.
    RealTime,
    /// Each segment leaves as soon as the previous one is acknowledged,
    /// stamped back to back on a timeline starting [`FAST_BACKFILL`] ago:
    /// a load test.
    Fast,
}

/// Cameras to simulate against one server; see the module docs.
pub struct Simulator {
    shared: Arc<device::Shared>,
    cameras: Vec<(String, String)>,
}

// Device secrets must never reach a log, so no derived Debug.
impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator")
            .field("servers", &self.shared.bases)
            .field("cameras", &self.cameras.len())
            .field("pacing", &self.shared.pacing)
            .finish()
    }
}

impl Simulator {
    /// Cameras given as (serial, device secret), talking to `base_url`
    /// (e.g. `http://127.0.0.1:8080`), with `clock` as their wall clock.
    pub fn new(
        base_url: &str,
        cameras: Vec<(String, String)>,
        pacing: Pacing,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Simulator> {
        let parsed = url::Url::parse(base_url)
            .with_context(|| format!("{base_url:?} is not a server URL"))?;
        anyhow::ensure!(
            matches!(parsed.scheme(), "http" | "https"),
            "the server URL must start with http:// or https://"
        );
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            // Generous: a 500 kB segment over a slow uplink.
            .timeout(Duration::from_secs(60))
            .build()
            .context("building the HTTP client")?;
        let stats = Arc::new(SimStats::new(cameras.iter().map(|(s, _)| s.as_str())));
        Ok(Simulator {
            shared: Arc::new(device::Shared {
                bases: vec![base_url.trim_end_matches('/').to_string()],
                client,
                clock,
                pacing,
                clip: clip::Clip::demo().context("loading the demo clip")?,
                stats,
                motion_every: None,
            }),
            cameras,
        })
    }

    /// Trusts `pem` (a certificate) for HTTPS besides the system's roots:
    /// the demo camera talking to its own server's self-signed certificate.
    pub fn trusting(mut self, pem: &[u8]) -> anyhow::Result<Simulator> {
        let cert = reqwest::Certificate::from_pem(pem).context("reading the certificate")?;
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(60))
            .add_root_certificate(cert)
            .build()
            .context("building the HTTP client")?;
        let shared = Arc::get_mut(&mut self.shared).context("trusting before the cameras start")?;
        shared.client = client;
        Ok(self)
    }

    /// Servers to turn to, in order, while the current one cannot be
    /// reached (instances behind one database, as a load balancer would
    /// spread them).
    pub fn with_fallbacks(mut self, urls: &[String]) -> Simulator {
        if let Some(shared) = Arc::get_mut(&mut self.shared) {
            shared
                .bases
                .extend(urls.iter().map(|u| u.trim_end_matches('/').to_string()));
        }
        self
    }

    /// Makes every camera report a motion event (with a snapshot) every
    /// `segments` segments, as a camera watching a busy scene would.
    pub fn with_motion_every(mut self, segments: u64) -> Simulator {
        if let Some(shared) = Arc::get_mut(&mut self.shared) {
            shared.motion_every = Some(segments.max(1));
        }
        self
    }

    /// The live statistics; they keep counting while [`Simulator::run`] runs.
    pub fn stats(&self) -> Arc<SimStats> {
        self.shared.stats.clone()
    }

    /// Runs every camera until `stop` turns true (or its sender is dropped).
    pub async fn run(self, stop: watch::Receiver<bool>) {
        let tasks: Vec<JoinHandle<()>> = self
            .cameras
            .into_iter()
            .enumerate()
            .map(|(i, creds)| {
                let camera = device::Device::new(i, creds, self.shared.clone(), stop.clone());
                tokio::spawn(camera.run())
            })
            .collect();
        for task in tasks {
            if let Err(e) = task.await {
                tracing::error!(error = %e, "a simulated camera stopped abnormally");
            }
        }
    }

    /// Runs the cameras on a background task; see [`Simulator::run`].
    pub fn spawn(self, stop: watch::Receiver<bool>) -> JoinHandle<()> {
        tokio::spawn(self.run(stop))
    }
}
