//! Uploading a large file in pieces, resumable after a dropped connection:
//! the client starts an upload with the file's type and size, then sends
//! pieces at the offset the server has; each piece is sealed and stored as
//! it arrives, and one sent at another offset is refused without changing
//! anything. The last piece completes the file, which then goes through
//! the same checks as a whole upload.

use async_trait::async_trait;

use super::files::Pieces;
use super::{is_clip, Album, AlbumItem, ACCOUNT_KEY};
use crate::clock::Timestamp;
use crate::ids::AccountId;
use crate::{Error, Result};

/// An upload in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    /// Random id.
    pub id: String,
    /// Whose.
    pub account_id: AccountId,
    /// Claimed media type.
    pub media_type: String,
    /// File name, if given.
    pub name: Option<String>,
    /// Announced size.
    pub size: i64,
    /// Bytes received so far (the next piece's offset).
    pub received: i64,
    /// Started.
    pub created_at: Timestamp,
}

/// Uploads in progress.
#[async_trait]
pub trait UploadStore: Send + Sync {
    /// Records a new upload.
    async fn insert_upload(&self, upload: &Upload) -> Result<()>;
    /// One of an account's uploads.
    async fn upload(&self, account: AccountId, id: &str) -> Result<Option<Upload>>;
    /// Moves `received` from `from` to `to`; false when it was not `from`
    /// (another piece got there first).
    async fn advance_upload(&self, id: &str, from: i64, to: i64, now: Timestamp) -> Result<bool>;
    /// Forgets an upload.
    async fn delete_upload(&self, id: &str) -> Result<()>;
    /// Up to `limit` uploads of anyone that got no piece since `before`.
    async fn idle_uploads(&self, before: Timestamp, limit: i64) -> Result<Vec<Upload>>;
}

/// How long an upload may wait for its next piece before it is dropped
/// with its pieces: a day covers any resumption a person attempts.
pub const ABANDONED_AFTER: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// Where a piece is kept until the file is complete.
fn piece_key(prefix: &str, id: &str, offset: i64) -> String {
    format!("{prefix}album-uploads/{id}/{offset:016}.cvb")
}

/// How a piece ended.
#[derive(Debug)]
pub enum Piece {
    /// More is expected from this offset.
    Partial(Upload),
    /// The file is complete and stored.
    Complete(Box<AlbumItem>),
}

impl Album {
    /// Starts an upload of `size` bytes of `media_type`.
    pub async fn start_upload(
        &self,
        who: AccountId,
        media_type: &str,
        name: Option<&str>,
        size: i64,
    ) -> Result<Upload> {
        self.check_size(media_type, size.max(0) as u64)?;
        let upload = Upload {
            id: crate::accounts::secrets::random_token(),
            account_id: who,
            media_type: media_type.trim().to_string(),
            name: name.map(|n| n.chars().take(200).collect()),
            size,
            received: 0,
            created_at: self.clock.now(),
        };
        self.uploads.insert_upload(&upload).await?;
        Ok(upload)
    }

    /// An upload in progress of the person's.
    pub async fn upload(&self, who: AccountId, id: &str) -> Result<Upload> {
        self.uploads
            .upload(who, id)
            .await?
            .ok_or(Error::NotFound("upload"))
    }

    /// Takes the piece `bytes` at `offset`; completes the file with the last.
    pub async fn put_piece(
        &self,
        who: AccountId,
        id: &str,
        offset: i64,
        bytes: Vec<u8>,
    ) -> Result<Piece> {
        let upload = self.upload(who, id).await?;
        if offset != upload.received {
            return Err(Error::invalid(
                "upload_offset",
                format!("the upload has {} bytes; send from there", upload.received),
            ));
        }
        let end = offset + bytes.len() as i64;
        if bytes.is_empty() || end > upload.size {
            return Err(Error::invalid(
                "upload_offset",
                format!("pieces must be 1 to {} bytes here", upload.size - offset),
            ));
        }
        let prefix = self.recordings.blob_prefix(who).await?;
        let key = self.recordings.keys().account_key(who).await?;
        let sealed = crypto::blob::seal_blob_owned(
            &key,
            ACCOUNT_KEY,
            crypto::blob::DEFAULT_CHUNK_LOG2,
            bytes,
        )
        .map_err(|e| Error::Storage(e.to_string()))?;
        let piece = piece_key(&prefix, id, offset);
        self.blobs.put(&piece, sealed).await?;
        if !self
            .uploads
            .advance_upload(id, offset, end, self.clock.now())
            .await?
        {
            self.blobs.delete(&piece).await?;
            return Err(Error::Taken("upload_piece"));
        }
        let upload = Upload {
            received: end,
            ..upload
        };
        if end < upload.size {
            return Ok(Piece::Partial(upload));
        }
        self.complete(who, upload, &prefix, &key).await
    }

    /// Drops uploads that got no piece for [`ABANDONED_AFTER`], pieces
    /// first; returns how many. A piece arriving meanwhile finds no upload
    /// and is refused, its blob removed.
    pub async fn drop_abandoned_uploads(&self) -> Result<u64> {
        let before = self.clock.now().minus(ABANDONED_AFTER);
        let mut dropped = 0;
        loop {
            let idle = self.uploads.idle_uploads(before, 100).await?;
            if idle.is_empty() {
                return Ok(dropped);
            }
            for upload in idle {
                let prefix = self.recordings.blob_prefix(upload.account_id).await?;
                let pieces = format!("{prefix}album-uploads/{}/", upload.id);
                for (key, _) in self.blobs.list(&pieces).await? {
                    self.blobs.delete(&key).await?;
                }
                self.uploads.delete_upload(&upload.id).await?;
                dropped += 1;
            }
        }
    }

    async fn complete(
        &self,
        who: AccountId,
        upload: Upload,
        prefix: &str,
        key: &[u8; 32],
    ) -> Result<Piece> {
        let listed = self
            .blobs
            .list(&format!("{prefix}album-uploads/{}/", upload.id))
            .await?;
        let mut pieces: Vec<String> = listed.into_iter().map(|(k, _)| k).collect();
        pieces.sort();
        let source = Pieces::open(&self.blobs, &pieces, *key, upload.size as u64).await;
        let result = match source {
            // Clips may be far larger than memory: they are sealed a window
            // at a time. Photos are small enough to check and thumbnail whole.
            Ok(source) if is_clip(&upload.media_type) => {
                self.add_clip_from(
                    who,
                    &upload.media_type,
                    upload.name.as_deref(),
                    &source,
                    key,
                )
                .await
            }
            Ok(source) => match source.read(0, source.len()).await {
                Ok(file) => {
                    self.add(who, &upload.media_type, upload.name.as_deref(), file)
                        .await
                }
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        };
        // Whether the file was taken or refused, the pieces are done with.
        for p in &pieces {
            self.blobs.delete(p).await?;
        }
        self.uploads.delete_upload(&upload.id).await?;
        result.map(|item| Piece::Complete(Box::new(item)))
    }
}
