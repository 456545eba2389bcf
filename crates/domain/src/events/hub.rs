//! The in-app alert stream: each signed-in person's open pages and apps
//! receive their alerts the moment fan-out decides on them.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use crate::ids::AccountId;

/// Alerts a slow subscriber may fall behind before it skips ahead.
const BACKLOG: usize = 64;

/// One alert as the stream carries it (no snapshot bytes: the page
/// fetches the snapshot through the API, which checks access again).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Alert {
    /// Event id.
    pub event_id: i64,
    /// Camera id.
    pub camera_id: i64,
    /// Camera name.
    pub camera_name: String,
    /// `motion`, `person`…
    pub kind: String,
    /// The camera's time of the event, Unix ms.
    pub at_ms: i64,
    /// Whether a snapshot was kept.
    pub has_snapshot: bool,
    /// When the server stored the event (latency measurement only).
    #[serde(skip)]
    pub stored: Option<Instant>,
}

/// Per-account fan-out to open streams.
#[derive(Debug, Default)]
pub struct AlertHub {
    streams: Mutex<HashMap<AccountId, broadcast::Sender<Alert>>>,
}

impl AlertHub {
    fn streams(&self) -> std::sync::MutexGuard<'_, HashMap<AccountId, broadcast::Sender<Alert>>> {
        self.streams
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Sends an alert to every open stream of `account`.
    pub fn publish(&self, account: AccountId, alert: Alert) {
        let mut streams = self.streams();
        if let Some(tx) = streams.get(&account) {
            if tx.send(alert).is_err() {
                // Nobody listens any more: forget the channel.
                streams.remove(&account);
            }
        }
    }

    /// Opens a stream for `account`.
    pub fn subscribe(&self, account: AccountId) -> broadcast::Receiver<Alert> {
        self.streams()
            .entry(account)
            .or_insert_with(|| broadcast::channel(BACKLOG).0)
            .subscribe()
    }
}
