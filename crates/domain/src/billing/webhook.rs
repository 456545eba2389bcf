//! Callbacks of the signed-webhook payment provider (E2).
//!
//! The provider POSTs JSON with the header
//! `Camvault-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>`, the HMAC
//! taken with the shared secret over `<t>.<body>`. A callback is refused
//! when it is unsigned or signed wrong, when `t` is more than five minutes
//! from the server's clock, when its `event_id` was seen before (a
//! replay), or when its amount or currency differ from the order's.

use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

use super::{Billing, Order, OrderStatus, WEBHOOK_TOLERANCE};
use crate::clock::Timestamp;
use crate::{Error, Result};

/// The signature header's name.
pub const SIGNATURE_HEADER: &str = "camvault-signature";

/// What a callback says.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Callback {
    /// The provider's id for this event; each is accepted once.
    pub event_id: String,
    /// The order number camvault gave the provider.
    pub order_number: String,
    /// `paid`, `failed` or `refunded`.
    pub status: String,
    /// Amount in minor units.
    pub amount_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
}

/// The header value for `body` signed at `t` with `secret` (what a
/// provider computes; tests and the provider simulator use it).
pub fn sign(secret: &[u8], t: i64, body: &[u8]) -> String {
    let tag = keyed(secret, t, body).finalize().into_bytes();
    format!("t={t},v1={}", hex::encode(tag))
}

/// The HMAC over `<t>.<body>`, ready to finish or verify.
fn keyed(secret: &[u8], t: i64, body: &[u8]) -> Hmac<Sha256> {
    // HMAC takes keys of any length, so this cannot fail.
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC takes any key length");
    m.update(t.to_string().as_bytes());
    m.update(b".");
    m.update(body);
    m
}

/// Checks the header against `body`; the signing time on success.
fn verify(secret: &[u8], header: Option<&str>, body: &[u8], now: Timestamp) -> Result<()> {
    let unsigned = || Error::Unauthenticated;
    let header = header.ok_or_else(unsigned)?;
    let mut t = None;
    let mut sig = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => sig = hex::decode(v).ok(),
            _ => {}
        }
    }
    let (t, sig) = (t.ok_or_else(unsigned)?, sig.ok_or_else(unsigned)?);
    // verify_slice compares in constant time.
    keyed(secret, t, body)
        .verify_slice(&sig)
        .map_err(|_| unsigned())?;
    let skew = (now.ms() / 1000 - t).unsigned_abs();
    if skew > WEBHOOK_TOLERANCE.as_secs() {
        return Err(Error::Expired("signature"));
    }
    Ok(())
}

impl Billing {
    /// Handles a provider callback: verified, applied once.
    pub async fn webhook(&self, signature: Option<&str>, body: &[u8]) -> Result<Order> {
        let secret = self
            .webhook_secret
            .as_deref()
            .ok_or(Error::NotFound("payment webhook"))?;
        let now = self.now();
        verify(secret, signature, body, now)?;
        let callback: Callback = serde_json::from_slice(body)
            .map_err(|e| Error::invalid("body", format!("not a payment callback: {e}")))?;
        let order = self.order_by_number(&callback.order_number).await?;
        if callback.amount_minor != order.amount_minor || callback.currency != order.currency {
            return Err(Error::invalid(
                "amount_minor",
                "amount or currency differ from the order's",
            ));
        }
        if !self
            .store
            .record_payment_event(&callback.event_id, order.id, now)
            .await?
        {
            return Err(Error::Taken("payment_event"));
        }
        let applied = match callback.status.as_str() {
            "paid" if order.status == OrderStatus::Pending => self.mark_paid(&order.number).await,
            "paid" => Ok(order),
            "failed" => self.payment_failed(&order).await.map(|()| order),
            "refunded" => self.refund(&order.number).await,
            _ => Err(Error::invalid("status", "paid, failed or refunded")),
        };
        if applied.is_err() {
            // The event id was claimed first (so two deliveries cannot both
            // apply); one that did not apply must stay retryable.
            self.store.forget_payment_event(&callback.event_id).await?;
        }
        applied
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_check_body_secret_and_time() {
        let now = Timestamp(1_790_000_000_000);
        let t = now.ms() / 1000;
        let body = br#"{"event_id":"e1"}"#;
        let good = sign(b"secret", t, body);
        assert!(verify(b"secret", Some(&good), body, now).is_ok());
        assert!(verify(b"other", Some(&good), body, now).is_err());
        assert!(verify(b"secret", Some(&good), br#"{"event_id":"e2"}"#, now).is_err());
        assert!(verify(b"secret", None, body, now).is_err());
        assert!(verify(b"secret", Some("t=1,v1=zz"), body, now).is_err());
        let old = sign(b"secret", t - 301, body);
        assert!(matches!(
            verify(b"secret", Some(&old), body, now),
            Err(Error::Expired(_))
        ));
    }
}
