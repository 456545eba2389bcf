//! Aggregate statistics for administrators (F3): how many accounts and
//! cameras, which models and firmware, how much is stored, how many events
//! a day. The report carries counts only, never an id, name or serial, and
//! every group smaller than `k` (default 10) is suppressed: it is folded
//! into one "other" line, itself shown only when it reaches `k`.

use async_trait::async_trait;
use serde::Serialize;

use crate::clock::{Clock, Timestamp};
use crate::Result;
use std::sync::Arc;

/// Days of events the report covers.
pub const EVENT_DAYS: i64 = 14;
const DAY_MS: i64 = 86_400_000;

/// The counts as the store reads them, before suppression.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawCounts {
    /// Accounts.
    pub accounts: u64,
    /// Cameras bound to an account.
    pub bound_cameras: u64,
    /// Cameras per model.
    pub cameras_by_model: Vec<(String, u64)>,
    /// Cameras per model and firmware version (`None`: not reported yet).
    pub cameras_by_firmware: Vec<(String, Option<String>, u64)>,
    /// Bytes of recordings stored (sealed).
    pub stored_bytes: u64,
    /// Events per UTC day (day start, Unix ms), since the asked time.
    pub events_per_day: Vec<(i64, u64)>,
}

/// Reads the raw counts.
#[async_trait]
pub trait StatisticsStore: Send + Sync {
    /// Counts everything; events only from `events_since` on.
    async fn raw_counts(&self, events_since: Timestamp) -> Result<RawCounts>;
}

/// One line of a grouped count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group {
    /// What the group is (a model, a version, a day).
    pub label: String,
    /// How many.
    pub count: u64,
}

/// A grouped count after suppression.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Grouped {
    /// Groups of at least `k`.
    pub groups: Vec<Group>,
    /// The small groups together, when they reach `k` together.
    pub other: Option<u64>,
    /// How many groups were too small to show.
    pub suppressed_groups: usize,
}

/// The report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The smallest group shown.
    pub k: u64,
    /// Accounts, or None when fewer than `k`.
    pub accounts: Option<u64>,
    /// Bound cameras, or None when fewer than `k`.
    pub bound_cameras: Option<u64>,
    /// Cameras by model.
    pub cameras_by_model: Grouped,
    /// Cameras by model and firmware.
    pub cameras_by_firmware: Grouped,
    /// Stored bytes, or None while fewer than `k` accounts could share them.
    pub stored_bytes: Option<u64>,
    /// Events per day over the last [`EVENT_DAYS`] days.
    pub events_per_day: Grouped,
}

/// Folds groups under `k` into one "other" count.
pub fn suppress(groups: Vec<(String, u64)>, k: u64) -> Grouped {
    let (big, small): (Vec<_>, Vec<_>) = groups.into_iter().partition(|(_, n)| *n >= k);
    let small_total: u64 = small.iter().map(|(_, n)| n).sum();
    Grouped {
        groups: big
            .into_iter()
            .map(|(label, count)| Group { label, count })
            .collect(),
        other: (small_total >= k && !small.is_empty()).then_some(small_total),
        suppressed_groups: small.len(),
    }
}

/// The statistics service.
pub struct Statistics {
    store: Arc<dyn StatisticsStore>,
    clock: Arc<dyn Clock>,
    k: u64,
}

impl Statistics {
    /// Wires the service; `k` is at least 2 (a group of one is a person).
    pub fn new(store: Arc<dyn StatisticsStore>, clock: Arc<dyn Clock>, k: u64) -> Self {
        Statistics {
            store,
            clock,
            k: k.max(2),
        }
    }

    /// The suppressed report (callers check the admin role).
    pub async fn report(&self) -> Result<Report> {
        let now = self.clock.now().ms();
        let since = (now.div_euclid(DAY_MS) - (EVENT_DAYS - 1)) * DAY_MS;
        let raw = self.store.raw_counts(Timestamp(since)).await?;
        let k = self.k;
        let at_least = |n: u64| (n >= k).then_some(n);
        let firmware = raw
            .cameras_by_firmware
            .into_iter()
            .map(|(model, version, n)| {
                let version = version.unwrap_or_else(|| "not reported".into());
                (format!("{model} {version}"), n)
            })
            .collect();
        let days = raw
            .events_per_day
            .into_iter()
            .map(|(day, n)| (crate::recordings::utc_day(Timestamp(day)), n))
            .collect();
        Ok(Report {
            k,
            accounts: at_least(raw.accounts),
            bound_cameras: at_least(raw.bound_cameras),
            cameras_by_model: suppress(raw.cameras_by_model, k),
            cameras_by_firmware: suppress(firmware, k),
            stored_bytes: (raw.accounts >= k).then_some(raw.stored_bytes),
            events_per_day: suppress(days, k),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_groups_fold_into_other_only_when_it_is_big_enough() {
        let g = suppress(vec![("A".into(), 12), ("B".into(), 3), ("C".into(), 9)], 10);
        assert_eq!(
            g.groups,
            vec![Group {
                label: "A".into(),
                count: 12
            }]
        );
        assert_eq!(g.other, Some(12));
        assert_eq!(g.suppressed_groups, 2);
        let g = suppress(vec![("A".into(), 12), ("B".into(), 3)], 10);
        assert_eq!(g.other, None, "3 alone would single out the B owners");
        let g = suppress(vec![("A".into(), 10)], 10);
        assert_eq!((g.groups.len(), g.other, g.suppressed_groups), (1, None, 0));
    }
}
