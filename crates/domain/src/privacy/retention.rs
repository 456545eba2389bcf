//! The retention engine (F9, F15): one job applying the retention rules of
//! the classes that no other job keeps short — the service log (addresses
//! truncated after a few days, rows deleted after a month), login
//! throttles, finished rights requests — with a dry run that only counts.
//! Media, events, exports and cancelled accounts have their own jobs
//! (recording retention, event purge, export expiry, erasure).

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::Serialize;

use crate::clock::Clock;
use crate::Result;

/// A rule that deletes rows past an age.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Service log rows.
    ServiceLog,
    /// Login throttles no longer locked nor counting.
    Throttles,
    /// Completed or refused rights requests (and their steps).
    FinishedRequests,
    /// Sign-ins through an outside provider that were started and never
    /// finished.
    ExternalSignIns,
}

/// Storage the engine works on.
#[async_trait]
pub trait RetentionStore: Send + Sync {
    /// Up to `limit` service-log rows older than `before` whose address is
    /// still whole: (id, address).
    async fn whole_addresses(
        &self,
        before: crate::clock::Timestamp,
        limit: i64,
    ) -> Result<Vec<(i64, String)>>;
    /// How many such rows there are.
    async fn count_whole_addresses(&self, before: crate::clock::Timestamp) -> Result<u64>;
    /// Replaces a row's address with its truncated form.
    async fn truncate_address(&self, id: i64, truncated: &str) -> Result<()>;
    /// Counts (or, with `delete`, deletes) the rows `rule` covers that are
    /// older than `before`.
    async fn past_retention(
        &self,
        rule: Rule,
        before: crate::clock::Timestamp,
        delete: bool,
    ) -> Result<u64>;
}

/// The periods.
#[derive(Debug, Clone)]
pub struct RetentionConfig {
    /// Service-log addresses are truncated after this.
    pub truncate_ips_after: Duration,
    /// Service-log rows are deleted after this.
    pub service_log_kept: Duration,
    /// Throttle rows untouched this long are deleted.
    pub throttles_kept: Duration,
    /// Finished rights requests are deleted this long after they finished.
    pub finished_requests_kept: Duration,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        RetentionConfig {
            truncate_ips_after: Duration::from_secs(7 * 86_400),
            service_log_kept: Duration::from_secs(30 * 86_400),
            throttles_kept: Duration::from_secs(86_400),
            finished_requests_kept: Duration::from_secs(3 * 365 * 86_400),
        }
    }
}

/// What one rule did (or, in a dry run, would do).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RetentionItem {
    /// The data class (table).
    pub class: &'static str,
    /// The rule in words.
    pub rule: String,
    /// Rows affected.
    pub count: u64,
}

/// The address with its host part dropped: the last octet of IPv4, all but
/// the first 48 bits of IPv6. Anything else becomes `unknown`.
pub fn truncate_ip(ip: &str) -> String {
    match ip.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => {
            let [a, b, c, _] = v4.octets();
            format!("{a}.{b}.{c}.0")
        }
        Ok(IpAddr::V6(v6)) => {
            let s = v6.segments();
            std::net::Ipv6Addr::new(s[0], s[1], s[2], 0, 0, 0, 0, 0).to_string()
        }
        Err(_) => "unknown".into(),
    }
}

fn days(d: Duration) -> u64 {
    d.as_secs() / 86_400
}

/// A period in words: whole days, else minutes.
fn period(d: Duration) -> String {
    match d.as_secs() {
        s if s >= 86_400 => format!("{} days", s / 86_400),
        s => format!("{} minutes", s / 60),
    }
}

/// The retention engine.
pub struct Retention {
    store: Arc<dyn RetentionStore>,
    clock: Arc<dyn Clock>,
    config: RetentionConfig,
}

impl Retention {
    /// Wires the engine.
    pub fn new(
        store: Arc<dyn RetentionStore>,
        clock: Arc<dyn Clock>,
        config: RetentionConfig,
    ) -> Self {
        Retention {
            store,
            clock,
            config,
        }
    }

    /// Applies every rule, or with `dry_run` only counts what would go.
    pub async fn run(&self, dry_run: bool) -> Result<Vec<RetentionItem>> {
        let now = self.clock.now();
        let c = &self.config;
        let before = now.minus(c.truncate_ips_after);
        let truncated = if dry_run {
            self.store.count_whole_addresses(before).await?
        } else {
            let mut n = 0;
            loop {
                let batch = self.store.whole_addresses(before, 500).await?;
                if batch.is_empty() {
                    break;
                }
                for (id, ip) in batch {
                    self.store.truncate_address(id, &truncate_ip(&ip)).await?;
                    n += 1;
                }
            }
            n
        };
        let mut items = vec![RetentionItem {
            class: "service_log",
            rule: format!(
                "addresses truncated after {} days",
                days(c.truncate_ips_after)
            ),
            count: truncated,
        }];
        for (rule, class, kept, words) in [
            (
                Rule::ServiceLog,
                "service_log",
                c.service_log_kept,
                "deleted after",
            ),
            (
                Rule::Throttles,
                "throttles",
                c.throttles_kept,
                "deleted when untouched for",
            ),
            (
                Rule::FinishedRequests,
                "rights_requests",
                c.finished_requests_kept,
                "deleted when finished for",
            ),
            (
                Rule::ExternalSignIns,
                "external_sign_ins",
                crate::accounts::external::PENDING_TTL,
                "deleted when unfinished after",
            ),
        ] {
            let count = self
                .store
                .past_retention(rule, now.minus(kept), !dry_run)
                .await?;
            items.push(RetentionItem {
                class,
                rule: format!("{words} {}", period(kept)),
                count,
            });
        }
        Ok(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_lose_their_host_part() {
        assert_eq!(truncate_ip("192.168.17.42"), "192.168.17.0");
        assert_eq!(truncate_ip("2001:db8:1234:5678::1"), "2001:db8:1234::");
        assert_eq!(truncate_ip("unknown"), "unknown");
        assert_eq!(truncate_ip("127.0.0.1"), "127.0.0.0");
    }
}
