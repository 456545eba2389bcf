//! Sign-in through an external OpenID Connect provider (A3): the provider
//! itself, and the little that is kept of what it says.

use async_trait::async_trait;

use crate::clock::Timestamp;
use crate::ids::AccountId;
use crate::ports::NewAccount;
use crate::Result;

/// What the provider said about the person, reduced to the claims camvault
/// keeps: the subject id, and the email only when the provider verified it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderClaims {
    /// The provider's issuer URL (`iss`).
    pub issuer: String,
    /// The provider's stable id for the person (`sub`).
    pub subject: String,
    /// The email address, present only with `email_verified: true`.
    pub verified_email: Option<String>,
}

/// The authorization request to send the browser to.
#[derive(Debug, Clone)]
pub struct AuthorizationRequest {
    /// Random value the callback must carry back (CSRF).
    pub state: String,
    /// Random value the ID token must carry (replay).
    pub nonce: String,
    /// PKCE code verifier (RFC 7636); only its S256 challenge leaves.
    pub pkce_verifier: String,
    /// Where the provider sends the browser back.
    pub redirect_url: String,
}

/// An OpenID Connect provider, seen from the relying party.
#[async_trait]
pub trait IdentityProvider: Send + Sync {
    /// The name people see on the sign-in button.
    fn label(&self) -> &str;
    /// The issuer URL identities are recorded under.
    fn issuer(&self) -> &str;
    /// The provider's authorization URL for an authorization-code flow
    /// with PKCE (S256), scopes `openid email`.
    async fn authorization_url(&self, request: &AuthorizationRequest) -> Result<String>;
    /// Redeems the code at the token endpoint and verifies the ID token
    /// (signature, issuer, audience, expiry, nonce); anything wrong is
    /// `Error::ExternalSignIn`.
    async fn redeem(&self, code: &str, pending: &PendingExternalSignIn) -> Result<ProviderClaims>;
}

/// An external identity linked to an account, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalIdentity {
    /// The account it signs in to.
    pub account_id: AccountId,
    /// Provider issuer URL.
    pub issuer: String,
    /// Provider subject id.
    pub subject: String,
    /// The provider-verified email, if it gave one.
    pub email: Option<String>,
    /// When it was linked.
    pub linked_at: Timestamp,
    /// When it was last used to sign in.
    pub last_used_at: Timestamp,
}

/// A sign-in started and not finished yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingExternalSignIn {
    /// The PKCE verifier to send with the code.
    pub pkce_verifier: String,
    /// The nonce the ID token must carry.
    pub nonce: String,
    /// The redirect URL the authorization request named (the token
    /// request must name it again).
    pub redirect_url: String,
    /// Set when a signed-in person is linking the provider to their account.
    pub link_account: Option<AccountId>,
    /// When it started.
    pub created_at: Timestamp,
}

/// Storage of linked identities and of sign-ins in flight.
#[async_trait]
pub trait ExternalIdentityStore: Send + Sync {
    /// Records a sign-in in flight under the hash of its state.
    async fn put_pending_external(&self, state_hash: &str, p: &PendingExternalSignIn)
        -> Result<()>;
    /// Removes and returns the sign-in in flight (each state works once).
    async fn take_pending_external(
        &self,
        state_hash: &str,
    ) -> Result<Option<PendingExternalSignIn>>;
    /// Forgets sign-ins started before `before`; returns how many.
    async fn purge_pending_external(&self, before: Timestamp) -> Result<u64>;
    /// The identity with this issuer and subject, if linked.
    async fn external_identity(
        &self,
        issuer: &str,
        subject: &str,
    ) -> Result<Option<ExternalIdentity>>;
    /// The identities linked to an account.
    async fn external_identities_of(&self, account: AccountId) -> Result<Vec<ExternalIdentity>>;
    /// Links an identity; `Taken("external_identity")` when the issuer and
    /// subject are linked already, to this account or another.
    async fn link_external(&self, identity: &ExternalIdentity) -> Result<()>;
    /// Records a sign-in: the time, and the email as the provider gives it now.
    async fn touch_external(
        &self,
        issuer: &str,
        subject: &str,
        email: Option<&str>,
        now: Timestamp,
    ) -> Result<()>;
    /// Unlinks; false when it was not linked to that account.
    async fn unlink_external(&self, account: AccountId, issuer: &str) -> Result<bool>;
    /// In one transaction: creates the account (its contacts already
    /// verified by the provider) and links the identity to it.
    async fn create_external_account(
        &self,
        new: NewAccount,
        issuer: &str,
        subject: &str,
        email: Option<&str>,
    ) -> Result<AccountId>;
}
