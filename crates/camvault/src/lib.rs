//! The camvault server as a library: configuration, wiring and the command
//! line, so integration tests start exactly what `camvault serve` starts.

pub mod app;
pub mod bench;
pub mod cli;
pub mod config;
pub mod jobs;
pub mod logging;
pub mod master_key;
pub mod motion_watch;
pub mod rotate;
pub mod rtsp_ingest;
mod senders;
pub mod server;
pub mod simulate;
pub mod tls;
