//! Motion-detection settings of cameras the server watches itself (RTSP
//! cameras send no events): on or off, how sensitive, which parts of the
//! picture to ignore.

use serde::{Deserialize, Serialize};

use super::{Events, Region};
use crate::cameras::Access;
use crate::ids::{AccountId, CameraId};
use crate::{Error, Result};

/// Most masked zones per camera.
pub const MAX_ZONES: usize = 16;

/// A camera's motion settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MotionSettings {
    /// Whether the server looks for motion in this camera's video.
    pub enabled: bool,
    /// 1 (only large, strong changes) to 100 (the smallest ones).
    pub sensitivity: u8,
    /// Parts of the picture to ignore, as fractions 0–1.
    #[serde(default)]
    pub masked_zones: Vec<Region>,
}

impl Default for MotionSettings {
    fn default() -> Self {
        MotionSettings {
            enabled: true,
            sensitivity: 50,
            masked_zones: Vec::new(),
        }
    }
}

impl MotionSettings {
    /// Checks the values.
    pub fn check(&self) -> Result<()> {
        if !(1..=100).contains(&self.sensitivity) {
            return Err(Error::invalid("sensitivity", "between 1 and 100"));
        }
        if self.masked_zones.len() > MAX_ZONES {
            return Err(Error::invalid("masked_zones", "at most 16 zones"));
        }
        for zone in &self.masked_zones {
            zone.check()?;
        }
        Ok(())
    }
}

impl Events {
    /// A camera's motion settings, for anyone who may see it.
    pub async fn motion_settings(
        &self,
        who: AccountId,
        camera: CameraId,
    ) -> Result<MotionSettings> {
        self.cameras.access(who, camera).await?;
        self.motion_settings_of(camera).await
    }

    /// A camera's motion settings, for the server's own detector.
    pub async fn motion_settings_of(&self, camera: CameraId) -> Result<MotionSettings> {
        Ok(self
            .store
            .motion_settings(camera)
            .await?
            .unwrap_or_default())
    }

    /// Changes a camera's motion settings (owner or operator).
    pub async fn set_motion_settings(
        &self,
        who: AccountId,
        camera: CameraId,
        settings: &MotionSettings,
    ) -> Result<MotionSettings> {
        let (_, access) = self.cameras.access(who, camera).await?;
        if access < Access::Operator {
            return Err(Error::Forbidden);
        }
        settings.check()?;
        self.store.save_motion_settings(camera, settings).await?;
        Ok(settings.clone())
    }
}
