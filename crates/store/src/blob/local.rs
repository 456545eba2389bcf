//! Blobs on the local disk, through object_store's filesystem backend so the
//! S3 backend later shares the same code path.

use std::path::Path;

use async_trait::async_trait;
use domain::ports::{BlobStore, BlobWriter};
use domain::{Error, Result};
use futures_util::TryStreamExt;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{GetOptions, GetRange, ObjectStore, PutPayload, WriteMultipart};

/// A blob store rooted at a directory.
#[derive(Debug)]
pub struct LocalBlobStore {
    inner: LocalFileSystem,
}

fn storage(e: impl std::fmt::Display) -> Error {
    Error::Storage(e.to_string())
}

impl LocalBlobStore {
    /// Opens (creating if needed) the blob directory.
    pub fn open(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(storage)?;
        let removed = remove_staged(dir).map_err(storage)?;
        if removed > 0 {
            tracing::warn!(
                files = removed,
                "unfinished blob writes of an earlier run removed"
            );
        }
        let inner = LocalFileSystem::new_with_prefix(dir).map_err(storage)?;
        Ok(LocalBlobStore { inner })
    }
}

/// object_store writes each blob to `<name>#<digits>` and renames it into
/// place; a process killed in between leaves that staging file behind,
/// which no listing shows and so no reconciliation would ever remove.
/// Opening the store (before any write of this process) deletes them.
fn remove_staged(dir: &Path) -> std::io::Result<usize> {
    let mut removed = 0;
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d)? {
            let entry = entry?;
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                pending.push(path);
                continue;
            }
            let name = entry.file_name();
            let staged =
                name.to_str()
                    .and_then(|n| n.rsplit_once('#'))
                    .is_some_and(|(_, suffix)| {
                        !suffix.is_empty() && suffix.bytes().all(|b| b.is_ascii_digit())
                    });
            if staged {
                std::fs::remove_file(&path)?;
                removed += 1;
            }
        }
    }
    Ok(removed)
}

#[async_trait]
impl BlobStore for LocalBlobStore {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn put_get_delete_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalBlobStore::open(&dir.path().join("blobs")).unwrap();
        store.check().await.unwrap();
        store.put("a/b/c", b"hello".to_vec()).await.unwrap();
        assert_eq!(
            store.get("a/b/c").await.unwrap().as_deref(),
            Some(&b"hello"[..])
        );
        store.delete("a/b/c").await.unwrap();
        assert_eq!(store.get("a/b/c").await.unwrap(), None);
        store.delete("a/b/c").await.unwrap();
    }

    #[tokio::test]
    async fn a_blob_written_in_parts_appears_whole_only_when_finished() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalBlobStore::open(&dir.path().join("blobs")).unwrap();
        let mut w = store.put_parts("big/one").await.unwrap();
        let mut expected = Vec::new();
        for i in 0..5u8 {
            let part = vec![i; PART_SIZE / 2 + 3];
            expected.extend_from_slice(&part);
            w.write(part).await.unwrap();
        }
        assert_eq!(store.get("big/one").await.unwrap(), None);
        w.finish().await.unwrap();
        assert_eq!(store.get("big/one").await.unwrap().unwrap(), expected);

        let mut w = store.put_parts("big/two").await.unwrap();
        w.write(vec![1; 10]).await.unwrap();
        w.abort().await.unwrap();
        assert_eq!(store.get("big/two").await.unwrap(), None);
        assert_eq!(store.list("big/").await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn a_killed_writer_s_staging_files_go_when_the_store_opens() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("blobs");
        let store = LocalBlobStore::open(&root).unwrap();
        store.put("media/1/seg", b"kept".to_vec()).await.unwrap();
        // What a write cut off between its staging file and the rename leaves.
        std::fs::write(root.join("media/1/seg2#3"), b"half").unwrap();
        std::fs::write(root.join("media/1/name#tag"), b"a real blob").unwrap();
        drop(store);
        let store = LocalBlobStore::open(&root).unwrap();
        assert!(!root.join("media/1/seg2#3").exists());
        assert!(root.join("media/1/name#tag").exists());
        assert_eq!(
            store.get("media/1/seg").await.unwrap().as_deref(),
            Some(&b"kept"[..])
        );
    }
}
