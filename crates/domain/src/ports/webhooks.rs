//! Ports of event webhooks: registrations, the delivery queue and its log,
//! and the HTTP POST itself.

use async_trait::async_trait;

use crate::clock::Timestamp;
use crate::events::webhooks::{DueDelivery, NewDelivery, NewWebhook, Webhook, WebhookAttempt};
use crate::ids::AccountId;
use crate::Result;

/// Webhook registrations, their delivery queue and the attempt log.
#[async_trait]
pub trait WebhookStore: Send + Sync {
    /// Stores a webhook unless its account already has `max`; `None` then.
    async fn create_webhook(&self, new: &NewWebhook, max: i64) -> Result<Option<i64>>;
    /// An account's webhooks, oldest first (never their secrets).
    async fn webhooks_of(&self, account: AccountId) -> Result<Vec<Webhook>>;
    /// Deletes one of the account's webhooks with its queue and log; false
    /// if the account has none with that id.
    async fn delete_webhook(&self, account: AccountId, id: i64) -> Result<bool>;
    /// Queues deliveries, all in one transaction.
    async fn enqueue_deliveries(&self, deliveries: &[NewDelivery]) -> Result<()>;
    /// Up to `limit` pending deliveries due at `now`, oldest first, each
    /// claimed by moving its next attempt to `lease_until`: a runner that
    /// dies mid-send leaves it to be retried then, and no other runner
    /// takes it meanwhile.
    async fn claim_due(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: i64,
    ) -> Result<Vec<DueDelivery>>;
    /// Appends an attempt to the log and moves its delivery to the
    /// attempt's state, in one transaction.
    async fn record_attempt(&self, attempt: &WebhookAttempt) -> Result<()>;
    /// The latest attempts of a webhook, newest first.
    async fn attempts_of(&self, webhook: i64, limit: i64) -> Result<Vec<WebhookAttempt>>;
}

/// Sends one webhook request over HTTP.
#[async_trait]
pub trait WebhookPoster: Send + Sync {
    /// POSTs `body` to `url` with `headers`, without following redirects;
    /// answers the response status, or [`Error::Delivery`](crate::Error::Delivery)
    /// with a short reason (never the URL, which may carry credentials).
    async fn post(&self, url: &str, headers: &[(&'static str, String)], body: &[u8])
        -> Result<u16>;
}
