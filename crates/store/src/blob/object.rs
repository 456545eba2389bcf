//! Every blob store backend through the `object_store` crate: the local
//! filesystem ([`super::local`]) and S3-compatible storage ([`super::s3`])
//! share this one implementation of [`BlobStore`], so both run the same
//! code and the same tests.

use std::sync::Arc;

use async_trait::async_trait;
use domain::ports::{BlobStore, BlobWriter};
use domain::{Error, Result};
use futures_util::TryStreamExt;
use object_store::path::Path as ObjectPath;
use object_store::{GetOptions, GetRange, ObjectStore, PutPayload, WriteMultipart};

/// A blob store over any `object_store` backend.
#[derive(Debug, Clone)]
pub struct ObjectBlobStore {
    inner: Arc<dyn ObjectStore>,
}

pub(crate) fn storage(e: impl std::fmt::Display) -> Error {
    Error::Storage(e.to_string())
}

impl ObjectBlobStore {
    /// Wraps an `object_store` backend.
    pub(crate) fn new(inner: Arc<dyn ObjectStore>) -> Self {
        ObjectBlobStore { inner }
    }
}

#[async_trait]
impl BlobStore for ObjectBlobStore {
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<()> {
        self.inner
            .put(&ObjectPath::from(key), PutPayload::from(bytes))
            .await
            .map_err(storage)?;
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        match self.inner.get(&ObjectPath::from(key)).await {
            Ok(r) => Ok(Some(r.bytes().await.map_err(storage)?.to_vec())),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(storage(e)),
        }
    }

    async fn delete(&self, key: &str) -> Result<()> {
        match self.inner.delete(&ObjectPath::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(storage(e)),
        }
    }

    async fn get_range(&self, key: &str, start: u64, end: u64) -> Result<Option<Vec<u8>>> {
        if start >= end {
            return Ok(Some(Vec::new()));
        }
        let opts = GetOptions {
            // Bounded ranges past the end are clamped to the object's length.
            range: Some(GetRange::Bounded(start..end)),
            ..GetOptions::default()
        };
        match self.inner.get_opts(&ObjectPath::from(key), opts).await {
            Ok(r) => Ok(Some(r.bytes().await.map_err(storage)?.to_vec())),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(storage(e)),
        }
    }

    async fn list(&self, prefix: &str) -> Result<Vec<(String, u64)>> {
        let prefix = ObjectPath::from(prefix);
        let mut out = Vec::new();
        let mut entries = self.inner.list(Some(&prefix));
        while let Some(meta) = entries.try_next().await.map_err(storage)? {
            out.push((meta.location.to_string(), meta.size));
        }
        Ok(out)
    }

    async fn put_parts(&self, key: &str) -> Result<Box<dyn BlobWriter>> {
        let upload = self
            .inner
            .put_multipart(&ObjectPath::from(key))
            .await
            .map_err(storage)?;
        Ok(Box::new(PartWriter(WriteMultipart::new_with_chunk_size(
            upload, PART_SIZE,
        ))))
    }

    async fn check(&self) -> Result<()> {
        // A write and a read prove the directory exists and is writable.
        let key = ".readyz";
        self.put(key, b"ok".to_vec()).await?;
        match self.get(key).await? {
            Some(b) if b == b"ok" => Ok(()),
            _ => Err(Error::Storage("blob probe read back wrong".into())),
        }
    }
}

/// Size of each part sent on; S3-compatible stores want at least 5 MiB.
const PART_SIZE: usize = 8 * 1024 * 1024;

/// Parts in flight at once: enough to overlap sending with sealing, few
/// enough that a writer holds at most a few parts in memory.
const PARTS_IN_FLIGHT: usize = 2;

/// object_store's multipart writer behind [`BlobWriter`].
struct PartWriter(WriteMultipart);

#[async_trait]
impl BlobWriter for PartWriter {
    async fn write(&mut self, bytes: Vec<u8>) -> Result<()> {
        self.0
            .wait_for_capacity(PARTS_IN_FLIGHT)
            .await
            .map_err(storage)?;
        self.0.put(bytes.into());
        Ok(())
    }

    async fn finish(self: Box<Self>) -> Result<()> {
        self.0.finish().await.map_err(storage)?;
        Ok(())
    }

    async fn abort(self: Box<Self>) -> Result<()> {
        self.0.abort().await.map_err(storage)
    }
}
