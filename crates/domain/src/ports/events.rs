//! Ports of events and alerts.

use async_trait::async_trait;

use crate::clock::Timestamp;
use crate::events::prefs::{AlertSettings, Delivery};
use crate::events::Event;
use crate::ids::{AccountId, CameraId};
use crate::Result;

/// Events, alert preferences and the delivery log.
#[async_trait]
pub trait EventStore: Send + Sync {
    /// Stores an event; returns its id.
    async fn insert_event(&self, event: &Event) -> Result<i64>;
    /// An event by id.
    async fn event(&self, id: i64) -> Result<Option<Event>>;
    /// Events of `account` on `camera` between `from` and `to`, newest first.
    async fn events_between(
        &self,
        camera: CameraId,
        account: AccountId,
        from: Timestamp,
        to: Timestamp,
        limit: i64,
    ) -> Result<Vec<Event>>;
    /// Marks an event as having alerted people.
    async fn set_alerted(&self, id: i64) -> Result<()>;
    /// When the camera's latest alerting event happened.
    async fn last_alert_at(&self, camera: CameraId) -> Result<Option<Timestamp>>;
    /// A person's channel switches for a camera (only those changed from the default).
    async fn preferences(
        &self,
        account: AccountId,
        camera: CameraId,
    ) -> Result<Vec<(String, bool)>>;
    /// Sets one channel switch.
    async fn set_preference(
        &self,
        account: AccountId,
        camera: CameraId,
        channel: &str,
        enabled: bool,
    ) -> Result<()>;
    /// A person's quiet hours and email choice.
    async fn alert_settings(&self, account: AccountId) -> Result<Option<AlertSettings>>;
    /// Saves them.
    async fn save_alert_settings(&self, account: AccountId, settings: &AlertSettings)
        -> Result<()>;
    /// Appends to the delivery log.
    async fn log_delivery(&self, delivery: &Delivery) -> Result<()>;
    /// A person's latest deliveries, newest first.
    async fn deliveries(&self, account: AccountId, limit: i64) -> Result<Vec<Delivery>>;
}
