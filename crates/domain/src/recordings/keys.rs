//! The key ring: account keys and per-camera, per-day media keys (C1, G2).
//!
//! The master key wraps one key per account; the account key wraps one key
//! per camera per UTC day; that media key wraps each blob's data key.
//! Deleting a media key's row makes that day's video unreadable in every
//! copy, backups included; deleting the account key (and its media keys)
//! is the crypto-shredding step of erasure. Rotating the master key
//! re-wraps account keys and never touches media.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::clock::Clock;
use crate::ids::{AccountId, CameraId};
use crate::ports::KeyStore;
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
    kek: [u8; 32],
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
    /// A ring over `store`, with `kek` (derived from the master key) wrapping account keys.
    pub fn new(store: Arc<dyn KeyStore>, kek: [u8; 32], clock: Arc<dyn Clock>) -> Self {
        KeyRing {
            store,
            kek,
            clock,
            cache: Mutex::new(HashMap::new()),
        }
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

    /// The account's key, created on first use.
    pub async fn account_key(&self, account: AccountId) -> Result<[u8; 32]> {
        if self.store.account_key(account).await?.is_none() {
            let key = crypto::random_key();
            let wrapped = crypto::wrap_key(&self.kek, &account_context(account), &key);
            self.store
                .insert_account_key(account, &new_id("a"), &wrapped, self.clock.now())
                .await?;
        }
        // Read back: when two requests raced, the first insert won and both use it.
        let (_, wrapped) = self
            .store
            .account_key(account)
            .await?
            .ok_or(Error::NotFound("account key"))?;
        crypto::unwrap_key(&self.kek, &account_context(account), &wrapped).map_err(broken)
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

    /// Re-wraps every account key from this ring's key-encryption key to
    /// `new_kek` (master-key rotation); media is never rewritten. Returns
    /// how many keys were re-wrapped.
    pub async fn rewrap_all(&self, new_kek: &[u8; 32]) -> Result<u64> {
        let mut n = 0;
        for (account, _, wrapped) in self.store.all_account_keys().await? {
            let ctx = account_context(account);
            let key = crypto::unwrap_key(&self.kek, &ctx, &wrapped).map_err(broken)?;
            let rewrapped = crypto::wrap_key(new_kek, &ctx, &key);
            self.store.rewrap_account_key(account, &rewrapped).await?;
            n += 1;
        }
        Ok(n)
    }
}
