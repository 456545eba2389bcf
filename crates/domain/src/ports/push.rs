//! Ports of Web Push: the browsers' subscriptions and the push itself.

use std::time::Duration;

use async_trait::async_trait;

use crate::events::push::{NewPushSubscription, PushSubscription};
use crate::ids::AccountId;
use crate::Result;

/// Browsers' push subscriptions, per account.
#[async_trait]
pub trait PushStore: Send + Sync {
    /// Stores a subscription; one with the same endpoint (the same browser)
    /// is replaced, whichever account had it. `None`, and nothing stored,
    /// when the account already has `max` subscriptions besides that one.
    async fn put_push_subscription(
        &self,
        new: &NewPushSubscription,
        max: i64,
    ) -> Result<Option<i64>>;
    /// An account's subscriptions, oldest first.
    async fn push_subscriptions_of(&self, account: AccountId) -> Result<Vec<PushSubscription>>;
    /// Which of `accounts` have at least one subscription.
    async fn accounts_with_push(&self, accounts: &[AccountId]) -> Result<Vec<AccountId>>;
    /// Deletes one of the account's subscriptions; false if it has none with that id.
    async fn delete_push_subscription(&self, account: AccountId, id: i64) -> Result<bool>;
    /// Deletes a subscription the push service no longer knows.
    async fn forget_push_subscription(&self, id: i64) -> Result<()>;
}

/// What a push service made of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushOutcome {
    /// Accepted for delivery.
    Accepted,
    /// The subscription expired or was withdrawn (404 or 410): forget it.
    Gone,
}

/// Encrypts and sends Web Push messages, signed as this server (VAPID).
#[async_trait]
pub trait PushSender: Send + Sync {
    /// The VAPID public key (an uncompressed P-256 point) that browsers
    /// subscribe with.
    fn application_server_key(&self) -> Vec<u8>;
    /// Encrypts `payload` for `subscription` (RFC 8291) and posts it to its
    /// endpoint, to be kept by the push service for at most `ttl`. Errors
    /// are [`Error::Delivery`](crate::Error::Delivery) with a short reason
    /// that never contains the endpoint (a capability URL) or the keys.
    async fn send(
        &self,
        subscription: &PushSubscription,
        payload: &[u8],
        ttl: Duration,
    ) -> Result<PushOutcome>;
}
