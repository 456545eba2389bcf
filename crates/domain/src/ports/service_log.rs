//! The service log port (F15): sign-ins and failed attempts.

use async_trait::async_trait;

use crate::clock::Timestamp;
use crate::ids::AccountId;
use crate::Result;

/// A security-relevant event of the service log (F15): a sign-in or a
/// failed attempt, with the address and browser it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceEvent {
    /// Row id (0 before insertion).
    pub id: i64,
    /// The account, when the attempt named one.
    pub account_id: Option<AccountId>,
    /// `sign_in`, `sign_in_failed`.
    pub kind: String,
    /// The peer address; truncated after a few days.
    pub ip: String,
    /// The browser, truncated.
    pub user_agent: Option<String>,
    /// When.
    pub at: Timestamp,
}

/// The service log.
#[async_trait]
pub trait ServiceLogStore: Send + Sync {
    /// Appends an event.
    async fn add_service_event(&self, event: &ServiceEvent) -> Result<()>;
    /// An account's latest events, newest first.
    async fn service_events_of(&self, account: AccountId, limit: i64) -> Result<Vec<ServiceEvent>>;
}
