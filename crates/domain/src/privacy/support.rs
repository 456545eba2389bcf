//! The support desk (E3): support staff see an account, its contacts and
//! its cameras masked (F4). Seeing a part in full needs a written reason,
//! lasts 15 minutes, and is an audit entry the person sees in their access
//! log; so is every look-up.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::accounts::Accounts;
use crate::audit::AuditEntry;
use crate::cameras::{Access, Cameras};
use crate::clock::{Clock, Timestamp};
use crate::ids::AccountId;
use crate::ports::{AuditStore, Role};
use crate::{Error, Result};

/// How long an unmasking lasts.
pub const UNMASK_FOR: Duration = Duration::from_secs(15 * 60);
/// The parts that can be unmasked.
pub const FIELDS: [&str; 3] = ["username", "contacts", "camera_names"];

/// Unmaskings, as they were granted.
#[async_trait]
pub trait UnmaskStore: Send + Sync {
    /// Records one.
    async fn insert_unmask(
        &self,
        staff: AccountId,
        account: AccountId,
        field: &str,
        reason: &str,
        at: Timestamp,
        until: Timestamp,
    ) -> Result<()>;
    /// The fields `staff` may see of `account` at `now`, with their ends.
    async fn active_unmasks(
        &self,
        staff: AccountId,
        account: AccountId,
        now: Timestamp,
    ) -> Result<Vec<(String, Timestamp)>>;
}

/// One contact as support sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactLine {
    /// `email` or `phone`.
    pub kind: String,
    /// Masked unless unmasked.
    pub value: String,
    /// Whether it was proved with a code.
    pub verified: bool,
}

/// One camera as support sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CameraLine {
    /// Its id.
    pub id: i64,
    /// Serial number.
    pub serial: String,
    /// Model.
    pub model: String,
    /// Its name, masked unless unmasked.
    pub name: String,
    /// Last time it was heard from.
    pub last_seen: Option<Timestamp>,
}

/// An account as support sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountCard {
    /// Its id.
    pub id: AccountId,
    /// Masked unless unmasked.
    pub username: String,
    /// Its role.
    pub role: Role,
    /// Created.
    pub created_at: Timestamp,
    /// Contacts.
    pub contacts: Vec<ContactLine>,
    /// Cameras it owns.
    pub cameras: Vec<CameraLine>,
    /// Parts shown in full, and until when.
    pub unmasked: Vec<(String, Timestamp)>,
}

/// What the support desk works with.
pub struct SupportDeps {
    /// Accounts and their contacts.
    pub accounts: Arc<Accounts>,
    /// Cameras.
    pub cameras: Arc<Cameras>,
    /// Orders, to find an account by order number.
    pub billing: Arc<crate::billing::Billing>,
    /// Rights requests, opened on a person's behalf.
    pub requests: Arc<super::requests::Requests>,
    /// Unmaskings.
    pub store: Arc<dyn UnmaskStore>,
    /// The access log.
    pub audit: Arc<dyn AuditStore>,
    /// Time.
    pub clock: Arc<dyn Clock>,
}

/// The support desk.
pub struct SupportDesk {
    pub(super) accounts: Arc<Accounts>,
    pub(super) cameras: Arc<Cameras>,
    pub(super) billing: Arc<crate::billing::Billing>,
    pub(super) requests: Arc<super::requests::Requests>,
    store: Arc<dyn UnmaskStore>,
    audit: Arc<dyn AuditStore>,
    clock: Arc<dyn Clock>,
}

/// `erin` → `e***`: enough to confirm a name the person says, not to learn it.
fn mask_name(s: &str) -> String {
    match s.chars().next() {
        Some(c) => format!("{c}***"),
        None => String::new(),
    }
}

impl SupportDesk {
    /// Wires the desk.
    pub fn new(deps: SupportDeps) -> Self {
        SupportDesk {
            accounts: deps.accounts,
            cameras: deps.cameras,
            billing: deps.billing,
            requests: deps.requests,
            store: deps.store,
            audit: deps.audit,
            clock: deps.clock,
        }
    }

    pub(super) async fn log(
        &self,
        staff: AccountId,
        account: AccountId,
        action: &str,
        object: &str,
        reason: Option<&str>,
    ) -> Result<()> {
        self.audit
            .append(&AuditEntry {
                actor: Some(staff),
                role: "support".into(),
                subject: Some(account),
                action: action.into(),
                object: object.into(),
                reason: reason.map(str::to_string),
                at: self.clock.now(),
            })
            .await
    }

    /// An account, masked but for what `staff` unmasked in the last 15
    /// minutes; the look-up is logged.
    pub async fn look_up(&self, staff: AccountId, account: AccountId) -> Result<AccountCard> {
        let profile = self.accounts.profile(account).await?;
        let now = self.clock.now();
        let unmasked = self.store.active_unmasks(staff, account, now).await?;
        let open = |field: &str| unmasked.iter().any(|(f, _)| f == field);
        let cameras = self
            .cameras
            .list(account)
            .await?
            .into_iter()
            .filter(|(_, access)| *access == Access::Owner)
            .map(|(c, _)| CameraLine {
                id: c.id.0,
                serial: c.serial,
                model: c.model,
                name: if open("camera_names") {
                    c.settings.name.clone()
                } else {
                    mask_name(&c.settings.name)
                },
                last_seen: c.facts.last_seen_at,
            })
            .collect();
        let contacts = profile
            .contacts
            .iter()
            .map(|c| ContactLine {
                kind: c.address.kind().as_str().to_string(),
                value: if open("contacts") {
                    c.address.expose().to_string()
                } else {
                    c.address.masked()
                },
                verified: c.verified_at.is_some(),
            })
            .collect();
        self.log(
            staff,
            account,
            "support.lookup",
            &format!("account:{account}"),
            None,
        )
        .await?;
        Ok(AccountCard {
            id: account,
            username: if open("username") {
                profile.account.username.clone()
            } else {
                mask_name(&profile.account.username)
            },
            role: profile.account.role,
            created_at: profile.account.created_at,
            contacts,
            cameras,
            unmasked,
        })
    }

    /// Shows `field` of `account` in full to `staff` for 15 minutes; needs
    /// a written reason (10 characters or more), which the person will read.
    pub async fn unmask(
        &self,
        staff: AccountId,
        account: AccountId,
        field: &str,
        reason: &str,
    ) -> Result<Timestamp> {
        if !FIELDS.contains(&field) {
            return Err(Error::invalid(
                "field",
                "username, contacts or camera_names",
            ));
        }
        let reason = reason.trim();
        if reason.chars().count() < 10 || reason.chars().count() > 500 {
            return Err(Error::invalid(
                "reason",
                "10 to 500 characters: why you need to see it",
            ));
        }
        self.accounts.profile(account).await?;
        let now = self.clock.now();
        let until = now.plus(UNMASK_FOR);
        self.store
            .insert_unmask(staff, account, field, reason, now, until)
            .await?;
        self.log(staff, account, "support.unmask", field, Some(reason))
            .await?;
        Ok(until)
    }
}
