//! Throttle counters, both backends. Counting is one atomic upsert so
//! concurrent failures are never lost.

use async_trait::async_trait;
use domain::clock::Timestamp;
use domain::ports::{ThrottleRecord, ThrottleStore};
use domain::Result;

use super::{storage, SqlStore};

#[derive(sqlx::FromRow)]
struct ThrottleRow {
    failures: i64,
    locked_until: i64,
    updated_at: i64,
}

#[async_trait]
impl ThrottleStore for SqlStore {
    async fn throttle(&self, key: &str) -> Result<Option<ThrottleRecord>> {
        let row: Option<ThrottleRow> = on_db!(&self.db, p => sqlx::query_as(
                "SELECT failures, locked_until, updated_at FROM throttles WHERE key = $1")
            .bind(key)
            .fetch_optional(p)
            .await
            .map_err(storage)?);
        Ok(row.map(|r| ThrottleRecord {
            failures: r.failures,
            locked_until: Timestamp(r.locked_until),
            updated_at: Timestamp(r.updated_at),
        }))
    }

    async fn record_failure(&self, key: &str, now: Timestamp) -> Result<i64> {
        let n: i64 = on_db_write!(&self.db, p => sqlx::query_scalar(
                "INSERT INTO throttles (key, failures, locked_until, updated_at) VALUES ($1, 1, 0, $2) \
                 ON CONFLICT (key) DO UPDATE SET failures = throttles.failures + 1, updated_at = $2 \
                 RETURNING failures")
            .bind(key)
            .bind(now.ms())
            .fetch_one(p)
            .await
            .map_err(storage)?);
        Ok(n)
    }

    async fn lock(&self, key: &str, until: Timestamp) -> Result<()> {
        on_db_write!(&self.db, p => sqlx::query("UPDATE throttles SET locked_until = $1 WHERE key = $2")
            .bind(until.ms())
            .bind(key)
            .execute(p)
            .await
            .map(|_| ())
            .map_err(storage)?);
        Ok(())
    }

    async fn clear(&self, key: &str) -> Result<()> {
        on_db_write!(&self.db, p => sqlx::query("DELETE FROM throttles WHERE key = $1")
            .bind(key)
            .execute(p)
            .await
            .map(|_| ())
            .map_err(storage)?);
        Ok(())
    }
}
