//! The command line: `serve` and `admin create-user`.

use std::io::BufRead;

use anyhow::Context;
use clap::{Parser, Subcommand};
use domain::accounts::password::Password;
use domain::ports::Role;

use crate::app::{shutdown_signal, App, Core, Deps};
use crate::config::{Config, ConfigArgs};

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
    Serve,
    /// Administration tasks.
    #[command(subcommand)]
    Admin(AdminCommand),
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
}

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::load(&cli.config).map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
    crate::logging::init(&config.log_format);
    match cli.command {
        Command::Serve => serve(config).await,
        Command::Admin(AdminCommand::CreateUser {
            username,
            email,
            admin,
        }) => create_user(config, &username, email.as_deref(), admin).await,
        Command::Admin(AdminCommand::Provision { file, update }) => {
            provision(config, &file, update).await
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let app = App::build(&config, Deps::default()).await?;
    let base = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", app.local_addr()));
    tracing::info!(database = app.core().store.backend(), "camvault ready");
    // stdout, not the log: these two lines are for the operator's eyes and
    // for scripts that wait for the server.
    println!("camvault: listening on http://{}", app.local_addr());
    if let Some(token) = app.core().accounts.issue_setup_token().await? {
        println!(
            "camvault: no administrator yet. Create one (link works once): {}/setup?token={token}",
            base.trim_end_matches('/')
        );
    }
    app.run(shutdown_signal()).await
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
