//! Wrapped account and media keys, both backends.

use async_trait::async_trait;
use domain::clock::Timestamp;
use domain::ids::{AccountId, CameraId};
use domain::ports::KeyStore;
use domain::Result;

use super::{storage, SqlStore};

#[async_trait]
impl KeyStore for SqlStore {
    async fn account_key(&self, account: AccountId) -> Result<Option<(String, Vec<u8>)>> {
        on_db!(&self.db, p => sqlx::query_as(
                "SELECT key_id, wrapped FROM account_keys WHERE account_id = $1")
            .bind(account.0)
            .fetch_optional(p)
            .await
            .map_err(storage))
    }

    async fn insert_account_key(
        &self,
        account: AccountId,
        key_id: &str,
        wrapped: &[u8],
        now: Timestamp,
    ) -> Result<()> {
        on_db_write!(&self.db, p => sqlx::query(
                "INSERT INTO account_keys (account_id, key_id, wrapped, created_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (account_id) DO NOTHING")
            .bind(account.0)
            .bind(key_id)
            .bind(wrapped)
            .bind(now.ms())
            .execute(p)
            .await
            .map(|_| ())
            .map_err(storage))
    }

    async fn all_account_keys(&self) -> Result<Vec<(AccountId, String, Vec<u8>)>> {
        let rows: Vec<(i64, String, Vec<u8>)> = on_db!(&self.db, p => sqlx::query_as(
                "SELECT account_id, key_id, wrapped FROM account_keys ORDER BY account_id")
            .fetch_all(p)
            .await
            .map_err(storage)?);
        Ok(rows
            .into_iter()
            .map(|(a, k, w)| (AccountId(a), k, w))
            .collect())
    }

    async fn rewrap_account_key(&self, account: AccountId, wrapped: &[u8]) -> Result<()> {
        on_db_write!(&self.db, p => sqlx::query(
                "UPDATE account_keys SET wrapped = $1 WHERE account_id = $2")
            .bind(wrapped)
            .bind(account.0)
            .execute(p)
            .await
            .map(|_| ())
            .map_err(storage))
    }

    async fn delete_account_keys(&self, account: AccountId) -> Result<()> {
        on_db_write!(&self.db, p => {
            let mut tx = p.begin().await.map_err(storage)?;
            sqlx::query("DELETE FROM media_keys WHERE account_id = $1")
                .bind(account.0)
                .execute(&mut *tx)
                .await
                .map_err(storage)?;
            sqlx::query("DELETE FROM account_keys WHERE account_id = $1")
                .bind(account.0)
                .execute(&mut *tx)
                .await
                .map_err(storage)?;
            tx.commit().await.map_err(storage)
        })
    }

    async fn media_key(
        &self,
        account: AccountId,
        camera: CameraId,
        day: &str,
    ) -> Result<Option<(String, Vec<u8>)>> {
        on_db!(&self.db, p => sqlx::query_as(
                "SELECT key_id, wrapped FROM media_keys WHERE account_id = $1 AND camera_id = $2 AND day = $3")
            .bind(account.0)
            .bind(camera.0)
            .bind(day)
            .fetch_optional(p)
            .await
            .map_err(storage))
    }

    async fn insert_media_key(
        &self,
        account: AccountId,
        camera: CameraId,
        day: &str,
        key_id: &str,
        wrapped: &[u8],
        now: Timestamp,
    ) -> Result<()> {
        on_db_write!(&self.db, p => sqlx::query(
                "INSERT INTO media_keys (key_id, account_id, camera_id, day, wrapped, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (account_id, camera_id, day) DO NOTHING")
            .bind(key_id)
            .bind(account.0)
            .bind(camera.0)
            .bind(day)
            .bind(wrapped)
            .bind(now.ms())
            .execute(p)
            .await
            .map(|_| ())
            .map_err(storage))
    }

    async fn media_key_by_id(&self, key_id: &str) -> Result<Option<(AccountId, Vec<u8>)>> {
        let row: Option<(i64, Vec<u8>)> = on_db!(&self.db, p => sqlx::query_as(
                "SELECT account_id, wrapped FROM media_keys WHERE key_id = $1")
            .bind(key_id)
            .fetch_optional(p)
            .await
            .map_err(storage)?);
        Ok(row.map(|(a, w)| (AccountId(a), w)))
    }

    async fn delete_media_keys_before(&self, camera: CameraId, day: &str) -> Result<u64> {
        // Dates compare as text; the init key's day ("init") sorts after
        // every date and so is never expired.
        on_db_write!(&self.db, p => sqlx::query(
                "DELETE FROM media_keys WHERE camera_id = $1 AND day < $2")
            .bind(camera.0)
            .bind(day)
            .execute(p)
            .await
            .map(|r| r.rows_affected())
            .map_err(storage))
    }
}
