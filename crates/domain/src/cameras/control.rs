//! The owner's (and operator's) control of a camera (B3).

use serde::Deserialize;

use super::{check_schedule, Access, Camera, Cameras, RecordingMode, ScheduleWindow};
use crate::ids::{AccountId, CameraId};
use crate::{Error, Result};

/// A partial settings change; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsChange {
    /// New name.
    pub name: Option<String>,
    /// New recording mode.
    pub recording_mode: Option<RecordingMode>,
    /// Keep audio?
    pub audio: Option<bool>,
    /// Send alerts?
    pub alerts: Option<bool>,
    /// Privacy mode on?
    pub privacy: Option<bool>,
    /// New weekly schedule (empty list: always).
    pub schedule: Option<Vec<ScheduleWindow>>,
}

impl Cameras {
    /// Applies a change as `who`; the device hears of it at once. Returns
    /// the camera as changed and `who`'s access to it.
    pub async fn change_settings(
        &self,
        who: AccountId,
        id: CameraId,
        change: SettingsChange,
    ) -> Result<(Camera, Access)> {
        let (camera, access) = self.access(who, id).await?;
        if access < Access::Operator {
            return Err(Error::Forbidden);
        }
        let mut s = camera.settings.clone();
        if let Some(name) = change.name {
            let name = name.trim().to_string();
            if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
                return Err(Error::invalid("name", "must be 1 to 64 characters"));
            }
            s.name = name;
        }
        if let Some(schedule) = change.schedule {
            check_schedule(&schedule)?;
            s.schedule = schedule;
        }
        s.recording_mode = change.recording_mode.unwrap_or(s.recording_mode);
        s.audio = change.audio.unwrap_or(s.audio);
        s.alerts = change.alerts.unwrap_or(s.alerts);
        s.privacy = change.privacy.unwrap_or(s.privacy);
        let version = self.store.save_settings(id, &s).await?;
        self.bus.publish(id, version);
        tracing::info!(account = %who, camera = %id, version, "camera settings changed");
        let camera = self
            .store
            .camera(id)
            .await?
            .ok_or(Error::NotFound("camera"))?;
        Ok((camera, access))
    }
}
