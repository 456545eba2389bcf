//! The command line: `serve [--demo]`, `simulate`, `bench` and the `admin` tasks.

use std::io::BufRead;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use domain::accounts::password::Password;
use domain::clock::SystemClock;
use domain::ports::Role;
use tokio::sync::watch;

use crate::app::{shutdown_signal, App, Core, Deps};
use crate::config::{Config, ConfigArgs};
use crate::simulate::{self, Pacing, Simulator};

/// The account `serve --demo` creates (or resets) and shows the password of.
pub const DEMO_USERNAME: &str = "demo";
/// The demo camera reports motion every this many 2-second segments.
const DEMO_MOTION_EVERY: u64 = 10;
/// Serial prefix of the camera `serve --demo` runs, apart from `simulate`'s.
const DEMO_PREFIX: &str = "DEMO";
/// Serial prefix of the cameras `camvault simulate` runs.
const SIM_PREFIX: &str = "SIM";
/// How often `camvault simulate` prints its progress line.
const REPORT_EVERY: Duration = Duration::from_secs(10);

/// camvault: a self-hosted home camera cloud.
#[derive(Debug, Parser)]
#[command(name = "camvault", version)]
pub struct Cli {
    /// Settings that override camvault.toml and CAMVAULT_* variables.
    #[command(flatten)]
    pub config: ConfigArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    Serve {
        /// Also create the `demo` account (its password is printed) and run
        /// one simulated camera against this server until it stops.
        #[arg(long)]
        demo: bool,
    },
    /// Drive a server with simulated cameras that loop the built-in demo
    /// clip; run with the server's configuration (same data directory and
    /// database), which it uses to provision and bind the cameras.
    Simulate(SimulateArgs),
    /// Measure camvault on this machine: each benchmark runs its own
    /// server on a fresh temporary directory (configuration is ignored)
    /// and reports its figures against baselines from the same run.
    Bench(crate::bench::BenchArgs),
    /// Administration tasks.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// The tamper-evident audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
}

/// Audit log subcommands.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk the whole audit log and its signed checkpoints; name the first
    /// entry inserted, deleted or altered, and exit non-zero if there is one.
    Verify,
}

/// Options of `camvault simulate`.
#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// How many cameras.
    #[arg(long, default_value_t = 1)]
    pub cameras: usize,
    /// Send segments as fast as the server acknowledges them instead of
    /// one every 2 seconds.
    #[arg(long)]
    pub fast: bool,
    /// Server base URL (default: http://<listen>).
    #[arg(long)]
    pub server: Option<String>,
    /// Another instance's URL, tried in turn when the current one cannot
    /// be reached (repeatable).
    #[arg(long = "fallback")]
    pub fallbacks: Vec<String>,
    /// Account the cameras are bound to; created if missing.
    #[arg(long, default_value = DEMO_USERNAME)]
    pub owner: String,
    /// Serial prefix: cameras are `<PREFIX>-0001`…; use another one per owner.
    #[arg(long, default_value = SIM_PREFIX)]
    pub prefix: String,
    /// Stop after this many seconds (default: run until Ctrl-C).
    #[arg(long)]
    pub duration: Option<u64>,
}

/// Administration subcommands.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an account; the password is read from the first line of standard input.
    CreateUser {
        /// Username.
        #[arg(long)]
        username: String,
        /// Email address (starts unverified).
        #[arg(long)]
        email: Option<String>,
        /// Make the account an administrator.
        #[arg(long)]
        admin: bool,
    },
    /// Import manufactured devices from a CSV file
    /// (`serial,model,verification_code,device_secret`, header row first).
    Provision {
        /// The CSV file.
        file: std::path::PathBuf,
        /// Replace devices whose serial is already provisioned.
        #[arg(long)]
        update: bool,
    },
    /// Replace the key that wraps every account key and re-wrap them all
    /// (master-key rotation); stop every server first.
    RotateKeys,
}

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    // Before the configuration is loaded: a bench builds its own, and a
    // broken camvault.toml in the working directory should not stop it.
    if let Command::Bench(args) = cli.command {
        crate::bench::init_logging();
        return crate::bench::run(args).await;
    }
    let config = Config::load(&cli.config).map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
    crate::logging::init(&config.log_format);
    match cli.command {
        Command::Serve { demo } => serve(config, demo).await,
        Command::Simulate(args) => run_simulation(config, args).await,
        Command::Bench(args) => crate::bench::run(args).await,
        Command::Admin(AdminCommand::CreateUser {
            username,
            email,
            admin,
        }) => create_user(config, &username, email.as_deref(), admin).await,
        Command::Admin(AdminCommand::Provision { file, update }) => {
            provision(config, &file, update).await
        }
        Command::Admin(AdminCommand::RotateKeys) => {
            let done = crate::rotate::rotate_account_keys(&config).await?;
            println!(
                "rotated: {} account key(s) re-wrapped under a new key in {}; \
                 back the key file up again",
                done.rewrapped,
                config.master_key_file().display()
            );
            Ok(())
        }
        Command::Audit(AuditCommand::Verify) => verify_audit(config).await,
    }
}

/// `http://addr`, with an unspecified address (`0.0.0.0`, `::`) replaced by
/// loopback, so a client on this machine can connect to it.
fn local_url(addr: SocketAddr) -> String {
    let mut addr = addr;
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    format!("http://{addr}")
}

async fn serve(config: Config, demo: bool) -> anyhow::Result<()> {
    let app = App::build(&config, Deps::default()).await?;
    let base = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("{}://{}", app.scheme(), app.local_addr()));
    let base = base.trim_end_matches('/');
    tracing::info!(database = app.core().store.backend(), "camvault ready");
    // stdout, not the log: these lines are for the operator's eyes and
    // for scripts that wait for the server.
    println!(
        "camvault: listening on {}://{}",
        app.scheme(),
        app.local_addr()
    );
    if let Some(at) = app.redirect_addr() {
        println!("camvault: http://{at} redirects to HTTPS");
    }
    if let Some(token) = app.core().accounts.issue_setup_token().await? {
        println!(
            "camvault: no administrator yet. Create one (link works once): {base}/setup?token={token}"
        );
    }
    if !demo {
        return app.run(shutdown_signal()).await;
    }
    let password = simulate::reset_account(app.core(), DEMO_USERNAME).await?;
    let cameras = simulate::prepare(app.core(), DEMO_USERNAME, 1, DEMO_PREFIX).await?;
    // Shown once, here only: the password is stored hashed.
    println!("camvault: demo account: {DEMO_USERNAME} / {password} — sign in at {base}/signin");
    let local = local_url(app.local_addr());
    let mut sim = Simulator::new(
        &local.replacen("http://", &format!("{}://", app.scheme()), 1),
        cameras,
        Pacing::RealTime,
        Arc::new(SystemClock),
    )?
    // A motion event every 20 s, so the demo shows alerts too.
    .with_motion_every(DEMO_MOTION_EVERY);
    if config.tls_self_signed && config.tls_cert.is_none() {
        let (cert, _) = crate::tls::self_signed_paths(&config.data_dir);
        let pem = std::fs::read(&cert).with_context(|| format!("reading {}", cert.display()))?;
        sim = sim.trusting(&pem)?;
    }
    let (stop, stopped) = watch::channel(false);
    let camera = sim.spawn(stopped);
    let result = app
        .run(async move {
            shutdown_signal().await;
            let _ = stop.send(true);
        })
        .await;
    if let Err(e) = camera.await {
        tracing::error!(error = %e, "the demo camera stopped abnormally");
    }
    result
}

async fn run_simulation(config: Config, args: SimulateArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.cameras > 0, "--cameras must be at least 1");
    let server = match args.server {
        Some(url) => url,
        None => match config.listen.parse::<SocketAddr>() {
            Ok(addr) => local_url(addr),
            Err(_) => format!("http://{}", config.listen),
        },
    };
    let core = Core::build(&config, Deps::default()).await?;
    let prepared = async {
        let (_, created) = simulate::ensure_owner(&core, &args.owner).await?;
        if let Some(password) = created {
            // Shown once, here only: the password is stored hashed.
            println!("simulate: created account {} / {password}", args.owner);
        }
        simulate::prepare(&core, &args.owner, args.cameras, &args.prefix).await
    }
    .await;
    core.store.close().await;
    let cameras = prepared?;
    let pacing = if args.fast {
        Pacing::Fast
    } else {
        Pacing::RealTime
    };
    let sim = Simulator::new(&server, cameras, pacing, Arc::new(SystemClock))?
        .with_fallbacks(&args.fallbacks);
    let stats = sim.stats();
    println!(
        "simulate: {} camera(s) of {} -> {server} ({pacing:?})",
        args.cameras, args.owner
    );
    let (stop, stopped) = watch::channel(false);
    let cameras = sim.spawn(stopped);
    let limit = async {
        match args.duration {
            Some(secs) => tokio::time::sleep(Duration::from_secs(secs)).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(limit);
    let interrupted = shutdown_signal();
    tokio::pin!(interrupted);
    let mut report =
        tokio::time::interval_at(tokio::time::Instant::now() + REPORT_EVERY, REPORT_EVERY);
    loop {
        tokio::select! {
            _ = report.tick() => println!("simulate: {}", stats.snapshot().summary()),
            _ = &mut limit => break,
            _ = &mut interrupted => break,
        }
    }
    let _ = stop.send(true);
    if let Err(e) = cameras.await {
        tracing::error!(error = %e, "the simulated cameras stopped abnormally");
    }
    println!("simulate: done: {}", stats.snapshot().summary());
    Ok(())
}

async fn create_user(
    config: Config,
    username: &str,
    email: Option<&str>,
    admin: bool,
) -> anyhow::Result<()> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    let password = Password::new(line.trim_end_matches(['\r', '\n']));
    let core = Core::build(&config, Deps::default()).await?;
    let role = if admin { Role::Admin } else { Role::User };
    core.accounts
        .create_user(username, &password, email, role)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    core.store.close().await;
    println!("created {} account {username}", role.as_str());
    Ok(())
}

async fn verify_audit(config: Config) -> anyhow::Result<()> {
    let core = Core::build(&config, Deps::default()).await?;
    let report = core.audit.verify().await;
    core.store.close().await;
    let r = report.map_err(|e| anyhow::anyhow!("{e}"))?;
    let checkpoints = match r.last_checkpoint {
        Some(seq) => format!(
            "{} signed checkpoint(s), the last at entry {seq} ({} entries after it)",
            r.checkpoints, r.after_last_checkpoint
        ),
        None => "no signed checkpoint yet".to_string(),
    };
    match &r.finding {
        None => {
            println!(
                "audit log intact: {} entries ({} with a person's part erased), {checkpoints}",
                r.entries, r.redacted
            );
            Ok(())
        }
        Some(f) => anyhow::bail!(
            "audit log tampered with: {f} ({} entries verified before it; {checkpoints})",
            r.entries
        ),
    }
}

async fn provision(config: Config, file: &std::path::Path, update: bool) -> anyhow::Result<()> {
    let text = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let core = Core::build(&config, Deps::default()).await?;
    let result = core.cameras.provision(&text, update).await;
    core.store.close().await;
    match result {
        Ok(n) => {
            println!("provisioned {n} devices from {}", file.display());
            Ok(())
        }
        Err(domain::Error::ImportRejected(lines)) => {
            for line in &lines {
                eprintln!("{}: {line}", file.display());
            }
            anyhow::bail!("nothing imported: {} problem(s)", lines.len())
        }
        Err(e) => Err(anyhow::anyhow!("{e}")),
    }
}
