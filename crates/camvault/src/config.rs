//! The one configuration struct: defaults, then `camvault.toml`, then
//! `CAMVAULT_*` environment variables, then command-line flags.

use std::path::PathBuf;

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

/// Every setting of a camvault server. Keys are the same in the TOML file
/// and, upper-cased with a `CAMVAULT_` prefix, in the environment.
#[derive(Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address and port to listen on.
    pub listen: String,
    /// Directory for the database, blobs and master key.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; default `sqlite://<data_dir>/camvault.db`.
    pub database_url: Option<String>,
    /// Blob directory; default `<data_dir>/blobs`.
    pub blob_dir: Option<PathBuf>,
    /// S3-compatible bucket for the home region's blobs instead of
    /// `blob_dir` (the `s3_*` settings say how to reach it).
    pub blob_bucket: Option<String>,
    /// S3 endpoint URL; AWS when unset.
    pub s3_endpoint: Option<String>,
    /// S3 region name (`us-east-1` when unset).
    pub s3_region: Option<String>,
    /// S3 access key id; `AWS_ACCESS_KEY_ID` when unset.
    pub s3_access_key_id: Option<String>,
    /// S3 secret access key; `AWS_SECRET_ACCESS_KEY` when unset.
    pub s3_secret_access_key: Option<String>,
    /// Bucket in the URL path rather than the host name (most self-hosted services).
    pub s3_path_style: bool,
    /// Allows a plain-HTTP S3 endpoint (a service on the same host or LAN).
    pub s3_allow_http: bool,
    /// Master key file; default `<data_dir>/master.key`.
    pub master_key_file: Option<PathBuf>,
    /// Key vault directory (per-account secrets and the erasure ledger);
    /// default `<data_dir>.keys` beside the data directory, never in it.
    pub key_vault_dir: Option<PathBuf>,
    /// The URL people use to reach this server (`https://…` makes cookies Secure).
    pub public_url: Option<String>,
    /// Days of inactivity after which a session is signed out.
    pub session_idle_days: u64,
    /// Largest accepted request body in bytes.
    pub body_limit_bytes: usize,
    /// Email sender: `console` or `smtp`.
    pub delivery_email: String,
    /// SMTP server URL, e.g. `smtp://user:pass@mail.example.com:587?tls=required`.
    pub smtp_url: Option<String>,
    /// Sender mailbox for email.
    pub smtp_from: String,
    /// SMS sender: `console` or `webhook`.
    pub delivery_sms: String,
    /// SMS gateway URL for the webhook sender.
    pub sms_webhook_url: Option<String>,
    /// Extra header for the SMS gateway, `Name: value`.
    pub sms_webhook_header: Option<String>,
    /// Web Push contact (the VAPID `sub`), a `mailto:` or `https:` URL.
    pub push_contact: String,
    /// Accept `http://` push endpoints on loopback (tests only).
    pub push_allow_insecure_endpoints: bool,
    /// Log format: `text` or `json`.
    pub log_format: String,
    /// Days recordings are kept unless a camera's owner sets otherwise.
    pub retention_days: i64,
    /// Recording storage per account in MiB; 0 means unlimited.
    pub account_quota_mb: u64,
    /// Seconds of video kept before an event in events mode.
    pub pre_roll_secs: u64,
    /// Seconds of video kept after an event in events mode.
    pub post_roll_secs: u64,
    /// Seconds between runs of the retention purge.
    pub purge_interval_secs: u64,
    /// Seconds between signed checkpoints of the audit log (when it grew).
    pub audit_checkpoint_secs: u64,
    /// Seconds between checks for RTSP cameras to start or stop pulling.
    pub rtsp_rescan_secs: u64,
    /// Seconds after an alert during which a camera sends no more email or push.
    pub alert_cooldown_secs: u64,
    /// Smallest group the administrators' statistics show (k); smaller ones are suppressed.
    pub stats_min_group: u64,
    /// Days to answer a rights request.
    pub request_deadline_days: u64,
    /// Days within which an identical rights request counts as a repeat.
    pub request_repeat_days: u64,
    /// Hours a data export's download link works.
    pub export_link_hours: u64,
    /// Seconds an instance keeps a data export it builds without renewing
    /// its claim; another instance starts over one whose instance died
    /// after this long.
    pub export_lease_secs: u64,
    /// Days between cancelling an account and erasing its data.
    pub erasure_grace_days: u64,
    /// Ask sign-ups for a birth date, and a guardian's confirmation under `minimum_age`.
    pub age_check: bool,
    /// The home region's name: its blobs are in `blob_dir`.
    pub home_region: String,
    /// Other regions: name → blob directory, or `s3://bucket` (F11).
    pub regions: std::collections::BTreeMap<String, PathBuf>,
    /// The age below which a guardian must confirm (with `age_check`).
    pub minimum_age: u32,
    /// Minimum ages that differ by region (name → age), with `age_check`.
    pub minimum_age_by_region: std::collections::BTreeMap<String, u32>,
    /// Days after which service-log addresses are truncated.
    pub ip_truncate_days: u64,
    /// Days service-log entries are kept.
    pub service_log_days: u64,
    /// MQTT broker for events and camera state, e.g. `mqtt://user:pass@127.0.0.1:1883`; none is off.
    pub mqtt_url: Option<String>,
    /// Topic prefix of camvault's MQTT messages.
    pub mqtt_prefix: String,
    /// Topic prefix of Home Assistant MQTT discovery.
    pub mqtt_discovery_prefix: String,
    /// Seconds between publications of every camera's state to MQTT.
    pub mqtt_state_interval_secs: u64,
    /// PEM certificate chain for TLS on `listen` (with `tls_key`).
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for TLS.
    pub tls_key: Option<PathBuf>,
    /// TLS with a self-signed certificate made once and kept in
    /// `<data_dir>/tls/` (for a box on the LAN).
    pub tls_self_signed: bool,
    /// With TLS on, a plain-HTTP address that only redirects to HTTPS
    /// (e.g. `0.0.0.0:80`).
    pub http_redirect_listen: Option<String>,
    /// Addresses of reverse proxies whose `X-Forwarded-For` and
    /// `X-Forwarded-Proto` are believed; from anyone else they are ignored.
    pub trusted_proxies: Vec<String>,
    /// Bearer token a Prometheus scraper sends for `/metrics`; metrics
    /// are off without one.
    pub metrics_token: Option<String>,
    /// Requests per minute from one address (0: no limit).
    pub rate_limit_per_minute: u32,
    /// Sign-in, sign-up, code and device-token requests per minute from
    /// one address (0: no limit).
    pub auth_rate_limit_per_minute: u32,
    /// Counts the rate limits in the database, so that they hold across
    /// several instances (each request then writes one counter).
    pub shared_rate_limits: bool,
    /// OpenID Connect provider for "sign in with …" (its issuer URL); none is off.
    pub oidc_issuer: Option<String>,
    /// The client id registered at the provider.
    pub oidc_client_id: Option<String>,
    /// The client secret, for a confidential client (PKCE is used either way).
    pub oidc_client_secret: Option<String>,
    /// The provider's name on the sign-in button.
    pub oidc_label: String,
    /// How people can pay for plans: `manual` and/or `webhook`.
    pub payment_methods: Vec<String>,
    /// Where manual payments go, as shown to the person (bank account…).
    pub payment_manual_payee: String,
    /// The webhook provider's checkout page.
    pub payment_webhook_checkout_url: Option<String>,
    /// The secret the webhook provider signs its callbacks with.
    pub payment_webhook_secret: Option<String>,
    /// Days kept at most for cameras no paid plan covers; none keeps the
    /// instance's retention rules.
    pub free_retention_days: Option<i64>,
    /// Cameras no paid plan covers keep only the video around events.
    pub free_events_only: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./data"),
            database_url: None,
            blob_dir: None,
            blob_bucket: None,
            s3_endpoint: None,
            s3_region: None,
            s3_access_key_id: None,
            s3_secret_access_key: None,
            s3_path_style: false,
            s3_allow_http: false,
            master_key_file: None,
            key_vault_dir: None,
            public_url: None,
            session_idle_days: 30,
            body_limit_bytes: 1024 * 1024,
            delivery_email: "console".into(),
            smtp_url: None,
            smtp_from: "camvault <noreply@localhost>".into(),
            delivery_sms: "console".into(),
            sms_webhook_url: None,
            sms_webhook_header: None,
            push_contact: "mailto:admin@localhost".into(),
            push_allow_insecure_endpoints: false,
            log_format: "text".into(),
            retention_days: 30,
            account_quota_mb: 0,
            pre_roll_secs: 5,
            post_roll_secs: 10,
            purge_interval_secs: 300,
            audit_checkpoint_secs: 300,
            rtsp_rescan_secs: 10,
            alert_cooldown_secs: 30,
            stats_min_group: 10,
            request_deadline_days: 30,
            request_repeat_days: 90,
            export_link_hours: 72,
            export_lease_secs: 60,
            erasure_grace_days: 180,
            age_check: false,
            home_region: "home".into(),
            regions: Default::default(),
            minimum_age: 18,
            minimum_age_by_region: Default::default(),
            ip_truncate_days: 7,
            service_log_days: 30,
            mqtt_url: None,
            mqtt_prefix: "camvault".into(),
            mqtt_discovery_prefix: "homeassistant".into(),
            mqtt_state_interval_secs: 30,
            tls_cert: None,
            tls_key: None,
            tls_self_signed: false,
            http_redirect_listen: None,
            trusted_proxies: Vec::new(),
            metrics_token: None,
            rate_limit_per_minute: 6000,
            auth_rate_limit_per_minute: 120,
            shared_rate_limits: false,
            oidc_issuer: None,
            oidc_client_id: None,
            oidc_client_secret: None,
            oidc_label: "your organisation's account".into(),
            payment_methods: vec!["manual".into()],
            payment_manual_payee: "the bank account the operator gives on request".into(),
            payment_webhook_checkout_url: None,
            payment_webhook_secret: None,
            free_retention_days: None,
            free_events_only: false,
        }
    }
}

// Connection strings and gateway headers carry credentials: never print them.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redact = |o: &Option<String>| o.as_ref().map(|_| "[redacted]");
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("key_vault_dir", &self.key_vault_dir)
            .field("database_url", &redact(&self.database_url))
            .field("blob_dir", &self.blob_dir)
            .field("blob_bucket", &self.blob_bucket)
            .field("s3_endpoint", &self.s3_endpoint)
            .field("s3_region", &self.s3_region)
            .field("s3_access_key_id", &redact(&self.s3_access_key_id))
            .field("s3_secret_access_key", &redact(&self.s3_secret_access_key))
            .field("s3_path_style", &self.s3_path_style)
            .field("s3_allow_http", &self.s3_allow_http)
            .field("public_url", &self.public_url)
            .field("session_idle_days", &self.session_idle_days)
            .field("body_limit_bytes", &self.body_limit_bytes)
            .field("delivery_email", &self.delivery_email)
            .field("smtp_url", &redact(&self.smtp_url))
            .field("delivery_sms", &self.delivery_sms)
            .field("sms_webhook_url", &redact(&self.sms_webhook_url))
            .field("sms_webhook_header", &redact(&self.sms_webhook_header))
            .field("push_contact", &self.push_contact)
            .field(
                "push_allow_insecure_endpoints",
                &self.push_allow_insecure_endpoints,
            )
            .field("log_format", &self.log_format)
            .field("retention_days", &self.retention_days)
            .field("account_quota_mb", &self.account_quota_mb)
            .field("pre_roll_secs", &self.pre_roll_secs)
            .field("post_roll_secs", &self.post_roll_secs)
            .field("purge_interval_secs", &self.purge_interval_secs)
            .field("audit_checkpoint_secs", &self.audit_checkpoint_secs)
            .field("rtsp_rescan_secs", &self.rtsp_rescan_secs)
            .field("alert_cooldown_secs", &self.alert_cooldown_secs)
            .field("stats_min_group", &self.stats_min_group)
            .field("request_deadline_days", &self.request_deadline_days)
            .field("request_repeat_days", &self.request_repeat_days)
            .field("export_link_hours", &self.export_link_hours)
            .field("export_lease_secs", &self.export_lease_secs)
            .field("erasure_grace_days", &self.erasure_grace_days)
            .field("age_check", &self.age_check)
            .field("home_region", &self.home_region)
            .field("regions", &self.regions)
            .field("minimum_age", &self.minimum_age)
            .field("minimum_age_by_region", &self.minimum_age_by_region)
            .field("ip_truncate_days", &self.ip_truncate_days)
            .field("service_log_days", &self.service_log_days)
            .field("mqtt_url", &redact(&self.mqtt_url))
            .field("mqtt_prefix", &self.mqtt_prefix)
            .field("mqtt_discovery_prefix", &self.mqtt_discovery_prefix)
            .field("mqtt_state_interval_secs", &self.mqtt_state_interval_secs)
            .field("tls_cert", &self.tls_cert)
            .field("tls_key", &self.tls_key)
            .field("tls_self_signed", &self.tls_self_signed)
            .field("http_redirect_listen", &self.http_redirect_listen)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("metrics_token", &redact(&self.metrics_token))
            .field("rate_limit_per_minute", &self.rate_limit_per_minute)
            .field(
                "auth_rate_limit_per_minute",
                &self.auth_rate_limit_per_minute,
            )
            .field("shared_rate_limits", &self.shared_rate_limits)
            .field("oidc_issuer", &self.oidc_issuer)
            .field("oidc_client_id", &self.oidc_client_id)
            .field("oidc_client_secret", &redact(&self.oidc_client_secret))
            .field("oidc_label", &self.oidc_label)
            .field("payment_methods", &self.payment_methods)
            .field("payment_manual_payee", &self.payment_manual_payee)
            .field(
                "payment_webhook_checkout_url",
                &self.payment_webhook_checkout_url,
            )
            .field(
                "payment_webhook_secret",
                &redact(&self.payment_webhook_secret),
            )
            .field("free_retention_days", &self.free_retention_days)
            .field("free_events_only", &self.free_events_only)
            .finish()
    }
}

/// Values given on the command line; only those present override.
#[derive(Debug, Default, Clone, Serialize, clap::Args)]
pub struct ConfigArgs {
    /// Configuration file (default: ./camvault.toml if it exists).
    #[arg(long, global = true)]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// Address to listen on, e.g. 127.0.0.1:8080.
    #[arg(long, global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    /// Data directory.
    #[arg(long, global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    /// Database URL (sqlite://… or postgres://…).
    #[arg(long, global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    /// Public URL of this server.
    #[arg(long, global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_url: Option<String>,
    /// Serve HTTPS with a self-signed certificate kept in the data directory.
    #[arg(long, global = true)]
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub tls_self_signed: bool,
}

/// The keys read from `CAMVAULT_*` variables; other variables with that
/// prefix belong to tools around camvault (test scripts) and are ignored.
const ENV_KEYS: &[&str] = &[
    "listen",
    "data_dir",
    "database_url",
    "blob_dir",
    "blob_bucket",
    "s3_endpoint",
    "s3_region",
    "s3_access_key_id",
    "s3_secret_access_key",
    "s3_path_style",
    "s3_allow_http",
    "master_key_file",
    "key_vault_dir",
    "public_url",
    "session_idle_days",
    "body_limit_bytes",
    "delivery_email",
    "smtp_url",
    "smtp_from",
    "delivery_sms",
    "sms_webhook_url",
    "sms_webhook_header",
    "push_contact",
    "push_allow_insecure_endpoints",
    "log_format",
    "retention_days",
    "account_quota_mb",
    "pre_roll_secs",
    "post_roll_secs",
    "purge_interval_secs",
    "audit_checkpoint_secs",
    "rtsp_rescan_secs",
    "alert_cooldown_secs",
    "stats_min_group",
    "request_deadline_days",
    "request_repeat_days",
    "export_link_hours",
    "export_lease_secs",
    "erasure_grace_days",
    "age_check",
    "home_region",
    "regions",
    "minimum_age",
    "minimum_age_by_region",
    "ip_truncate_days",
    "service_log_days",
    "mqtt_url",
    "mqtt_prefix",
    "mqtt_discovery_prefix",
    "mqtt_state_interval_secs",
    "tls_cert",
    "tls_key",
    "tls_self_signed",
    "http_redirect_listen",
    "trusted_proxies",
    "metrics_token",
    "rate_limit_per_minute",
    "auth_rate_limit_per_minute",
    "shared_rate_limits",
    "oidc_issuer",
    "oidc_client_id",
    "oidc_client_secret",
    "oidc_label",
    "payment_methods",
    "payment_manual_payee",
    "payment_webhook_checkout_url",
    "payment_webhook_secret",
    "free_retention_days",
    "free_events_only",
];

impl Config {
    /// Loads the layers in order of precedence.
    pub fn load(args: &ConfigArgs) -> Result<Config, Box<figment::Error>> {
        let file = args
            .config
            .clone()
            .unwrap_or_else(|| PathBuf::from("camvault.toml"));
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        if args.config.is_some() || file.exists() {
            fig = fig.merge(Toml::file_exact(file));
        }
        fig.merge(Env::prefixed("CAMVAULT_").only(ENV_KEYS))
            .merge(Serialized::defaults(args))
            .extract()
            .map_err(Box::new)
    }

    /// The database URL in force.
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("camvault.db").display()))
    }

    /// How to reach the S3-compatible service, for `blob_bucket` and
    /// `s3://` regions.
    pub fn s3_settings(&self) -> store::S3Settings {
        store::S3Settings {
            endpoint: self.s3_endpoint.clone(),
            region: self.s3_region.clone(),
            access_key_id: self.s3_access_key_id.clone(),
            secret_access_key: self.s3_secret_access_key.clone(),
            path_style: self.s3_path_style,
            allow_http: self.s3_allow_http,
        }
    }

    /// The blob directory in force.
    pub fn blob_dir(&self) -> PathBuf {
        self.blob_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("blobs"))
    }

    /// The key vault directory in force: beside the data directory, so a
    /// copy of the data directory never holds the secrets erasure destroys.
    pub fn key_vault_dir(&self) -> PathBuf {
        if let Some(dir) = &self.key_vault_dir {
            return dir.clone();
        }
        let data = std::path::absolute(&self.data_dir).unwrap_or_else(|_| self.data_dir.clone());
        let name = data
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "data".into());
        data.with_file_name(format!("{name}.keys"))
    }

    /// The master key file in force.
    pub fn master_key_file(&self) -> PathBuf {
        self.master_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("master.key"))
    }
}

// figment's Jail closure must return figment::Error, which is large by design.
#[allow(clippy::result_large_err)]
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_beat_environment_beats_file_beats_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "camvault.toml",
                "listen = \"127.0.0.1:1111\"\ndata_dir = \"/file\"\nsession_idle_days = 7\n",
            )?;
            jail.set_env("CAMVAULT_DATA_DIR", "/env");
            jail.set_env("CAMVAULT_TEST_DATABASE_URL", "ignored");
            jail.set_env("CAMVAULT_BIN", "ignored");
            let args = ConfigArgs {
                listen: Some("127.0.0.1:3333".into()),
                ..ConfigArgs::default()
            };
            let c = Config::load(&args).map_err(|e| e.to_string())?;
            assert_eq!(c.listen, "127.0.0.1:3333");
            assert_eq!(c.data_dir, PathBuf::from("/env"));
            assert_eq!(c.session_idle_days, 7);
            assert_eq!(c.body_limit_bytes, 1024 * 1024);
            assert_eq!(c.database_url(), "sqlite:///env/camvault.db");
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_in_the_file_are_refused() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("camvault.toml", "lisen = \"x\"\n")?;
            assert!(Config::load(&ConfigArgs::default()).is_err());
            Ok(())
        });
    }

    #[test]
    fn debug_hides_credentials() {
        let c = Config {
            database_url: Some("postgres://u:secretpw@h/db".into()),
            mqtt_url: Some("mqtt://ha:mqttpw@127.0.0.1:1883".into()),
            ..Config::default()
        };
        assert!(!format!("{c:?}").contains("secretpw"));
        assert!(!format!("{c:?}").contains("mqttpw"));
    }
}
