//! Queueing and sending webhook deliveries: the JSON body, the signature,
//! and retries with exponential back-off.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;

use super::{secret_context, DeliveryState, DueDelivery, NewDelivery, WebhookAttempt, Webhooks};
use crate::cameras::Camera;
use crate::events::Event;
use crate::ports::AlertSink;
use crate::{Error, Result};

/// Header with the Unix time (seconds) the request was signed at.
pub const TIMESTAMP_HEADER: &str = "X-Camvault-Timestamp";
/// Header with `sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`.
pub const SIGNATURE_HEADER: &str = "X-Camvault-Signature";

/// The JSON a webhook receives: the event and its camera, nothing personal.
#[derive(Debug, Serialize)]
struct Payload<'a> {
    id: i64,
    #[serde(rename = "type")]
    kind: &'a str,
    camera_id: i64,
    camera_name: &'a str,
    at: String,
    at_ms: i64,
    score: Option<f64>,
    labels: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    snapshot_url: Option<String>,
}

/// The body for `event` of `camera`.
fn payload(camera: &Camera, event: &Event) -> Result<String> {
    let at = jiff::Timestamp::from_second(event.at.ms().div_euclid(1000))
        .map(|t| t.to_string())
        .map_err(|_| Error::invalid("at_ms", "out of range"))?;
    let body = Payload {
        id: event.id,
        kind: &event.kind,
        camera_id: event.camera_id.0,
        camera_name: &camera.settings.name,
        at,
        at_ms: event.at.ms(),
        score: event.score,
        labels: &event.labels,
        // A path of the API, which needs the owner's credentials.
        snapshot_url: event.snapshot_key.as_ref().map(|_| {
            format!(
                "/api/v1/cameras/{}/events/{}/snapshot.jpg",
                event.camera_id, event.id
            )
        }),
    };
    serde_json::to_string(&body).map_err(|e| Error::Storage(format!("webhook body: {e}")))
}

/// Wait before retrying after `attempt` (1-based) failed: `first`,
/// doubling each time, never more than `max`.
fn backoff(first: Duration, max: Duration, attempt: i64) -> Duration {
    let doublings = attempt.clamp(1, 20) as u32 - 1;
    first.saturating_mul(1u32 << doublings).min(max)
}

/// Hex HMAC-SHA256 under `secret` of `"<timestamp>.<body>"`: what
/// [`SIGNATURE_HEADER`] carries after `sha256=`.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> Result<String> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .map_err(|_| Error::Delivery("webhook secret unusable".into()))?;
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Ok(hex::encode(mac.finalize().into_bytes()))
}

impl Webhooks {
    /// Queues one delivery of `event` per webhook of its owner that wants it.
    pub async fn enqueue(&self, camera: &Camera, event: &Event) -> Result<usize> {
        let hooks = self.store.webhooks_of(event.account_id).await?;
        let wanted: Vec<i64> = hooks
            .iter()
            .filter(|h| h.wants(camera.id, &event.kind))
            .map(|h| h.id)
            .collect();
        if wanted.is_empty() {
            return Ok(0);
        }
        let body = payload(camera, event)?;
        let now = self.clock.now();
        let deliveries: Vec<NewDelivery> = wanted
            .into_iter()
            .map(|webhook_id| NewDelivery {
                webhook_id,
                event_id: event.id,
                body: body.clone(),
                next_at: now,
                created_at: now,
            })
            .collect();
        self.store.enqueue_deliveries(&deliveries).await?;
        // The job would find them within a second; this sends them now.
        self.wake.notify_one();
        Ok(deliveries.len())
    }

    /// Resolves when deliveries were queued since the last call (the job
    /// waits on this besides its interval).
    pub async fn woken(&self) {
        self.wake.notified().await;
    }

    /// Sends every due delivery (at most one batch), concurrently so one
    /// slow receiver does not hold up the others; returns how many were tried.
    pub async fn send_due(&self) -> Result<usize> {
        let now = self.clock.now();
        let due = self
            .store
            .claim_due(now, now.plus(self.config.lease), self.config.batch)
            .await?;
        let count = due.len();
        let results =
            futures_util::future::join_all(due.into_iter().map(|d| self.attempt(d))).await;
        for r in results {
            // The delivery stays claimed and is retried when its lease ends.
            if let Err(e) = r {
                tracing::warn!(error = %e, "webhook attempt not recorded");
            }
        }
        Ok(count)
    }

    /// Makes one attempt and records it.
    async fn attempt(&self, d: DueDelivery) -> Result<()> {
        let number = d.attempts + 1;
        let started = Instant::now();
        let outcome = self.post(&d).await;
        let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let now = self.clock.now();
        let (status_code, error) = match outcome {
            Ok(code) => (Some(code), None),
            Err(Error::Delivery(reason)) => (None, Some(reason)),
            Err(e) => (None, Some(e.to_string())),
        };
        let delivered = status_code.is_some_and(|c| (200..300).contains(&c));
        let (state, next_retry_at) = if delivered {
            (DeliveryState::Delivered, None)
        } else if number >= self.config.max_attempts {
            (DeliveryState::Failed, None)
        } else {
            (
                DeliveryState::Pending,
                Some(now.plus(backoff(
                    self.config.first_retry,
                    self.config.max_retry,
                    number,
                ))),
            )
        };
        if state == DeliveryState::Failed {
            tracing::info!(
                webhook = d.webhook_id,
                event = d.event_id,
                "webhook delivery failed for good"
            );
        }
        self.store
            .record_attempt(&WebhookAttempt {
                delivery_id: d.id,
                webhook_id: d.webhook_id,
                event_id: d.event_id,
                attempt: number,
                status_code,
                error,
                duration_ms,
                at: now,
                next_retry_at,
                state,
            })
            .await
    }

    /// Signs and POSTs a delivery; the receiver's status or why none came.
    async fn post(&self, d: &DueDelivery) -> Result<u16> {
        let secret = crypto::open(
            &self.secret_key,
            &secret_context(d.account_id, &d.url),
            &d.sealed_secret,
        )
        .ok()
        .and_then(|s| String::from_utf8(s).ok())
        // Never the secret nor the URL in the message: it is logged.
        .ok_or_else(|| Error::Delivery("signing secret unreadable".into()))?;
        let timestamp = self.clock.now().ms().div_euclid(1000);
        let signature = sign(&secret, timestamp, d.body.as_bytes())?;
        let headers = [
            ("Content-Type", "application/json".to_string()),
            (TIMESTAMP_HEADER, timestamp.to_string()),
            (SIGNATURE_HEADER, format!("sha256={signature}")),
        ];
        self.poster.post(&d.url, &headers, d.body.as_bytes()).await
    }
}

#[async_trait]
impl AlertSink for Webhooks {
    fn name(&self) -> &'static str {
        "webhook"
    }

    async fn event(&self, camera: &Camera, event: &Event) -> Result<()> {
        self.enqueue(camera, event).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_up_to_a_cap() {
        let waits: Vec<u64> = (1..=7)
            .map(|n| backoff(Duration::from_secs(5), Duration::from_secs(60), n).as_secs())
            .collect();
        assert_eq!(waits, [5, 10, 20, 40, 60, 60, 60]);
        assert_eq!(
            backoff(Duration::from_secs(5), Duration::from_secs(3600), 99).as_secs(),
            3600
        );
    }

    #[test]
    fn signatures_cover_timestamp_and_body() {
        let a = sign("whsec_x", 1_700_000_000, b"{}").unwrap();
        assert_eq!(a.len(), 64);
        assert_ne!(a, sign("whsec_x", 1_700_000_001, b"{}").unwrap());
        assert_ne!(a, sign("whsec_y", 1_700_000_000, b"{}").unwrap());
        assert_ne!(a, sign("whsec_x", 1_700_000_000, b"{ }").unwrap());
        // Computed independently (Python's hmac module), as a receiver would.
        assert_eq!(
            sign("whsec_test", 1_700_000_000, br#"{"id":1}"#).unwrap(),
            "2f441ba4b3b2d50d28a9ab9d9fd8880376ecd1eb5d0435401553f5d8d0a5dcf8"
        );
    }
}
