//! Usage counts and the installation id.

use async_trait::async_trait;
use domain::ids::AccountId;
use domain::ports::AccountStore;
use domain::privacy::usage::{UsageCount, UsageStore};
use domain::Result;

use super::{storage, SqlStore};

#[async_trait]
impl UsageStore for SqlStore {
    async fn add_usage(&self, day: &str, feature: &str) -> Result<()> {
        on_db_write!(&self.db, p => sqlx::query(
                "INSERT INTO usage_counts (day, feature, count) VALUES ($1, $2, 1) \
                 ON CONFLICT (day, feature) DO UPDATE SET count = usage_counts.count + 1")
            .bind(day)
            .bind(feature)
            .execute(p)
            .await
            .map(|_| ())
            .map_err(storage))
    }

    async fn usage_counts(&self) -> Result<Vec<UsageCount>> {
        let rows: Vec<(String, String, i64)> = on_db!(&self.db, p => sqlx::query_as(
                "SELECT day, feature, count FROM usage_counts ORDER BY day, feature")
            .fetch_all(p)
            .await
            .map_err(storage)?);
        Ok(rows
            .into_iter()
            .map(|(day, feature, count)| UsageCount {
                day,
                feature,
                count,
            })
            .collect())
    }

    async fn prune_usage(&self, day: &str) -> Result<u64> {
        on_db_write!(&self.db, p => sqlx::query("DELETE FROM usage_counts WHERE day < $1")
            .bind(day)
            .execute(p)
            .await
            .map(|r| r.rows_affected())
            .map_err(storage))
    }

    async fn restricted(&self, account: AccountId) -> Result<bool> {
        Ok(self.restricted_since(account).await?.is_some())
    }

    async fn installation_id(&self) -> Result<String> {
        // First writer wins; everyone reads the stored one back.
        let fresh = uuid::Uuid::new_v4().to_string();
        on_db_write!(&self.db, p => sqlx::query(
                "INSERT INTO settings (name, value) VALUES ('installation_id', $1) \
                 ON CONFLICT (name) DO NOTHING")
            .bind(&fresh)
            .execute(p)
            .await
            .map(|_| ())
            .map_err(storage))?;
        on_db!(&self.db, p => sqlx::query_scalar(
                "SELECT value FROM settings WHERE name = 'installation_id'")
            .fetch_one(p)
            .await
            .map_err(storage))
    }
}
