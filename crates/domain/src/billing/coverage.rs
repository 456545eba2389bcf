//! What an account's plan allows its cameras now (E1): retention, what is
//! recorded, storage; and what a paid downgrade will take away, and when.

use async_trait::async_trait;

use super::{Billing, Order, Plan, PlanMode};
use crate::clock::Timestamp;
use crate::ids::{AccountId, CameraId};
use crate::ports::{Allowance, RecordingAllowance};
use crate::Result;

/// An account's plan as the person sees it.
#[derive(Debug, Clone)]
pub struct Coverage {
    /// The running order and its plan; None is the free tier.
    pub running: Option<(Order, Plan)>,
    /// A paid plan that starts when the running one ends.
    pub upcoming: Option<(Order, Plan)>,
    /// The free tier's retention cap, for cameras no plan covers.
    pub free_retention_days: Option<i64>,
    /// Whether the free tier keeps only event windows.
    pub free_events_only: bool,
}

/// What a coming downgrade removes, in words for the person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DowngradeNotice {
    /// When the new plan starts.
    pub from: Timestamp,
    /// Retention now and then.
    pub retention_days: (i64, i64),
    /// Whether only events will be kept from then on.
    pub events_only: bool,
    /// Cameras covered now and then.
    pub cameras: (i64, i64),
}

impl Coverage {
    /// The notice of a coming downgrade, if the upcoming plan keeps less.
    pub fn downgrade(&self) -> Option<DowngradeNotice> {
        let (_, now_plan) = self.running.as_ref()?;
        let (next, next_plan) = self.upcoming.as_ref()?;
        let (a, b) = (&now_plan.terms, &next_plan.terms);
        let less = b.retention_days < a.retention_days
            || b.cameras < a.cameras
            || (b.mode == PlanMode::EventsOnly && a.mode == PlanMode::Continuous);
        less.then(|| DowngradeNotice {
            from: next.active_from.unwrap_or(next.created_at),
            retention_days: (a.retention_days, b.retention_days),
            events_only: b.mode == PlanMode::EventsOnly,
            cameras: (a.cameras, b.cameras),
        })
    }
}

impl Billing {
    /// The account's plan now, and the one that follows it, if paid.
    pub async fn coverage(&self, who: AccountId) -> Result<Coverage> {
        Ok(Coverage {
            running: self.running(who).await?,
            upcoming: self.upcoming(who).await?,
            free_retention_days: self.free.retention_days,
            free_events_only: self.free.events_only,
        })
    }
}

#[async_trait]
impl RecordingAllowance for Billing {
    async fn camera(&self, owner: AccountId, camera: CameraId) -> Result<Allowance> {
        let free = Allowance {
            retention_days: self.free.retention_days,
            events_only: self.free.events_only,
        };
        let Some((_, plan)) = self.running(owner).await? else {
            return Ok(free);
        };
        // The plan covers the account's first cameras, in the order they
        // were added; the others have the free tier.
        let mut ids: Vec<CameraId> = self
            .cameras
            .cameras_of_owner(owner)
            .await?
            .iter()
            .map(|c| c.id)
            .collect();
        ids.sort();
        let covered = ids
            .iter()
            .take(plan.terms.cameras.max(0) as usize)
            .any(|&c| c == camera);
        if !covered {
            return Ok(free);
        }
        Ok(Allowance {
            retention_days: Some(plan.terms.retention_days),
            events_only: plan.terms.mode == PlanMode::EventsOnly,
        })
    }

    async fn quota_bytes(&self, owner: AccountId) -> Result<Option<u64>> {
        Ok(self
            .running(owner)
            .await?
            .map(|(_, p)| p.terms.quota_mb)
            .filter(|&mb| mb > 0)
            .map(|mb| mb as u64 * 1024 * 1024))
    }
}
