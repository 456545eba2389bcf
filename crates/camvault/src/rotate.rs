//! `camvault admin rotate-keys`: replaces the key that wraps every account
//! key, and re-wraps them all under the new one. Media keys, blobs and every
//! other secret derived from the master key stay as they are, so nothing
//! recorded is rewritten; a database backup taken before the rotation keeps
//! needing the old wrapping key (and each account's vault secret).
//!
//! Run it with every server stopped: a running server keeps the old key
//! in memory. It is safe to interrupt: the new key is in the key file before
//! anything is re-wrapped, and while the file still lists the old one,
//! servers and a second run accept keys under either. Running it again
//! after an interruption finishes the job.

use anyhow::Context;

use crate::app::{Core, Deps};
use crate::config::Config;
use crate::master_key;

/// What a rotation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rotation {
    /// Account keys re-wrapped under the new key.
    pub rewrapped: u64,
}

/// Rotates the account-key wrapping key of `config`'s master key file.
pub async fn rotate_account_keys(config: &Config) -> anyhow::Result<Rotation> {
    let path = config.master_key_file();
    anyhow::ensure!(
        path.exists(),
        "no master key at {}: nothing to rotate",
        path.display()
    );
    let mut keys = master_key::load_or_create(&path)?;
    keys.wrapping.push(crypto::random_key());
    // Durable before any account key is wrapped under it.
    master_key::save(&path, &keys).context("adding the new wrapping key")?;
    let core = Core::build(config, Deps::default()).await?;
    let rewrapped = core.recordings.keys().rotate_all().await;
    core.store.close().await;
    let rewrapped = rewrapped.context("re-wrapping account keys")?;
    // Every account key opens under the new key: the old ones can go.
    keys.wrapping.drain(..keys.wrapping.len() - 1);
    master_key::save(&path, &keys).context("removing the old wrapping keys")?;
    Ok(Rotation { rewrapped })
}
