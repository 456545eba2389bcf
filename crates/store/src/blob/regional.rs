//! Data residency (F11): one blob store per region. The home region's
//! blobs keep their plain keys; another region's blobs are named
//! `regions/<name>/<key>` and live in that region's own store under
//! `<key>`, so a stored key alone says where its bytes are.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use domain::ports::{BlobStore, BlobWriter};
use domain::Result;

/// The key prefix of region `name`'s blobs.
pub fn region_prefix(name: &str) -> String {
    format!("regions/{name}/")
}

/// Blob stores by region, behind one [`BlobStore`].
pub struct RegionalBlobStore {
    home: Arc<dyn BlobStore>,
    others: BTreeMap<String, Arc<dyn BlobStore>>,
}

impl RegionalBlobStore {
    /// The home region's store and the others by name.
    pub fn new(home: Arc<dyn BlobStore>, others: BTreeMap<String, Arc<dyn BlobStore>>) -> Self {
        RegionalBlobStore { home, others }
    }

    /// The store a key lives in, and the key within it.
    fn route<'k>(&self, key: &'k str) -> (&Arc<dyn BlobStore>, &'k str) {
        if let Some(rest) = key.strip_prefix("regions/") {
            if let Some((name, inner)) = rest.split_once('/') {
                if let Some(store) = self.others.get(name) {
                    return (store, inner);
                }
            }
        }
        (&self.home, key)
    }
}

#[async_trait]
impl BlobStore for RegionalBlobStore {
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<()> {
        let (store, key) = self.route(key);
        store.put(key, bytes).await
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let (store, key) = self.route(key);
        store.get(key).await
    }

    async fn delete(&self, key: &str) -> Result<()> {
        let (store, key) = self.route(key);
        store.delete(key).await
    }

    async fn check(&self) -> Result<()> {
        self.home.check().await?;
        for store in self.others.values() {
            store.check().await?;
        }
        Ok(())
    }

    async fn get_range(&self, key: &str, start: u64, end: u64) -> Result<Option<Vec<u8>>> {
        let (store, key) = self.route(key);
        store.get_range(key, start, end).await
    }

    async fn put_parts(&self, key: &str) -> Result<Box<dyn BlobWriter>> {
        let (store, key) = self.route(key);
        store.put_parts(key).await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<(String, u64)>> {
        let mut out = self.home.list(prefix).await?;
        for (name, store) in &self.others {
            let tag = region_prefix(name);
            out.extend(
                store
                    .list(prefix)
                    .await?
                    .into_iter()
                    .map(|(k, size)| (format!("{tag}{k}"), size)),
            );
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ObjectBlobStore;

    #[tokio::test]
    async fn each_region_keeps_its_own_blobs() {
        let dir = tempfile::tempdir().unwrap();
        let home: Arc<dyn BlobStore> =
            Arc::new(ObjectBlobStore::local(&dir.path().join("home")).unwrap());
        let eu: Arc<dyn BlobStore> =
            Arc::new(ObjectBlobStore::local(&dir.path().join("eu")).unwrap());
        let store = RegionalBlobStore::new(home, BTreeMap::from([("eu".to_string(), eu)]));
        store.put("media/1/a", b"home".to_vec()).await.unwrap();
        store
            .put("regions/eu/media/1/b", b"eu".to_vec())
            .await
            .unwrap();
        assert!(dir.path().join("home/media/1/a").exists());
        assert!(dir.path().join("eu/media/1/b").exists());
        assert!(!dir.path().join("home/regions").exists());
        assert_eq!(
            store.get("regions/eu/media/1/b").await.unwrap().unwrap(),
            b"eu"
        );
        assert_eq!(
            store
                .get_range("regions/eu/media/1/b", 1, 2)
                .await
                .unwrap()
                .unwrap(),
            b"u"
        );
        let mut listed: Vec<String> = store
            .list("media/")
            .await
            .unwrap()
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        listed.sort();
        assert_eq!(listed, ["media/1/a", "regions/eu/media/1/b"]);
        store.delete("regions/eu/media/1/b").await.unwrap();
        assert!(store.get("regions/eu/media/1/b").await.unwrap().is_none());
        store.check().await.unwrap();
    }
}
