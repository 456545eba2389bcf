//! Web Push over HTTP: each alert is encrypted for the one browser
//! (RFC 8291) and posted to that browser's push service, signed as this
//! server with VAPID (RFC 8292), over reqwest with rustls.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use crypto::webpush::VapidKey;
use domain::clock::Clock;
use domain::events::push::PushSubscription;
use domain::ports::{PushOutcome, PushSender};
use domain::{Error, Result};
use reqwest::header::{AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE};

/// How long a VAPID token is valid; RFC 8292 allows at most 24 hours.
const TOKEN_LIFETIME_SECS: i64 = 12 * 3600;

/// Sends Web Push messages as this server.
pub struct WebPushSender {
    client: reqwest::Client,
    key: VapidKey,
    /// The public key, base64url, as the `k` of the Authorization header.
    public_key: String,
    contact: String,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for WebPushSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebPushSender")
            .field("public_key", &self.public_key)
            .field("contact", &self.contact)
            .finish_non_exhaustive()
    }
}

impl WebPushSender {
    /// `contact` is the VAPID `sub`: a `mailto:` or `https:` URL at which
    /// push services can reach the operator about this server's traffic.
    pub fn new(key: VapidKey, contact: &str, clock: Arc<dyn Clock>) -> Result<Self> {
        let contact = contact.trim();
        if !(contact.starts_with("mailto:") || contact.starts_with("https:")) || contact.len() < 8 {
            return Err(Error::invalid(
                "push_contact",
                "must be a mailto: or https: URL, e.g. mailto:admin@example.com",
            ));
        }
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            // Push services answer directly; following a redirect would
            // post the message to a place the browser never named.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|_| Error::Delivery("could not build the HTTP client".into()))?;
        Ok(WebPushSender {
            client,
            public_key: URL_SAFE_NO_PAD.encode(key.public_key()),
            key,
            contact: contact.to_string(),
            clock,
        })
    }

    /// A VAPID token (a JWT signed with ES256) for the push service at
    /// `audience`, the origin of the endpoint.
    fn token(&self, audience: &str) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
        let expires = self.clock.now().ms() / 1000 + TOKEN_LIFETIME_SECS;
        let claims = serde_json::json!({ "aud": audience, "exp": expires, "sub": self.contact });
        let claims = URL_SAFE_NO_PAD.encode(claims.to_string());
        let signed = format!("{header}.{claims}");
        let signature = URL_SAFE_NO_PAD.encode(self.key.sign(signed.as_bytes()));
        format!("{signed}.{signature}")
    }
}

/// A failure in words that never include the endpoint (reqwest's own
/// messages carry the URL, which is a capability).
fn reason(e: &reqwest::Error) -> Error {
    let text = if e.is_timeout() {
        "push service timed out"
    } else if e.is_connect() {
        "push service unreachable"
    } else {
        "push request failed"
    };
    Error::Delivery(text.into())
}

#[async_trait]
impl PushSender for WebPushSender {
    fn application_server_key(&self) -> Vec<u8> {
        self.key.public_key().to_vec()
    }

    async fn send(
        &self,
        subscription: &PushSubscription,
        payload: &[u8],
        ttl: Duration,
    ) -> Result<PushOutcome> {
        let url = reqwest::Url::parse(&subscription.endpoint)
            .map_err(|_| Error::Delivery("push endpoint is not a URL".into()))?;
        let audience = url.origin().ascii_serialization();
        let body = crypto::webpush::encrypt(&subscription.p256dh, &subscription.auth, payload)
            .map_err(|e| Error::Delivery(format!("push message not encrypted: {e}")))?;
        let response = self
            .client
            .post(url)
            .header("TTL", ttl.as_secs().to_string())
            .header(CONTENT_ENCODING, "aes128gcm")
            .header(CONTENT_TYPE, "application/octet-stream")
            .header(
                AUTHORIZATION,
                format!("vapid t={}, k={}", self.token(&audience), self.public_key),
            )
            .body(body)
            .send()
            .await
            .map_err(|e| reason(&e))?;
        match response.status().as_u16() {
            200..=299 => Ok(PushOutcome::Accepted),
            404 | 410 => Ok(PushOutcome::Gone),
            413 => Err(Error::Delivery("push service refused the size".into())),
            429 => Err(Error::Delivery("push service is rate limiting".into())),
            status => Err(Error::Delivery(format!("push service answered {status}"))),
        }
    }
}
