//! Firmware manifests and the device's update check (B6).

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use super::Cameras;
use crate::clock::Timestamp;
use crate::{Error, Result};

/// A published firmware release for one model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Model it is for.
    pub model: String,
    /// Version, dotted (`2.10.1`, `3.0-rc1`).
    pub version: String,
    /// Where the device downloads it.
    pub url: String,
    /// SHA-256 of the image, lowercase hex.
    pub sha256: String,
    /// Release notes.
    pub notes: String,
    /// When it was published (set by the server).
    #[serde(skip_deserializing, default = "epoch")]
    pub published_at: Timestamp,
}

fn epoch() -> Timestamp {
    Timestamp(0)
}

/// Compares dotted versions part by part, numbers numerically and other
/// parts as text, so `2.10` is newer than `2.9`.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    let parts = |v: &str| -> Vec<String> { v.split(['.', '-', '+']).map(str::to_string).collect() };
    let (pa, pb) = (parts(a), parts(b));
    for i in 0..pa.len().max(pb.len()) {
        let (x, y) = (pa.get(i), pb.get(i));
        let ord = match (x, y) {
            (Some(x), Some(y)) => match (x.parse::<u64>(), y.parse::<u64>()) {
                (Ok(m), Ok(n)) => m.cmp(&n),
                // A pre-release tag sorts before the plain number.
                (Ok(_), Err(_)) => Ordering::Greater,
                (Err(_), Ok(_)) => Ordering::Less,
                _ => x.cmp(y),
            },
            (Some(x), None) => {
                if x.parse::<u64>().is_ok() {
                    Ordering::Greater
                } else {
                    Ordering::Less
                }
            }
            (None, Some(y)) => {
                if y.parse::<u64>().is_ok() {
                    Ordering::Less
                } else {
                    Ordering::Greater
                }
            }
            (None, None) => Ordering::Equal,
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}

fn check(m: &Manifest) -> Result<()> {
    let ok_version = !m.version.is_empty()
        && m.version.len() <= 32
        && m.version.starts_with(|c: char| c.is_ascii_digit())
        && m.version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-+".contains(c));
    if !ok_version {
        return Err(Error::invalid("version", "must be dotted, e.g. 2.1.0"));
    }
    if m.model.trim().is_empty() || m.model.chars().count() > 64 {
        return Err(Error::invalid("model", "must be 1 to 64 characters"));
    }
    if !(m.url.starts_with("https://") || m.url.starts_with("http://")) || m.url.len() > 2048 {
        return Err(Error::invalid("url", "must be an http(s) URL"));
    }
    if m.sha256.len() != 64 || !m.sha256.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(Error::invalid("sha256", "must be 64 hex digits"));
    }
    if m.notes.chars().count() > 4000 {
        return Err(Error::invalid("notes", "at most 4000 characters"));
    }
    Ok(())
}

impl Cameras {
    /// Publishes a manifest (admin).
    pub async fn publish_firmware(&self, mut manifest: Manifest) -> Result<Manifest> {
        manifest.model = manifest.model.trim().to_string();
        manifest.sha256 = manifest.sha256.to_ascii_lowercase();
        check(&manifest)?;
        manifest.published_at = self.clock.now();
        self.store.publish_firmware(&manifest).await?;
        tracing::info!(model = %manifest.model, version = %manifest.version, "firmware published");
        Ok(manifest)
    }

    /// Every manifest, newest first.
    pub async fn firmware_manifests(&self) -> Result<Vec<Manifest>> {
        self.store.firmware_manifests().await
    }

    /// The newest release for `model` newer than `current`, if any.
    pub async fn firmware_update(
        &self,
        model: &str,
        current: Option<&str>,
    ) -> Result<Option<Manifest>> {
        let newest = self
            .store
            .firmware_for_model(model)
            .await?
            .into_iter()
            .max_by(|a, b| compare_versions(&a.version, &b.version));
        Ok(newest.filter(|m| match current {
            Some(cur) => compare_versions(&m.version, cur) == Ordering::Greater,
            None => true,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // promise: B6
    #[test]
    fn versions_compare_numerically() {
        assert_eq!(compare_versions("2.10.0", "2.9.9"), Ordering::Greater);
        assert_eq!(compare_versions("2.1", "2.1.0"), Ordering::Less);
        assert_eq!(compare_versions("3.0-rc1", "3.0"), Ordering::Less);
        assert_eq!(compare_versions("3.0-rc2", "3.0-rc1"), Ordering::Greater);
        assert_eq!(compare_versions("1.0.0", "1.0.0"), Ordering::Equal);
    }
}
