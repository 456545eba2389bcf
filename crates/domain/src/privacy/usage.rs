//! Usage statistics (F14) and Do Not Track / Global Privacy Control (F12).
//!
//! The only optional analytics camvault has: how often each page is
//! opened, per UTC day, counted only for people who granted the
//! `usage_statistics` consent and only when their browser sent neither
//! `DNT: 1` nor `Sec-GPC: 1` with that request. Nothing about the person is
//! kept — not their account, address or browser — and the report is keyed
//! by a random installation id, not by anything that names the operator.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::Serialize;

use crate::clock::Clock;
use crate::ids::AccountId;
use crate::privacy::consent::Consents;
use crate::recordings::utc_day;
use crate::Result;

/// The consent purpose usage statistics need.
pub const PURPOSE: &str = "usage_statistics";
/// Days of counts kept.
pub const KEPT: Duration = Duration::from_secs(400 * 86_400);

/// One count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UsageCount {
    /// UTC day, `YYYY-MM-DD`.
    pub day: String,
    /// The page, as its route (`/cameras/{id}`: never an id).
    pub feature: String,
    /// Views that day.
    pub count: i64,
}

/// What would be shared: counts keyed by the installation id.
#[derive(Debug, Clone, Serialize)]
pub struct UsageReport {
    /// A random id made once per installation.
    pub installation_id: String,
    /// Every count kept, oldest day first.
    pub counts: Vec<UsageCount>,
}

/// Storage of the counts.
#[async_trait]
pub trait UsageStore: Send + Sync {
    /// Adds one view of `feature` on `day`.
    async fn add_usage(&self, day: &str, feature: &str) -> Result<()>;
    /// Every count, oldest day first.
    async fn usage_counts(&self) -> Result<Vec<UsageCount>>;
    /// Drops the counts of days before `day`.
    async fn prune_usage(&self, day: &str) -> Result<u64>;
    /// The installation id, made on first use.
    async fn installation_id(&self) -> Result<String>;
    /// Whether the account restricted the processing of its data (F6).
    async fn restricted(&self, account: AccountId) -> Result<bool>;
}

/// Whether a request's headers ask not to be tracked: `DNT: 1` or `Sec-GPC: 1`.
pub fn do_not_track(dnt: Option<&str>, gpc: Option<&str>) -> bool {
    dnt.map(str::trim) == Some("1") || gpc.map(str::trim) == Some("1")
}

/// The usage-statistics service.
pub struct Usage {
    store: Arc<dyn UsageStore>,
    consents: Arc<Consents>,
    clock: Arc<dyn Clock>,
}

impl Usage {
    /// Wires the service.
    pub fn new(store: Arc<dyn UsageStore>, consents: Arc<Consents>, clock: Arc<dyn Clock>) -> Self {
        Usage {
            store,
            consents,
            clock,
        }
    }

    /// Counts one view of `feature` by `who`, unless the request said not
    /// to track or `who` has not consented; returns whether it counted.
    pub async fn record(&self, who: AccountId, feature: &str, no_tracking: bool) -> Result<bool> {
        if no_tracking
            || !self.consents.allows(who, PURPOSE).await?
            || self.store.restricted(who).await?
        {
            return Ok(false);
        }
        let day = utc_day(self.clock.now());
        self.store.add_usage(&day, feature).await?;
        Ok(true)
    }

    /// The report: the installation id and every count kept.
    pub async fn report(&self) -> Result<UsageReport> {
        Ok(UsageReport {
            installation_id: self.store.installation_id().await?,
            counts: self.store.usage_counts().await?,
        })
    }

    /// Drops counts older than [`KEPT`]; returns how many went.
    pub async fn purge(&self) -> Result<u64> {
        let oldest = utc_day(self.clock.now().minus(KEPT));
        self.store.prune_usage(&oldest).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dnt_and_gpc_headers() {
        assert!(do_not_track(Some("1"), None));
        assert!(do_not_track(None, Some(" 1")));
        assert!(!do_not_track(Some("0"), Some("0")));
        assert!(!do_not_track(None, None));
    }
}
