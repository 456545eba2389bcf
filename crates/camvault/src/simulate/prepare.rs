//! Accounts and devices for simulated cameras, made directly through the
//! domain services (no HTTP), so a fresh data directory needs no set-up.

use anyhow::{bail, Context};
use domain::accounts::password::{self, Password};
use domain::accounts::username::Username;
use domain::cameras::control::SettingsChange;
use domain::cameras::serial::SerialNumber;
use domain::ids::AccountId;
use domain::ports::{AccountStore, CameraStore, Role};
use rand::Rng;

use crate::app::Core;

/// The model name simulated cameras are provisioned with.
pub const SIM_MODEL: &str = "camvault simulator";

/// Letters and digits that cannot be mistaken for one another when read
/// off a terminal (no 0/o, 1/l/i).
const READABLE: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

fn readable(len: usize) -> String {
    let mut rng = rand::rngs::OsRng;
    (0..len)
        .map(|_| char::from(READABLE[rng.gen_range(0..READABLE.len())]))
        .collect()
}

/// A random password of four dash-separated groups of five readable
/// characters (about 99 bits) that passes the password policy for `username`.
pub fn random_password(username: &str) -> String {
    loop {
        let groups: Vec<String> = (0..4).map(|_| readable(5)).collect();
        let candidate = groups.join("-");
        // Retried only in the astronomically rare case it spells the username.
        if Password::new(candidate.as_str())
            .check_new(username)
            .is_ok()
        {
            return candidate;
        }
    }
}

/// The account `username`, created as a user with a random password if it
/// does not exist; the password is returned only when it was created.
pub async fn ensure_owner(
    core: &Core,
    username: &str,
) -> anyhow::Result<(AccountId, Option<String>)> {
    let name = Username::parse(username).map_err(|e| anyhow::anyhow!("{e}"))?;
    if let Some(account) = core.store.account_by_username(name.as_str()).await? {
        return Ok((account.id, None));
    }
    let password = random_password(name.as_str());
    core.accounts
        .create_user(
            name.as_str(),
            &Password::new(password.as_str()),
            None,
            Role::User,
        )
        .await
        .map_err(|e| anyhow::anyhow!("creating account {}: {e}", name.as_str()))?;
    let account = core
        .store
        .account_by_username(name.as_str())
        .await?
        .context("the account just created is missing")?;
    Ok((account.id, Some(password)))
}

/// Creates `username` or, if it exists, gives it a new password; returns
/// the password (for the one line that shows it to the operator).
pub async fn reset_account(core: &Core, username: &str) -> anyhow::Result<String> {
    let (id, created) = ensure_owner(core, username).await?;
    if let Some(password) = created {
        return Ok(password);
    }
    let name = Username::parse(username).map_err(|e| anyhow::anyhow!("{e}"))?;
    let password = random_password(name.as_str());
    let hash = password::hash(&Password::new(password.as_str()))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    core.store.set_password_hash(id, &hash).await?;
    tracing::info!(account = %id, "demo account password reset");
    Ok(password)
}

/// The serial of simulated camera `i` (1-based): `{prefix}-0001`….
pub fn serial(prefix: &str, i: usize) -> String {
    format!("{prefix}-{i:04}")
}

/// Makes `n` simulated cameras `{prefix}-0001`… exist, bound to
/// `owner_username` and named "Demo camera 1"…, and returns each one's
/// serial and a device secret that works.
///
/// The owner is created if missing (with a random password nobody sees:
/// call [`ensure_owner`] or [`reset_account`] first when someone should sign
/// in). Idempotent: devices already bound to the owner are reused, but since
/// secrets are stored only as keyed hashes every device is re-provisioned
/// with a fresh secret and label code. A serial bound to another account is
/// an error, and nothing is changed then.
pub async fn prepare(
    core: &Core,
    owner_username: &str,
    n: usize,
    prefix: &str,
) -> anyhow::Result<Vec<(String, String)>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    let (owner, _) = ensure_owner(core, owner_username).await?;
    // Normalised as the store keeps them, so the ownership check below
    // finds existing devices whatever the prefix's case.
    let serials = (1..=n)
        .map(|i| {
            SerialNumber::parse(&serial(prefix, i))
                .map(|s| s.as_str().to_string())
                .map_err(|e| anyhow::anyhow!("serial prefix {prefix:?}: {e}"))
        })
        .collect::<anyhow::Result<Vec<String>>>()?;
    let mut newly_bound = Vec::with_capacity(n);
    for s in &serials {
        let existing = core.store.camera_by_serial(s).await?;
        match existing.and_then(|c| c.owner) {
            Some(o) if o != owner => {
                bail!("{s} is bound to another account; use another serial prefix")
            }
            Some(_) => newly_bound.push(false),
            None => newly_bound.push(true),
        }
    }
    let credentials: Vec<(String, String, String)> = serials
        .iter()
        .map(|s| (s.clone(), readable(10).to_uppercase(), readable(32)))
        .collect();
    let mut csv = String::from("serial,model,verification_code,device_secret\n");
    for (s, code, secret) in &credentials {
        csv.push_str(&format!("{s},{SIM_MODEL},{code},{secret}\n"));
    }
    match core.cameras.provision(csv.as_bytes(), true).await {
        Ok(_) => {}
        Err(domain::Error::ImportRejected(lines)) => bail!("provisioning: {}", lines.join("; ")),
        Err(e) => bail!("provisioning: {e}"),
    }
    let mut out = Vec::with_capacity(n);
    for (i, ((s, code, secret), fresh)) in credentials.into_iter().zip(newly_bound).enumerate() {
        let camera = core
            .cameras
            .bind(owner, &s, &code)
            .await
            .map_err(|e| anyhow::anyhow!("binding {s}: {e}"))?;
        // Only a camera bound just now is renamed: a name the owner chose
        // for it in an earlier run stays.
        if fresh {
            let change = SettingsChange {
                name: Some(format!("Demo camera {}", i + 1)),
                ..SettingsChange::default()
            };
            core.cameras
                .change_settings(owner, camera.id, change)
                .await
                .map_err(|e| anyhow::anyhow!("naming {s}: {e}"))?;
        }
        out.push((s, secret));
    }
    tracing::info!(account = %owner, cameras = n, "simulated cameras ready");
    Ok(out)
}
