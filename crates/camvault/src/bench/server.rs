//! A real camvault server for one benchmark: built by [`App::build`] on a
//! fresh SQLite data directory, listening on a loopback port chosen by the
//! system, and run in this process by [`App::run`].

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use domain::clock::{Clock, SystemClock, Timestamp};
use domain::ids::{AccountId, CameraId};
use domain::ports::CameraStore;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::sys::ScratchDir;
use crate::app::{App, Core, Deps};
use crate::config::Config;
use crate::simulate;

/// The account every benchmark's cameras belong to.
pub const OWNER: &str = "bench";
/// How long a stopping server may take to finish in-flight requests.
const STOP_GRACE: Duration = Duration::from_secs(15);

/// Settings of a bench server: defaults, except a throwaway directory, a
/// port of the system's choosing, retention far longer than any index the
/// benchmarks build, so the purge job never runs during a measurement, and
/// no per-address rate limit: every simulated camera and viewer comes from
/// 127.0.0.1, where real ones each have an address of their own.
fn bench_config(data_dir: PathBuf) -> Config {
    Config {
        listen: "127.0.0.1:0".into(),
        rate_limit_per_minute: 0,
        auth_rate_limit_per_minute: 0,
        key_vault_dir: Some(data_dir.join("keys")),
        data_dir,
        retention_days: 3650,
        purge_interval_secs: 365 * 86_400,
        ..Config::default()
    }
}

/// A running bench server; [`BenchServer::stop`] it before dropping.
pub struct BenchServer {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// The running server's services (shared, not a second instance).
    pub core: Core,
    /// Its configuration.
    pub config: Config,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
    // Declared last so it is removed after everything that uses it.
    dir: ScratchDir,
}

impl BenchServer {
    /// Builds and starts a server on a new scratch directory.
    pub async fn start(tag: &str) -> anyhow::Result<BenchServer> {
        Self::start_with(tag, Deps::default()).await
    }

    /// Builds and starts a server with `deps` on a new scratch directory.
    pub async fn start_with(tag: &str, deps: Deps) -> anyhow::Result<BenchServer> {
        Self::start_adjusted(tag, deps, |_| {}).await
    }

    /// Like [`BenchServer::start_with`], after `adjust` changed the
    /// settings (another database, shared keys, a bucket…).
    pub async fn start_adjusted(
        tag: &str,
        deps: Deps,
        adjust: impl FnOnce(&mut Config),
    ) -> anyhow::Result<BenchServer> {
        let dir = ScratchDir::new(tag)?;
        let mut config = bench_config(dir.path().join("data"));
        adjust(&mut config);
        let app = App::build(&config, deps)
            .await
            .context("building the bench server")?;
        let base = format!("http://{}", app.local_addr());
        let core = app.core().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        // A dropped sender stops the server too, so an early return cannot
        // leave it running on a deleted directory.
        let task = tokio::spawn(app.run(async move {
            let _ = stopped.await;
        }));
        Ok(BenchServer {
            base,
            core,
            config,
            stop: Some(stop),
            task: Some(task),
            dir,
        })
    }

    /// The scratch directory (the data directory is `data/` inside it).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Now, on the wall clock the server uses.
    pub fn now(&self) -> Timestamp {
        SystemClock.now()
    }

    /// The bench account, created if needed.
    pub async fn owner(&self) -> anyhow::Result<AccountId> {
        Ok(simulate::ensure_owner(&self.core, OWNER).await?.0)
    }

    /// `n` cameras `<prefix>-0001`… bound to the bench account: their
    /// (serial, device secret) pairs and ids.
    pub async fn cameras(
        &self,
        n: usize,
        prefix: &str,
    ) -> anyhow::Result<(Vec<(String, String)>, Vec<CameraId>)> {
        let creds = simulate::prepare(&self.core, OWNER, n, prefix).await?;
        let mut ids = Vec::with_capacity(creds.len());
        for (serial, _) in &creds {
            let camera = self
                .core
                .store
                .camera_by_serial(serial)
                .await?
                .with_context(|| format!("{serial} vanished after provisioning"))?;
            ids.push(camera.id);
        }
        Ok((creds, ids))
    }

    /// A bearer API token of the bench account.
    pub async fn token(&self) -> anyhow::Result<String> {
        let owner = self.owner().await?;
        Ok(self.core.accounts.create_api_token(owner, "bench").await?.1)
    }

    /// Stops the server (finishing in-flight requests) and removes its directory.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let abort = task.abort_handle();
            match tokio::time::timeout(STOP_GRACE, task).await {
                Ok(joined) => joined.context("the bench server panicked")??,
                Err(_) => {
                    abort.abort();
                    anyhow::bail!("the bench server did not stop within {STOP_GRACE:?}");
                }
            }
        }
        Ok(())
    }
}
