//! The master key file: created on first start with mode 0600, refused when
//! anyone but its owner could read it.
//!
//! Its first line is the master key (hex), from which every server secret
//! is derived. Lines `wrapping <hex>` that follow, oldest first, are the
//! keys that wrap account keys after a rotation (`camvault admin
//! rotate-keys`): the last one wraps, the others are only accepted while a
//! rotation finishes. Without such a line, account keys are wrapped by a
//! key derived from the master key, as before any rotation.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use anyhow::{bail, Context};
use crypto::MasterKey;

/// Prefix of a wrapping-key line.
const WRAPPING: &str = "wrapping ";

/// What the master key file holds.
pub struct MasterKeys {
    /// The master key.
    pub root: MasterKey,
    /// Account-key wrapping keys from rotations, oldest first.
    pub wrapping: Vec<[u8; 32]>,
}

// Keys never reach a log: no derived Debug.
impl std::fmt::Debug for MasterKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MasterKeys")
            .field("wrapping", &self.wrapping.len())
            .finish_non_exhaustive()
    }
}

impl MasterKeys {
    /// The key that wraps account keys now.
    pub fn account_kek(&self) -> [u8; 32] {
        self.wrapping
            .last()
            .copied()
            .unwrap_or_else(|| self.root.derive("account keys"))
    }

    /// Earlier wrapping keys, accepted while a rotation finishes.
    pub fn previous_keks(&self) -> Vec<[u8; 32]> {
        match self.wrapping.split_last() {
            None => vec![],
            Some((_, older)) => std::iter::once(self.root.derive("account keys"))
                .chain(older.iter().copied())
                .collect(),
        }
    }

    fn parse(text: &str) -> anyhow::Result<MasterKeys> {
        let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
        let root = MasterKey::from_hex(lines.next().unwrap_or(""))?;
        let wrapping = lines
            .map(|l| {
                let hex = l
                    .strip_prefix(WRAPPING)
                    .with_context(|| "a line after the key is not `wrapping <hex>`")?;
                let bytes = hex::decode(hex.trim()).context("a wrapping key is not hex")?;
                <[u8; 32]>::try_from(bytes.as_slice())
                    .map_err(|_| anyhow::anyhow!("a wrapping key is not 32 bytes"))
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(MasterKeys { root, wrapping })
    }

    fn text(&self) -> String {
        let mut text = format!("{}\n", self.root.to_hex());
        for w in &self.wrapping {
            text.push_str(&format!("{WRAPPING}{}\n", hex::encode(w)));
        }
        text
    }
}

/// Replaces the file at `path` with `keys`, atomically and durably: a
/// crash leaves either the old file or the new one, never a torn one.
pub fn save(path: &Path, keys: &MasterKeys) -> anyhow::Result<()> {
    let tmp = path.with_extension("key.new");
    let _ = std::fs::remove_file(&tmp);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .with_context(|| format!("creating {}", tmp.display()))?;
    f.write_all(keys.text().as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, path).with_context(|| format!("replacing {}", path.display()))?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// Loads the keys at `path`, creating the file (and its directory) if absent.
pub fn load_or_create(path: &Path) -> anyhow::Result<MasterKeys> {
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
        return MasterKeys::parse(&text)
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
    Ok(MasterKeys {
        root: key,
        wrapping: vec![],
    })
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
        assert_eq!(k1.root.derive("a"), k2.root.derive("a"));
        assert!(k2.wrapping.is_empty());
        assert_eq!(k2.account_kek(), k2.root.derive("account keys"));
        assert!(k2.previous_keks().is_empty());
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

    #[test]
    fn wrapping_lines_follow_the_key_and_are_saved_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        let mut keys = load_or_create(&path).unwrap();
        let derived = keys.root.derive("account keys");
        keys.wrapping.push([7; 32]);
        keys.wrapping.push([8; 32]);
        save(&path, &keys).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let again = load_or_create(&path).unwrap();
        assert_eq!(again.root.derive("x"), keys.root.derive("x"));
        assert_eq!(again.account_kek(), [8; 32]);
        assert_eq!(again.previous_keks(), vec![derived, [7; 32]]);
        // Anything else after the key is refused, not ignored.
        std::fs::write(&path, format!("{}\nrubbish\n", keys.root.to_hex())).unwrap();
        assert!(load_or_create(&path).is_err());
    }
}
