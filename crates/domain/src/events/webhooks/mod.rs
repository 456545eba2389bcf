//! Webhooks: owners register URLs that receive their cameras' events as
//! signed JSON POSTs.
//!
//! Each alerting event of an owner's camera queues one delivery per
//! matching webhook (by camera and event type) in the database, so retries
//! survive restarts. A background job sends due deliveries, signed with the
//! webhook's secret (HMAC-SHA256 over `"<timestamp>.<body>"`), and retries
//! failures with exponential back-off; every attempt is logged. The secret
//! is shown once, at creation, and stored sealed under a server key because
//! it must stay usable for signing.

mod send;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use super::check_kind;
use crate::accounts::secrets::random_token;
use crate::clock::{Clock, Timestamp};
use crate::ids::{AccountId, CameraId};
use crate::ports::{CameraStore, WebhookPoster, WebhookStore};
use crate::{Error, Result};

pub use send::{sign, SIGNATURE_HEADER, TIMESTAMP_HEADER};

/// Longest webhook URL accepted.
const MAX_URL_LEN: usize = 2048;
/// Most cameras one webhook may name.
const MAX_CAMERAS: usize = 64;
/// Most event types one webhook may name.
const MAX_TYPES: usize = 16;

/// A registered webhook, as its owner sees it (never the secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Webhook {
    /// Its id.
    pub id: i64,
    /// The owner.
    pub account_id: AccountId,
    /// Where events are POSTed.
    pub url: String,
    /// Only events of these cameras; empty means every camera of the owner.
    pub camera_ids: Vec<CameraId>,
    /// Only events of these types; empty means every type.
    pub event_types: Vec<String>,
    /// When registered.
    pub created_at: Timestamp,
}

impl Webhook {
    /// Whether an event of `kind` from `camera` goes to this webhook.
    pub fn wants(&self, camera: CameraId, kind: &str) -> bool {
        (self.camera_ids.is_empty() || self.camera_ids.contains(&camera))
            && (self.event_types.is_empty() || self.event_types.iter().any(|t| t == kind))
    }
}

/// A webhook to store, with its sealed signing secret.
#[derive(Debug, Clone)]
pub struct NewWebhook {
    /// The owner.
    pub account_id: AccountId,
    /// Checked http(s) URL.
    pub url: String,
    /// Camera filter (empty: all).
    pub camera_ids: Vec<CameraId>,
    /// Event type filter (empty: all).
    pub event_types: Vec<String>,
    /// The secret, sealed (see [`secret_context`]).
    pub sealed_secret: Vec<u8>,
    /// Registration time.
    pub created_at: Timestamp,
}

/// What an owner asks for when registering a webhook.
#[derive(Debug, Clone, Default)]
pub struct WebhookInput {
    /// An http or https URL with a host.
    pub url: String,
    /// Cameras of theirs to limit it to; `None` for all (now and later).
    pub camera_ids: Option<Vec<i64>>,
    /// Event types to limit it to; `None` for all.
    pub event_types: Option<Vec<String>>,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Waiting for its first attempt or a retry.
    Pending,
    /// A 2xx answer came back.
    Delivered,
    /// Every attempt failed; no more are made.
    Failed,
}

impl DeliveryState {
    /// The storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Failed => "failed",
        }
    }

    /// Parses the storage name (unknown names read as failed: never resent).
    pub fn from_stored(s: &str) -> DeliveryState {
        match s {
            "pending" => DeliveryState::Pending,
            "delivered" => DeliveryState::Delivered,
            _ => DeliveryState::Failed,
        }
    }
}

/// A delivery to queue.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    /// The webhook.
    pub webhook_id: i64,
    /// The event.
    pub event_id: i64,
    /// The JSON body, built once so every retry sends the same bytes.
    pub body: String,
    /// When to make the first attempt.
    pub next_at: Timestamp,
    /// When queued.
    pub created_at: Timestamp,
}

/// A queued delivery whose time has come, with what sending it needs.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    /// Its id.
    pub id: i64,
    /// The webhook.
    pub webhook_id: i64,
    /// The webhook's owner (for the secret's context).
    pub account_id: AccountId,
    /// The event.
    pub event_id: i64,
    /// The webhook's URL.
    pub url: String,
    /// The webhook's sealed secret.
    pub sealed_secret: Vec<u8>,
    /// The JSON body.
    pub body: String,
    /// Attempts made so far.
    pub attempts: i64,
}

/// One attempt in a webhook's delivery log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookAttempt {
    /// The delivery.
    pub delivery_id: i64,
    /// The webhook.
    pub webhook_id: i64,
    /// The event.
    pub event_id: i64,
    /// 1 for the first attempt.
    pub attempt: i64,
    /// The HTTP status the receiver answered, if it answered.
    pub status_code: Option<u16>,
    /// Why no answer came (timeout, connection refused…), if none did.
    pub error: Option<String>,
    /// How long the attempt took.
    pub duration_ms: i64,
    /// When it was made.
    pub at: Timestamp,
    /// When the next attempt is due, if one will be made.
    pub next_retry_at: Option<Timestamp>,
    /// The delivery's state after this attempt.
    pub state: DeliveryState,
}

/// Limits and retry policy of webhooks.
#[derive(Debug, Clone)]
pub struct WebhooksConfig {
    /// Webhooks one account may register.
    pub max_per_account: i64,
    /// Attempts per delivery before it is `failed`.
    pub max_attempts: i64,
    /// Wait before the first retry; each further retry doubles it.
    pub first_retry: Duration,
    /// Longest wait between retries.
    pub max_retry: Duration,
    /// Deliveries sent per run of the job.
    pub batch: i64,
    /// How long a claimed delivery is left alone before it is retried
    /// (longer than the HTTP timeout).
    pub lease: Duration,
}

impl Default for WebhooksConfig {
    fn default() -> Self {
        WebhooksConfig {
            max_per_account: 10,
            max_attempts: 6,
            first_retry: Duration::from_secs(5),
            max_retry: Duration::from_secs(3600),
            batch: 32,
            lease: Duration::from_secs(60),
        }
    }
}

/// The injected dependencies of [`Webhooks`].
pub struct WebhooksDeps {
    /// Registrations, queue and log.
    pub store: Arc<dyn WebhookStore>,
    /// Which cameras an owner has (for camera filters).
    pub cameras: Arc<dyn CameraStore>,
    /// The HTTP client.
    pub poster: Arc<dyn WebhookPoster>,
    /// Time (due deliveries, back-off, the signed timestamp).
    pub clock: Arc<dyn Clock>,
    /// Seals signing secrets; derived from the master key.
    pub secret_key: [u8; 32],
}

/// The webhooks service; also the [`AlertSink`](crate::ports::AlertSink)
/// that queues deliveries.
pub struct Webhooks {
    store: Arc<dyn WebhookStore>,
    cameras: Arc<dyn CameraStore>,
    poster: Arc<dyn WebhookPoster>,
    clock: Arc<dyn Clock>,
    secret_key: [u8; 32],
    config: WebhooksConfig,
    wake: tokio::sync::Notify,
}

/// What a webhook's secret is sealed to: its owner and URL, so a sealed
/// secret moved to another account's row does not open.
pub fn secret_context(account: AccountId, url: &str) -> Vec<u8> {
    format!("webhook secret {account} {url}").into_bytes()
}

/// Checks a webhook URL: http or https, with a host, of sane length.
pub fn check_url(raw: &str) -> Result<String> {
    let raw = raw.trim();
    if raw.len() > MAX_URL_LEN {
        return Err(Error::invalid("url", "at most 2048 characters"));
    }
    let url = url::Url::parse(raw)
        .map_err(|_| Error::invalid("url", "must be an http:// or https:// URL with a host"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::invalid("url", "must start with http:// or https://"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Error::invalid("url", "must name a host"));
    }
    Ok(url.to_string())
}

impl Webhooks {
    /// Wires the service.
    pub fn new(deps: WebhooksDeps, config: WebhooksConfig) -> Self {
        Webhooks {
            store: deps.store,
            cameras: deps.cameras,
            poster: deps.poster,
            clock: deps.clock,
            secret_key: deps.secret_key,
            config,
            wake: tokio::sync::Notify::new(),
        }
    }

    /// Registers a webhook for `who`; returns it with its signing secret,
    /// which is never shown again.
    pub async fn create(&self, who: AccountId, input: WebhookInput) -> Result<(Webhook, String)> {
        let url = check_url(&input.url)?;
        let camera_ids = match input.camera_ids {
            None => Vec::new(),
            Some(ids) => self.check_cameras(who, ids).await?,
        };
        let event_types = match input.event_types {
            None => Vec::new(),
            Some(types) => check_types(types)?,
        };
        let secret = format!("whsec_{}", random_token());
        let new = NewWebhook {
            account_id: who,
            sealed_secret: crypto::seal(
                &self.secret_key,
                &secret_context(who, &url),
                secret.as_bytes(),
            ),
            url,
            camera_ids,
            event_types,
            created_at: self.clock.now(),
        };
        let id = self
            .store
            .create_webhook(&new, self.config.max_per_account)
            .await?
            .ok_or_else(|| {
                Error::invalid(
                    "webhooks",
                    format!(
                        "at most {} per account; delete one first",
                        self.config.max_per_account
                    ),
                )
            })?;
        let hook = Webhook {
            id,
            account_id: who,
            url: new.url,
            camera_ids: new.camera_ids,
            event_types: new.event_types,
            created_at: new.created_at,
        };
        Ok((hook, secret))
    }

    /// Only cameras the person owns, each once.
    async fn check_cameras(&self, who: AccountId, ids: Vec<i64>) -> Result<Vec<CameraId>> {
        if ids.is_empty() || ids.len() > MAX_CAMERAS {
            return Err(Error::invalid(
                "camera_ids",
                "name 1–64 cameras, or leave it out for all of them",
            ));
        }
        let owned: BTreeSet<CameraId> = self
            .cameras
            .cameras_of_owner(who)
            .await?
            .into_iter()
            .map(|c| c.id)
            .collect();
        let wanted: BTreeSet<CameraId> = ids.into_iter().map(CameraId).collect();
        // One answer for unknown and other people's cameras: nothing leaks.
        if !wanted.is_subset(&owned) {
            return Err(Error::invalid("camera_ids", "must be cameras you own"));
        }
        Ok(wanted.into_iter().collect())
    }

    /// `who`'s webhooks.
    pub async fn list(&self, who: AccountId) -> Result<Vec<Webhook>> {
        self.store.webhooks_of(who).await
    }

    /// Deletes one of `who`'s webhooks with its pending deliveries and log.
    pub async fn delete(&self, who: AccountId, id: i64) -> Result<()> {
        if self.store.delete_webhook(who, id).await? {
            Ok(())
        } else {
            Err(Error::NotFound("webhook"))
        }
    }

    /// The latest attempts of one of `who`'s webhooks, newest first.
    pub async fn deliveries(
        &self,
        who: AccountId,
        id: i64,
        limit: i64,
    ) -> Result<Vec<WebhookAttempt>> {
        if !self.list(who).await?.iter().any(|h| h.id == id) {
            return Err(Error::NotFound("webhook"));
        }
        self.store.attempts_of(id, limit.clamp(1, 500)).await
    }
}

/// Known or extension event types, each once.
fn check_types(types: Vec<String>) -> Result<Vec<String>> {
    if types.is_empty() || types.len() > MAX_TYPES {
        return Err(Error::invalid(
            "event_types",
            "name 1–16 event types, or leave it out for all of them",
        ));
    }
    let mut out: Vec<String> = Vec::new();
    for t in types {
        let t = t.trim().to_string();
        check_kind(&t).map_err(|_| {
            Error::invalid(
                "event_types",
                "each one of motion, person, vehicle, animal, sound, doorbell, tamper, or a lower-case word",
            )
        })?;
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_http_with_a_host() {
        assert_eq!(
            check_url(" https://example.com/hook ").unwrap(),
            "https://example.com/hook"
        );
        assert!(check_url("http://127.0.0.1:8080/x?y=1").is_ok());
        for bad in [
            "ftp://example.com/",
            "file:///etc/passwd",
            "example.com/hook",
            "http://",
            "http:///",
            "http://:8080/hook",
            "mailto:a@example.com",
            "",
        ] {
            assert!(
                matches!(check_url(bad), Err(Error::Invalid { field: "url", .. })),
                "{bad}"
            );
        }
        assert!(check_url(&format!("https://example.com/{}", "a".repeat(2100))).is_err());
    }

    #[test]
    fn filters_select_cameras_and_types() {
        let mut hook = Webhook {
            id: 1,
            account_id: AccountId(1),
            url: "https://example.com".into(),
            camera_ids: vec![],
            event_types: vec![],
            created_at: Timestamp(0),
        };
        assert!(hook.wants(CameraId(5), "motion"));
        hook.camera_ids = vec![CameraId(5)];
        assert!(hook.wants(CameraId(5), "motion"));
        assert!(!hook.wants(CameraId(6), "motion"));
        hook.event_types = vec!["person".into()];
        assert!(!hook.wants(CameraId(5), "motion"));
        assert!(hook.wants(CameraId(5), "person"));
    }

    #[test]
    fn types_are_checked_and_deduplicated() {
        assert_eq!(
            check_types(vec!["person".into(), "person".into(), "glass_break".into()]).unwrap(),
            vec!["person".to_string(), "glass_break".to_string()]
        );
        assert!(check_types(vec![]).is_err());
        assert!(check_types(vec!["Person!".into()]).is_err());
    }
}
