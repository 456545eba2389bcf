//! Consent (F1, F8, F10): what people agreed to, when, under which version
//! of the privacy policy, and through which channel.
//!
//! Every grant and withdrawal is a new record; the current choice is the
//! latest record per purpose, so the history stays whole. Using the service
//! rests on the contract and is accepted at sign-up; the optional purposes
//! are off until granted and withdrawing one takes effect on the next
//! request that would use it. When an administrator publishes a major
//! version of the privacy policy, everyone must accept it again at their
//! next sign-in, and people with a verified email are told by mail.

use std::sync::Arc;

use async_trait::async_trait;
use serde::Serialize;

use crate::clock::{Clock, Timestamp};
use crate::ids::AccountId;
use crate::ports::Message;
use crate::{Error, Result};

/// The purposes a person can grant or withdraw, with what each allows.
pub const OPTIONAL_PURPOSES: [(&str, &str); 3] = [
    (
        "marketing",
        "news and offers by email, each with a one-click unsubscribe",
    ),
    (
        "usage_statistics",
        "anonymous usage statistics, keyed by a random installation id",
    ),
    (
        "location_tags",
        "keeping the location in photos and clips you upload",
    ),
];

/// Accepting the privacy policy to use the service.
pub const SERVICE: &str = "service";

/// One consent record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsentRecord {
    /// Whose.
    pub account_id: AccountId,
    /// Which purpose (`service` or one of [`OPTIONAL_PURPOSES`]).
    pub purpose: String,
    /// Granted (true) or withdrawn (false).
    pub granted: bool,
    /// The policy version in force then (`none` before any was published).
    pub policy_version: String,
    /// How: `settings`, `api`, `policy_update`.
    pub channel: String,
    /// When.
    pub at: Timestamp,
}

/// A published version of the privacy policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyVersion {
    /// Its name, e.g. `2026-11`.
    pub version: String,
    /// Whether everyone must accept it again.
    pub major: bool,
    /// What changed, in a few sentences.
    pub summary: String,
    /// When it was published.
    pub published_at: Timestamp,
}

/// Storage of consent records and policy versions.
#[async_trait]
pub trait ConsentStore: Send + Sync {
    /// Appends a record.
    async fn add_consent(&self, record: &ConsentRecord) -> Result<()>;
    /// A person's records, oldest first.
    async fn consents_of(&self, account: AccountId) -> Result<Vec<ConsentRecord>>;
    /// Stores a new version; false if the version name exists.
    async fn add_policy(&self, policy: &PolicyVersion) -> Result<bool>;
    /// Every version, oldest first.
    async fn policies(&self) -> Result<Vec<PolicyVersion>>;
    /// When the account was created (the service was accepted at sign-up).
    async fn account_created_at(&self, account: AccountId) -> Result<Option<Timestamp>>;
    /// Every verified email address, to tell people of a major change.
    async fn verified_emails(&self) -> Result<Vec<crate::accounts::contact::Address>>;
}

/// A person's current choice for one purpose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Choice {
    /// The purpose.
    pub purpose: &'static str,
    /// What it allows.
    pub description: &'static str,
    /// Currently granted.
    pub granted: bool,
    /// Since when, if ever set.
    pub since: Option<Timestamp>,
}

/// The consent service.
pub struct Consents {
    store: Arc<dyn ConsentStore>,
    email: Arc<dyn crate::ports::Sender>,
    clock: Arc<dyn Clock>,
}

impl Consents {
    /// Wires the service.
    pub fn new(
        store: Arc<dyn ConsentStore>,
        email: Arc<dyn crate::ports::Sender>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Consents {
            store,
            email,
            clock,
        }
    }

    /// The policy in force, if any was published.
    pub async fn current_policy(&self) -> Result<Option<PolicyVersion>> {
        Ok(self.store.policies().await?.pop())
    }

    /// Every published version, newest first.
    pub async fn policies(&self) -> Result<Vec<PolicyVersion>> {
        let mut all = self.store.policies().await?;
        all.reverse();
        Ok(all)
    }

    /// `who`'s current choices for the optional purposes.
    pub async fn choices(&self, who: AccountId) -> Result<Vec<Choice>> {
        let records = self.store.consents_of(who).await?;
        Ok(OPTIONAL_PURPOSES
            .iter()
            .map(|&(purpose, description)| {
                let last = records.iter().rev().find(|r| r.purpose == purpose);
                Choice {
                    purpose,
                    description,
                    granted: last.is_some_and(|r| r.granted),
                    since: last.map(|r| r.at),
                }
            })
            .collect())
    }

    /// Whether `who` currently allows `purpose` (the check each use makes).
    pub async fn allows(&self, who: AccountId, purpose: &str) -> Result<bool> {
        let records = self.store.consents_of(who).await?;
        Ok(records
            .iter()
            .rev()
            .find(|r| r.purpose == purpose)
            .is_some_and(|r| r.granted))
    }

    /// `who`'s whole history, oldest first.
    pub async fn history(&self, who: AccountId) -> Result<Vec<ConsentRecord>> {
        self.store.consents_of(who).await
    }

    /// Grants or withdraws an optional purpose.
    pub async fn set(
        &self,
        who: AccountId,
        purpose: &str,
        granted: bool,
        channel: &str,
    ) -> Result<Vec<Choice>> {
        if purpose == SERVICE {
            return Err(Error::invalid(
                "purpose",
                "using the service cannot be withdrawn; cancel the account instead",
            ));
        }
        if !OPTIONAL_PURPOSES.iter().any(|(p, _)| *p == purpose) {
            return Err(Error::invalid(
                "purpose",
                "one of marketing, usage_statistics, location_tags",
            ));
        }
        self.record(who, purpose, granted, channel).await?;
        self.choices(who).await
    }

    async fn record(
        &self,
        who: AccountId,
        purpose: &str,
        granted: bool,
        channel: &str,
    ) -> Result<()> {
        let version = self
            .current_policy()
            .await?
            .map_or_else(|| "none".to_string(), |p| p.version);
        self.store
            .add_consent(&ConsentRecord {
                account_id: who,
                purpose: purpose.to_string(),
                granted,
                policy_version: version,
                channel: channel.to_string(),
                at: self.clock.now(),
            })
            .await
    }

    /// The major policy version `who` has yet to accept, if any: one
    /// published after they signed up and after they last accepted one.
    pub async fn pending_policy(&self, who: AccountId) -> Result<Option<PolicyVersion>> {
        let Some(latest_major) = self
            .store
            .policies()
            .await?
            .into_iter()
            .rev()
            .find(|p| p.major)
        else {
            return Ok(None);
        };
        let signed_up = self
            .store
            .account_created_at(who)
            .await?
            .ok_or(Error::NotFound("account"))?;
        let accepted = self
            .store
            .consents_of(who)
            .await?
            .into_iter()
            .filter(|r| r.purpose == SERVICE && r.granted)
            .map(|r| r.at)
            .max();
        let since = accepted.map_or(signed_up, |a| a.max(signed_up));
        Ok((latest_major.published_at > since).then_some(latest_major))
    }

    /// Records that `who` accepted the policy now in force.
    pub async fn accept_policy(&self, who: AccountId, channel: &str) -> Result<()> {
        self.record(who, SERVICE, true, channel).await
    }

    /// Publishes a version (callers check the admin role); a major one is
    /// mailed to everyone with a verified address, in the background.
    pub async fn publish(
        &self,
        version: &str,
        major: bool,
        summary: &str,
    ) -> Result<PolicyVersion> {
        let version = version.trim();
        let summary = summary.trim();
        if version.is_empty() || version.len() > 40 {
            return Err(Error::invalid("version", "1–40 characters"));
        }
        if summary.is_empty() || summary.chars().count() > 2000 {
            return Err(Error::invalid(
                "summary",
                "say what changed, in up to 2,000 characters",
            ));
        }
        let policy = PolicyVersion {
            version: version.to_string(),
            major,
            summary: summary.to_string(),
            published_at: self.clock.now(),
        };
        if !self.store.add_policy(&policy).await? {
            return Err(Error::Taken("policy version"));
        }
        if major {
            let store = self.store.clone();
            let email = self.email.clone();
            let p = policy.clone();
            tokio::spawn(async move {
                let to = match store.verified_emails().await {
                    Ok(to) => to,
                    Err(e) => {
                        tracing::warn!(error = %e, "policy notice: addresses unreadable");
                        return;
                    }
                };
                for address in to {
                    let message = Message {
                        to: address,
                        subject: format!("Our privacy policy changed ({})", p.version),
                        body: format!(
                            "We changed our privacy policy (version {}):\n\n{}\n\nYou will be asked to accept it the next time you sign in. What we keep and why: /privacy",
                            p.version, p.summary
                        ),
                        attachment: None,
                        unsubscribe: None,
                    };
                    if let Err(e) = email.send(&message).await {
                        tracing::warn!(error = %e, "policy notice not sent");
                    }
                }
            });
        }
        Ok(policy)
    }
}
