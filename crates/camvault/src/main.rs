//! The `camvault` binary: parse the command line and run it.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = camvault::cli::Cli::parse();
    match camvault::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("camvault: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
