//! Ports of events and alerts.

use async_trait::async_trait;

use crate::cameras::Camera;
use crate::clock::Timestamp;
use crate::events::motion::MotionSettings;
use crate::events::prefs::{AlertSettings, Delivery};
use crate::events::search::EventQuery;
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
    /// Every switch anyone set for a camera: (account, channel, on).
    async fn camera_preferences(&self, camera: CameraId) -> Result<Vec<(AccountId, String, bool)>>;
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
    /// Cameras that have events, with their retention in days (None = default).
    async fn cameras_with_events(&self) -> Result<Vec<(CameraId, Option<i64>)>>;
    /// Up to `limit` events of `camera` before `before`, oldest first.
    async fn events_before(
        &self,
        camera: CameraId,
        before: Timestamp,
        limit: i64,
    ) -> Result<Vec<Event>>;
    /// Deletes event rows (their snapshots are deleted first by the caller).
    async fn delete_events(&self, ids: &[i64]) -> Result<()>;
    /// Events matching a search, newest first.
    async fn search_events(&self, query: &EventQuery) -> Result<Vec<Event>>;
    /// Remembers a search text.
    async fn add_search(&self, account: AccountId, text: &str, now: Timestamp) -> Result<()>;
    /// A person's recent distinct search texts, newest first.
    async fn recent_searches(&self, account: AccountId, limit: i64) -> Result<Vec<String>>;
    /// Forgets a person's searches.
    async fn clear_searches(&self, account: AccountId) -> Result<()>;
    /// Whether searches are remembered for this person (default yes).
    async fn search_history_enabled(&self, account: AccountId) -> Result<bool>;
    /// Switches remembering searches.
    async fn set_search_history(&self, account: AccountId, enabled: bool) -> Result<()>;
    /// A camera's motion-detection settings, if ever saved.
    async fn motion_settings(&self, camera: CameraId) -> Result<Option<MotionSettings>>;
    /// Saves a camera's motion-detection settings.
    async fn save_motion_settings(&self, camera: CameraId, settings: &MotionSettings)
        -> Result<()>;
}

/// An integration that hears of every event of cameras whose alerts are on
/// (webhooks, MQTT): called once per event, in the background, after the
/// event is stored. Implementations decide which accounts subscribed and
/// log their own deliveries; an error is logged and never reaches the camera.
#[async_trait]
pub trait AlertSink: Send + Sync {
    /// A short name for logs, e.g. `webhook`.
    fn name(&self) -> &'static str;
    /// Delivers one event of `camera` (whose owner is `event.account_id`).
    async fn event(&self, camera: &Camera, event: &Event) -> Result<()>;
}
