//! Leases on background jobs, so that of several instances sharing one
//! database exactly one runs each job at a time, and another takes over
//! once a holder that died lets its lease run out.

use async_trait::async_trait;

use crate::clock::Timestamp;
use crate::Result;

/// Job leases.
#[async_trait]
pub trait JobLeaseStore: Send + Sync {
    /// Takes or renews the lease on `job` for `holder` until `until`: true
    /// when `holder` now holds it (it was free, expired by `now`, or
    /// already its own), false when another holder's lease still runs.
    async fn take_lease(
        &self,
        job: &str,
        holder: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> Result<bool>;
    /// Gives the lease up if `holder` has it, so another may start at once.
    async fn release_lease(&self, job: &str, holder: &str) -> Result<()>;
    /// Notes that `holder` started a run of `job`; returns the run's id.
    async fn start_job_run(&self, job: &str, holder: &str, at: Timestamp) -> Result<i64>;
    /// Notes that run `id` finished.
    async fn finish_job_run(&self, id: i64, at: Timestamp) -> Result<()>;
    /// Runs of `job` that started at or after `since`, oldest first.
    async fn job_runs(&self, job: &str, since: Timestamp) -> Result<Vec<JobRun>>;
    /// Deletes runs that started before `before`; returns how many.
    async fn prune_job_runs(&self, before: Timestamp) -> Result<u64>;
}

/// One run of a leased job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRun {
    /// Run id.
    pub id: i64,
    /// The instance that ran it.
    pub holder: String,
    /// When it started.
    pub started_at: Timestamp,
    /// When it finished; None while it runs, or if its instance died.
    pub finished_at: Option<Timestamp>,
}
