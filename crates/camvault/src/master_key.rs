//! The master key file: created on first start with mode 0600, refused when
//! anyone but its owner could read it.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use anyhow::{bail, Context};
use crypto::MasterKey;

/// Loads the key at `path`, creating it (and its directory) if absent.
pub fn load_or_create(path: &Path) -> anyhow::Result<MasterKey> {
    if path.exists() {
        let mode = std::fs::metadata(path)
            .with_context(|| format!("reading {}", path.display()))?
            .permissions()
            .mode()
            & 0o777;
        if mode & 0o077 != 0 {
            bail!(
                "master key file {} has mode {:o}; it must be readable by its owner only. \
                 Fix it with: chmod 600 {}",
                path.display(),
                mode,
                path.display()
            );
        }
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        return MasterKey::from_hex(&text)
            .with_context(|| format!("{} does not hold a valid key", path.display()));
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let key = MasterKey::generate();
    // create_new + mode 0600 at creation: the key is never readable by others,
    // not even for the instant between create and chmod.
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    writeln!(f, "{}", key.to_hex())?;
    f.sync_all()?;
    tracing::info!(path = %path.display(), "created a new master key; back it up");
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_with_owner_only_mode_and_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/master.key");
        let k1 = load_or_create(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let k2 = load_or_create(&path).unwrap();
        assert_eq!(k1.derive("a"), k2.derive("a"));
    }

    #[test]
    fn refuses_a_key_others_can_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        load_or_create(&path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = load_or_create(&path).unwrap_err().to_string();
        assert!(err.contains("chmod 600"), "{err}");
    }
}
