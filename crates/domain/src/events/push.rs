//! Web Push: people subscribe browsers, which then get alerts as
//! notifications even when no camvault page is open.
//!
//! A subscription is what the browser's `PushManager.subscribe` returns:
//! an endpoint at the browser maker's push service (a capability URL, so
//! it is never shown or logged in full) and the keys messages are
//! encrypted with. Fan-out pushes to every subscription of a person whose
//! `push` switch is on for the camera (D1), outside their quiet hours and
//! the camera's cooldown; each push is sent in the background and its
//! outcome logged. A subscription the push service calls gone is removed.

use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use serde::Serialize;

use super::hub::Alert;
use super::prefs::Delivery;
use super::Events;
use crate::clock::Timestamp;
use crate::ids::AccountId;
use crate::ports::{PushOutcome, PushSender, PushStore};
use crate::{Error, Result};

/// Longest endpoint accepted (real ones are a few hundred characters).
const MAX_ENDPOINT_LEN: usize = 2048;

/// A browser's push subscription as stored.
#[derive(Clone, PartialEq, Eq)]
pub struct PushSubscription {
    /// Row id.
    pub id: i64,
    /// The person it alerts.
    pub account_id: AccountId,
    /// The push service URL messages are posted to (secret: a capability).
    pub endpoint: String,
    /// The browser's public key, an uncompressed P-256 point.
    pub p256dh: Vec<u8>,
    /// The browser's 16-byte authentication secret.
    pub auth: Vec<u8>,
    /// When subscribed.
    pub created_at: Timestamp,
}

// The endpoint and auth secret would let anyone push to the browser.
impl std::fmt::Debug for PushSubscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushSubscription")
            .field("id", &self.id)
            .field("account_id", &self.account_id)
            .field("endpoint", &self.masked_endpoint())
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

impl PushSubscription {
    /// The endpoint reduced to scheme and host, e.g.
    /// `https://fcm.googleapis.com/…`: enough to tell browsers apart.
    pub fn masked_endpoint(&self) -> String {
        match url::Url::parse(&self.endpoint) {
            Ok(u) => format!("{}://{}/…", u.scheme(), u.host_str().unwrap_or("?")),
            Err(_) => "…".into(),
        }
    }
}

/// A checked subscription to store.
#[derive(Clone)]
pub struct NewPushSubscription {
    /// The person.
    pub account_id: AccountId,
    /// Checked endpoint URL.
    pub endpoint: String,
    /// Checked P-256 point.
    pub p256dh: Vec<u8>,
    /// Checked 16-byte secret.
    pub auth: Vec<u8>,
    /// Now.
    pub created_at: Timestamp,
}

/// Limits and policies of Web Push.
#[derive(Debug, Clone)]
pub struct PushSettings {
    /// Accept `http://` endpoints on loopback (tests that play the push service).
    pub allow_insecure_endpoints: bool,
    /// How long a push service keeps an alert for an offline browser.
    pub ttl: Duration,
    /// Most subscriptions (browsers) per person.
    pub max_per_account: i64,
}

impl Default for PushSettings {
    fn default() -> Self {
        PushSettings {
            allow_insecure_endpoints: false,
            // An alert older than an hour is history: the event list has it.
            ttl: Duration::from_secs(3600),
            max_per_account: 20,
        }
    }
}

/// What Web Push needs, part of [`EventsDeps`](super::EventsDeps).
pub struct PushDeps {
    /// Subscriptions.
    pub store: Arc<dyn PushStore>,
    /// Encrypts and posts messages.
    pub sender: Arc<dyn PushSender>,
    /// Limits.
    pub settings: PushSettings,
}

/// What a push message carries: enough for the notification; the page
/// fetches the rest (snapshot, clip) through the API, which checks access.
#[derive(Serialize)]
struct Payload<'a> {
    event_id: i64,
    camera_id: i64,
    camera_name: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    at_ms: i64,
}

fn check_endpoint(endpoint: &str, allow_insecure: bool) -> Result<String> {
    let bad = || {
        Error::invalid(
            "endpoint",
            "must be the https URL of a push service, as the browser gave it",
        )
    };
    if endpoint.len() > MAX_ENDPOINT_LEN {
        return Err(bad());
    }
    let url = url::Url::parse(endpoint).map_err(|_| bad())?;
    if !url.username().is_empty() || url.password().is_some() || url.host_str().is_none() {
        return Err(bad());
    }
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    match url.scheme() {
        "https" => Ok(url.into()),
        "http" if allow_insecure && loopback => Ok(url.into()),
        _ => Err(bad()),
    }
}

/// Decodes base64url as browsers write it (padding optional).
fn decode_key(field: &'static str, text: &str) -> Result<Vec<u8>> {
    let text = text.trim();
    let decoded = if text.ends_with('=') {
        URL_SAFE.decode(text)
    } else {
        URL_SAFE_NO_PAD.decode(text)
    };
    decoded.map_err(|_| Error::invalid(field, "is not base64url"))
}

impl Events {
    /// The VAPID public key browsers subscribe with, base64url (unpadded).
    pub fn push_public_key(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.push.sender.application_server_key())
    }

    /// Subscribes one of `who`'s browsers: `endpoint` and the base64url
    /// keys of its `PushSubscription`. The same endpoint again replaces
    /// the earlier subscription.
    pub async fn add_push_subscription(
        &self,
        who: AccountId,
        endpoint: &str,
        p256dh: &str,
        auth: &str,
    ) -> Result<PushSubscription> {
        let settings = &self.push.settings;
        let endpoint = check_endpoint(endpoint, settings.allow_insecure_endpoints)?;
        let p256dh = decode_key("keys.p256dh", p256dh)?;
        if !crypto::webpush::is_valid_public_key(&p256dh) {
            return Err(Error::invalid(
                "keys.p256dh",
                "is not an uncompressed P-256 public key",
            ));
        }
        let auth = decode_key("keys.auth", auth)?;
        if auth.len() != crypto::webpush::AUTH_LEN {
            return Err(Error::invalid("keys.auth", "must be 16 bytes"));
        }
        let new = NewPushSubscription {
            account_id: who,
            endpoint,
            p256dh,
            auth,
            created_at: self.clock.now(),
        };
        let Some(id) = self
            .push
            .store
            .put_push_subscription(&new, settings.max_per_account)
            .await?
        else {
            return Err(Error::invalid(
                "endpoint",
                format!(
                    "at most {} browsers can get push notifications; remove one first",
                    settings.max_per_account
                ),
            ));
        };
        Ok(PushSubscription {
            id,
            account_id: who,
            endpoint: new.endpoint,
            p256dh: new.p256dh,
            auth: new.auth,
            created_at: new.created_at,
        })
    }

    /// `who`'s subscribed browsers, oldest first.
    pub async fn push_subscriptions(&self, who: AccountId) -> Result<Vec<PushSubscription>> {
        self.push.store.push_subscriptions_of(who).await
    }

    /// Unsubscribes one of `who`'s browsers; `NotFound` for anyone else's.
    pub async fn remove_push_subscription(&self, who: AccountId, id: i64) -> Result<()> {
        if self.push.store.delete_push_subscription(who, id).await? {
            Ok(())
        } else {
            Err(Error::NotFound("push subscription"))
        }
    }

    /// Pushes `alert` to `who`'s browsers unless the camera is cooling down
    /// or it is their quiet hours (logged as skipped); true when pushes
    /// went out. People without subscriptions are left out of the log.
    pub(super) async fn push_alert(
        &self,
        who: AccountId,
        alert: &Alert,
        at: Timestamp,
        cooling: bool,
    ) -> Result<bool> {
        let subscriptions = self.push.store.push_subscriptions_of(who).await?;
        if subscriptions.is_empty() {
            return Ok(false);
        }
        let settings = self.store.alert_settings(who).await?.unwrap_or_default();
        let status = if cooling {
            "skipped_cooldown"
        } else if settings.is_quiet(at) {
            "skipped_quiet_hours"
        } else {
            let payload = serde_json::to_vec(&Payload {
                event_id: alert.event_id,
                camera_id: alert.camera_id,
                camera_name: &alert.camera_name,
                kind: &alert.kind,
                at_ms: alert.at_ms,
            })
            .map_err(|e| Error::Storage(format!("push payload: {e}")))?;
            let payload = Arc::new(payload);
            for subscription in subscriptions {
                self.spawn_push(alert.event_id, subscription, payload.clone());
            }
            return Ok(true);
        };
        self.store
            .log_delivery(&Delivery {
                event_id: alert.event_id,
                account_id: who,
                channel: "push".into(),
                status: status.into(),
                detail: None,
                at: self.clock.now(),
            })
            .await?;
        Ok(false)
    }

    /// Sends one push in the background: a slow push service must not
    /// hold up the camera. The outcome goes to the delivery log; a
    /// subscription the push service no longer knows is removed.
    fn spawn_push(&self, event_id: i64, subscription: PushSubscription, payload: Arc<Vec<u8>>) {
        let sender = self.push.sender.clone();
        let subscriptions = self.push.store.clone();
        let ttl = self.push.settings.ttl;
        let store = self.store.clone();
        let clock = self.clock.clone();
        tokio::spawn(async move {
            let (status, detail) = match sender.send(&subscription, &payload, ttl).await {
                Ok(PushOutcome::Accepted) => ("sent", None),
                Ok(PushOutcome::Gone) => {
                    if let Err(e) = subscriptions
                        .forget_push_subscription(subscription.id)
                        .await
                    {
                        tracing::warn!(subscription = subscription.id, error = %e, "expired push subscription not removed");
                    }
                    (
                        "expired",
                        Some("the browser's subscription has ended and was removed".to_string()),
                    )
                }
                Err(e) => ("failed", Some(e.to_string())),
            };
            let logged = store
                .log_delivery(&Delivery {
                    event_id,
                    account_id: subscription.account_id,
                    channel: "push".into(),
                    status: status.into(),
                    detail,
                    at: clock.now(),
                })
                .await;
            if let Err(e) = logged {
                tracing::warn!(error = %e, "alert delivery not logged");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_must_be_https_unless_loopback_is_allowed() {
        assert!(check_endpoint("https://push.example.com/x/y", false).is_ok());
        assert!(check_endpoint("http://push.example.com/x", false).is_err());
        assert!(check_endpoint("http://127.0.0.1:9/push/1", false).is_err());
        assert!(check_endpoint("http://127.0.0.1:9/push/1", true).is_ok());
        assert!(check_endpoint("http://localhost:9/push/1", true).is_ok());
        assert!(check_endpoint("http://10.0.0.1/push/1", true).is_err());
        assert!(check_endpoint("https://user:pw@push.example.com/x", false).is_err());
        assert!(check_endpoint("ftp://push.example.com/x", true).is_err());
        assert!(check_endpoint("not a url", true).is_err());
        let long = format!("https://push.example.com/{}", "x".repeat(MAX_ENDPOINT_LEN));
        assert!(check_endpoint(&long, false).is_err());
    }

    #[test]
    fn keys_decode_with_or_without_padding_and_endpoints_mask() {
        assert_eq!(decode_key("k", "AAE").unwrap(), vec![0, 1]);
        assert_eq!(decode_key("k", "AAE=").unwrap(), vec![0, 1]);
        assert!(decode_key("k", "A+/=").is_err());
        let s = PushSubscription {
            id: 1,
            account_id: AccountId(1),
            endpoint: "https://fcm.googleapis.com/fcm/send/SECRET".into(),
            p256dh: vec![4],
            auth: vec![9; 16],
            created_at: Timestamp(0),
        };
        assert_eq!(s.masked_endpoint(), "https://fcm.googleapis.com/…");
        assert!(!format!("{s:?}").contains("SECRET"));
    }
}
