//! Cameras: provisioning, binding to an owner, the device API and control.
//!
//! A camera exists from the moment a maker provisions it (serial, model,
//! hashed verification code and device secret) and has at most one owner
//! once bound (B1). The device authenticates with its secret for a
//! short-lived token, reports only the facts listed in [`DeviceFacts`] (B2),
//! and learns of setting changes through a long-poll fed by [`SettingsBus`]
//! (B3). Promises kept here: B1, B2, B3.

pub mod binding;
pub mod claims;
pub mod control;
pub mod device;
pub mod firmware;
pub mod network;
pub mod provision;
pub mod rtsp;
pub mod schedule;
pub mod serial;
pub mod sharing;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::clock::{Clock, Timestamp};
use crate::ids::{AccountId, CameraId};
use crate::notify::Outbox;
use crate::ports::{AccountStore, BlobStore, CameraStore, ClaimStore, ShareStore, ThrottleStore};
use crate::{Error, Result};

/// What a camera records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordingMode {
    /// Nothing.
    Off,
    /// Only around events.
    Events,
    /// All the time.
    Continuous,
}

impl RecordingMode {
    /// Storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordingMode::Off => "off",
            RecordingMode::Events => "events",
            RecordingMode::Continuous => "continuous",
        }
    }

    /// Parses the storage name.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "off" => Ok(RecordingMode::Off),
            "events" => Ok(RecordingMode::Events),
            "continuous" => Ok(RecordingMode::Continuous),
            _ => Err(Error::invalid(
                "recording_mode",
                "must be off, events or continuous",
            )),
        }
    }
}

/// One weekly recording window, in the camera's time zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleWindow {
    /// Days it applies to: `mon` … `sun`.
    pub days: Vec<String>,
    /// Start, `HH:MM`.
    pub start: String,
    /// End, `HH:MM` (after start; `24:00` for end of day).
    pub end: String,
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

fn minutes(hhmm: &str) -> Option<u32> {
    let (h, m) = hhmm.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(h * 60 + m)
}

/// Validates a weekly schedule: known days, `HH:MM` times, start before end,
/// at most 28 windows.
pub fn check_schedule(windows: &[ScheduleWindow]) -> Result<()> {
    if windows.len() > 28 {
        return Err(Error::invalid("schedule", "at most 28 windows"));
    }
    for w in windows {
        if w.days.is_empty() || !w.days.iter().all(|d| DAYS.contains(&d.as_str())) {
            return Err(Error::invalid("schedule", "days must be mon, tue, … sun"));
        }
        match (minutes(&w.start), minutes(&w.end)) {
            (Some(s), Some(e)) if s < e => {}
            _ => {
                return Err(Error::invalid(
                    "schedule",
                    "times are HH:MM with start before end",
                ))
            }
        }
    }
    Ok(())
}

/// What the owner controls (B3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CameraSettings {
    /// Display name.
    pub name: String,
    /// Recording mode.
    pub recording_mode: RecordingMode,
    /// Whether audio is kept.
    pub audio: bool,
    /// Whether alerts are sent (and alert snapshots kept).
    pub alerts: bool,
    /// Privacy mode: the camera records nothing.
    pub privacy: bool,
    /// Weekly windows when recording is allowed; empty means always.
    pub schedule: Vec<ScheduleWindow>,
}

/// The only facts kept about a device (B2): model, firmware, settings it
/// reports (time zone, language), last seen and network quality.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DeviceFacts {
    /// Firmware version string.
    pub firmware_version: Option<String>,
    /// IANA time zone, e.g. `Europe/Berlin`.
    pub time_zone: Option<String>,
    /// Language tag, e.g. `de-DE`.
    pub language: Option<String>,
    /// Seconds since the device booted.
    pub uptime_secs: Option<i64>,
    /// Wi-Fi signal in dBm.
    pub signal_dbm: Option<i64>,
    /// Upload bitrate in kbit/s.
    pub upload_kbps: Option<i64>,
    /// The device's last error, short text.
    pub last_error: Option<String>,
    /// Last heartbeat.
    pub last_seen_at: Option<Timestamp>,
}

/// How video reaches the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CameraKind {
    /// A cloud camera that pushes video over HTTPS.
    Cloud,
    /// An IP camera or NVR channel the server pulls from over RTSP.
    Rtsp,
}

impl CameraKind {
    /// Storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            CameraKind::Cloud => "cloud",
            CameraKind::Rtsp => "rtsp",
        }
    }
}

/// A camera as stored.
#[derive(Debug, Clone)]
pub struct Camera {
    /// Its id.
    pub id: CameraId,
    /// Cloud or RTSP.
    pub kind: CameraKind,
    /// For RTSP cameras, the stream URL without credentials.
    pub source_url: Option<String>,
    /// Serial number.
    pub serial: String,
    /// Model name.
    pub model: String,
    /// Keyed hash of the label's verification code.
    pub code_hash: String,
    /// Keyed hash of the device secret.
    pub secret_hash: String,
    /// The owner, once bound.
    pub owner: Option<AccountId>,
    /// Owner-controlled settings.
    pub settings: CameraSettings,
    /// Increases with every settings change; devices long-poll on it.
    pub settings_version: i64,
    /// Facts the device reported.
    pub facts: DeviceFacts,
    /// When it was bound to its owner.
    pub bound_at: Option<Timestamp>,
}

/// How often devices are asked to send a heartbeat.
pub const HEARTBEAT_INTERVAL: std::time::Duration = std::time::Duration::from_secs(60);

/// How a person may use a camera.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    /// Sees live, recordings and events.
    Viewer,
    /// Viewer plus settings.
    Operator,
    /// Everything, including sharing and unbinding.
    Owner,
}

/// In-process notification of settings changes, so a waiting device hears
/// of a change at once instead of on its next poll.
#[derive(Debug, Clone)]
pub struct SettingsBus(tokio::sync::broadcast::Sender<(CameraId, i64)>);

impl Default for SettingsBus {
    fn default() -> Self {
        SettingsBus(tokio::sync::broadcast::channel(1024).0)
    }
}

impl SettingsBus {
    /// Announces a camera's new settings version.
    pub fn publish(&self, camera: CameraId, version: i64) {
        // No listener is not an error: nobody is waiting right now.
        let _ = self.0.send((camera, version));
    }

    /// Starts listening.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<(CameraId, i64)> {
        self.0.subscribe()
    }
}

/// The cameras service.
pub struct Cameras {
    store: Arc<dyn CameraStore>,
    shares: Arc<dyn ShareStore>,
    accounts: Arc<dyn AccountStore>,
    claims: Arc<dyn ClaimStore>,
    blobs: Arc<dyn BlobStore>,
    throttles: Arc<dyn ThrottleStore>,
    clock: Arc<dyn Clock>,
    outbox: Outbox,
    device_key: [u8; 32],
    evidence_key: [u8; 32],
    credentials_key: [u8; 32],
    bus: SettingsBus,
}

/// The injected dependencies of [`Cameras`].
pub struct CamerasDeps {
    /// Cameras and device tokens.
    pub store: Arc<dyn CameraStore>,
    /// Shares and invitations.
    pub shares: Arc<dyn ShareStore>,
    /// Accounts (for invitees' verified contacts).
    pub accounts: Arc<dyn AccountStore>,
    /// Ownership claims.
    pub claims: Arc<dyn ClaimStore>,
    /// Where claim evidence is kept (encrypted).
    pub blobs: Arc<dyn BlobStore>,
    /// Throttle counters.
    pub throttles: Arc<dyn ThrottleStore>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Message delivery (invitations).
    pub outbox: Outbox,
    /// Keys the hashes of label codes and device secrets.
    pub device_key: [u8; 32],
    /// Encrypts claim evidence.
    pub evidence_key: [u8; 32],
    /// Encrypts RTSP camera credentials.
    pub credentials_key: [u8; 32],
}

impl Cameras {
    /// Wires the service.
    pub fn new(deps: CamerasDeps) -> Self {
        Cameras {
            store: deps.store,
            shares: deps.shares,
            accounts: deps.accounts,
            claims: deps.claims,
            blobs: deps.blobs,
            throttles: deps.throttles,
            clock: deps.clock,
            outbox: deps.outbox,
            device_key: deps.device_key,
            evidence_key: deps.evidence_key,
            credentials_key: deps.credentials_key,
            bus: SettingsBus::default(),
        }
    }

    /// Keyed hash of a label code or device secret: both are short or
    /// guessable enough that a plain hash could be brute-forced offline.
    fn keyed(&self, what: &str, serial: &str, value: &str) -> String {
        crate::accounts::secrets::hmac_hex(
            &self.device_key,
            &[
                what.as_bytes(),
                b"\0",
                serial.as_bytes(),
                b"\0",
                value.as_bytes(),
            ],
        )
    }

    /// The camera if `who` may use it, with how; NotFound otherwise, so
    /// other people's cameras are indistinguishable from absent ones.
    pub async fn access(&self, who: AccountId, id: CameraId) -> Result<(Camera, Access)> {
        let camera = self
            .store
            .camera(id)
            .await?
            .ok_or(Error::NotFound("camera"))?;
        if camera.owner == Some(who) {
            return Ok((camera, Access::Owner));
        }
        // A share only counts while the camera is bound: unbinding ends all sharing.
        match (camera.owner, self.shares.share_role(id, who).await?) {
            (Some(_), Some(role)) => Ok((camera, role.access())),
            _ => Err(Error::NotFound("camera")),
        }
    }

    /// The service's current time (pages show ranges relative to it).
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// A camera by id, for background work that acts for no person.
    pub async fn get(&self, id: CameraId) -> Result<Option<Camera>> {
        self.store.camera(id).await
    }

    /// Online means a heartbeat within two intervals (B5).
    pub fn is_online(&self, camera: &Camera) -> bool {
        camera
            .facts
            .last_seen_at
            .is_some_and(|t| t.plus(HEARTBEAT_INTERVAL * 2) > self.clock.now())
    }

    /// The device registry page for admins.
    pub async fn registry(&self, limit: i64, offset: i64) -> Result<Vec<Camera>> {
        self.store.all_cameras(limit, offset).await
    }

    /// Refuses new recording and events for an owner who restricted the
    /// processing of their data (F6); what is stored stays.
    pub async fn refuse_if_restricted(&self, owner: AccountId) -> Result<()> {
        if self.accounts.restricted_since(owner).await?.is_some() {
            return Err(Error::Refused(crate::recordings::Refusal::Restricted));
        }
        Ok(())
    }

    /// The cameras `who` may use.
    pub async fn list(&self, who: AccountId) -> Result<Vec<(Camera, Access)>> {
        let mut all: Vec<(Camera, Access)> = self
            .store
            .cameras_of_owner(who)
            .await?
            .into_iter()
            .map(|c| (c, Access::Owner))
            .collect();
        for (camera, role) in self.shares.shared_with(who).await? {
            all.push((camera, role.access()));
        }
        Ok(all)
    }
}
