//! Events and alerts: what cameras report (motion, person, doorbell…),
//! kept with an encrypted snapshot, and fanned out to the people with
//! access according to their preferences (D1).
//!
//! An event marks a window of video that events-mode recording keeps. Each
//! person with access (owner and shares) is alerted on the channels they
//! chose, unless they turned alerts off for that camera, it is their quiet
//! hours, or the camera alerted within its cooldown. When the owner turns
//! alerts off for the camera, its events keep no snapshot.

pub mod fanout;
pub mod hub;
pub mod ingest;
pub mod integration;
pub mod motion;
pub mod prefs;
pub mod push;
pub mod search;
pub mod webhooks;

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::cameras::Cameras;
use crate::clock::{Clock, Timestamp};
use crate::ids::{AccountId, CameraId};
use crate::ports::{
    AccountStore, AlertSink, AuditStore, BlobStore, EventStore, Sender, ShareStore,
};
use crate::recordings::Recordings;
use crate::{Error, Result};

/// Kinds every camera may send; others must be lower-case words.
pub const KNOWN_KINDS: [&str; 7] = [
    "motion", "person", "vehicle", "animal", "sound", "doorbell", "tamper",
];

/// Checks an event kind: a known one or an extension (`[a-z][a-z0-9_]{0,31}`).
pub fn check_kind(kind: &str) -> Result<()> {
    let ok = KNOWN_KINDS.contains(&kind)
        || (kind.len() <= 32
            && kind.starts_with(|c: char| c.is_ascii_lowercase())
            && kind
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "type",
            "one of motion, person, vehicle, animal, sound, doorbell, tamper, or a lower-case word",
        ))
    }
}

/// Where in the picture, as fractions of its width and height.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Region {
    /// Left edge, 0–1.
    pub x: f64,
    /// Top edge, 0–1.
    pub y: f64,
    /// Width, 0–1.
    pub w: f64,
    /// Height, 0–1.
    pub h: f64,
}

impl Region {
    /// Checks the box lies within the picture.
    pub fn check(&self) -> Result<()> {
        let inside = |v: f64| (0.0..=1.0).contains(&v);
        if [self.x, self.y, self.w, self.h].iter().all(|v| inside(*v))
            && self.x + self.w <= 1.0 + 1e-9
            && self.y + self.h <= 1.0 + 1e-9
        {
            Ok(())
        } else {
            Err(Error::invalid(
                "region",
                "x, y, w, h are fractions 0–1 within the picture",
            ))
        }
    }
}

/// An event as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// Row id.
    pub id: i64,
    /// The camera.
    pub camera_id: CameraId,
    /// Its owner when it happened.
    pub account_id: AccountId,
    /// `motion`, `person`…
    pub kind: String,
    /// The camera's time of the event.
    pub at: Timestamp,
    /// Confidence 0–1, if the camera gave one.
    pub score: Option<f64>,
    /// Where in the picture.
    pub region: Option<Region>,
    /// Words for search (lower case).
    pub labels: Vec<String>,
    /// The sealed snapshot's blob key, when one is kept.
    pub snapshot_key: Option<String>,
    /// Snapshot size in pixels.
    pub snapshot_size: Option<(u32, u32)>,
    /// Whether anyone was alerted (cooldown bookkeeping).
    pub alerted: bool,
    /// When stored.
    pub created_at: Timestamp,
}

/// Limits and policies of events.
#[derive(Debug, Clone)]
pub struct EventsConfig {
    /// Largest snapshot accepted.
    pub max_snapshot_bytes: usize,
    /// Minimum time between two alerts of one camera.
    pub cooldown: Duration,
    /// How far in the past an event may be (uploads after an outage).
    pub max_backlog: Duration,
}

impl Default for EventsConfig {
    fn default() -> Self {
        EventsConfig {
            max_snapshot_bytes: 2 * 1024 * 1024,
            cooldown: Duration::from_secs(30),
            max_backlog: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

/// The injected dependencies of [`Events`].
pub struct EventsDeps {
    /// Events, preferences, deliveries.
    pub store: Arc<dyn EventStore>,
    /// Accounts (recipients' contacts).
    pub accounts: Arc<dyn AccountStore>,
    /// Shares (recipients).
    pub shares: Arc<dyn ShareStore>,
    /// The audit trail (snapshot views).
    pub audit: Arc<dyn AuditStore>,
    /// Where snapshots live (sealed).
    pub blobs: Arc<dyn BlobStore>,
    /// Access checks and camera settings.
    pub cameras: Arc<Cameras>,
    /// Keys and event windows.
    pub recordings: Arc<Recordings>,
    /// Email for alert mails.
    pub email: Arc<dyn Sender>,
    /// Integrations that hear of every alerting event (webhooks, MQTT).
    pub sinks: Vec<Arc<dyn AlertSink>>,
    /// Web Push: subscriptions, the sender, limits.
    pub push: push::PushDeps,
    /// Time.
    pub clock: Arc<dyn Clock>,
}

/// The events service.
pub struct Events {
    store: Arc<dyn EventStore>,
    accounts: Arc<dyn AccountStore>,
    shares: Arc<dyn ShareStore>,
    audit: Arc<dyn AuditStore>,
    blobs: Arc<dyn BlobStore>,
    cameras: Arc<Cameras>,
    recordings: Arc<Recordings>,
    email: Arc<dyn Sender>,
    sinks: Vec<Arc<dyn AlertSink>>,
    push: push::PushDeps,
    clock: Arc<dyn Clock>,
    config: EventsConfig,
    hub: hub::AlertHub,
    /// Other instances' alert streams, when several share the database.
    cluster: std::sync::OnceLock<Arc<crate::cluster::Cluster>>,
}

impl Events {
    /// Wires the service.
    pub fn new(deps: EventsDeps, config: EventsConfig) -> Self {
        Events {
            store: deps.store,
            accounts: deps.accounts,
            shares: deps.shares,
            audit: deps.audit,
            blobs: deps.blobs,
            cameras: deps.cameras,
            recordings: deps.recordings,
            email: deps.email,
            sinks: deps.sinks,
            push: deps.push,
            clock: deps.clock,
            config,
            hub: hub::AlertHub::default(),
            cluster: std::sync::OnceLock::new(),
        }
    }

    /// Sends in-app alerts to sessions on other instances too (and live
    /// segments to their viewers, through the recordings).
    pub fn join_cluster(&self, cluster: Arc<crate::cluster::Cluster>) {
        self.recordings.join_cluster(cluster.clone());
        let _ = self.cluster.set(cluster);
    }

    /// The other instances, when joined.
    pub(crate) fn cluster(&self) -> Option<&Arc<crate::cluster::Cluster>> {
        self.cluster.get()
    }

    /// The recording service (live view of relayed segments).
    pub fn recordings(&self) -> &Arc<Recordings> {
        &self.recordings
    }

    /// The in-app alert streams.
    pub fn hub(&self) -> &hub::AlertHub {
        &self.hub
    }
}
