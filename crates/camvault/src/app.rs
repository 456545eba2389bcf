//! Wiring: configuration in, the domain services out (the server that
//! serves them is `crate::server`, re-exported here as [`App`]).
//!
//! Picks the SQL backend by URL scheme, opens the blob store, loads the
//! master key, derives server keys, builds the senders, and binds the port.

use domain::accounts::external::ExternalSignIn;
use domain::billing::{Billing, FreeTier};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use domain::accounts::secrets::Secrets;
use domain::accounts::{Accounts, AccountsConfig, AccountsDeps};
use domain::audit::AuditLog;
use domain::cameras::{Cameras, CamerasDeps};
use domain::clock::{Clock, SystemClock};
use domain::events::webhooks::{Webhooks, WebhooksConfig, WebhooksDeps};
use domain::events::{Events, EventsConfig, EventsDeps};
use domain::notify::Outbox;
use domain::ports::{AlertSink, BlobStore, Sender};
use domain::privacy::closure::{Closures, ClosuresConfig, ClosuresDeps};
use domain::privacy::consent::Consents;
use domain::privacy::export::{Exports, ExportsConfig, ExportsDeps};
use domain::privacy::held::Holdings;
use domain::privacy::marketing::Marketing;
use domain::privacy::requests::{Requests, RequestsConfig};
use domain::privacy::residency::{RegionPrefix, Regions, Residency};
use domain::privacy::retention::{Retention, RetentionConfig};
use domain::privacy::statistics::Statistics;
use domain::privacy::usage::Usage;
use domain::recordings::{Recordings, RecordingsConfig, RecordingsDeps};
use store::{ObjectBlobStore, RegionalBlobStore, SqlStore};

use crate::config::Config;
use crate::master_key;
pub use crate::server::{shutdown_signal, App};

/// Dependencies a test may replace; production uses the defaults.
pub struct Deps {
    /// Time source.
    pub clock: Arc<dyn Clock>,
    /// Replaces the configured email sender.
    pub email: Option<Arc<dyn Sender>>,
    /// Replaces the configured SMS sender.
    pub sms: Option<Arc<dyn Sender>>,
    /// Replaces the audit log as where recordings write their playback and
    /// download entries (`bench audit` measures a playback without them).
    pub recordings_audit: Option<Arc<dyn domain::ports::AuditStore>>,
}

impl Default for Deps {
    fn default() -> Self {
        Deps {
            clock: Arc::new(SystemClock),
            email: None,
            sms: None,
            recordings_audit: None,
        }
    }
}

/// The domain services over their storage, without HTTP (also used by the CLI).
#[derive(Clone)]
pub struct Core {
    /// The SQL store.
    pub store: SqlStore,
    /// Prometheus metrics, shared by the HTTP layer and the jobs.
    pub metrics: Arc<web::metrics::Metrics>,
    /// This process's name among instances sharing the database (job leases).
    pub instance: String,
    /// The clock the services use.
    pub clock: Arc<dyn Clock>,
    /// Messages to and from other instances sharing the database.
    pub cluster: Arc<domain::cluster::Cluster>,
    /// The accounts service.
    pub accounts: Arc<Accounts>,
    /// The cameras service.
    pub cameras: Arc<Cameras>,
    /// The recording service.
    pub recordings: Arc<Recordings>,
    /// The events and alerts service.
    pub events: Arc<Events>,
    /// The blob store (every region's, behind one).
    pub blobs: Arc<dyn BlobStore>,
    /// Event webhooks (queued by every build, sent by the server's job).
    pub webhooks: Arc<Webhooks>,
    /// Aggregate statistics for administrators.
    pub statistics: Arc<Statistics>,
    /// Formal rights requests.
    pub requests: Arc<Requests>,
    /// Consent records and policy versions.
    pub consents: Arc<Consents>,
    /// Data exports.
    pub exports: Arc<Exports>,
    /// Cancelled accounts and their erasure.
    pub closures: Arc<Closures>,
    /// Marketing mail and its unsubscribe links.
    pub marketing: Arc<Marketing>,
    /// Consented usage statistics.
    pub usage: Arc<Usage>,
    /// The retention engine.
    pub retention: Arc<Retention>,
    /// What is held about each person, from the inventory.
    pub holdings: Arc<Holdings>,
    /// Regions and moving between them.
    pub residency: Arc<Residency>,
    /// The tamper-evident audit log.
    pub audit: Arc<AuditLog>,
    /// Breach notices.
    pub breach: Arc<domain::privacy::breach::BreachNotices>,
    /// The support desk.
    pub support: Arc<domain::privacy::support::SupportDesk>,
    /// Storage plans and orders.
    pub billing: Arc<Billing>,
    /// The album.
    pub album: Arc<domain::album::Album>,
    /// Sign-in through an OpenID Connect provider, when `oidc_issuer` is set.
    pub external_sign_in: Option<Arc<ExternalSignIn>>,
    /// The MQTT publisher, when `mqtt_url` is set and this is the server.
    pub mqtt: Option<Arc<delivery::MqttPublisher>>,
}

/// Plans and orders with the configured payment methods (E1, E2).
fn billing(
    config: &Config,
    store: Arc<SqlStore>,
    clock: Arc<dyn domain::clock::Clock>,
) -> anyhow::Result<Billing> {
    use domain::billing::providers::{ManualProvider, WebhookProvider};
    let mut providers: Vec<Arc<dyn domain::ports::PaymentProvider>> = Vec::new();
    for method in &config.payment_methods {
        match method.as_str() {
            "manual" => providers.push(Arc::new(ManualProvider {
                payee: config.payment_manual_payee.clone(),
            })),
            "webhook" => {
                let Some(url) = &config.payment_webhook_checkout_url else {
                    bail!("payment method webhook needs payment_webhook_checkout_url");
                };
                if config.payment_webhook_secret.is_none() {
                    bail!("payment method webhook needs payment_webhook_secret");
                }
                let checkout_url =
                    url::Url::parse(url).context("payment_webhook_checkout_url is not a URL")?;
                providers.push(Arc::new(WebhookProvider { checkout_url }));
            }
            other => bail!("unknown payment method {other:?} (manual or webhook)"),
        }
    }
    if config
        .free_retention_days
        .is_some_and(|d| !(1..=3650).contains(&d))
    {
        bail!("free_retention_days must be between 1 and 3650");
    }
    Ok(Billing::new(
        store.clone(),
        store,
        providers,
        clock,
        FreeTier {
            retention_days: config.free_retention_days,
            events_only: config.free_events_only,
        },
        config
            .payment_webhook_secret
            .as_ref()
            .map(|s| s.as_bytes().to_vec()),
    ))
}

/// The OpenID Connect provider of the configuration, if one is set (A3).
fn external_sign_in(
    config: &Config,
    accounts: &Arc<Accounts>,
) -> anyhow::Result<Option<Arc<ExternalSignIn>>> {
    let Some(issuer) = &config.oidc_issuer else {
        return Ok(None);
    };
    let Some(client_id) = &config.oidc_client_id else {
        bail!("oidc_issuer is set but oidc_client_id is not");
    };
    let provider = identity::OidcProvider::new(identity::OidcSettings {
        issuer: issuer.clone(),
        client_id: client_id.clone(),
        client_secret: config.oidc_client_secret.clone(),
        label: config.oidc_label.clone(),
    })?;
    Ok(Some(Arc::new(ExternalSignIn::new(
        accounts.clone(),
        Arc::new(provider),
    ))))
}

/// Region names: 1-32 of a-z, 0-9 and '-' (they become key prefixes).
/// A region's blob store: `s3://bucket` is a bucket of the configured
/// S3-compatible service, anything else a local directory.
fn region_store(config: &Config, place: &std::path::Path) -> anyhow::Result<ObjectBlobStore> {
    let text = place.to_string_lossy();
    Ok(match text.strip_prefix("s3://") {
        Some(bucket) => ObjectBlobStore::s3(&config.s3_settings(), bucket.trim_end_matches('/'))?,
        None => ObjectBlobStore::local(place)?,
    })
}

fn valid_region(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn recordings_config(config: &Config) -> RecordingsConfig {
    RecordingsConfig {
        retention_days: config.retention_days.max(1),
        account_quota_bytes: (config.account_quota_mb > 0)
            .then(|| config.account_quota_mb.saturating_mul(1024 * 1024)),
        pre_roll: Duration::from_secs(config.pre_roll_secs),
        post_roll: Duration::from_secs(config.post_roll_secs),
        ..RecordingsConfig::default()
    }
}

impl Core {
    /// Connects storage (running migrations) and builds the services,
    /// without integrations: a one-off command must not speak for the
    /// server on the household's broker.
    pub async fn build(config: &Config, deps: Deps) -> anyhow::Result<Core> {
        Self::assemble(config, deps, false).await
    }

    /// Like [`Core::build`]; `integrations` adds MQTT for the server.
    pub(crate) async fn assemble(
        config: &Config,
        deps: Deps,
        integrations: bool,
    ) -> anyhow::Result<Core> {
        let keys = master_key::load_or_create(&config.master_key_file())?;
        let key = &keys.root;
        let store = SqlStore::connect(&config.database_url())
            .await
            .context("opening the database")?;
        let email = match deps.email {
            Some(s) => s,
            None => crate::senders::email_sender(config)?,
        };
        let sms = match deps.sms {
            Some(s) => s,
            None => crate::senders::sms_sender(config)?,
        };
        let shared = Arc::new(store.clone());
        // This process's name among instances sharing the database.
        let instance = format!("{:032x}", rand::random::<u128>());
        let audit = Arc::new(AuditLog::new(shared.clone(), key, deps.clock.clone()));
        let statistics = Arc::new(Statistics::new(
            shared.clone(),
            deps.clock.clone(),
            config.stats_min_group,
        ));
        let requests = Arc::new(Requests::new(
            shared.clone(),
            audit.clone(),
            email.clone(),
            deps.clock.clone(),
            RequestsConfig {
                deadline: Duration::from_secs(config.request_deadline_days.max(1) * 86_400),
                repeat_window: Duration::from_secs(config.request_repeat_days * 86_400),
                ..RequestsConfig::default()
            },
        ));
        let consents = Arc::new(Consents::new(
            shared.clone(),
            email.clone(),
            deps.clock.clone(),
        ));
        // One blob store per region (F11); the home region's is `blob_bucket`
        // or else `blob_dir`.
        let mut others: BTreeMap<String, Arc<dyn BlobStore>> = BTreeMap::new();
        for (name, dir) in &config.regions {
            if name == &config.home_region || !valid_region(name) {
                bail!(
                    "region {name:?}: names are 1-32 of a-z, 0-9 and '-', other than home_region"
                );
            }
            others.insert(name.clone(), Arc::new(region_store(config, dir)?));
        }
        let regions = Regions {
            home: config.home_region.clone(),
            others: others.keys().cloned().collect(),
        };
        let home: Arc<dyn BlobStore> = Arc::new(match &config.blob_bucket {
            Some(bucket) => ObjectBlobStore::s3(&config.s3_settings(), bucket)?,
            None => ObjectBlobStore::local(&config.blob_dir())?,
        });
        let blobs: Arc<dyn BlobStore> = Arc::new(RegionalBlobStore::new(home, others));
        let region_prefix = Arc::new(RegionPrefix::new(shared.clone(), regions));
        let vault: Arc<dyn domain::ports::KeyVault> =
            Arc::new(store::FileKeyVault::open(&config.key_vault_dir())?);
        let cameras = Cameras::new(CamerasDeps {
            store: shared.clone(),
            shares: shared.clone(),
            accounts: shared.clone(),
            claims: shared.clone(),
            blobs: blobs.clone(),
            throttles: shared.clone(),
            clock: deps.clock.clone(),
            outbox: Outbox::new(email.clone(), sms.clone()),
            device_key: key.derive("device codes and secrets"),
            evidence_key: key.derive("ownership claim evidence"),
            credentials_key: key.derive("rtsp camera credentials"),
        });
        let cameras = Arc::new(cameras);
        let billing = Arc::new(billing(config, shared.clone(), deps.clock.clone())?);
        let recordings = Recordings::new(
            RecordingsDeps {
                allowance: Some(billing.clone()),
                index: shared.clone(),
                keys: shared.clone(),
                vault: vault.clone(),
                audit: match &deps.recordings_audit {
                    Some(sink) => sink.clone(),
                    None => audit.clone(),
                },
                blobs: blobs.clone(),
                cameras: cameras.clone(),
                consents: consents.clone(),
                regions: region_prefix.clone(),
                clock: deps.clock.clone(),
                account_kek: keys.account_kek(),
            },
            recordings_config(config),
        );
        let recordings = Arc::new(recordings);
        // Account keys a rotation has not re-wrapped yet still open.
        recordings.keys().accept_previous(keys.previous_keks());
        // Integrations that hear of every alerting event; each adds itself here.
        let mut sinks: Vec<Arc<dyn AlertSink>> = vec![];
        let webhooks = Arc::new(Webhooks::new(
            WebhooksDeps {
                store: shared.clone(),
                cameras: shared.clone(),
                poster: Arc::new(delivery::HttpPoster::new()?),
                clock: deps.clock.clone(),
                secret_key: key.derive("webhook secrets"),
            },
            WebhooksConfig::default(),
        ));
        sinks.push(webhooks.clone());
        let snapshots = Arc::new(domain::events::integration::IntegrationSnapshots::new(
            blobs.clone(),
            recordings.clone(),
            audit.clone(),
            deps.clock.clone(),
        ));
        let mqtt = if integrations {
            crate::senders::mqtt_publisher(config, snapshots)?
        } else {
            None
        };
        if let Some(mqtt) = &mqtt {
            sinks.push(mqtt.clone());
        }
        let events = Events::new(
            EventsDeps {
                store: shared.clone(),
                accounts: shared.clone(),
                shares: shared.clone(),
                audit: audit.clone(),
                blobs: blobs.clone(),
                cameras: cameras.clone(),
                recordings: recordings.clone(),
                email: email.clone(),
                sinks,
                push: crate::senders::push_deps(config, key, shared.clone(), deps.clock.clone())?,
                clock: deps.clock.clone(),
            },
            EventsConfig {
                cooldown: Duration::from_secs(config.alert_cooldown_secs),
                ..EventsConfig::default()
            },
        );
        let accounts = Arc::new(Accounts::new(
            AccountsDeps {
                store: shared.clone(),
                email: email.clone(),
                sms,
                clock: deps.clock.clone(),
                secrets: Secrets::new(
                    key.derive("one-time codes"),
                    key.derive("csrf tokens"),
                    key.derive("second factors"),
                ),
            },
            AccountsConfig {
                session_idle: Duration::from_secs(config.session_idle_days * 24 * 3600),
                minimum_age: config.age_check.then_some(config.minimum_age),
                minimum_age_by_region: config.minimum_age_by_region.clone(),
                regions: std::iter::once(config.home_region.clone())
                    .chain(config.regions.keys().cloned())
                    .collect(),
                ..AccountsConfig::default()
            },
        ));
        let events = Arc::new(events);
        let album = Arc::new(domain::album::Album::new(
            shared.clone(),
            shared.clone(),
            recordings.clone(),
            consents.clone(),
            blobs.clone(),
            deps.clock.clone(),
            domain::album::AlbumConfig::default(),
        ));
        let exports = Arc::new(Exports::new(
            ExportsDeps {
                store: shared.clone(),
                blobs: blobs.clone(),
                audit: audit.clone(),
                accounts: accounts.clone(),
                cameras: cameras.clone(),
                recordings: recordings.clone(),
                events: events.clone(),
                consents: consents.clone(),
                requests: requests.clone(),
                album: album.clone(),
                clock: deps.clock.clone(),
                instance: instance.clone(),
            },
            ExportsConfig {
                link_valid: Duration::from_secs(config.export_link_hours.max(1) * 3600),
                lease: Duration::from_secs(config.export_lease_secs.max(1)),
                ..ExportsConfig::default()
            },
        ));
        let marketing = Arc::new(Marketing::new(
            shared.clone(),
            consents.clone(),
            email.clone(),
            audit.clone(),
            deps.clock.clone(),
            key.derive("unsubscribe links"),
        ));
        let usage = Arc::new(Usage::new(
            shared.clone(),
            consents.clone(),
            deps.clock.clone(),
        ));
        let retention = Arc::new(Retention::new(
            shared.clone(),
            deps.clock.clone(),
            RetentionConfig {
                truncate_ips_after: Duration::from_secs(config.ip_truncate_days * 86_400),
                service_log_kept: Duration::from_secs(config.service_log_days.max(1) * 86_400),
                ..RetentionConfig::default()
            },
        ));
        let holdings = Arc::new(Holdings::new(shared.clone()));
        let residency = Arc::new(Residency::new(
            region_prefix,
            shared.clone(),
            shared.clone(),
            blobs.clone(),
            audit.clone(),
            deps.clock.clone(),
        ));
        let closures = Arc::new(Closures::new(
            ClosuresDeps {
                store: shared.clone(),
                accounts: shared.clone(),
                cameras: cameras.clone(),
                recordings: recordings.clone(),
                blobs: blobs.clone(),
                vault,
                audit: audit.clone(),
                clock: deps.clock.clone(),
            },
            ClosuresConfig {
                grace: Duration::from_secs(config.erasure_grace_days * 86_400),
            },
        ));
        let breach = Arc::new(domain::privacy::breach::BreachNotices::new(
            shared.clone(),
            email.clone(),
            audit.clone(),
            deps.clock.clone(),
        ));
        let support = Arc::new(domain::privacy::support::SupportDesk::new(
            domain::privacy::support::SupportDeps {
                accounts: accounts.clone(),
                cameras: cameras.clone(),
                billing: billing.clone(),
                requests: requests.clone(),
                store: shared.clone(),
                audit: audit.clone(),
                clock: deps.clock.clone(),
            },
        ));
        let external_sign_in = external_sign_in(config, &accounts)?;
        let metrics = Arc::new(web::metrics::Metrics::default());
        let pools = shared.clone();
        metrics.set_pool_source(move || pools.pool_stats());
        let cluster = Arc::new(domain::cluster::Cluster::new(
            shared.clone(),
            instance.clone(),
            deps.clock.clone(),
        ));
        events.join_cluster(cluster.clone());
        Ok(Core {
            metrics,
            instance,
            cluster,
            clock: deps.clock.clone(),
            billing,
            album,
            audit,
            breach,
            support,
            external_sign_in,
            store,
            accounts,
            cameras,
            recordings,
            events,
            exports,
            closures,
            marketing,
            usage,
            retention,
            holdings,
            residency,
            blobs,
            webhooks,
            statistics,
            requests,
            consents,
            mqtt,
        })
    }
}
