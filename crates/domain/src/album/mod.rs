//! The album (C5): photos and short clips people upload from the phone or
//! browser, stored encrypted like camera media, listed, downloaded and
//! deleted. Where a file was taken is kept only while the person consents
//! to location tags; otherwise it is removed before the file is sealed
//! (C4), from JPEG, PNG and HEIC photos and MP4 clips alike; a HEIC photo
//! whose Exif or XMP cannot be reached (protected, kept in another file,
//! or built from other items) is refused without that consent.
//!
//! Files are sealed with a fresh data key wrapped by the account key, so
//! erasing the account's key (crypto-shredding) makes them unreadable with
//! its camera video. Large files come in pieces ([`uploads`]): each piece
//! is sealed as it arrives, and a piece sent at the wrong offset is refused
//! without touching what was received.

mod clips;
pub mod files;
pub mod uploads;

use std::sync::Arc;

use async_trait::async_trait;
use media::album::{self, AlbumError, AlbumKind};

use crate::clock::{Clock, Timestamp};
use crate::ids::AccountId;
use crate::ports::BlobStore;
use crate::privacy::consent::Consents;
use crate::recordings::Recordings;
use crate::{Error, Result};
pub use files::SealedFile;

/// The consent purpose that keeps location tags in media.
pub const LOCATION_TAGS: &str = "location_tags";

/// Limits of the album.
#[derive(Debug, Clone)]
pub struct AlbumConfig {
    /// Largest photo, bytes.
    pub max_photo_bytes: u64,
    /// Largest clip, bytes.
    pub max_clip_bytes: u64,
}

impl Default for AlbumConfig {
    fn default() -> Self {
        AlbumConfig {
            max_photo_bytes: 50 * 1024 * 1024,
            max_clip_bytes: 2 * 1024 * 1024 * 1024,
        }
    }
}

/// One stored photo or clip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlbumItem {
    /// Id.
    pub id: i64,
    /// Whose.
    pub account_id: AccountId,
    /// Its media type (`image/jpeg`, `image/png`, `image/heic`, `video/mp4`).
    pub media_type: String,
    /// The file name it was uploaded with, if any.
    pub name: Option<String>,
    /// Plaintext size.
    pub bytes: i64,
    /// Where the sealed file is.
    pub blob_key: String,
    /// Where its sealed thumbnail is (photos that decode).
    pub thumb_key: Option<String>,
    /// Whether the place it was taken was kept (with consent).
    pub location_kept: bool,
    /// Uploaded.
    pub created_at: Timestamp,
}

/// Album rows.
#[async_trait]
pub trait AlbumStore: Send + Sync {
    /// Stores an item's row; its id.
    async fn insert_album_item(&self, item: &AlbumItem) -> Result<i64>;
    /// An account's items, newest first.
    async fn album_items(&self, account: AccountId) -> Result<Vec<AlbumItem>>;
    /// One item of an account.
    async fn album_item(&self, account: AccountId, id: i64) -> Result<Option<AlbumItem>>;
    /// Deletes one item's row; false when there was none.
    async fn delete_album_item(&self, account: AccountId, id: i64) -> Result<bool>;
}

/// The album service.
pub struct Album {
    store: Arc<dyn AlbumStore>,
    uploads: Arc<dyn uploads::UploadStore>,
    recordings: Arc<Recordings>,
    consents: Arc<Consents>,
    blobs: Arc<dyn BlobStore>,
    clock: Arc<dyn Clock>,
    config: AlbumConfig,
}

fn invalid_media(e: AlbumError) -> Error {
    match e {
        AlbumError::Unremovable(_) => Error::InvalidMedia(format!(
            "{e}; turn on location tags in the privacy center to keep it as it is"
        )),
        _ => Error::InvalidMedia(e.to_string()),
    }
}

/// Whether a claimed media type is a clip's.
fn is_clip(media_type: &str) -> bool {
    media_type.trim().to_ascii_lowercase().starts_with("video/")
}

/// A file name as kept: trimmed, at most 200 characters, none if blank.
fn clean_name(name: Option<&str>) -> Option<String> {
    name.map(|n| n.trim().chars().take(200).collect::<String>())
        .filter(|n| !n.is_empty())
}

/// The key id written in album blobs: they are sealed under the account key.
const ACCOUNT_KEY: &str = "account";

impl Album {
    /// Wires the album.
    pub fn new(
        store: Arc<dyn AlbumStore>,
        uploads: Arc<dyn uploads::UploadStore>,
        recordings: Arc<Recordings>,
        consents: Arc<Consents>,
        blobs: Arc<dyn BlobStore>,
        clock: Arc<dyn Clock>,
        config: AlbumConfig,
    ) -> Self {
        Album {
            store,
            uploads,
            recordings,
            consents,
            blobs,
            clock,
            config,
        }
    }

    /// The largest file of the kind `media_type` claims.
    fn limit(&self, media_type: &str) -> u64 {
        if is_clip(media_type) {
            self.config.max_clip_bytes
        } else {
            self.config.max_photo_bytes
        }
    }

    fn check_size(&self, media_type: &str, size: u64) -> Result<()> {
        if size == 0 {
            return Err(Error::invalid("body", "the file is empty"));
        }
        let limit = self.limit(media_type);
        if size > limit {
            return Err(Error::TooLarge {
                what: "album file",
                limit: limit as usize,
            });
        }
        Ok(())
    }

    /// Adds a whole file: checked to be what it claims, its location removed
    /// unless the person consents, sealed, then stored.
    pub async fn add(
        &self,
        who: AccountId,
        media_type: &str,
        name: Option<&str>,
        mut bytes: Vec<u8>,
    ) -> Result<AlbumItem> {
        self.check_size(media_type, bytes.len() as u64)?;
        let kind: AlbumKind = album::check(&bytes, media_type).map_err(invalid_media)?;
        let keep = self.consents.allows(who, LOCATION_TAGS).await?;
        if !keep {
            album::strip_location(kind, &mut bytes).map_err(invalid_media)?;
        }
        let name = clean_name(name);
        let size = bytes.len() as i64;
        let thumbnail = album::thumbnail(kind, &bytes);
        let key = self.recordings.keys().account_key(who).await?;
        let sealed = crypto::blob::seal_blob_owned(
            &key,
            ACCOUNT_KEY,
            crypto::blob::DEFAULT_CHUNK_LOG2,
            bytes,
        )
        .map_err(|e| Error::Storage(e.to_string()))?;
        let name_key = self.new_blob_base(who).await?;
        let blob_key = format!("{name_key}.cvb");
        // Blobs first, row after: a crash between leaves a blob without a
        // row, never a row without its file.
        self.blobs.put(&blob_key, sealed).await?;
        let thumb_key = match thumbnail {
            Some(jpeg) => {
                let thumb_key = format!("{name_key}.thumb.cvb");
                let sealed = crypto::blob::seal_blob_owned(
                    &key,
                    ACCOUNT_KEY,
                    crypto::blob::DEFAULT_CHUNK_LOG2,
                    jpeg,
                )
                .map_err(|e| Error::Storage(e.to_string()))?;
                self.blobs.put(&thumb_key, sealed).await?;
                Some(thumb_key)
            }
            None => None,
        };
        self.store_item(AlbumItem {
            id: 0,
            account_id: who,
            media_type: kind.media_type().to_string(),
            name,
            bytes: size,
            blob_key,
            thumb_key,
            location_kept: keep,
            created_at: self.clock.now(),
        })
        .await
    }

    /// Where a new item's blobs go (`.cvb` and `.thumb.cvb` are appended).
    async fn new_blob_base(&self, who: AccountId) -> Result<String> {
        Ok(format!(
            "{}album/{}",
            self.recordings.blob_prefix(who).await?,
            uuid::Uuid::new_v4().simple()
        ))
    }

    /// Inserts the row of an item whose blobs are stored; if that fails the
    /// blobs go too, so no file is left without its row.
    async fn store_item(&self, mut item: AlbumItem) -> Result<AlbumItem> {
        match self.store.insert_album_item(&item).await {
            Ok(id) => item.id = id,
            Err(e) => {
                self.blobs.delete(&item.blob_key).await?;
                if let Some(t) = &item.thumb_key {
                    self.blobs.delete(t).await?;
                }
                return Err(e);
            }
        }
        tracing::info!(account = %item.account_id, item = item.id, bytes = item.bytes, "album item added");
        Ok(item)
    }

    /// The person's items, newest first.
    pub async fn list(&self, who: AccountId) -> Result<Vec<AlbumItem>> {
        self.store.album_items(who).await
    }

    /// One item and its file, decrypted.
    pub async fn get(&self, who: AccountId, id: i64) -> Result<(AlbumItem, Vec<u8>)> {
        let item = self
            .store
            .album_item(who, id)
            .await?
            .ok_or(Error::NotFound("album item"))?;
        let plain = self.open_sealed(who, &item.blob_key).await?;
        Ok((item, plain))
    }

    /// One item and its file opened for range reads, for files too large
    /// to decrypt whole (clips).
    pub async fn open_file(&self, who: AccountId, id: i64) -> Result<(AlbumItem, SealedFile)> {
        let item = self
            .store
            .album_item(who, id)
            .await?
            .ok_or(Error::NotFound("album item"))?;
        let key = self.recordings.keys().account_key(who).await?;
        let file = SealedFile::open(self.blobs.clone(), &item.blob_key, key, "album file").await?;
        Ok((item, file))
    }

    /// An item's thumbnail (a small JPEG), decrypted.
    pub async fn thumbnail(&self, who: AccountId, id: i64) -> Result<Vec<u8>> {
        let item = self
            .store
            .album_item(who, id)
            .await?
            .ok_or(Error::NotFound("album item"))?;
        let key_name = item.thumb_key.ok_or(Error::NotFound("thumbnail"))?;
        self.open_sealed(who, &key_name).await
    }

    async fn open_sealed(&self, who: AccountId, blob: &str) -> Result<Vec<u8>> {
        let sealed = self
            .blobs
            .get(blob)
            .await?
            .ok_or(Error::NotFound("album file"))?;
        let key = self.recordings.keys().account_key(who).await?;
        crypto::blob::open_blob_owned(&key, sealed)
            .map_err(|e| Error::Storage(format!("album file does not open: {e}")))
    }

    /// Deletes an item: its file first, so no photo outlives its row.
    pub async fn delete(&self, who: AccountId, id: i64) -> Result<()> {
        let item = self
            .store
            .album_item(who, id)
            .await?
            .ok_or(Error::NotFound("album item"))?;
        self.blobs.delete(&item.blob_key).await?;
        if let Some(t) = &item.thumb_key {
            self.blobs.delete(t).await?;
        }
        self.store.delete_album_item(who, id).await?;
        Ok(())
    }
}
