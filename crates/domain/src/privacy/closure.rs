//! Cancelling an account (A8) and erasing it after the grace period (F9).
//!
//! Cancelling needs the password again and cannot be undone: every way in
//! (sessions, API tokens) and every way out (push, webhooks, shares,
//! cameras) ends at once, so nothing is recorded, alerted or processed for
//! the person any more. Their data waits out the grace period — so a
//! mistaken or coerced cancellation can still be answered by support —
//! and is then erased: the account key first (crypto-shredding: every
//! blob sealed under it becomes unreadable wherever a copy lives), then
//! the blobs, then every row that names them; the audit trail keeps its
//! entries about other people with the actor anonymised.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::accounts::password::{self, Password};
use crate::audit::AuditEntry;
use crate::cameras::{Access, Cameras};
use crate::clock::{Clock, Timestamp};
use crate::ids::AccountId;
use crate::ports::{AccountStore, AuditStore, BlobStore, KeyVault};
use crate::recordings::Recordings;
use crate::{Error, Result};

/// A cancelled account waiting for erasure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closure {
    /// The account.
    pub account_id: AccountId,
    /// Cancelled at.
    pub cancelled_at: Timestamp,
    /// Erased at the first run of the erasure job after this.
    pub erase_after: Timestamp,
}

/// Storage of closures and the bulk deletions of erasure.
#[async_trait]
pub trait ClosureStore: Send + Sync {
    /// Records a cancellation; false if the account was already cancelled.
    async fn insert_closure(&self, closure: &Closure) -> Result<bool>;
    /// The account's closure, if cancelled.
    async fn closure(&self, account: AccountId) -> Result<Option<Closure>>;
    /// Moves the erasure date.
    async fn set_erase_after(&self, account: AccountId, at: Timestamp) -> Result<bool>;
    /// Closures whose erasure date has come.
    async fn closures_due(&self, now: Timestamp) -> Result<Vec<Closure>>;
    /// Ends every way in and out: sessions, API tokens, push subscriptions,
    /// webhooks, shares received, invitations waiting for their contacts.
    async fn revoke_access(&self, account: AccountId) -> Result<()>;
    /// Every blob key the account's rows name (media, inits, snapshots,
    /// claim evidence, album files) and the blob prefixes of its exports
    /// and of its album uploads under way.
    async fn blobs_of(&self, account: AccountId) -> Result<(Vec<String>, Vec<String>)>;
    /// Deletes the account and every row that names it, anonymises the
    /// audit trail's entries about others, and adds the account number to
    /// the erasure ledger.
    async fn erase_rows(&self, account: AccountId, now: Timestamp) -> Result<()>;
}

/// The grace period.
#[derive(Debug, Clone)]
pub struct ClosuresConfig {
    /// Between cancelling and erasure.
    pub grace: Duration,
}

impl Default for ClosuresConfig {
    fn default() -> Self {
        ClosuresConfig {
            grace: Duration::from_secs(180 * 86_400),
        }
    }
}

/// What closures need.
pub struct ClosuresDeps {
    /// Closures and erasure.
    pub store: Arc<dyn ClosureStore>,
    /// Accounts, for the password check.
    pub accounts: Arc<dyn AccountStore>,
    /// Unbinding.
    pub cameras: Arc<Cameras>,
    /// The key ring.
    pub recordings: Arc<Recordings>,
    /// Blobs to delete.
    pub blobs: Arc<dyn BlobStore>,
    /// The erasure ledger outside the database.
    pub vault: Arc<dyn KeyVault>,
    /// The audit trail.
    pub audit: Arc<dyn AuditStore>,
    /// Time.
    pub clock: Arc<dyn Clock>,
}

/// The closures service.
pub struct Closures {
    deps: ClosuresDeps,
    config: ClosuresConfig,
}

impl Closures {
    /// Wires the service.
    pub fn new(deps: ClosuresDeps, config: ClosuresConfig) -> Self {
        Closures { deps, config }
    }

    /// The grace period in force.
    pub fn config(&self) -> &ClosuresConfig {
        &self.config
    }

    /// Cancels `who`'s account after checking their password again.
    pub async fn cancel(&self, who: AccountId, password: &Password) -> Result<Closure> {
        let account = self
            .deps
            .accounts
            .account(who)
            .await?
            .ok_or(Error::Unauthenticated)?;
        if !password::verify(password, Some(&account.password_hash)).await {
            return Err(Error::invalid("password", "is not correct"));
        }
        let now = self.deps.clock.now();
        let closure = Closure {
            account_id: who,
            cancelled_at: now,
            erase_after: now.plus(self.config.grace),
        };
        self.deps.store.insert_closure(&closure).await?;
        // Cameras first: unbinding tells each device to stop at once.
        for (camera, access) in self.deps.cameras.list(who).await? {
            if access == Access::Owner {
                self.deps.cameras.unbind(who, camera.id).await?;
            }
        }
        self.deps.store.revoke_access(who).await?;
        self.audit(Some(who), "owner", who, "account.cancel", None)
            .await?;
        tracing::info!(account = %who, "account cancelled");
        self.deps
            .store
            .closure(who)
            .await?
            .ok_or(Error::NotFound("closure"))
    }

    /// Restricts (or lifts the restriction of) the processing of `who`'s
    /// data (F6): while restricted their cameras record nothing new, no
    /// event or alert is made for them, and no marketing or usage counting
    /// touches them; everything stored stays and remains theirs to see,
    /// export or erase. Returns since when it is restricted.
    pub async fn restrict(&self, who: AccountId, on: bool) -> Result<Option<Timestamp>> {
        let since = on.then(|| self.deps.clock.now());
        self.deps.accounts.set_restricted(who, since).await?;
        let action = if on {
            "account.restrict"
        } else {
            "account.unrestrict"
        };
        self.audit(Some(who), "owner", who, action, None).await?;
        self.restricted_since(who).await
    }

    /// Since when `who` restricted processing, if they did.
    pub async fn restricted_since(&self, who: AccountId) -> Result<Option<Timestamp>> {
        self.deps.accounts.restricted_since(who).await
    }

    /// `who`'s closure, if their account is cancelled.
    pub async fn closure(&self, who: AccountId) -> Result<Option<Closure>> {
        self.deps.store.closure(who).await
    }

    /// Brings a cancelled account's erasure forward to `at` (now when
    /// None), for administrators answering an erasure request; a reason is
    /// required and audited.
    pub async fn erase_sooner(
        &self,
        admin: AccountId,
        account: AccountId,
        at: Option<Timestamp>,
        reason: &str,
    ) -> Result<Closure> {
        let at = at.unwrap_or_else(|| self.deps.clock.now());
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 1000 {
            return Err(Error::invalid(
                "reason",
                "say why, in at most 1000 characters",
            ));
        }
        let closure = self
            .deps
            .store
            .closure(account)
            .await?
            .ok_or(Error::NotFound("cancelled account"))?;
        if at > closure.erase_after {
            return Err(Error::invalid(
                "erase_after",
                "can only move erasure earlier, never later",
            ));
        }
        let at = at.max(closure.cancelled_at);
        self.deps.store.set_erase_after(account, at).await?;
        self.audit(
            Some(admin),
            "admin",
            account,
            "account.erase_sooner",
            Some(reason.to_string()),
        )
        .await?;
        Ok(Closure {
            erase_after: at,
            ..closure
        })
    }

    /// Erases every account whose grace period is over; returns how many.
    pub async fn erase_due(&self) -> Result<u64> {
        let mut n = 0;
        for closure in self.deps.store.closures_due(self.deps.clock.now()).await? {
            self.erase(closure.account_id).await?;
            n += 1;
        }
        Ok(n)
    }

    /// Erases one account: key, blobs, rows — in that order, so a crash
    /// part-way leaves nothing readable and the next run finishes the job.
    pub async fn erase(&self, account: AccountId) -> Result<()> {
        let started = std::time::Instant::now();
        self.deps
            .recordings
            .keys()
            .destroy_account_key(account)
            .await?;
        let shredded = started.elapsed();
        let (keys, prefixes) = self.deps.store.blobs_of(account).await?;
        let mut blobs = keys.len();
        for key in keys {
            self.deps.blobs.delete(&key).await?;
        }
        for prefix in prefixes {
            for (key, _) in self.deps.blobs.list(&prefix).await? {
                self.deps.blobs.delete(&key).await?;
                blobs += 1;
            }
        }
        self.deps
            .store
            .erase_rows(account, self.deps.clock.now())
            .await?;
        self.deps.vault.record_erasure(account).await?;
        self.deps.recordings.drop_cached_slots();
        tracing::info!(
            account = %account,
            blobs,
            shred_ms = shredded.as_millis() as u64,
            "account erased"
        );
        Ok(())
    }

    /// Erases again every account the ledger says was erased but whose
    /// rows are back (an older backup was restored); returns how many.
    pub async fn replay_ledger(&self) -> Result<u64> {
        let mut n = 0;
        for account in self.deps.vault.erased().await? {
            if self.deps.accounts.account(account).await?.is_some() {
                tracing::warn!(account = %account, "erased account found again (restored backup?): erasing it again");
                self.erase(account).await?;
                n += 1;
            }
        }
        Ok(n)
    }

    async fn audit(
        &self,
        actor: Option<AccountId>,
        role: &str,
        subject: AccountId,
        action: &str,
        reason: Option<String>,
    ) -> Result<()> {
        self.deps
            .audit
            .append(&AuditEntry {
                actor,
                role: role.into(),
                subject: Some(subject),
                action: action.into(),
                object: format!("account:{subject}"),
                reason,
                at: self.deps.clock.now(),
            })
            .await
    }
}
