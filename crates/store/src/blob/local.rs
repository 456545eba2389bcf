//! Blobs on the local disk, through object_store's filesystem backend.

use std::path::Path;
use std::sync::Arc;

use domain::Result;
use object_store::local::LocalFileSystem;

use super::object::{storage, ObjectBlobStore};

impl ObjectBlobStore {
    /// Opens (creating if needed) a blob store in a local directory.
    pub fn local(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(storage)?;
        let removed = remove_staged(dir).map_err(storage)?;
        if removed > 0 {
            tracing::warn!(
                files = removed,
                "unfinished blob writes of an earlier run removed"
            );
        }
        let inner = LocalFileSystem::new_with_prefix(dir).map_err(storage)?;
        Ok(ObjectBlobStore::new(Arc::new(inner)))
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

#[cfg(test)]
mod tests {
    use super::*;
    use domain::ports::BlobStore;

    #[tokio::test]
    async fn put_get_delete_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let store = ObjectBlobStore::local(&dir.path().join("blobs")).unwrap();
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
    async fn a_killed_writer_s_staging_files_go_when_the_store_opens() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("blobs");
        let store = ObjectBlobStore::local(&root).unwrap();
        store.put("media/1/seg", b"kept".to_vec()).await.unwrap();
        // What a write cut off between its staging file and the rename leaves.
        std::fs::write(root.join("media/1/seg2#3"), b"half").unwrap();
        std::fs::write(root.join("media/1/name#tag"), b"a real blob").unwrap();
        drop(store);
        let store = ObjectBlobStore::local(&root).unwrap();
        assert!(!root.join("media/1/seg2#3").exists());
        assert!(root.join("media/1/name#tag").exists());
        assert_eq!(
            store.get("media/1/seg").await.unwrap().as_deref(),
            Some(&b"kept"[..])
        );
    }
}
