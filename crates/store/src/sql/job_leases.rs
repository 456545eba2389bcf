//! Leases on background jobs (one instance runs each job at a time).

use async_trait::async_trait;
use domain::clock::Timestamp;
use domain::ports::{JobLeaseStore, JobRun};
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

    async fn start_job_run(&self, job: &str, holder: &str, at: Timestamp) -> Result<i64> {
        on_db_write!(&self.db, db => sqlx::query_scalar(
                "INSERT INTO job_runs (job, holder, started_at) VALUES ($1, $2, $3) RETURNING id")
            .bind(job)
            .bind(holder)
            .bind(at.ms())
            .fetch_one(db)
            .await
            .map_err(storage))
    }

    async fn finish_job_run(&self, id: i64, at: Timestamp) -> Result<()> {
        on_db_write!(&self.db, db => sqlx::query(
                "UPDATE job_runs SET finished_at = $1 WHERE id = $2")
            .bind(at.ms())
            .bind(id)
            .execute(db)
            .await
            .map(|_| ())
            .map_err(storage))
    }

    async fn job_runs(&self, job: &str, since: Timestamp) -> Result<Vec<JobRun>> {
        let rows: Vec<(i64, String, i64, Option<i64>)> = on_db!(&self.db, db => sqlx::query_as(
                "SELECT id, holder, started_at, finished_at FROM job_runs \
                 WHERE job = $1 AND started_at >= $2 ORDER BY started_at, id")
            .bind(job)
            .bind(since.ms())
            .fetch_all(db)
            .await
            .map_err(storage)?);
        Ok(rows
            .into_iter()
            .map(|(id, holder, started, finished)| JobRun {
                id,
                holder,
                started_at: Timestamp(started),
                finished_at: finished.map(Timestamp),
            })
            .collect())
    }

    async fn prune_job_runs(&self, before: Timestamp) -> Result<u64> {
        on_db_write!(&self.db, db => sqlx::query("DELETE FROM job_runs WHERE started_at < $1")
            .bind(before.ms())
            .execute(db)
            .await
            .map(|r| r.rows_affected())
            .map_err(storage))
    }
}
