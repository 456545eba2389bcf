//! Fixed-window request counters shared by instances (rate limits).

use async_trait::async_trait;
use domain::clock::Timestamp;
use domain::ports::RateCountStore;
use domain::Result;

use super::{storage, SqlStore};

#[async_trait]
impl RateCountStore for SqlStore {
    async fn count_request(&self, key: &str, window: Timestamp) -> Result<i64> {
        // One statement: concurrent requests on any instance each add one
        // and see the total including themselves.
        on_db_write!(&self.db, db => sqlx::query_scalar(
                "INSERT INTO request_counts (key, window_start, hits) VALUES ($1, $2, 1) \
                 ON CONFLICT (key, window_start) DO UPDATE SET hits = request_counts.hits + 1 \
                 RETURNING hits")
            .bind(key)
            .bind(window.ms())
            .fetch_one(db)
            .await
            .map_err(storage))
    }

    async fn prune_request_counts(&self, before: Timestamp) -> Result<u64> {
        on_db_write!(&self.db, db => sqlx::query(
                "DELETE FROM request_counts WHERE window_start < $1")
            .bind(before.ms())
            .execute(db)
            .await
            .map(|r| r.rows_affected())
            .map_err(storage))
    }
}
