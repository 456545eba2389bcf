//! The key ring: account keys and per-camera, per-day media keys (C1, G2).
//!
//! The master key, combined with a per-account secret kept in the key vault
//! outside the database and the data directory, wraps one key per account;
//! the account key wraps one key per camera per UTC day; that media key
//! wraps each blob's data key. Deleting a media key's row makes that day's
//! video unreadable to the server (retention). Erasure destroys the
//! account's vault secret and then its keys (crypto-shredding): a backup of
//! the database and blobs taken before holds the wrapped account key but
//! never the secret, so it cannot be read either. Rotating the master key
//! re-wraps account keys and never touches media.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::clock::Clock;
use crate::ids::{AccountId, CameraId};
use crate::ports::{KeyStore, KeyVault};
use crate::{Error, Result};

/// The "day" of the key that seals a camera's init segments. Inits are used
/// by segments of many days, so they must outlive any one day's key; this
/// name sorts after every date, so retention never destroys it.
pub const INIT_DAY: &str = "init";

/// Unwrapped keys kept in memory at most; beyond, the cache starts over.
const CACHE_LIMIT: usize = 4096;

/// Unwraps and creates keys, caching unwrapped media keys by id.
pub struct KeyRing {
    store: Arc<dyn KeyStore>,
    vault: Arc<dyn KeyVault>,
    kek: [u8; 32],
    /// Earlier key-encryption keys, still accepted while a rotation is
    /// under way; a key found under one is re-wrapped under `kek` at once.
    previous: std::sync::OnceLock<Vec<[u8; 32]>>,
    clock: Arc<dyn Clock>,
    cache: Mutex<HashMap<String, [u8; 32]>>,
}

fn account_context(account: AccountId) -> String {
    format!("account key {account}")
}

fn media_context(key_id: &str) -> String {
    format!("media key {key_id}")
}

fn broken(e: crypto::Error) -> Error {
    // A key that does not unwrap means a wrong master key or a tampered row.
    Error::Storage(format!("key unwrap failed: {e}"))
}

fn new_id(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

impl KeyRing {
    /// A ring over `store`: account keys are wrapped by `kek` (derived
    /// from the master key) combined with each account's secret in `vault`.
    pub fn new(
        store: Arc<dyn KeyStore>,
        vault: Arc<dyn KeyVault>,
        kek: [u8; 32],
        clock: Arc<dyn Clock>,
    ) -> Self {
        KeyRing {
            store,
            vault,
            kek,
            previous: std::sync::OnceLock::new(),
            clock,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Also accepts account keys wrapped under these earlier
    /// key-encryption keys (a master-key rotation not yet finished).
    pub fn accept_previous(&self, keks: Vec<[u8; 32]>) {
        let _ = self.previous.set(keks);
    }

    fn previous(&self) -> &[[u8; 32]] {
        self.previous.get().map_or(&[], Vec::as_slice)
    }

    fn cached(&self, key_id: &str) -> Option<[u8; 32]> {
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(key_id)
            .copied()
    }

    fn remember(&self, key_id: &str, key: [u8; 32]) {
        let mut cache = self
            .cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if cache.len() >= CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(key_id.to_owned(), key);
    }

    fn forget_all(&self) {
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
    }

    /// The key that wraps an account's key: the master-derived key
    /// combined with the account's vault secret.
    fn account_kek(&self, account: AccountId, secret: &[u8; 32]) -> [u8; 32] {
        crypto::combine_keys(&self.kek, secret, &account_context(account))
    }

    /// The account's key, created on first use.
    pub async fn account_key(&self, account: AccountId) -> Result<[u8; 32]> {
        if let Some((_, wrapped)) = self.store.account_key(account).await? {
            return self.unwrap_account_key(account, &wrapped).await;
        }
        let secret = match self.vault.secret(account).await? {
            Some(secret) => secret,
            None => self.vault.create_secret(account).await?,
        };
        let key = crypto::random_key();
        let wrapped = crypto::wrap_key(
            &self.account_kek(account, &secret),
            &account_context(account),
            &key,
        );
        self.store
            .insert_account_key(account, &new_id("a"), &wrapped, self.clock.now())
            .await?;
        // Read back: when two requests raced, the first insert won and both use it.
        let (_, wrapped) = self
            .store
            .account_key(account)
            .await?
            .ok_or(Error::NotFound("account key"))?;
        self.unwrap_account_key(account, &wrapped).await
    }

    async fn unwrap_account_key(&self, account: AccountId, wrapped: &[u8]) -> Result<[u8; 32]> {
        let ctx = account_context(account);
        if let Some(secret) = self.vault.secret(account).await? {
            let current = crypto::unwrap_key(&self.account_kek(account, &secret), &ctx, wrapped);
            let Err(e) = current else {
                return current.map_err(broken);
            };
            // Wrapped before a rotation that has not reached it yet.
            for old in self.previous() {
                let old = crypto::combine_keys(old, &secret, &ctx);
                if let Ok(key) = crypto::unwrap_key(&old, &ctx, wrapped) {
                    let new = crypto::wrap_key(&self.account_kek(account, &secret), &ctx, &key);
                    self.store.rewrap_account_key(account, &new).await?;
                    return Ok(key);
                }
            }
            return Err(broken(e));
        }
        // No secret: either a key wrapped before the vault existed, which
        // is upgraded now, or one whose secret erasure destroyed — then the
        // key is gone for good, as intended.
        match crypto::unwrap_key(&self.kek, &ctx, wrapped) {
            Ok(key) => {
                self.upgrade(account, &key).await?;
                Ok(key)
            }
            Err(_) => Err(Error::NotFound("account key")),
        }
    }

    /// Re-wraps a key wrapped by the master-derived key alone under the
    /// vault (a database from before the vault).
    async fn upgrade(&self, account: AccountId, key: &[u8; 32]) -> Result<()> {
        let secret = self.vault.create_secret(account).await?;
        let wrapped = crypto::wrap_key(
            &self.account_kek(account, &secret),
            &account_context(account),
            key,
        );
        self.store.rewrap_account_key(account, &wrapped).await
    }

    /// Moves every account key still wrapped without a vault secret under
    /// the vault, so no backup taken from now on can be read without it.
    /// Returns how many were upgraded.
    pub async fn upgrade_all(&self) -> Result<u64> {
        let mut n = 0;
        for (account, _, wrapped) in self.store.all_account_keys().await? {
            if self.vault.secret(account).await?.is_some() {
                continue;
            }
            if let Ok(key) = crypto::unwrap_key(&self.kek, &account_context(account), &wrapped) {
                self.upgrade(account, &key).await?;
                n += 1;
            }
        }
        Ok(n)
    }

    /// The media key of an account's camera for `day` (`YYYY-MM-DD`, or
    /// [`INIT_DAY`]), created on first use: its id and the key.
    pub async fn media_key(
        &self,
        account: AccountId,
        camera: CameraId,
        day: &str,
    ) -> Result<(String, [u8; 32])> {
        if let Some((id, wrapped)) = self.store.media_key(account, camera, day).await? {
            return self.unwrap_media(account, id, &wrapped).await;
        }
        let account_key = self.account_key(account).await?;
        let id = new_id("m");
        let key = crypto::random_key();
        let wrapped = crypto::wrap_key(&account_key, &media_context(&id), &key);
        self.store
            .insert_media_key(account, camera, day, &id, &wrapped, self.clock.now())
            .await?;
        let (id, wrapped) = self
            .store
            .media_key(account, camera, day)
            .await?
            .ok_or(Error::NotFound("media key"))?;
        self.unwrap_media(account, id, &wrapped).await
    }

    async fn unwrap_media(
        &self,
        account: AccountId,
        id: String,
        wrapped: &[u8],
    ) -> Result<(String, [u8; 32])> {
        if let Some(key) = self.cached(&id) {
            return Ok((id, key));
        }
        let account_key = self.account_key(account).await?;
        let key = crypto::unwrap_key(&account_key, &media_context(&id), wrapped).map_err(broken)?;
        self.remember(&id, key);
        Ok((id, key))
    }

    /// A media key by id, for decryption; `NotFound` once destroyed.
    pub async fn media_key_by_id(&self, key_id: &str) -> Result<[u8; 32]> {
        if let Some(key) = self.cached(key_id) {
            return Ok(key);
        }
        let (account, wrapped) = self
            .store
            .media_key_by_id(key_id)
            .await?
            .ok_or(Error::NotFound("media key"))?;
        Ok(self
            .unwrap_media(account, key_id.to_owned(), &wrapped)
            .await?
            .1)
    }

    /// Whether the account has a key (none before its first recording, and
    /// none after erasure).
    pub async fn account_key_exists(&self, account: AccountId) -> Result<bool> {
        Ok(self.store.account_key(account).await?.is_some())
    }

    /// Destroys an account's key and all its media keys: everything sealed
    /// under them becomes unreadable for good (crypto-shredding).
    pub async fn destroy_account_key(&self, account: AccountId) -> Result<()> {
        // The vault secret first: that is what reaches every backup.
        self.vault.destroy_secret(account).await?;
        self.store.delete_account_keys(account).await?;
        self.forget_all();
        Ok(())
    }

    /// Destroys a camera's media keys of days before `day` (retention).
    pub async fn destroy_media_keys_before(&self, camera: CameraId, day: &str) -> Result<u64> {
        let n = self.store.delete_media_keys_before(camera, day).await?;
        if n > 0 {
            self.forget_all();
        }
        Ok(n)
    }

    /// Finishes a rotation: every account key still wrapped under an
    /// earlier key-encryption key (see [`KeyRing::accept_previous`]) is
    /// re-wrapped under the current one; media is never rewritten. Returns
    /// how many keys were re-wrapped. An account key no known key opens is
    /// an error, so a rotation never completes over a key it would strand.
    pub async fn rotate_all(&self) -> Result<u64> {
        self.upgrade_all().await?;
        let mut n = 0;
        for (account, _, wrapped) in self.store.all_account_keys().await? {
            let Some(secret) = self.vault.secret(account).await? else {
                continue; // erased: its key is gone for good
            };
            let ctx = account_context(account);
            if crypto::unwrap_key(&self.account_kek(account, &secret), &ctx, &wrapped).is_ok() {
                continue;
            }
            self.unwrap_account_key(account, &wrapped).await?;
            n += 1;
        }
        Ok(n)
    }

    /// Re-wraps every account key from this ring's key-encryption key to
    /// `new_kek` (master-key rotation); media is never rewritten. Returns
    /// how many keys were re-wrapped.
    pub async fn rewrap_all(&self, new_kek: &[u8; 32]) -> Result<u64> {
        self.upgrade_all().await?;
        let mut n = 0;
        for (account, _, wrapped) in self.store.all_account_keys().await? {
            let Some(secret) = self.vault.secret(account).await? else {
                continue; // erased, or not yet upgraded: nothing to carry over
            };
            let ctx = account_context(account);
            let key = crypto::unwrap_key(&self.account_kek(account, &secret), &ctx, &wrapped)
                .map_err(broken)?;
            let new = crypto::combine_keys(new_kek, &secret, &ctx);
            self.store
                .rewrap_account_key(account, &crypto::wrap_key(&new, &ctx, &key))
                .await?;
            n += 1;
        }
        Ok(n)
    }
}
