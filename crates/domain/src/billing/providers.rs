//! The two payment providers camvault ships (E2). Neither is told who the
//! person is: a [`PaymentRequest`] holds the order number, the amount, the
//! currency and what is bought, and nothing else.

use async_trait::async_trait;

use crate::ports::{Checkout, PaymentProvider, PaymentRequest};
use crate::Result;

use super::money::format_price;

/// Bank transfer or cash: the person pays quoting the order number, and an
/// administrator marks the order paid when the money arrives.
pub struct ManualProvider {
    /// Where to pay, as the operator words it (IBAN, address…).
    pub payee: String,
}

#[async_trait]
impl PaymentProvider for ManualProvider {
    fn method(&self) -> &'static str {
        "manual"
    }

    async fn checkout(&self, r: &PaymentRequest) -> Result<Checkout> {
        Ok(Checkout::Instructions(format!(
            "Pay {} to {}, quoting {} as the reference. Your plan starts when the payment arrives.",
            format_price(r.amount_minor, &r.currency),
            self.payee,
            r.order_number
        )))
    }
}

/// A payment service that takes the person on its own page and calls back
/// with a signed webhook (see [`super::webhook`]).
pub struct WebhookProvider {
    /// The provider's checkout page; the request's fields go as its query.
    pub checkout_url: url::Url,
}

#[async_trait]
impl PaymentProvider for WebhookProvider {
    fn method(&self) -> &'static str {
        "webhook"
    }

    async fn checkout(&self, r: &PaymentRequest) -> Result<Checkout> {
        let mut url = self.checkout_url.clone();
        url.query_pairs_mut()
            .append_pair("order", &r.order_number)
            .append_pair("amount_minor", &r.amount_minor.to_string())
            .append_pair("currency", &r.currency)
            .append_pair("description", &r.description);
        Ok(Checkout::Redirect(url.into()))
    }
}
