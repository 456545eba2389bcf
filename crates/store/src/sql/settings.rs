//! Instance-wide settings, both backends.

use async_trait::async_trait;
use domain::ports::SettingStore;
use domain::Result;

use super::{storage, SqlStore};

#[async_trait]
impl SettingStore for SqlStore {
    async fn setting(&self, name: &str) -> Result<Option<String>> {
        let v: Option<String> = on_db!(&self.db, p => sqlx::query_scalar(
                "SELECT value FROM settings WHERE name = $1")
            .bind(name)
            .fetch_optional(p)
            .await
            .map_err(storage)?);
        Ok(v)
    }

    async fn set_setting(&self, name: &str, value: &str) -> Result<()> {
        on_db_write!(&self.db, p => sqlx::query(
                "INSERT INTO settings (name, value) VALUES ($1, $2) \
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value")
            .bind(name)
            .bind(value)
            .execute(p)
            .await
            .map(|_| ())
            .map_err(storage)?);
        Ok(())
    }

    async fn delete_setting(&self, name: &str) -> Result<()> {
        on_db_write!(&self.db, p => sqlx::query("DELETE FROM settings WHERE name = $1")
            .bind(name)
            .execute(p)
            .await
            .map(|_| ())
            .map_err(storage)?);
        Ok(())
    }
}
