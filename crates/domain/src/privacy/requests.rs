//! Formal rights requests (F7): what self-service cannot do, tracked from
//! receipt to an answer.
//!
//! A request moves received → identity verified → in progress → completed,
//! or to refused from any open state, and a refusal needs a written reason.
//! Each has a deadline (30 days unless configured). A request of the same
//! kind and wording as one the person made within the repeat window is
//! recognised as a repeat and linked to it, so the team answers it as such
//! rather than starting over. Every step is kept, and each step an
//! administrator takes is also in the audit trail.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::audit::AuditEntry;
use crate::clock::{Clock, Timestamp};
use crate::ids::AccountId;
use crate::ports::AuditStore;
use crate::{Error, Result};

/// Longest description accepted.
pub const MAX_DETAILS: usize = 4000;
/// Longest refusal or step reason accepted.
pub const MAX_REASON: usize = 2000;

/// What the person asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// A copy of, or information about, what is held.
    Access,
    /// Correcting something they cannot change themselves.
    Correction,
    /// Erasing data.
    Erasure,
    /// Their data in a portable form.
    Portability,
    /// Restricting processing.
    Restriction,
    /// Objecting to a processing.
    Objection,
    /// Anything else about their data.
    Other,
}

impl RequestKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::Access => "access",
            RequestKind::Correction => "correction",
            RequestKind::Erasure => "erasure",
            RequestKind::Portability => "portability",
            RequestKind::Restriction => "restriction",
            RequestKind::Objection => "objection",
            RequestKind::Other => "other",
        }
    }

    /// Reads a stored or submitted name.
    pub fn parse(s: &str) -> Result<RequestKind> {
        Ok(match s {
            "access" => RequestKind::Access,
            "correction" => RequestKind::Correction,
            "erasure" => RequestKind::Erasure,
            "portability" => RequestKind::Portability,
            "restriction" => RequestKind::Restriction,
            "objection" => RequestKind::Objection,
            "other" => RequestKind::Other,
            _ => return Err(Error::invalid(
                "kind",
                "one of access, correction, erasure, portability, restriction, objection, other",
            )),
        })
    }
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    /// Just made.
    Received,
    /// The requester's identity was checked.
    Verified,
    /// Being worked on.
    InProgress,
    /// Done.
    Completed,
    /// Turned down, with a written reason.
    Refused,
}

impl RequestState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::Received => "received",
            RequestState::Verified => "verified",
            RequestState::InProgress => "in_progress",
            RequestState::Completed => "completed",
            RequestState::Refused => "refused",
        }
    }

    /// Reads a stored or submitted name.
    pub fn parse(s: &str) -> Result<RequestState> {
        Ok(match s {
            "received" => RequestState::Received,
            "verified" => RequestState::Verified,
            "in_progress" => RequestState::InProgress,
            "completed" => RequestState::Completed,
            "refused" => RequestState::Refused,
            _ => {
                return Err(Error::invalid(
                    "state",
                    "one of received, verified, in_progress, completed, refused",
                ))
            }
        })
    }

    /// Whether nothing more happens to it.
    pub fn is_final(self) -> bool {
        matches!(self, RequestState::Completed | RequestState::Refused)
    }

    /// Whether a request may move from `self` to `to`.
    pub fn may_become(self, to: RequestState) -> bool {
        use RequestState::*;
        match (self, to) {
            (s, Refused) => !s.is_final(),
            (Received, Verified) | (Verified, InProgress) | (InProgress, Completed) => true,
            _ => false,
        }
    }
}

/// A request as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RightsRequest {
    /// Its id.
    pub id: i64,
    /// Who made it.
    pub account_id: AccountId,
    /// What for.
    pub kind: RequestKind,
    /// Their words.
    pub details: String,
    /// Where it stands.
    pub state: RequestState,
    /// The written reason of the last step (required for a refusal).
    pub reason: Option<String>,
    /// When an answer is due.
    pub due_at: Timestamp,
    /// The earlier identical request this one repeats, if any.
    pub repeat_of: Option<i64>,
    /// When it was made.
    pub created_at: Timestamp,
    /// When it last moved.
    pub updated_at: Timestamp,
}

/// One step in a request's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestStep {
    /// The request.
    pub request_id: i64,
    /// The state it moved to.
    pub state: RequestState,
    /// Why, if given.
    pub reason: Option<String>,
    /// Who moved it (the requester for the first step).
    pub actor: Option<AccountId>,
    /// When.
    pub at: Timestamp,
}

/// Storage of requests.
#[async_trait]
pub trait RequestStore: Send + Sync {
    /// Stores a new request and its first step; returns its id.
    async fn insert_request(&self, request: &RightsRequest) -> Result<i64>;
    /// One request.
    async fn request(&self, id: i64) -> Result<Option<RightsRequest>>;
    /// A person's requests, newest first.
    async fn requests_of(&self, account: AccountId) -> Result<Vec<RightsRequest>>;
    /// Open requests, soonest due first.
    async fn open_requests(&self) -> Result<Vec<RightsRequest>>;
    /// Moves a request from `from` to the step's state; false if it was
    /// no longer in `from` (someone else moved it first).
    async fn move_request(&self, from: RequestState, step: &RequestStep) -> Result<bool>;
    /// A request's steps, oldest first.
    async fn request_steps(&self, id: i64) -> Result<Vec<RequestStep>>;
    /// Notes that administrators were reminded of a request; false if
    /// they already were (so each request is reminded of once).
    async fn mark_reminded(&self, id: i64, at: Timestamp) -> Result<bool>;
    /// The verified email addresses of administrators.
    async fn admin_emails(&self) -> Result<Vec<crate::accounts::contact::Address>>;
}

/// Deadlines and the repeat window.
#[derive(Debug, Clone)]
pub struct RequestsConfig {
    /// Time to answer.
    pub deadline: Duration,
    /// How far back an identical request counts as repeated.
    pub repeat_window: Duration,
    /// Requests due within this are flagged for administrators.
    pub due_soon: Duration,
}

impl Default for RequestsConfig {
    fn default() -> Self {
        RequestsConfig {
            deadline: Duration::from_secs(30 * 86_400),
            repeat_window: Duration::from_secs(90 * 86_400),
            due_soon: Duration::from_secs(7 * 86_400),
        }
    }
}

/// The requests service.
pub struct Requests {
    store: Arc<dyn RequestStore>,
    audit: Arc<dyn AuditStore>,
    email: Arc<dyn crate::ports::Sender>,
    clock: Arc<dyn Clock>,
    config: RequestsConfig,
}

/// Wording compared for repeats: case, spacing and punctuation ignored.
fn normalised(text: &str) -> String {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

fn checked_text(field: &'static str, text: &str, max: usize) -> Result<String> {
    let t = text.trim();
    if t.chars().count() > max {
        return Err(Error::invalid(field, format!("at most {max} characters")));
    }
    Ok(t.to_string())
}

impl Requests {
    /// Wires the service.
    pub fn new(
        store: Arc<dyn RequestStore>,
        audit: Arc<dyn AuditStore>,
        email: Arc<dyn crate::ports::Sender>,
        clock: Arc<dyn Clock>,
        config: RequestsConfig,
    ) -> Self {
        Requests {
            store,
            audit,
            email,
            clock,
            config,
        }
    }

    /// The limits in force.
    pub fn config(&self) -> &RequestsConfig {
        &self.config
    }

    /// Records a request from `who`.
    pub async fn submit(
        &self,
        who: AccountId,
        kind: RequestKind,
        details: &str,
    ) -> Result<RightsRequest> {
        let details = checked_text("details", details, MAX_DETAILS)?;
        if details.is_empty() {
            return Err(Error::invalid("details", "say what you are asking for"));
        }
        let now = self.clock.now();
        let since = now.minus(self.config.repeat_window);
        let wording = normalised(&details);
        let repeat_of = self
            .store
            .requests_of(who)
            .await?
            .into_iter()
            .filter(|r| {
                r.kind == kind && r.created_at >= since && normalised(&r.details) == wording
            })
            .map(|r| r.id)
            .min();
        let mut request = RightsRequest {
            id: 0,
            account_id: who,
            kind,
            details,
            state: RequestState::Received,
            reason: None,
            due_at: now.plus(self.config.deadline),
            repeat_of,
            created_at: now,
            updated_at: now,
        };
        request.id = self.store.insert_request(&request).await?;
        Ok(request)
    }

    /// `who`'s requests, newest first.
    pub async fn mine(&self, who: AccountId) -> Result<Vec<RightsRequest>> {
        self.store.requests_of(who).await
    }

    /// Open requests for the administrators' queue, soonest due first.
    pub async fn queue(&self) -> Result<Vec<RightsRequest>> {
        self.store.open_requests().await
    }

    /// Whether an open request is past its deadline.
    pub fn is_overdue(&self, r: &RightsRequest) -> bool {
        !r.state.is_final() && r.due_at < self.clock.now()
    }

    /// Whether an open request is due within the "due soon" period.
    pub fn is_due_soon(&self, r: &RightsRequest) -> bool {
        !r.state.is_final() && r.due_at < self.clock.now().plus(self.config.due_soon)
    }

    /// Mails administrators once about each open request that is due
    /// within the "due soon" period; returns how many were reminded of.
    pub async fn remind(&self) -> Result<usize> {
        let now = self.clock.now();
        let due: Vec<RightsRequest> = self
            .store
            .open_requests()
            .await?
            .into_iter()
            .filter(|r| self.is_due_soon(r))
            .collect();
        if due.is_empty() {
            return Ok(0);
        }
        let admins = self.store.admin_emails().await?;
        let mut reminded = 0;
        for r in due {
            if !self.store.mark_reminded(r.id, now).await? {
                continue;
            }
            reminded += 1;
            for to in &admins {
                let message = crate::ports::Message {
                    to: to.clone(),
                    subject: format!("Rights request #{} is due {}", r.id, crate::recordings::utc_day(r.due_at)),
                    body: format!(
                        "A {} request (#{}) is {} and must be answered by {}. Open the requests queue: /admin/requests",
                        r.kind.as_str(),
                        r.id,
                        r.state.as_str(),
                        crate::recordings::utc_day(r.due_at),
                    ),
                    attachment: None,
                    unsubscribe: None,
                };
                if let Err(e) = self.email.send(&message).await {
                    tracing::warn!(request = r.id, error = %e, "request reminder not sent");
                }
            }
        }
        Ok(reminded)
    }

    /// A request's history, for its requester or an administrator.
    pub async fn steps(&self, id: i64) -> Result<Vec<RequestStep>> {
        self.store.request_steps(id).await
    }

    /// An administrator moves a request on (callers check the role).
    pub async fn advance(
        &self,
        admin: AccountId,
        id: i64,
        to: RequestState,
        reason: Option<&str>,
    ) -> Result<RightsRequest> {
        let current = self
            .store
            .request(id)
            .await?
            .ok_or(Error::NotFound("request"))?;
        if !current.state.may_become(to) {
            return Err(Error::invalid(
                "state",
                format!(
                    "a {} request cannot become {}",
                    current.state.as_str(),
                    to.as_str()
                ),
            ));
        }
        let reason = match reason {
            Some(r) => Some(checked_text("reason", r, MAX_REASON)?).filter(|r| !r.is_empty()),
            None => None,
        };
        if to == RequestState::Refused && reason.is_none() {
            return Err(Error::invalid("reason", "a refusal needs a written reason"));
        }
        let step = RequestStep {
            request_id: id,
            state: to,
            reason: reason.clone(),
            actor: Some(admin),
            at: self.clock.now(),
        };
        if !self.store.move_request(current.state, &step).await? {
            return Err(Error::invalid(
                "state",
                "the request was moved meanwhile; reload it",
            ));
        }
        self.audit
            .append(&AuditEntry {
                actor: Some(admin),
                role: "admin".into(),
                subject: Some(current.account_id),
                action: format!("request.{}", to.as_str()),
                object: format!("request:{id}"),
                reason,
                at: step.at,
            })
            .await?;
        self.store
            .request(id)
            .await?
            .ok_or(Error::NotFound("request"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_machine_only_moves_forward_and_refusal_ends_any_open_state() {
        use RequestState::*;
        assert!(Received.may_become(Verified));
        assert!(Verified.may_become(InProgress));
        assert!(InProgress.may_become(Completed));
        for s in [Received, Verified, InProgress] {
            assert!(s.may_become(Refused));
        }
        assert!(!Received.may_become(InProgress));
        assert!(!Received.may_become(Completed));
        assert!(!Verified.may_become(Received));
        for s in [Completed, Refused] {
            for to in [Received, Verified, InProgress, Completed, Refused] {
                assert!(!s.may_become(to));
            }
        }
    }

    #[test]
    fn wording_is_compared_without_case_spacing_or_punctuation() {
        assert_eq!(
            normalised("Delete  my DATA, please!"),
            normalised("delete my data please")
        );
        assert_ne!(normalised("delete my data"), normalised("delete my videos"));
    }
}
