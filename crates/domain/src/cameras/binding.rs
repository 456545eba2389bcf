//! Binding a camera to its owner and unbinding it (B1, B4).
//!
//! A wrong code and an unknown serial give the same answer, and attempts are
//! throttled per person and per serial, so labels cannot be guessed and
//! valid serials cannot be listed.

use std::time::Duration;

use super::serial::{SerialNumber, VerificationCode};
use super::{Camera, Cameras};
use crate::accounts::secrets::same_hash;
use crate::accounts::throttle::ThrottlePolicy;
use crate::ids::{AccountId, CameraId};
use crate::{Error, Result};

/// Five tries per 15 minutes, per person and per serial.
pub const BIND_POLICY: ThrottlePolicy = ThrottlePolicy {
    free_failures: 5,
    base_lockout: Duration::from_secs(15 * 60),
    max_lockout: Duration::from_secs(15 * 60),
    window: Duration::from_secs(15 * 60),
};

impl Cameras {
    pub(super) async fn throttled(&self, key: &str) -> Result<()> {
        let now = self.clock.now();
        if let Some(rec) = self.throttles.throttle(key).await? {
            if rec.updated_at.plus(BIND_POLICY.window) < now {
                self.throttles.clear(key).await?;
            } else if now < rec.locked_until {
                return Err(Error::Throttled {
                    retry_after_secs: now.secs_until(rec.locked_until),
                });
            }
        }
        Ok(())
    }

    pub(super) async fn count_failure(&self, key: &str) -> Result<()> {
        let now = self.clock.now();
        let failures = self.throttles.record_failure(key, now).await?;
        if let Some(until) = BIND_POLICY.locked_until(failures, now) {
            self.throttles.lock(key, until).await?;
        }
        Ok(())
    }

    /// Binds the camera with this serial to `who` if the code matches.
    pub async fn bind(&self, who: AccountId, serial: &str, code: &str) -> Result<Camera> {
        let serial = SerialNumber::parse(serial)?;
        let code = VerificationCode::parse(code)?;
        let user_key = format!("bind-user:{who}");
        let serial_key = format!("bind-serial:{}", serial.as_str());
        self.throttled(&user_key).await?;
        self.throttled(&serial_key).await?;
        let found = self.store.camera_by_serial(serial.as_str()).await?;
        let expected = self.keyed("code", serial.as_str(), code.expose());
        let camera = match found {
            Some(c) if same_hash(&c.code_hash, &expected) => c,
            _ => {
                self.count_failure(&user_key).await?;
                self.count_failure(&serial_key).await?;
                tracing::info!(account = %who, "camera binding refused");
                return Err(Error::BindRefused);
            }
        };
        match camera.owner {
            Some(owner) if owner == who => return Ok(camera),
            Some(_) => return Err(Error::AlreadyBound),
            None => {}
        }
        // Serials are ASCII, so byte slicing is safe.
        let s = serial.as_str();
        let name = format!("{} {}", camera.model, &s[s.len().saturating_sub(4)..]);
        if !self
            .store
            .bind(camera.id, who, &name, self.clock.now())
            .await?
        {
            // Someone else bound it between our read and our write.
            return Err(Error::AlreadyBound);
        }
        self.throttles.clear(&user_key).await?;
        tracing::info!(account = %who, camera = %camera.id, "camera bound");
        self.store
            .camera(camera.id)
            .await?
            .ok_or(Error::NotFound("camera"))
    }

    /// Unbinds an owned camera; recordings already stored stay with the
    /// former owner under their retention.
    pub async fn unbind(&self, who: AccountId, id: CameraId) -> Result<()> {
        let (_, access) = self.access(who, id).await?;
        if access != super::Access::Owner {
            return Err(Error::Forbidden);
        }
        if !self.store.unbind(id, who).await? {
            return Err(Error::NotFound("camera"));
        }
        let version = self
            .store
            .camera(id)
            .await?
            .map(|c| c.settings_version)
            .unwrap_or_default();
        self.bus.publish(id, version);
        tracing::info!(account = %who, camera = %id, "camera unbound");
        Ok(())
    }
}
