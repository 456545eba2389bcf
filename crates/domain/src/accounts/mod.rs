//! Accounts: registration, verified contacts, sign-in, sessions and API tokens.
//!
//! [`Accounts`] is the one entry point; its operations are split by concept
//! over the files of this folder. Promises kept here: A1 (unverified
//! contacts neither sign in nor receive anything), A2 (password or one-time
//! code), A4 (a replaced contact receives nothing more), G7 (password policy,
//! Argon2id, throttling).

pub mod contact;
pub mod password;
pub mod secrets;
pub mod throttle;
pub mod username;
pub use second_factor::TotpEnrolment;

mod api_tokens;
mod codes;
mod contacts;
pub mod external;
pub mod minors;
mod register;
mod second_factor;
mod sessions;
mod setup;
mod signin;

use std::sync::Arc;
use std::time::Duration;

use crate::clock::Clock;
use crate::ids::{ApiTokenId, SessionId};
use crate::notify::Outbox;
use crate::ports::{Account, Contact, IdentityStore, Sender};
use secrets::Secrets;

pub use register::{Registered, Registration};

/// Tunable rules for accounts.
#[derive(Debug, Clone)]
pub struct AccountsConfig {
    /// A session unused for this long is signed out.
    pub session_idle: Duration,
    /// How long a one-time code works.
    pub code_ttl: Duration,
    /// Wrong guesses before a code is void.
    pub code_max_attempts: i64,
    /// Minimum time between two codes to the same contact.
    pub code_resend_interval: Duration,
    /// With the age check on, the age below which a guardian must confirm
    /// a new account (A7); None turns the check off.
    pub minimum_age: Option<u32>,
    /// Minimum ages that differ by region (with the age check on).
    pub minimum_age_by_region: std::collections::BTreeMap<String, u32>,
    /// The regions a person may sign up in, home first (F11).
    pub regions: Vec<String>,
}

impl Default for AccountsConfig {
    fn default() -> Self {
        AccountsConfig {
            session_idle: Duration::from_secs(30 * 24 * 3600),
            code_ttl: Duration::from_secs(10 * 60),
            code_max_attempts: 5,
            code_resend_interval: Duration::from_secs(30),
            minimum_age: None,
            minimum_age_by_region: Default::default(),
            regions: vec!["home".into()],
        }
    }
}

/// The accounts service: every identity rule, over injected storage,
/// senders and clock.
pub struct Accounts {
    store: Arc<dyn IdentityStore>,
    outbox: Outbox,
    clock: Arc<dyn Clock>,
    secrets: Secrets,
    config: AccountsConfig,
}

/// The injected dependencies of [`Accounts`].
pub struct AccountsDeps {
    /// Storage.
    pub store: Arc<dyn IdentityStore>,
    /// Sender for email addresses.
    pub email: Arc<dyn Sender>,
    /// Sender for phone numbers.
    pub sms: Arc<dyn Sender>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Server keys.
    pub secrets: Secrets,
}

impl Accounts {
    /// Wires the service.
    pub fn new(deps: AccountsDeps, config: AccountsConfig) -> Self {
        Accounts {
            store: deps.store,
            outbox: Outbox::new(deps.email, deps.sms),
            clock: deps.clock,
            secrets: deps.secrets,
            config,
        }
    }

    /// The rules in force.
    pub fn config(&self) -> &AccountsConfig {
        &self.config
    }

    /// Storage health, for readiness checks.
    pub async fn ping(&self) -> crate::Result<()> {
        self.store.ping().await
    }
}

/// A fresh browser session: the cookie value is only ever in this struct.
#[derive(Debug)]
pub struct SignedIn {
    /// The cookie value (shown once, stored hashed).
    pub token: String,
    /// The session's id.
    pub session_id: SessionId,
    /// The token that must accompany state-changing requests of this session.
    pub csrf_token: String,
    /// Who signed in.
    pub account: Account,
    /// The session waits for the second step (a code from the
    /// authenticator app or a recovery code) before it grants anything.
    pub second_factor_required: bool,
}

/// How a request proved who it is.
#[derive(Debug, Clone)]
pub enum Credential {
    /// A browser session cookie.
    Session {
        /// The session.
        id: SessionId,
        /// Its CSRF token.
        csrf_token: String,
    },
    /// A personal API token.
    ApiToken(ApiTokenId),
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// The caller's account.
    pub account: Account,
    /// How they authenticated.
    pub credential: Credential,
}

impl Authenticated {
    /// The session id, if the caller used a cookie.
    pub fn session_id(&self) -> Option<SessionId> {
        match &self.credential {
            Credential::Session { id, .. } => Some(*id),
            Credential::ApiToken(_) => None,
        }
    }
}

/// An account with its contacts, as the owner sees it.
#[derive(Debug, Clone)]
pub struct Profile {
    /// The account.
    pub account: Account,
    /// Its contacts, current and pending.
    pub contacts: Vec<Contact>,
}
