//! SMS through an HTTP gateway: one JSON POST per message.

use std::time::Duration;

use async_trait::async_trait;
use domain::ports::{Message, Sender};
use domain::{Error, Result};

/// POSTs `{"to": "+86…", "body": "…"}` to a gateway URL, with an optional
/// extra header (typically the gateway's API key).
#[derive(Debug)]
pub struct WebhookSender {
    client: reqwest::Client,
    url: reqwest::Url,
    header: Option<(String, String)>,
}

impl WebhookSender {
    /// `header` is `Name: value`, e.g. `Authorization: Bearer …`.
    pub fn new(url: &str, header: Option<&str>) -> Result<Self> {
        let url = reqwest::Url::parse(url)
            .map_err(|_| Error::invalid("sms_webhook_url", "is not a valid URL"))?;
        let header = match header.filter(|h| !h.trim().is_empty()) {
            Some(h) => {
                let (name, value) = h.split_once(':').ok_or_else(|| {
                    Error::invalid("sms_webhook_header", "must look like 'Name: value'")
                })?;
                Some((name.trim().to_string(), value.trim().to_string()))
            }
            None => None,
        };
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|_| Error::Delivery("could not build the HTTP client".into()))?;
        Ok(WebhookSender {
            client,
            url,
            header,
        })
    }
}

#[async_trait]
impl Sender for WebhookSender {
    async fn send(&self, message: &Message) -> Result<()> {
        let mut req = self.client.post(self.url.clone()).json(&serde_json::json!({
            "to": message.to.expose(),
            "body": message.body,
        }));
        if let Some((name, value)) = &self.header {
            req = req.header(name.as_str(), value.as_str());
        }
        let resp = req
            .send()
            .await
            .map_err(|_| Error::Delivery("SMS gateway unreachable".into()))?;
        if !resp.status().is_success() {
            return Err(Error::Delivery(format!(
                "SMS gateway answered {}",
                resp.status().as_u16()
            )));
        }
        Ok(())
    }
}
