//! Alert preferences: per person and camera, which channels alert them;
//! per person, quiet hours and whether alert mails carry the snapshot.

use serde::{Deserialize, Serialize};

use super::Events;
use crate::cameras::ScheduleWindow;
use crate::clock::Timestamp;
use crate::ids::{AccountId, CameraId};
use crate::{Error, Result};

/// The per-camera switch that silences every channel (D1).
pub const ALL: &str = "all";
/// Channels a person can switch per camera, with their defaults.
pub const CHANNELS: [(&str, bool); 4] = [
    (ALL, true),
    ("in_app", true),
    ("email", false),
    ("push", true),
];

/// A person's switches for one camera.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Preferences {
    /// Alerts from this camera at all.
    pub all: bool,
    /// The in-app stream (pages, apps).
    pub in_app: bool,
    /// Email to the verified address.
    pub email: bool,
    /// Web Push to subscribed browsers.
    pub push: bool,
}

impl Preferences {
    /// The switches a person set (channel, on), defaults for the rest.
    pub fn from_switches(set: &[(String, bool)]) -> Preferences {
        let get = |name: &str| {
            set.iter()
                .find(|(c, _)| c == name)
                .map(|(_, on)| *on)
                .or_else(|| CHANNELS.iter().find(|(c, _)| *c == name).map(|(_, d)| *d))
                .unwrap_or(false)
        };
        Preferences {
            all: get(ALL),
            in_app: get("in_app"),
            email: get("email"),
            push: get("push"),
        }
    }

    /// Whether `channel` is on (and alerts are on at all).
    pub fn allows(&self, channel: &str) -> bool {
        self.all
            && match channel {
                "in_app" => self.in_app,
                "email" => self.email,
                "push" => self.push,
                _ => false,
            }
    }
}

/// Quiet hours and mail contents.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertSettings {
    /// Start of quiet hours, `HH:MM` (no email or push then).
    pub quiet_start: Option<String>,
    /// End of quiet hours, `HH:MM`; may be before the start (overnight).
    pub quiet_end: Option<String>,
    /// IANA time zone of the quiet hours; UTC when absent.
    pub time_zone: Option<String>,
    /// Attach the snapshot to alert mails.
    #[serde(default)]
    pub snapshot_in_email: bool,
}

fn minutes(hhmm: &str) -> Option<u32> {
    let (h, m) = hhmm.split_once(':')?;
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60 && hhmm.len() == 5).then_some(h * 60 + m)
}

impl AlertSettings {
    /// Checks times and zone.
    pub fn check(&self) -> Result<()> {
        match (&self.quiet_start, &self.quiet_end) {
            (None, None) => {}
            (Some(s), Some(e)) if minutes(s).is_some() && minutes(e).is_some() && s != e => {}
            _ => {
                return Err(Error::invalid(
                    "quiet_hours",
                    "give both start and end as HH:MM, and not the same time",
                ))
            }
        }
        if let Some(tz) = &self.time_zone {
            if jiff::tz::TimeZone::get(tz).is_err() {
                return Err(Error::invalid("time_zone", "is not a known IANA time zone"));
            }
        }
        Ok(())
    }

    /// Whether `at` falls in the quiet hours.
    pub fn is_quiet(&self, at: Timestamp) -> bool {
        let (Some(s), Some(e)) = (
            self.quiet_start.as_deref().and_then(minutes),
            self.quiet_end.as_deref().and_then(minutes),
        ) else {
            return false;
        };
        // Reuse the schedule check with an every-day window (two for overnight).
        let all_days: Vec<String> = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
            .iter()
            .map(|d| (*d).to_owned())
            .collect();
        let hhmm = |m: u32| format!("{:02}:{:02}", m / 60, m % 60);
        let windows: Vec<ScheduleWindow> = if s < e {
            vec![ScheduleWindow {
                days: all_days,
                start: hhmm(s),
                end: hhmm(e),
            }]
        } else {
            vec![
                ScheduleWindow {
                    days: all_days.clone(),
                    start: hhmm(s),
                    end: "24:00".into(),
                },
                ScheduleWindow {
                    days: all_days,
                    start: "00:00".into(),
                    end: hhmm(e),
                },
            ]
        };
        crate::cameras::schedule::allows(&windows, self.time_zone.as_deref(), at)
    }
}

/// One entry of the delivery log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    /// The event.
    pub event_id: i64,
    /// Who it was for.
    pub account_id: AccountId,
    /// `email`, `push`…
    pub channel: String,
    /// `sent`, `failed`, `expired`, `skipped_quiet_hours`, `skipped_cooldown`, `no_address`.
    pub status: String,
    /// Error text when failed (never an address).
    pub detail: Option<String>,
    /// When.
    pub at: Timestamp,
}

impl Events {
    /// `who`'s switches for a camera they may see.
    pub async fn preferences(&self, who: AccountId, camera: CameraId) -> Result<Preferences> {
        self.cameras.access(who, camera).await?;
        self.preferences_of(who, camera).await
    }

    pub(super) async fn preferences_of(
        &self,
        who: AccountId,
        camera: CameraId,
    ) -> Result<Preferences> {
        let set = self.store.preferences(who, camera).await?;
        Ok(Preferences::from_switches(&set))
    }

    /// Turns one of `who`'s channels for a camera on or off.
    pub async fn set_preference(
        &self,
        who: AccountId,
        camera: CameraId,
        channel: &str,
        enabled: bool,
    ) -> Result<Preferences> {
        self.cameras.access(who, camera).await?;
        if !CHANNELS.iter().any(|(c, _)| *c == channel) {
            return Err(Error::invalid("channel", "one of all, in_app, email, push"));
        }
        self.store
            .set_preference(who, camera, channel, enabled)
            .await?;
        self.preferences_of(who, camera).await
    }

    /// `who`'s quiet hours and mail choice.
    pub async fn alert_settings(&self, who: AccountId) -> Result<AlertSettings> {
        Ok(self.store.alert_settings(who).await?.unwrap_or_default())
    }

    /// Saves `who`'s quiet hours and mail choice.
    pub async fn save_alert_settings(&self, who: AccountId, settings: AlertSettings) -> Result<()> {
        settings.check()?;
        self.store.save_alert_settings(who, &settings).await
    }

    /// `who`'s latest alert deliveries.
    pub async fn deliveries(&self, who: AccountId, limit: i64) -> Result<Vec<Delivery>> {
        self.store.deliveries(who, limit.clamp(1, 500)).await
    }
}

impl Events {
    /// Deletes events (and their snapshots) older than their camera's
    /// retention, `default_days` unless the camera says otherwise; returns
    /// how many. Snapshots go first, so a crash leaves rows without
    /// pictures, never pictures without rows.
    pub async fn purge(&self, default_days: i64) -> Result<u64> {
        let now = self.clock.now();
        let mut removed = 0;
        for (camera, days) in self.store.cameras_with_events().await? {
            let days = days.unwrap_or(default_days).max(1);
            let cutoff = now.minus(std::time::Duration::from_secs(days as u64 * 86_400));
            loop {
                let batch = self.store.events_before(camera, cutoff, 500).await?;
                if batch.is_empty() {
                    break;
                }
                for e in &batch {
                    if let Some(key) = &e.snapshot_key {
                        self.blobs.delete(key).await?;
                    }
                }
                let ids: Vec<i64> = batch.iter().map(|e| e.id).collect();
                self.store.delete_events(&ids).await?;
                removed += ids.len() as u64;
            }
        }
        Ok(removed)
    }
}
