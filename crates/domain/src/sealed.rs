//! A sealed blob (`crypto::blob`) opened for range reads: its header is
//! read once, then any plaintext range decrypts from only the chunks that
//! cover it. Recording playback and the album both read this way.

use std::sync::Arc;

use crypto::blob::Header;

use crate::ports::BlobStore;
use crate::{Error, Result};

/// Bytes read at a blob's start to parse its header; headers are about a
/// hundred bytes.
const HEADER_READ: u64 = 1024;

/// One sealed blob, opened for range reads.
pub struct SealedFile {
    blobs: Arc<dyn BlobStore>,
    key: String,
    header: Header,
    kek: [u8; 32],
    /// What the blob is, for errors (`segment`, `album file`).
    what: &'static str,
}

impl std::fmt::Debug for SealedFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedFile")
            .field("key", &self.key)
            .field("len", &self.header.plaintext_len)
            .finish_non_exhaustive()
    }
}

impl SealedFile {
    /// Reads the header of the blob under `key`, a `what`; None when there
    /// is no such blob.
    pub(crate) async fn header(
        blobs: &Arc<dyn BlobStore>,
        key: &str,
        what: &'static str,
    ) -> Result<Header> {
        let head = blobs
            .get_range(key, 0, HEADER_READ)
            .await?
            .ok_or(Error::NotFound(what))?;
        Header::parse(&head).map_err(|e| Error::Storage(format!("{what} does not open: {e}")))
    }

    /// The blob under `key` with its `header` already read, sealed under
    /// `kek` (found from the header's key id).
    pub(crate) fn with_header(
        blobs: Arc<dyn BlobStore>,
        key: &str,
        header: Header,
        kek: [u8; 32],
        what: &'static str,
    ) -> SealedFile {
        SealedFile {
            blobs,
            key: key.to_string(),
            header,
            kek,
            what,
        }
    }

    /// Opens the blob under `key`, sealed under `kek`.
    pub(crate) async fn open(
        blobs: Arc<dyn BlobStore>,
        key: &str,
        kek: [u8; 32],
        what: &'static str,
    ) -> Result<SealedFile> {
        let header = Self::header(&blobs, key, what).await?;
        Ok(Self::with_header(blobs, key, header, kek, what))
    }

    /// Plaintext length.
    pub fn len(&self) -> u64 {
        self.header.plaintext_len
    }

    /// Whether the plaintext is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Decrypts plaintext `start..end`, reading only the chunks covering it.
    pub async fn read(&self, start: u64, end: u64) -> Result<Vec<u8>> {
        if start > end || end > self.len() {
            return Err(Error::invalid(
                "range",
                format!("outside the {}", self.what),
            ));
        }
        let broken = |e: crypto::Error| Error::Storage(format!("{} does not open: {e}", self.what));
        let (from, to, _) = self.header.span(start, end).map_err(broken)?;
        let chunks = self
            .blobs
            .get_range(&self.key, from, to)
            .await?
            .ok_or(Error::NotFound(self.what))?;
        self.header
            .open_range_owned(&self.kek, start, end, chunks)
            .map_err(broken)
    }
}
