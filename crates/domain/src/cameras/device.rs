//! The device side: tokens, heartbeats and settings (B2, B3, B5).

use std::time::Duration;

use serde::Deserialize;

use super::serial::{DeviceSecret, SerialNumber};
use super::{Camera, Cameras, DeviceFacts};
use crate::accounts::secrets::{random_token, same_hash, token_hash};
use crate::accounts::throttle::ThrottlePolicy;
use crate::ids::CameraId;
use crate::{Error, Result};

/// Device tokens live one hour.
pub const TOKEN_TTL: Duration = Duration::from_secs(3600);
const PREFIX: &str = "cvd_";

/// Wrong device secrets: ten per 15 minutes per serial.
const AUTH_POLICY: ThrottlePolicy = ThrottlePolicy {
    free_failures: 10,
    base_lockout: Duration::from_secs(15 * 60),
    max_lockout: Duration::from_secs(15 * 60),
    window: Duration::from_secs(15 * 60),
};

/// What a heartbeat may carry, and nothing else (B2).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Heartbeat {
    /// Firmware version.
    pub firmware_version: Option<String>,
    /// Model as the device knows it (must match the provisioned one).
    pub model: Option<String>,
    /// IANA time zone.
    pub time_zone: Option<String>,
    /// Language tag.
    pub language: Option<String>,
    /// Seconds since boot.
    pub uptime_secs: Option<i64>,
    /// Wi-Fi signal, dBm.
    pub signal_dbm: Option<i64>,
    /// Upload bitrate, kbit/s.
    pub upload_kbps: Option<i64>,
    /// Last error, short text.
    pub last_error: Option<String>,
}

impl Heartbeat {
    /// What is kept of a heartbeat from a camera of `model`, seen at `now`:
    /// texts within their lengths, numbers within their ranges.
    pub fn facts(self, model: &str, now: crate::clock::Timestamp) -> Result<DeviceFacts> {
        if self.model.as_deref().is_some_and(|m| m != model) {
            return Err(Error::invalid(
                "model",
                "does not match the provisioned model",
            ));
        }
        Ok(DeviceFacts {
            firmware_version: short("firmware_version", self.firmware_version, 64)?,
            time_zone: short("time_zone", self.time_zone, 64)?,
            language: short("language", self.language, 35)?,
            uptime_secs: self.uptime_secs.map(|v| v.max(0)),
            signal_dbm: self.signal_dbm.map(|v| v.clamp(-150, 0)),
            upload_kbps: self.upload_kbps.map(|v| v.max(0)),
            last_error: short("last_error", self.last_error, 200)?,
            last_seen_at: Some(now),
        })
    }
}

fn short(field: &'static str, v: Option<String>, max: usize) -> Result<Option<String>> {
    match v {
        Some(s) if s.chars().count() > max => {
            Err(Error::invalid(field, format!("at most {max} characters")))
        }
        Some(s) if s.chars().any(char::is_control) => {
            Err(Error::invalid(field, "no control characters"))
        }
        other => Ok(other),
    }
}

impl Cameras {
    /// Exchanges serial + device secret for a one-hour bearer token.
    pub async fn device_token(&self, serial: &str, secret: &str) -> Result<(String, Duration)> {
        let serial = SerialNumber::parse(serial).map_err(|_| Error::Unauthenticated)?;
        let secret = DeviceSecret::parse(secret).map_err(|_| Error::Unauthenticated)?;
        let key = format!("device-auth:{}", serial.as_str());
        let now = self.clock.now();
        if let Some(rec) = self.throttles.throttle(&key).await? {
            if rec.updated_at.plus(AUTH_POLICY.window) < now {
                self.throttles.clear(&key).await?;
            } else if now < rec.locked_until {
                return Err(Error::Throttled {
                    retry_after_secs: now.secs_until(rec.locked_until),
                });
            }
        }
        let expected = self.keyed("secret", serial.as_str(), secret.expose());
        let camera = match self.store.camera_by_serial(serial.as_str()).await? {
            Some(c) if same_hash(&c.secret_hash, &expected) => c,
            _ => {
                let failures = self.throttles.record_failure(&key, now).await?;
                if let Some(until) = AUTH_POLICY.locked_until(failures, now) {
                    self.throttles.lock(&key, until).await?;
                }
                return Err(Error::Unauthenticated);
            }
        };
        let token = format!("{PREFIX}{}", random_token());
        self.store
            .create_device_token(camera.id, &token_hash(&token), now.plus(TOKEN_TTL), now)
            .await?;
        Ok((token, TOKEN_TTL))
    }

    /// Resolves a device bearer token to its camera.
    pub async fn authenticate_device(&self, token: &str) -> Result<Camera> {
        if !token.starts_with(PREFIX) {
            return Err(Error::Unauthenticated);
        }
        let Some((id, expires)) = self.store.device_token(&token_hash(token)).await? else {
            return Err(Error::Unauthenticated);
        };
        if self.clock.now() >= expires {
            return Err(Error::Unauthenticated);
        }
        self.store.camera(id).await?.ok_or(Error::Unauthenticated)
    }

    /// Records a heartbeat: only the fields of [`Heartbeat`] are kept.
    pub async fn heartbeat(&self, camera: &Camera, beat: Heartbeat) -> Result<DeviceFacts> {
        let facts = beat.facts(&camera.model, self.clock.now())?;
        let keep_after = self.clock.now().minus(super::network::WINDOW);
        self.store.save_facts(camera.id, &facts, keep_after).await?;
        Ok(facts)
    }

    /// The device's settings once their version differs from `known`, or
    /// after `wait` with the unchanged settings (long-poll, B3).
    pub async fn settings_after(
        &self,
        id: CameraId,
        known: Option<i64>,
        wait: Duration,
    ) -> Result<Camera> {
        let mut rx = self.bus.subscribe();
        let camera = self
            .store
            .camera(id)
            .await?
            .ok_or(Error::NotFound("camera"))?;
        let Some(known) = known else {
            return Ok(camera);
        };
        if camera.settings_version != known {
            return Ok(camera);
        }
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Ok((changed, _))) if changed == id => break,
                Ok(Ok(_)) => continue,
                // Missed messages: re-read to be sure nothing of ours was among them.
                Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(_))) => break,
                Ok(Err(tokio::sync::broadcast::error::RecvError::Closed)) | Err(_) => break,
            }
        }
        self.store
            .camera(id)
            .await?
            .ok_or(Error::NotFound("camera"))
    }
}
