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
}
