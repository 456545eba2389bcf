//! The senders and publishers the configuration chooses: email, SMS,
//! MQTT and Web Push.

use std::sync::Arc;

use anyhow::{bail, Context};
use domain::clock::Clock;
use domain::ports::Sender;
use store::SqlStore;

use crate::config::Config;

pub(crate) fn email_sender(config: &Config) -> anyhow::Result<Arc<dyn Sender>> {
    Ok(match config.delivery_email.as_str() {
        "console" => Arc::new(delivery::ConsoleSender),
        "smtp" => {
            let url = config
                .smtp_url
                .as_deref()
                .context("delivery_email = \"smtp\" needs smtp_url")?;
            Arc::new(delivery::SmtpSender::new(url, &config.smtp_from)?)
        }
        other => bail!("delivery_email must be console or smtp, not {other:?}"),
    })
}

pub(crate) fn sms_sender(config: &Config) -> anyhow::Result<Arc<dyn Sender>> {
    Ok(match config.delivery_sms.as_str() {
        "console" => Arc::new(delivery::ConsoleSender),
        "webhook" => {
            let url = config
                .sms_webhook_url
                .as_deref()
                .context("delivery_sms = \"webhook\" needs sms_webhook_url")?;
            Arc::new(delivery::WebhookSender::new(
                url,
                config.sms_webhook_header.as_deref(),
            )?)
        }
        other => bail!("delivery_sms must be console or webhook, not {other:?}"),
    })
}

/// The broker of an MQTT URL as `scheme://host:port`, without credentials.
pub(crate) fn mqtt_broker(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => format!(
            "{}://{}:{}",
            u.scheme(),
            u.host_str().unwrap_or("?"),
            u.port().unwrap_or(1883)
        ),
        Err(_) => "(unreadable URL)".into(),
    }
}

/// The MQTT publisher when `mqtt_url` is set. It reads event snapshots
/// itself: the household opted in by configuring its broker, and each read
/// is in the owner's access log.
pub(crate) fn mqtt_publisher(
    config: &Config,
    snapshots: Arc<dyn domain::events::integration::SnapshotReader>,
) -> anyhow::Result<Option<Arc<delivery::MqttPublisher>>> {
    let Some(url) = config.mqtt_url.as_deref() else {
        return Ok(None);
    };
    let publisher = delivery::MqttPublisher::connect(
        url,
        &config.mqtt_prefix,
        &config.mqtt_discovery_prefix,
        snapshots,
    )?;
    Ok(Some(Arc::new(publisher)))
}

/// Web Push: the VAPID key is derived from the master key, so browsers'
/// subscriptions stay valid across restarts without a key file of its own.
pub(crate) fn push_deps(
    config: &Config,
    key: &crypto::MasterKey,
    store: Arc<SqlStore>,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<domain::events::push::PushDeps> {
    let vapid = crypto::webpush::VapidKey::derive(&key.derive("web push vapid"));
    Ok(domain::events::push::PushDeps {
        store,
        sender: Arc::new(delivery::WebPushSender::new(
            vapid,
            &config.push_contact,
            clock,
        )?),
        settings: domain::events::push::PushSettings {
            allow_insecure_endpoints: config.push_allow_insecure_endpoints,
            ..Default::default()
        },
    })
}
