//! Accounts' regions, and pointing rows at moved blobs.

use async_trait::async_trait;
use domain::clock::Timestamp;
use domain::ids::AccountId;
use domain::privacy::residency::RegionStore;
use domain::Result;

use super::{storage, SqlStore};

/// Every column that names a blob.
const BLOB_COLUMNS: [&str; 4] = [
    "UPDATE recording_segments SET blob_key = $1 WHERE blob_key = $2",
    "UPDATE recording_inits SET blob_key = $1 WHERE blob_key = $2",
    "UPDATE events SET snapshot_key = $1 WHERE snapshot_key = $2",
    "UPDATE ownership_claims SET evidence_key = $1 WHERE evidence_key = $2",
];

#[async_trait]
impl RegionStore for SqlStore {
    async fn account_region(&self, account: AccountId) -> Result<Option<String>> {
        on_db!(&self.db, p => sqlx::query_scalar(
                "SELECT region FROM account_regions WHERE account_id = $1")
            .bind(account.0)
            .fetch_optional(p)
            .await
            .map_err(storage))
    }

    async fn set_account_region(
        &self,
        account: AccountId,
        region: &str,
        now: Timestamp,
    ) -> Result<()> {
        on_db_write!(&self.db, p => sqlx::query(
                "INSERT INTO account_regions (account_id, region, since) VALUES ($1, $2, $3) \
                 ON CONFLICT (account_id) DO UPDATE SET region = $2, since = $3")
            .bind(account.0)
            .bind(region)
            .bind(now.ms())
            .execute(p)
            .await
            .map(|_| ())
            .map_err(storage))
    }

    async fn rename_blob(&self, old: &str, new: &str) -> Result<()> {
        on_db_write!(&self.db, p => {
            let mut tx = p.begin().await.map_err(storage)?;
            for sql in BLOB_COLUMNS {
                sqlx::query(sql)
                    .bind(new)
                    .bind(old)
                    .execute(&mut *tx)
                    .await
                    .map_err(storage)?;
            }
            tx.commit().await.map_err(storage)
        })
    }
}
