//! Leases on background jobs (one instance runs each job at a time).

use async_trait::async_trait;
use domain::clock::Timestamp;
use domain::ports::JobLeaseStore;
use domain::Result;

use super::{storage, SqlStore};

#[async_trait]
impl JobLeaseStore for SqlStore {
    async fn take_lease(
        &self,
        job: &str,
        holder: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> Result<bool> {
        // One statement: PostgreSQL locks the conflicting row for the
        // update, so of two instances racing for an expired lease one
        // updates it and the other, seeing it renewed, gets no row back.
        let row: Option<String> = on_db_write!(&self.db, db => sqlx::query_scalar(
                "INSERT INTO job_leases (job, holder, expires_at, taken) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, \
                   expires_at = excluded.expires_at, taken = excluded.taken \
                 WHERE job_leases.expires_at <= $4 OR job_leases.holder = excluded.holder \
                 RETURNING holder")
            .bind(job)
            .bind(holder)
            .bind(until.ms())
            .bind(now.ms())
            .fetch_optional(db)
            .await
            .map_err(storage)?);
        Ok(row.is_some())
    }

    async fn release_lease(&self, job: &str, holder: &str) -> Result<()> {
        on_db_write!(&self.db, db => sqlx::query(
                "DELETE FROM job_leases WHERE job = $1 AND holder = $2")
            .bind(job)
            .bind(holder)
            .execute(db)
            .await
            .map(|_| ())
            .map_err(storage))
    }
}
