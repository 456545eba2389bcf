//! The documented shape of the JSON files in an export (F13). Field names
//! are part of the format `camvault-export/1`: renaming one is a new
//! format version. `docs/design/export.md` describes every field.

use serde::Serialize;

use crate::cameras::{CameraSettings, DeviceFacts};
use crate::clock::Timestamp;
use crate::events::prefs::AlertSettings;
use crate::events::Region;

/// The format name and version every JSON file carries.
pub const FORMAT: &str = "camvault-export/1";

/// RFC 3339 UTC text of an instant, millisecond precision.
pub fn time(t: Timestamp) -> String {
    jiff::Timestamp::from_millisecond(t.ms())
        .map(|t| t.to_string())
        .unwrap_or_else(|_| t.ms().to_string())
}

/// Like [`time`] for an optional instant.
pub fn maybe_time(t: Option<Timestamp>) -> Option<String> {
    t.map(time)
}

/// `account.json`.
#[derive(Debug, Serialize)]
pub struct AccountFile {
    /// Always [`FORMAT`].
    pub format: &'static str,
    /// The account's number.
    pub id: i64,
    /// Sign-in name.
    pub username: String,
    /// `user`, `support` or `admin`.
    pub role: String,
    /// When the account was made.
    pub created_at: String,
    /// Email addresses and phone numbers, current and awaiting verification.
    pub contacts: Vec<ContactEntry>,
    /// Signed-in browsers and apps.
    pub sessions: Vec<SessionEntry>,
    /// Personal API tokens (names only; the secrets are never kept).
    pub api_tokens: Vec<TokenEntry>,
    /// Quiet hours and mail contents.
    pub alert_settings: AlertSettings,
    /// Browsers that receive push alerts (push service host only).
    pub push_subscriptions: Vec<PushEntry>,
    /// Remembered search texts, newest first.
    pub recent_searches: Vec<String>,
    /// The latest alert deliveries to this person, newest first.
    pub alert_deliveries: Vec<DeliveryEntry>,
    /// Recent sign-ins and failed attempts, newest first.
    pub activity: Vec<ActivityEntry>,
}

/// One sign-in or failed attempt.
#[derive(Debug, Serialize)]
pub struct ActivityEntry {
    /// When.
    pub at: String,
    /// `sign_in` or `sign_in_failed`.
    pub kind: String,
    /// The address, truncated after a few days.
    pub ip: String,
    /// The browser.
    pub user_agent: Option<String>,
}

/// One contact.
#[derive(Debug, Serialize)]
pub struct ContactEntry {
    /// `email` or `phone`.
    pub kind: String,
    /// The address or number.
    pub address: String,
    /// `current` or `pending`.
    pub state: String,
    /// When a code proved it.
    pub verified_at: Option<String>,
}

/// One session.
#[derive(Debug, Serialize)]
pub struct SessionEntry {
    /// Signed in at.
    pub created_at: String,
    /// Last used at.
    pub last_seen_at: String,
    /// Browser description.
    pub user_agent: Option<String>,
}

/// One API token.
#[derive(Debug, Serialize)]
pub struct TokenEntry {
    /// The owner's label.
    pub name: String,
    /// Made at.
    pub created_at: String,
    /// Last used at.
    pub last_used_at: Option<String>,
}

/// One push subscription.
#[derive(Debug, Serialize)]
pub struct PushEntry {
    /// The push service, scheme and host.
    pub service: String,
    /// Subscribed at.
    pub created_at: String,
}

/// One alert delivery.
#[derive(Debug, Serialize)]
pub struct DeliveryEntry {
    /// The event.
    pub event_id: i64,
    /// `in_app`, `email`, `push`…
    pub channel: String,
    /// `sent`, `failed`, `skipped_quiet_hours`…
    pub status: String,
    /// When.
    pub at: String,
}

/// One camera in `cameras.json` (the file is an array of these).
#[derive(Debug, Serialize)]
pub struct CameraEntry {
    /// Its number.
    pub id: i64,
    /// `owner`, `operator` or `viewer`.
    pub access: String,
    /// `cloud` or `rtsp`.
    pub kind: String,
    /// Serial number.
    pub serial: String,
    /// Model.
    pub model: String,
    /// RTSP address without credentials.
    pub source_url: Option<String>,
    /// Bound to its owner at.
    pub bound_at: Option<String>,
    /// The owner's settings.
    pub settings: CameraSettings,
    /// What the device reported.
    pub facts: DeviceFacts,
    /// For owners: the people it is shared with.
    pub shared_with: Vec<ShareEntry>,
}

/// One share of a camera.
#[derive(Debug, Serialize)]
pub struct ShareEntry {
    /// Their username.
    pub username: String,
    /// `viewer` or `operator`.
    pub role: String,
    /// Since.
    pub since: String,
}

/// One event in `events.json` (the file is an array of these).
#[derive(Debug, Serialize)]
pub struct EventEntry {
    /// Its number.
    pub id: i64,
    /// The camera.
    pub camera_id: i64,
    /// `motion`, `person`…
    pub kind: String,
    /// When it happened.
    pub at: String,
    /// Confidence 0–1.
    pub score: Option<f64>,
    /// Where in the picture (fractions of width and height).
    pub region: Option<Region>,
    /// Words for search.
    pub labels: Vec<String>,
    /// The snapshot's path in this archive.
    pub snapshot: Option<String>,
}

/// `consents.json`.
#[derive(Debug, Serialize)]
pub struct ConsentsFile {
    /// Always [`FORMAT`].
    pub format: &'static str,
    /// Each optional purpose and whether it is granted now.
    pub current: Vec<ChoiceEntry>,
    /// Every grant and withdrawal, oldest first.
    pub history: Vec<ConsentEntry>,
}

/// A purpose and its current answer.
#[derive(Debug, Serialize)]
pub struct ChoiceEntry {
    /// The purpose.
    pub purpose: String,
    /// Granted now.
    pub granted: bool,
}

/// A grant or withdrawal.
#[derive(Debug, Serialize)]
pub struct ConsentEntry {
    /// The purpose.
    pub purpose: String,
    /// Granted (true) or withdrawn (false).
    pub granted: bool,
    /// The privacy policy version in force then.
    pub policy_version: String,
    /// `settings`, `api`, `policy_update`.
    pub channel: String,
    /// When.
    pub at: String,
}

/// One rights request in `requests.json` (the file is an array of these).
#[derive(Debug, Serialize)]
pub struct RequestEntry {
    /// Its number.
    pub id: i64,
    /// `access`, `erasure`…
    pub kind: String,
    /// The person's words.
    pub details: String,
    /// `received`, `verified`, `in_progress`, `completed`, `refused`.
    pub state: String,
    /// The written reason of a refusal or completion.
    pub reason: Option<String>,
    /// Answer due by.
    pub due_at: String,
    /// The earlier identical request this one repeats.
    pub repeat_of: Option<i64>,
    /// Made at.
    pub created_at: String,
    /// Every step, oldest first.
    pub steps: Vec<StepEntry>,
}

/// One step of a request.
#[derive(Debug, Serialize)]
pub struct StepEntry {
    /// The state it moved to.
    pub state: String,
    /// The reason given.
    pub reason: Option<String>,
    /// When.
    pub at: String,
}

/// One entry of `access-log.json` (an array, newest first).
#[derive(Debug, Serialize)]
pub struct AccessEntry {
    /// When.
    pub at: String,
    /// Who acted (an account number; none for the system itself).
    pub actor_id: Option<i64>,
    /// In what capacity.
    pub role: String,
    /// What was done, e.g. `recording.playback`.
    pub action: String,
    /// To what.
    pub object: String,
    /// Why, when a reason is required.
    pub reason: Option<String>,
}

/// `manifest.json`: what the archive holds, written last.
#[derive(Debug, Serialize)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: &'static str,
    /// The export's id.
    pub export_id: String,
    /// The account.
    pub account_id: i64,
    /// When the archive was made.
    pub created_at: String,
    /// Every video file.
    pub media: Vec<MediaEntry>,
    /// Every snapshot file.
    pub snapshots: Vec<SnapshotEntry>,
    /// Every album photo and clip.
    pub album: Vec<AlbumEntry>,
}

/// One photo or clip of the album.
#[derive(Debug, Serialize)]
pub struct AlbumEntry {
    /// Path in the archive.
    pub path: String,
    /// The name it was uploaded with.
    pub name: Option<String>,
    /// Its media type.
    pub media_type: String,
    /// Whether where it was taken was kept (with consent).
    pub location_kept: bool,
    /// Uploaded.
    pub uploaded_at: String,
}

/// One video file: a stretch of continuous recording.
#[derive(Debug, Serialize)]
pub struct MediaEntry {
    /// Path in the archive.
    pub path: String,
    /// The camera.
    pub camera_id: i64,
    /// First moment.
    pub start: String,
    /// Last moment.
    pub end: String,
    /// Segments joined.
    pub segments: u64,
    /// File size.
    pub bytes: u64,
}

/// One snapshot file.
#[derive(Debug, Serialize)]
pub struct SnapshotEntry {
    /// Path in the archive.
    pub path: String,
    /// The event it shows.
    pub event_id: i64,
}
