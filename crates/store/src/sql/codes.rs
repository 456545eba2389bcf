//! One-time codes, both backends.

use async_trait::async_trait;
use domain::clock::Timestamp;
use domain::ids::ContactId;
use domain::ports::{CodePurpose, CodeRecord, CodeStore};
use domain::Result;

use super::{storage, SqlStore};

#[derive(sqlx::FromRow)]
struct CodeRow {
    id: i64,
    code_hash: String,
    attempts: i64,
    expires_at: i64,
    created_at: i64,
}

#[async_trait]
impl CodeStore for SqlStore {
    async fn put_code(
        &self,
        contact: ContactId,
        purpose: CodePurpose,
        code_hash: &str,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Result<()> {
        on_db_write!(&self.db, p => sqlx::query(
                "INSERT INTO one_time_codes (contact_id, purpose, code_hash, attempts, expires_at, created_at) \
                 VALUES ($1, $2, $3, 0, $4, $5) \
                 ON CONFLICT (contact_id, purpose) DO UPDATE SET code_hash = excluded.code_hash, \
                 attempts = 0, expires_at = excluded.expires_at, created_at = excluded.created_at")
            .bind(contact.0)
            .bind(purpose.as_str())
            .bind(code_hash)
            .bind(expires_at.ms())
            .bind(now.ms())
            .execute(p)
            .await
            .map(|_| ())
            .map_err(storage)?);
        Ok(())
    }

    async fn code(&self, contact: ContactId, purpose: CodePurpose) -> Result<Option<CodeRecord>> {
        let row: Option<CodeRow> = on_db!(&self.db, p => sqlx::query_as(
                "SELECT id, code_hash, attempts, expires_at, created_at FROM one_time_codes \
                 WHERE contact_id = $1 AND purpose = $2")
            .bind(contact.0)
            .bind(purpose.as_str())
            .fetch_optional(p)
            .await
            .map_err(storage)?);
        Ok(row.map(|r| CodeRecord {
            id: r.id,
            code_hash: r.code_hash,
            attempts: r.attempts,
            expires_at: Timestamp(r.expires_at),
            created_at: Timestamp(r.created_at),
        }))
    }

    async fn bump_code_attempts(&self, code_id: i64) -> Result<i64> {
        let n: i64 = on_db_write!(&self.db, p => sqlx::query_scalar(
                "UPDATE one_time_codes SET attempts = attempts + 1 WHERE id = $1 RETURNING attempts")
            .bind(code_id)
            .fetch_one(p)
            .await
            .map_err(storage)?);
        Ok(n)
    }

    async fn delete_code(&self, code_id: i64) -> Result<()> {
        on_db_write!(&self.db, p => sqlx::query("DELETE FROM one_time_codes WHERE id = $1")
            .bind(code_id)
            .execute(p)
            .await
            .map(|_| ())
            .map_err(storage)?);
        Ok(())
    }
}
