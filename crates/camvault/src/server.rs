//! The server: binds the port, runs the background jobs, serves until shut
//! down, then finishes in-flight requests and closes the database.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use domain::clock::Clock;
use tokio::net::TcpListener;
use web::{AppState, WebSettings};

use crate::app::{Core, Deps};
use crate::config::Config;

/// How often upload statistics are written out.
const UPLOAD_STATS_EVERY: Duration = Duration::from_secs(5);

/// How often due webhook deliveries (retries) are looked for.
const WEBHOOKS_EVERY: Duration = Duration::from_secs(1);

/// A bound, ready-to-run server.
pub struct App {
    core: Core,
    /// TLS on `listener`, when configured (G1).
    tls: Option<Arc<rustls::ServerConfig>>,
    /// A plain-HTTP listener that only redirects to HTTPS.
    redirect: Option<TcpListener>,
    /// Where redirects go: the HTTPS public URL, else the request's host.
    redirect_to: Option<String>,
    clock: Arc<dyn Clock>,
    purge_every: Duration,
    audit_every: Duration,
    rtsp_rescan: Duration,
    mqtt_every: Duration,
    listener: TcpListener,
    router: axum::Router,
    addr: SocketAddr,
}

impl App {
    /// Builds everything and binds the listening socket.
    pub async fn build(config: &Config, deps: Deps) -> anyhow::Result<App> {
        let clock = deps.clock.clone();
        let core = Core::assemble(config, deps, true).await?;
        // Keys of a database from before the vault move under it, and an
        // erasure undone by restoring an older backup is done again, before
        // anything is served.
        let upgraded = core.recordings.keys().upgrade_all().await?;
        if upgraded > 0 {
            tracing::info!(
                accounts = upgraded,
                "account keys moved under the key vault"
            );
        }
        core.closures.replay_ledger().await?;
        let chained = core.audit.chain_old_rows().await?;
        if chained > 0 {
            tracing::info!(
                entries = chained,
                "audit entries from before the chain chained"
            );
        }
        // What a crashed run appended after its last checkpoint.
        core.audit.checkpoint().await?;
        let public_url = match &config.public_url {
            Some(u) => Some(url::Url::parse(u).context("public_url is not a URL")?),
            None => None,
        };
        let tls = crate::tls::server_config(config)?;
        let https_url = public_url.as_ref().is_some_and(|u| u.scheme() == "https");
        let trusted_proxies = config
            .trusted_proxies
            .iter()
            .map(|p| {
                p.parse::<std::net::IpAddr>()
                    .with_context(|| format!("trusted_proxies: {p:?} is not an IP address"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let settings = WebSettings {
            secure_cookies: https_url || tls.is_some(),
            hsts: https_url || tls.is_some(),
            trusted_proxies,
            limits: Arc::new(if config.shared_rate_limits {
                web::limits::RateLimits::shared(
                    config.rate_limit_per_minute,
                    config.auth_rate_limit_per_minute,
                    Arc::new(core.store.clone()),
                    core.clock.clone(),
                )
            } else {
                web::limits::RateLimits::new(
                    config.rate_limit_per_minute,
                    config.auth_rate_limit_per_minute,
                )
            }),
            public_url: public_url.clone(),
            body_limit: config.body_limit_bytes,
            session_max_age_secs: (config.session_idle_days * 24 * 3600) as i64,
            metrics_token_hash: config
                .metrics_token
                .as_deref()
                .filter(|t| !t.is_empty())
                .map(web::metrics::token_hash),
            mqtt: config.mqtt_url.as_deref().map(|url| web::state::MqttInfo {
                broker: crate::senders::mqtt_broker(url),
                prefix: config.mqtt_prefix.clone(),
                discovery_prefix: config.mqtt_discovery_prefix.clone(),
            }),
        };
        let router = web::router(AppState {
            accounts: core.accounts.clone(),
            cameras: core.cameras.clone(),
            recordings: core.recordings.clone(),
            events: core.events.clone(),
            webhooks: core.webhooks.clone(),
            statistics: core.statistics.clone(),
            requests: core.requests.clone(),
            consents: core.consents.clone(),
            exports: core.exports.clone(),
            closures: core.closures.clone(),
            marketing: core.marketing.clone(),
            usage: core.usage.clone(),
            retention: core.retention.clone(),
            holdings: core.holdings.clone(),
            residency: core.residency.clone(),
            blobs: core.blobs.clone(),
            audit: core.audit.clone(),
            breach: core.breach.clone(),
            support: core.support.clone(),
            external_sign_in: core.external_sign_in.clone(),
            billing: core.billing.clone(),
            album: core.album.clone(),
            settings: Arc::new(settings),
            metrics: core.metrics.clone(),
        });
        // Before the port opens, so no upload is in flight: a blob without
        // a row can only be the leftover of a crash.
        let report = core
            .recordings
            .reconcile()
            .await
            .context("reconciling recordings with the blob store")?;
        if report != Default::default() {
            tracing::warn!(
                orphan_blobs = report.orphan_blobs,
                missing_blobs = report.missing_blobs,
                "recording index reconciled"
            );
        }
        let listener = TcpListener::bind(&config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let addr = listener.local_addr()?;
        let redirect = match (&tls, &config.http_redirect_listen) {
            (Some(_), Some(at)) => Some(
                TcpListener::bind(at)
                    .await
                    .with_context(|| format!("cannot listen on {at}"))?,
            ),
            _ => None,
        };
        let redirect_to = public_url
            .as_ref()
            .filter(|u| u.scheme() == "https")
            .map(|u| u.as_str().trim_end_matches('/').to_string());
        Ok(App {
            tls,
            redirect,
            redirect_to,
            core,
            clock,
            purge_every: Duration::from_secs(config.purge_interval_secs),
            audit_every: Duration::from_secs(config.audit_checkpoint_secs),
            rtsp_rescan: Duration::from_secs(config.rtsp_rescan_secs),
            mqtt_every: Duration::from_secs(config.mqtt_state_interval_secs),
            listener,
            router,
            addr,
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `https` when this server speaks TLS, else `http`.
    pub fn scheme(&self) -> &'static str {
        if self.tls.is_some() {
            "https"
        } else {
            "http"
        }
    }

    /// The plain-HTTP redirect listener's address, if there is one.
    pub fn redirect_addr(&self) -> Option<SocketAddr> {
        self.redirect.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// The services, for tests and the CLI.
    pub fn core(&self) -> &Core {
        &self.core
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests
    /// and closes the database.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let purge = crate::jobs::spawn_purge(self.core.clone(), self.purge_every, stopped.clone());
        let checkpoints = crate::jobs::spawn_audit_checkpoints(
            self.core.audit.clone(),
            self.audit_every,
            stopped.clone(),
        );
        let uploads = crate::jobs::spawn_upload_stats(
            self.core.recordings.clone(),
            UPLOAD_STATS_EVERY,
            stopped.clone(),
        );
        let mqtt = self.core.mqtt.clone().map(|mqtt| {
            crate::jobs::spawn_mqtt_state(
                self.core.cameras.clone(),
                mqtt,
                self.mqtt_every,
                stopped.clone(),
            )
        });
        let cluster = {
            let (cluster, events) = (self.core.cluster.clone(), self.core.events.clone());
            tokio::spawn(cluster.run(events, stopped.clone()))
        };
        let exports = {
            let (exports, stopped) = (self.core.exports.clone(), stopped.clone());
            tokio::spawn(async move { exports.run(stopped).await })
        };
        let webhooks = crate::jobs::spawn_webhooks(
            self.core.webhooks.clone(),
            WEBHOOKS_EVERY,
            stopped.clone(),
        );
        let pulls = crate::rtsp_ingest::spawn(
            crate::rtsp_ingest::PullDeps {
                cameras: self.core.cameras.clone(),
                recordings: self.core.recordings.clone(),
                events: self.core.events.clone(),
                clock: self.clock.clone(),
                leases: Arc::new(self.core.store.clone()),
                instance: self.core.instance.clone(),
            },
            self.rtsp_rescan,
            stopped,
        );
        let redirect = self.redirect.map(|listener| {
            let port = self.addr.port();
            let to = self.redirect_to.clone();
            tokio::spawn(async move {
                let app = axum::Router::new().fallback(move |headers, uri| {
                    crate::tls::to_https(headers, uri, port, to.clone())
                });
                if let Err(e) = axum::serve(listener, app).await {
                    tracing::error!(error = %e, "the HTTP redirect listener stopped");
                }
            })
        });
        match self.tls {
            Some(tls) => {
                let handle = axum_server::Handle::new();
                let stopper = handle.clone();
                tokio::spawn(async move {
                    shutdown.await;
                    stopper.graceful_shutdown(Some(Duration::from_secs(10)));
                });
                let config = axum_server::tls_rustls::RustlsConfig::from_config(tls);
                axum_server::from_tcp_rustls(self.listener.into_std()?, config)
                    .handle(handle)
                    .serve(service)
                    .await
                    .context("server failed")?;
            }
            None => axum::serve(self.listener, service)
                .with_graceful_shutdown(shutdown)
                .await
                .context("server failed")?,
        }
        if let Some(r) = redirect {
            r.abort();
        }
        let _ = stop.send(true);
        // A purge in progress finishes its batch; it is idempotent anyway.
        let _ = purge.await;
        let _ = pulls.await;
        let _ = uploads.await;
        let _ = webhooks.await;
        let _ = exports.await;
        let _ = cluster.await;
        // After every other job: the last entries get their checkpoint.
        let _ = checkpoints.await;
        if let Some(mqtt) = mqtt {
            // Says camvault is offline on the broker before the process ends.
            let _ = mqtt.await;
        }
        self.core.store.close().await;
        Ok(())
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
