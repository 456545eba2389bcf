//! Request counts per client address and minute, shared by every instance
//! on one database, so a rate limit holds however requests are spread.

use async_trait::async_trait;

use crate::clock::Timestamp;
use crate::Result;

/// Fixed-window request counters.
#[async_trait]
pub trait RateCountStore: Send + Sync {
    /// Counts one request for `key` in the window that starts at `window`
    /// and returns the window's count including it.
    async fn count_request(&self, key: &str, window: Timestamp) -> Result<i64>;
    /// Deletes windows that started before `before`; returns how many.
    async fn prune_request_counts(&self, before: Timestamp) -> Result<u64>;
}
