//! Several instances on one database: what one instance learns that
//! sessions on another need. An alert goes to every instance, so each hands
//! it to its own open streams. A live viewer's instance says every few
//! seconds which cameras it shows; the instance a watched camera uploads to
//! then names each new segment, and the viewer's instance reads that
//! segment from the shared blob store and feeds its viewers.
//!
//! Media never travels through the message stream: messages are small rows
//! (NOTIFY on PostgreSQL wakes the readers), and video goes through the
//! blob store every instance already reads. A relayed segment therefore
//! reaches a remote viewer one index read and one blob read after it was
//! stored, and only instances with viewers of that camera do that read.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tracing::Instrument;

use crate::clock::Clock;
use crate::events::hub::Alert;
use crate::events::Events;
use crate::ids::{AccountId, CameraId};
use crate::ports::ClusterStore;
use crate::recordings::Recordings;
use crate::Result;

/// How often an instance with live viewers says which cameras they watch.
const WATCH_EVERY: Duration = Duration::from_secs(2);
/// How long one such word keeps segments of a camera coming.
const WATCH_FOR: Duration = Duration::from_secs(7);
/// Reading interval where nothing wakes readers (SQLite).
const POLL: Duration = Duration::from_millis(100);
/// Reading interval where NOTIFY wakes readers, in case a wake-up is lost.
const POLL_WOKEN: Duration = Duration::from_secs(1);
/// Messages read per query.
const PAGE: i64 = 500;
/// How long messages are kept (a reader further behind starts afresh).
pub const KEEP: Duration = Duration::from_secs(300);

tokio::task_local! {
    /// The id of the request being served (set by the HTTP layer), sent
    /// along with any message it causes, so the logs of the instance that
    /// acts on it name the same request.
    pub static REQUEST_ID: String;
}

/// A stored message: what it says, and the request that caused it.
#[derive(Debug, Serialize, Deserialize)]
struct Envelope {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    request_id: Option<String>,
    message: Message,
}

/// What one instance tells the others.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Message {
    /// An in-app alert for these accounts' open streams.
    Alert {
        /// Recipients whose preferences allow in-app alerts.
        accounts: Vec<i64>,
        /// The alert.
        alert: Alert,
    },
    /// The sender has live viewers of these cameras.
    Watching {
        /// Camera ids.
        cameras: Vec<i64>,
    },
    /// A new segment of a camera someone watches elsewhere was stored.
    Segment {
        /// Camera id.
        camera: i64,
        /// Segment id in the recording index.
        segment: i64,
    },
}

/// This instance's end of the message stream.
pub struct Cluster {
    store: Arc<dyn ClusterStore>,
    instance: String,
    clock: Arc<dyn Clock>,
    /// Cameras watched live on other instances, until when.
    watched: Mutex<HashMap<CameraId, Instant>>,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("instance", &self.instance)
            .finish_non_exhaustive()
    }
}

impl Cluster {
    /// The stream as seen by `instance`.
    pub fn new(store: Arc<dyn ClusterStore>, instance: String, clock: Arc<dyn Clock>) -> Cluster {
        Cluster {
            store,
            instance,
            clock,
            watched: Mutex::new(HashMap::new()),
        }
    }

    fn watched(&self) -> std::sync::MutexGuard<'_, HashMap<CameraId, Instant>> {
        self.watched
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Sends `message` to the other instances. Best effort: what it carries
    /// is live and local delivery already happened, so a failure is logged.
    pub async fn send(&self, message: &Message) {
        let envelope = Envelope {
            request_id: REQUEST_ID.try_with(Clone::clone).ok(),
            message: message.clone(),
        };
        let body = match serde_json::to_string(&envelope) {
            Ok(b) => b,
            Err(e) => {
                tracing::error!(error = %e, "cluster message not encoded");
                return;
            }
        };
        if let Err(e) = self
            .store
            .send_message(&self.instance, &body, self.clock.now())
            .await
        {
            tracing::warn!(error = %e, "cluster message not sent");
        }
    }

    /// Whether a viewer on another instance watches `camera` now.
    pub fn watched_elsewhere(&self, camera: CameraId) -> bool {
        self.watched()
            .get(&camera)
            .is_some_and(|until| *until > Instant::now())
    }

    /// Deletes messages older than [`KEEP`]; returns how many.
    pub async fn prune(&self) -> Result<u64> {
        self.store
            .prune_messages(self.clock.now().minus(KEEP))
            .await
    }

    /// Reads the other instances' messages and acts on them, and says which
    /// cameras this instance's viewers watch, until `stop` turns true.
    pub async fn run(self: Arc<Self>, events: Arc<Events>, mut stop: watch::Receiver<bool>) {
        let mut last = loop {
            match self.store.newest_message().await {
                Ok(n) => break n,
                Err(e) => tracing::warn!(error = %e, "cluster stream unreadable; retrying"),
            }
            tokio::select! {
                _ = tokio::time::sleep(POLL_WOKEN) => {}
                _ = stop.changed() => return,
            }
        };
        let mut wakeups = match self.store.message_wakeups().await {
            Ok(w) => w,
            Err(e) => {
                tracing::warn!(error = %e, "cluster wake-ups unavailable; polling");
                None
            }
        };
        let mut poll = tokio::time::interval(if wakeups.is_some() { POLL_WOKEN } else { POLL });
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut announce = tokio::time::interval(WATCH_EVERY);
        loop {
            tokio::select! {
                Some(()) = async {
                    match wakeups.as_mut() {
                        Some(w) => w.recv().await,
                        None => std::future::pending().await,
                    }
                } => {}
                _ = poll.tick() => {}
                _ = announce.tick() => {
                    self.announce(events.recordings()).await;
                    continue;
                }
                _ = stop.changed() => return,
            }
            match self.read(&events, last).await {
                Ok(next) => last = next,
                Err(e) => tracing::warn!(error = %e, "cluster messages not read"),
            }
        }
    }

    /// Says which cameras this instance's viewers watch, if any.
    async fn announce(&self, recordings: &Recordings) {
        let cameras: Vec<i64> = recordings
            .live()
            .watched_cameras()
            .into_iter()
            .map(|c| c.0)
            .collect();
        if !cameras.is_empty() {
            self.send(&Message::Watching { cameras }).await;
        }
    }

    /// Acts on every message after `last`; returns the newest id seen.
    async fn read(&self, events: &Events, mut last: i64) -> Result<i64> {
        loop {
            let page = self.store.messages_after(last, PAGE).await?;
            let full = page.len() as i64 == PAGE;
            for m in page {
                last = m.id;
                if m.origin == self.instance {
                    continue;
                }
                match serde_json::from_str::<Envelope>(&m.body) {
                    Ok(Envelope {
                        request_id,
                        message,
                    }) => {
                        let span = tracing::info_span!(
                            "cluster",
                            origin = %m.origin.chars().take(8).collect::<String>(),
                            request_id = %request_id.as_deref().unwrap_or("-"),
                        );
                        self.act(events, message).instrument(span).await
                    }
                    // A newer instance's message this one does not know.
                    Err(e) => tracing::debug!(error = %e, "cluster message skipped"),
                }
            }
            if !full {
                return Ok(last);
            }
        }
    }

    async fn act(&self, events: &Events, message: Message) {
        match message {
            Message::Alert { accounts, alert } => {
                tracing::debug!(event = alert.event_id, "alert from another instance");
                for a in accounts {
                    events.hub().publish(AccountId(a), alert.clone());
                }
            }
            Message::Watching { cameras } => {
                let until = Instant::now() + WATCH_FOR;
                let mut watched = self.watched();
                watched.retain(|_, u| *u > Instant::now());
                for c in cameras {
                    watched.insert(CameraId(c), until);
                }
            }
            Message::Segment { camera, segment } => {
                let camera = CameraId(camera);
                let recordings = events.recordings();
                // Read in order, so a viewer gets segments in sequence;
                // only instances with viewers of this camera pay the read.
                if recordings.live().viewers(camera) > 0 {
                    if let Err(e) = recordings.relay_live(camera, segment).await {
                        tracing::warn!(camera = %camera, error = %e, "live segment not relayed");
                    }
                }
            }
        }
    }
}
