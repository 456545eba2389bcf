//! Sign-in through an external OpenID Connect provider (A3).
//!
//! Authorization code with PKCE: camvault makes the state, nonce and code
//! verifier, keeps them for ten minutes under the state's hash, and takes
//! them back exactly once when the browser returns. Of everything the
//! provider says, only the subject id and a verified email are kept; an
//! unverified email is dropped, so it can never sign anyone in (A1).
//!
//! A provider identity never takes over an existing account by its email:
//! that account's owner signs in as usual and links the provider from their
//! account page, which proves they hold both.

use std::sync::Arc;
use std::time::Duration;

use super::contact::Address;
use super::secrets::{random_token, token_hash};
use super::username::Username;
use super::{Accounts, SignedIn};
use crate::ids::AccountId;
use crate::ports::{
    AuthorizationRequest, ExternalIdentity, IdentityProvider, NewAccount, PendingExternalSignIn,
    ProviderClaims, Role,
};
use crate::{Error, Result};

/// Where the provider sends the browser back, under the public base URL.
pub const CALLBACK_PATH: &str = "/auth/oidc/callback";

/// How long a started sign-in may take at the provider.
pub const PENDING_TTL: Duration = Duration::from_secs(10 * 60);

/// The claims kept of a provider's ID token, as shown to the person.
pub const KEPT_CLAIMS: [&str; 2] = ["sub", "email (only when the provider verified it)"];

/// A started sign-in: where to send the browser, and the state the
/// callback must match (kept in a cookie of that browser).
#[derive(Debug, Clone)]
pub struct Started {
    /// The provider's authorization URL.
    pub url: String,
    /// The state value, for the browser's cookie.
    pub state: String,
}

/// How a finished sign-in ended.
#[derive(Debug)]
pub enum Finished {
    /// Someone is signed in.
    SignedIn(Box<SignedIn>),
    /// The provider was linked to the signed-in person's account.
    Linked,
}

/// External sign-in: the provider, over the accounts service.
pub struct ExternalSignIn {
    accounts: Arc<Accounts>,
    provider: Arc<dyn IdentityProvider>,
}

impl ExternalSignIn {
    /// Sign-in through `provider` for the people of `accounts`.
    pub fn new(accounts: Arc<Accounts>, provider: Arc<dyn IdentityProvider>) -> Self {
        ExternalSignIn { accounts, provider }
    }

    /// The provider's name for the sign-in button.
    pub fn label(&self) -> &str {
        self.provider.label()
    }

    /// Starts a sign-in, or with `link` the linking of the provider to that
    /// (signed-in) account.
    /// `base` is the server's public base URL, for the redirect URL.
    pub async fn start(&self, link: Option<AccountId>, base: &str) -> Result<Started> {
        let store = &self.accounts.store;
        let now = self.accounts.clock.now();
        // Each start is a chance to forget abandoned ones.
        store.purge_pending_external(now.minus(PENDING_TTL)).await?;
        let request = AuthorizationRequest {
            state: random_token(),
            nonce: random_token(),
            pkce_verifier: random_token(),
            redirect_url: format!("{}{CALLBACK_PATH}", base.trim_end_matches('/')),
        };
        let url = self.provider.authorization_url(&request).await?;
        store
            .put_pending_external(
                &token_hash(&request.state),
                &PendingExternalSignIn {
                    pkce_verifier: request.pkce_verifier,
                    nonce: request.nonce,
                    redirect_url: request.redirect_url,
                    link_account: link,
                    created_at: now,
                },
            )
            .await?;
        Ok(Started {
            url,
            state: request.state,
        })
    }

    /// Finishes a sign-in when the browser comes back with `code` and
    /// `state`; `cookie_state` is the state this browser started with, and
    /// `current` the account signed in on it, if any.
    pub async fn finish(
        &self,
        cookie_state: Option<&str>,
        state: &str,
        code: &str,
        current: Option<AccountId>,
        ip: &str,
        user_agent: Option<&str>,
    ) -> Result<Finished> {
        // The state must be the one this browser started: otherwise someone
        // else's callback link could sign this browser in as them.
        if cookie_state != Some(state) {
            return Err(Error::ExternalSignIn(
                "this sign-in was not started in this browser".into(),
            ));
        }
        let store = &self.accounts.store;
        let now = self.accounts.clock.now();
        let pending = store
            .take_pending_external(&token_hash(state))
            .await?
            .filter(|p| now < p.created_at.plus(PENDING_TTL))
            .ok_or_else(|| {
                Error::ExternalSignIn("the sign-in expired or was used already".into())
            })?;
        let claims = self.provider.redeem(code, &pending).await?;
        if let Some(owner) = pending.link_account {
            if current != Some(owner) {
                return Err(Error::ExternalSignIn(
                    "linking was started by another session".into(),
                ));
            }
            self.link(owner, &claims).await?;
            return Ok(Finished::Linked);
        }
        let signed_in = self.sign_in(claims, ip, user_agent).await?;
        Ok(Finished::SignedIn(Box::new(signed_in)))
    }

    async fn link(&self, account: AccountId, claims: &ProviderClaims) -> Result<()> {
        let now = self.accounts.clock.now();
        self.accounts
            .store
            .link_external(&ExternalIdentity {
                account_id: account,
                issuer: claims.issuer.clone(),
                subject: claims.subject.clone(),
                email: claims.verified_email.clone(),
                linked_at: now,
                last_used_at: now,
            })
            .await?;
        tracing::info!(account = %account, "external identity linked");
        Ok(())
    }

    async fn sign_in(
        &self,
        claims: ProviderClaims,
        ip: &str,
        user_agent: Option<&str>,
    ) -> Result<SignedIn> {
        let accounts = &self.accounts;
        let store = &accounts.store;
        let now = accounts.clock.now();
        let known = store
            .external_identity(&claims.issuer, &claims.subject)
            .await?;
        let account_id = match known {
            Some(identity) => {
                store
                    .touch_external(
                        &claims.issuer,
                        &claims.subject,
                        claims.verified_email.as_deref(),
                        now,
                    )
                    .await?;
                identity.account_id
            }
            None => self.create_account(&claims).await?,
        };
        let account = store
            .account(account_id)
            .await?
            .ok_or(Error::Unauthenticated)?;
        let signed_in = accounts.start_session(account, user_agent).await?;
        accounts
            .log_event(Some(account_id), "sign_in_external", ip, user_agent)
            .await;
        Ok(signed_in)
    }

    /// A new account for a person the provider vouches for.
    async fn create_account(&self, claims: &ProviderClaims) -> Result<AccountId> {
        let accounts = &self.accounts;
        // Sign-up asks for a birth date under the age check (A7); the
        // provider does not give one, so such people register by form and
        // link the provider afterwards.
        if accounts.config.minimum_age.is_some() {
            return Err(Error::ExternalSignIn(
                "new accounts need the sign-up form here (it asks for a birth date); \
                 create one, then link the provider from your account page"
                    .into(),
            ));
        }
        let email = match claims.verified_email.as_deref() {
            Some(e) => Some(Address::email(e)?),
            None => None,
        };
        if let Some(address) = &email {
            if accounts.store.verified_contact(address).await?.is_some() {
                return Err(Error::ExternalEmailInUse);
            }
        }
        let stem = username_stem(claims.verified_email.as_deref());
        // The person never sees or uses this password: they sign in through
        // the provider, or by a code to the verified email.
        let password_hash =
            super::password::hash(&super::password::Password::new(random_token())).await?;
        for _ in 0..5 {
            let username = Username::parse(&format!("{stem}-{}", random_suffix()))?;
            let new = NewAccount {
                username: username.as_str().to_string(),
                password_hash: password_hash.clone(),
                role: Role::User,
                contacts: email.iter().cloned().collect(),
                now: accounts.clock.now(),
            };
            match accounts
                .store
                .create_external_account(
                    new,
                    &claims.issuer,
                    &claims.subject,
                    claims.verified_email.as_deref(),
                )
                .await
            {
                Ok(id) => {
                    tracing::info!(account = %id, "account created through the external provider");
                    return Ok(id);
                }
                Err(Error::Taken("username")) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(Error::Taken("username"))
    }
}

impl Accounts {
    /// The provider identities linked to an account.
    pub async fn external_identities(&self, account: AccountId) -> Result<Vec<ExternalIdentity>> {
        self.store.external_identities_of(account).await
    }

    /// Unlinks a provider, as long as the person keeps a way to sign in
    /// that they know works: a verified email or phone for code sign-in.
    pub async fn unlink_external(&self, account: AccountId, issuer: &str) -> Result<()> {
        let contacts = self.store.contacts(account).await?;
        if !contacts.iter().any(|c| c.is_deliverable()) {
            return Err(Error::invalid(
                "issuer",
                "verify an email or phone first, or you could not sign in again",
            ));
        }
        if !self.store.unlink_external(account, issuer).await? {
            return Err(Error::NotFound("external identity"));
        }
        tracing::info!(account = %account, "external identity unlinked");
        Ok(())
    }
}

/// A readable start for a new username: the email's local part, cleaned.
fn username_stem(email: Option<&str>) -> String {
    let local = email.and_then(|e| e.split('@').next()).unwrap_or("");
    let cleaned: String = local
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        .take(20)
        .collect();
    if cleaned.len() < 3 {
        "member".into()
    } else {
        cleaned
    }
}

fn random_suffix() -> String {
    use rand::Rng;
    format!("{:04}", rand::thread_rng().gen_range(0..10_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_come_from_the_local_part_or_a_neutral_word() {
        assert_eq!(username_stem(Some("Ann.Lee+cam@example.org")), "annleecam");
        assert_eq!(username_stem(Some("x@example.org")), "member");
        assert_eq!(username_stem(None), "member");
        let u = format!(
            "{}-{}",
            username_stem(Some(&"a".repeat(60))),
            random_suffix()
        );
        assert!(Username::parse(&u).is_ok(), "{u}");
    }
}
