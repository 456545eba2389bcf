//! The key vault on the local filesystem: one 32-byte secret per account
//! and one marker per erased account, in a directory kept apart from the
//! database and the blobs (by default beside the data directory, not in
//! it), so a backup of the data directory never holds them.
//!
//! ```text
//! <vault>/accounts/<id>.key   32 random bytes, mode 0600
//! <vault>/erased/<id>         empty: the erasure ledger
//! ```
//! Hand-written because it is a few file operations; the care is in the
//! order: a secret is written to a temporary file, flushed, then linked to
//! its name (which fails if another writer got there first), so a reader
//! never sees half a secret and two writers never disagree.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use domain::ids::AccountId;
use domain::ports::KeyVault;
use domain::{Error, Result};
use rand::RngCore;

fn vault_err(what: &str, e: std::io::Error) -> Error {
    Error::Storage(format!("key vault: {what}: {e}"))
}

/// The key vault in a directory.
#[derive(Debug, Clone)]
pub struct FileKeyVault {
    dir: PathBuf,
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

impl FileKeyVault {
    /// Opens (creating, mode 0700) the vault in `dir`.
    pub fn open(dir: &Path) -> Result<Self> {
        for sub in ["accounts", "erased"] {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir.join(sub))
                .map_err(|e| vault_err("create", e))?;
        }
        Ok(FileKeyVault {
            dir: dir.to_path_buf(),
        })
    }

    fn secret_path(&self, account: AccountId) -> PathBuf {
        self.dir.join("accounts").join(format!("{}.key", account.0))
    }

    fn read(path: &Path) -> Result<Option<[u8; 32]>> {
        match std::fs::read(path) {
            Ok(bytes) => bytes.try_into().map(Some).map_err(|_| {
                Error::Storage(format!("key vault: {} is not 32 bytes", path.display()))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(vault_err("read", e)),
        }
    }

    fn create(&self, account: AccountId) -> Result<[u8; 32]> {
        let path = self.secret_path(account);
        if let Some(existing) = Self::read(&path)? {
            return Ok(existing);
        }
        let mut secret = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut secret);
        let tmp = path.with_extension(format!("tmp-{}", uuid::Uuid::new_v4().simple()));
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&tmp)?;
            f.write_all(&secret)?;
            f.sync_all()
        };
        write().map_err(|e| vault_err("write", e))?;
        let linked = std::fs::hard_link(&tmp, &path);
        let _ = std::fs::remove_file(&tmp);
        match linked {
            Ok(()) => {
                sync_dir(&self.dir.join("accounts")).map_err(|e| vault_err("sync", e))?;
                Ok(secret)
            }
            // Another writer won the race: theirs is the secret.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Self::read(&path)?
                .ok_or_else(|| Error::Storage("key vault: secret vanished".into())),
            Err(e) => Err(vault_err("link", e)),
        }
    }

    fn destroy(&self, account: AccountId) -> Result<()> {
        match std::fs::remove_file(self.secret_path(account)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(vault_err("delete", e)),
        }
        sync_dir(&self.dir.join("accounts")).map_err(|e| vault_err("sync", e))
    }

    fn mark_erased(&self, account: AccountId) -> Result<()> {
        let dir = self.dir.join("erased");
        std::fs::File::create(dir.join(account.0.to_string()))
            .and_then(|f| f.sync_all())
            .and_then(|()| sync_dir(&dir))
            .map_err(|e| vault_err("ledger", e))
    }

    fn ledger(&self) -> Result<Vec<AccountId>> {
        let mut out = Vec::new();
        for entry in
            std::fs::read_dir(self.dir.join("erased")).map_err(|e| vault_err("ledger", e))?
        {
            let entry = entry.map_err(|e| vault_err("ledger", e))?;
            if let Some(id) = entry.file_name().to_str().and_then(|n| n.parse().ok()) {
                out.push(AccountId(id));
            }
        }
        out.sort();
        Ok(out)
    }
}

/// Runs a blocking vault operation off the async workers.
async fn blocking<T: Send + 'static>(
    vault: &FileKeyVault,
    f: impl FnOnce(&FileKeyVault) -> Result<T> + Send + 'static,
) -> Result<T> {
    let vault = vault.clone();
    tokio::task::spawn_blocking(move || f(&vault))
        .await
        .map_err(|e| Error::Storage(format!("key vault: {e}")))?
}

#[async_trait]
impl KeyVault for FileKeyVault {
    async fn secret(&self, account: AccountId) -> Result<Option<[u8; 32]>> {
        blocking(self, move |v| Self::read(&v.secret_path(account))).await
    }

    async fn create_secret(&self, account: AccountId) -> Result<[u8; 32]> {
        blocking(self, move |v| v.create(account)).await
    }

    async fn destroy_secret(&self, account: AccountId) -> Result<()> {
        blocking(self, move |v| v.destroy(account)).await
    }

    async fn record_erasure(&self, account: AccountId) -> Result<()> {
        blocking(self, move |v| v.mark_erased(account)).await
    }

    async fn erased(&self) -> Result<Vec<AccountId>> {
        blocking(self, |v| v.ledger()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn secrets_are_created_once_destroyed_for_good_and_erasures_listed() {
        let dir = tempfile::tempdir().unwrap();
        let vault = FileKeyVault::open(&dir.path().join("v")).unwrap();
        let a = AccountId(7);
        assert_eq!(vault.secret(a).await.unwrap(), None);
        let first = vault.create_secret(a).await.unwrap();
        assert_eq!(vault.create_secret(a).await.unwrap(), first);
        assert_eq!(vault.secret(a).await.unwrap(), Some(first));
        let mode = std::fs::metadata(vault.secret_path(a)).unwrap();
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777,
            0o600
        );
        vault.destroy_secret(a).await.unwrap();
        vault.destroy_secret(a).await.unwrap();
        assert_eq!(vault.secret(a).await.unwrap(), None);
        assert_ne!(vault.create_secret(a).await.unwrap(), first);
        vault.record_erasure(AccountId(9)).await.unwrap();
        vault.record_erasure(AccountId(3)).await.unwrap();
        assert_eq!(
            vault.erased().await.unwrap(),
            vec![AccountId(3), AccountId(9)]
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn racing_creators_agree_on_one_secret() {
        let dir = tempfile::tempdir().unwrap();
        let vault = FileKeyVault::open(dir.path()).unwrap();
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let v = vault.clone();
                tokio::spawn(async move { v.create_secret(AccountId(1)).await.unwrap() })
            })
            .collect();
        let mut got = Vec::new();
        for t in tasks {
            got.push(t.await.unwrap());
        }
        assert!(got.windows(2).all(|w| w[0] == w[1]));
    }
}
