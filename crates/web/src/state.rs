//! Shared state handed to every handler.

use std::sync::Arc;

use domain::accounts::Accounts;
use domain::cameras::Cameras;
use domain::events::webhooks::Webhooks;
use domain::events::Events;
use domain::ports::BlobStore;
use domain::recordings::Recordings;

/// What handlers need: the domain services and the HTTP settings.
#[derive(Clone)]
pub struct AppState {
    /// The accounts service.
    pub accounts: Arc<Accounts>,
    /// The cameras service.
    pub cameras: Arc<Cameras>,
    /// The recording service.
    pub recordings: Arc<Recordings>,
    /// The events and alerts service.
    pub events: Arc<Events>,
    /// Event webhooks.
    pub webhooks: Arc<Webhooks>,
    /// Aggregate statistics for administrators.
    pub statistics: Arc<domain::privacy::statistics::Statistics>,
    /// Formal rights requests.
    pub requests: Arc<domain::privacy::requests::Requests>,
    /// Consent records and policy versions.
    pub consents: Arc<domain::privacy::consent::Consents>,
    /// Data exports.
    pub exports: Arc<domain::privacy::export::Exports>,
    /// Cancelled accounts and their erasure.
    pub closures: Arc<domain::privacy::closure::Closures>,
    /// Marketing mail and its unsubscribe links.
    pub marketing: Arc<domain::privacy::marketing::Marketing>,
    /// Consented usage statistics.
    pub usage: Arc<domain::privacy::usage::Usage>,
    /// The retention engine.
    pub retention: Arc<domain::privacy::retention::Retention>,
    /// What is held about each person, from the inventory.
    pub holdings: Arc<domain::privacy::held::Holdings>,
    /// Regions and moving between them.
    pub residency: Arc<domain::privacy::residency::Residency>,
    /// The blob store (checked by readiness).
    pub blobs: Arc<dyn BlobStore>,
    /// The tamper-evident audit log.
    pub audit: Arc<domain::audit::AuditLog>,
    /// Breach notices.
    pub breach: Arc<domain::privacy::breach::BreachNotices>,
    /// The support desk.
    pub support: Arc<domain::privacy::support::SupportDesk>,
    /// Storage plans and orders.
    pub billing: Arc<domain::billing::Billing>,
    /// The album.
    pub album: Arc<domain::album::Album>,
    /// Sign-in through an external OpenID Connect provider, when set up.
    pub external_sign_in: Option<Arc<domain::accounts::external::ExternalSignIn>>,
    /// HTTP-level settings.
    pub settings: Arc<WebSettings>,
    /// This server's Prometheus metrics.
    pub metrics: Arc<crate::metrics::Metrics>,
}

/// Settings that only matter to the HTTP layer.
#[derive(Debug, Clone)]
pub struct WebSettings {
    /// The URL people reach this instance at, if configured.
    pub public_url: Option<url::Url>,
    /// Whether cookies get the `Secure` attribute.
    pub secure_cookies: bool,
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
    /// This server speaks TLS itself (or its public URL is HTTPS): send
    /// `Strict-Transport-Security`.
    pub hsts: bool,
    /// Reverse proxies whose `X-Forwarded-*` headers are believed.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Request rate limits per client address.
    pub limits: Arc<crate::limits::RateLimits>,
    /// Cookie lifetime in the browser (the server enforces idle expiry).
    pub session_max_age_secs: i64,
    /// The MQTT integration the operator set up, shown on the integrations page.
    pub mqtt: Option<MqttInfo>,
    /// SHA-256 of the token a metrics scraper sends; metrics are off without one.
    pub metrics_token_hash: Option<[u8; 32]>,
}

/// What the integrations page says about MQTT (no credentials).
#[derive(Debug, Clone)]
pub struct MqttInfo {
    /// The broker, `mqtt://host:port`.
    pub broker: String,
    /// The topic prefix.
    pub prefix: String,
    /// Home Assistant's discovery prefix.
    pub discovery_prefix: String,
}

impl Default for WebSettings {
    fn default() -> Self {
        WebSettings {
            public_url: None,
            secure_cookies: false,
            body_limit: 1024 * 1024,
            session_max_age_secs: 30 * 24 * 3600,
            mqtt: None,
            hsts: false,
            trusted_proxies: Vec::new(),
            limits: Arc::new(crate::limits::RateLimits::default()),
            metrics_token_hash: None,
        }
    }
}
