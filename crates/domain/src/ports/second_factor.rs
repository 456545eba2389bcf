//! Storage of second factors: authenticator secrets and recovery codes.

use async_trait::async_trait;

use crate::clock::Timestamp;
use crate::ids::{AccountId, SessionId};
use crate::Result;

/// An account's authenticator-app factor as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpFactor {
    /// The secret, sealed.
    pub sealed_secret: String,
    /// When enrolment was confirmed with a first code; `None` while pending.
    pub confirmed_at: Option<Timestamp>,
    /// The last time step whose code was accepted (none is accepted twice).
    pub last_step: i64,
}

/// Second factors.
#[async_trait]
pub trait SecondFactorStore: Send + Sync {
    /// The account's authenticator factor, confirmed or pending.
    async fn totp_factor(&self, account: AccountId) -> Result<Option<TotpFactor>>;
    /// Starts (or restarts) an enrolment; refused (false) when a confirmed
    /// factor exists.
    async fn put_pending_totp(
        &self,
        account: AccountId,
        sealed: &str,
        now: Timestamp,
    ) -> Result<bool>;
    /// In one transaction: confirms the pending factor at `step` and
    /// replaces the recovery codes with `code_hashes`. False when there is
    /// no pending factor.
    async fn confirm_totp(
        &self,
        account: AccountId,
        step: i64,
        now: Timestamp,
        code_hashes: &[String],
    ) -> Result<bool>;
    /// Records `step` as used if it is later than the last one used: true
    /// when it was (so two requests cannot both use one code).
    async fn use_totp_step(&self, account: AccountId, step: i64) -> Result<bool>;
    /// Marks an unused recovery code used: true when it was unused.
    async fn use_recovery_code(
        &self,
        account: AccountId,
        hash: &str,
        now: Timestamp,
    ) -> Result<bool>;
    /// Recovery codes not used yet.
    async fn recovery_codes_left(&self, account: AccountId) -> Result<i64>;
    /// Removes the account's factor and recovery codes.
    async fn remove_second_factor(&self, account: AccountId) -> Result<()>;
    /// The session has passed its second step.
    async fn complete_second_factor(&self, session: SessionId) -> Result<()>;
}
