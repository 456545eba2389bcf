//! Signing in by password or one-time code (A2), with throttling (G7).
//!
//! Every failure looks the same from outside (401, same timing), whether the
//! name exists or not, so sign-in cannot be used to find accounts.

use super::contact::Address;
use super::password::{self, Password};
use super::secrets::{random_token, token_hash};
use super::throttle::ThrottlePolicy;
use super::username::Username;
use super::{Accounts, SignedIn};
use crate::ids::AccountId;
use crate::ports::{Account, CodePurpose, Contact, ServiceEvent};
use crate::{Error, Result};

/// Throttle keys for one sign-in attempt.
pub(super) struct Keys {
    login: String,
    ip: String,
}

impl Keys {
    pub(super) fn new(login: &str, ip: &str) -> Self {
        // Control characters name no account; they would only make keys
        // that some databases refuse to store.
        let login: String = login
            .trim()
            .to_lowercase()
            .chars()
            .filter(|c| !c.is_control())
            .take(320)
            .collect();
        Keys {
            login: format!("login:{login}"),
            ip: format!("ip:{ip}"),
        }
    }

    /// Second-step attempts count per account, apart from passwords.
    pub(super) fn second_factor(account: AccountId, ip: &str) -> Self {
        Keys {
            login: format!("second-factor:{account}"),
            ip: format!("ip:{ip}"),
        }
    }
}

impl Accounts {
    /// Refuses with `Throttled` while either key is locked.
    pub(super) async fn check_throttle(&self, keys: &Keys) -> Result<()> {
        let now = self.clock.now();
        let mut wait = 0;
        for (key, policy) in [
            (&keys.login, ThrottlePolicy::PER_ACCOUNT),
            (&keys.ip, ThrottlePolicy::PER_IP),
        ] {
            if let Some(rec) = self.store.throttle(key).await? {
                if rec.updated_at.plus(policy.window) < now {
                    self.store.clear(key).await?;
                } else if now < rec.locked_until {
                    wait = wait.max(now.secs_until(rec.locked_until));
                }
            }
        }
        if wait > 0 {
            return Err(Error::Throttled {
                retry_after_secs: wait,
            });
        }
        Ok(())
    }

    /// Counts a failure on both keys and locks those past their allowance.
    pub(super) async fn record_failure(&self, keys: &Keys) -> Result<()> {
        let now = self.clock.now();
        for (key, policy) in [
            (&keys.login, ThrottlePolicy::PER_ACCOUNT),
            (&keys.ip, ThrottlePolicy::PER_IP),
        ] {
            let failures = self.store.record_failure(key, now).await?;
            if let Some(until) = policy.locked_until(failures, now) {
                self.store.lock(key, until).await?;
            }
        }
        Ok(())
    }

    /// Finds the account a sign-in name refers to: a username, or a verified
    /// email address or phone number. Unverified contacts never match (A1).
    async fn resolve_login(&self, login: &str) -> Result<Option<(Account, Option<Contact>)>> {
        let login = login.trim();
        if login.contains('@') || login.starts_with('+') {
            let Ok(address) = Address::parse_any(login) else {
                return Ok(None);
            };
            let Some(contact) = self.store.verified_contact(&address).await? else {
                return Ok(None);
            };
            let account = self.store.account(contact.account_id).await?;
            return Ok(account.map(|a| (a, Some(contact))));
        }
        let Ok(username) = Username::parse(login) else {
            return Ok(None);
        };
        let account = self.store.account_by_username(username.as_str()).await?;
        Ok(account.map(|a| (a, None)))
    }

    /// Signs in with a username (or verified contact) and password.
    pub async fn sign_in_with_password(
        &self,
        login: &str,
        password: &Password,
        ip: &str,
        user_agent: Option<&str>,
    ) -> Result<SignedIn> {
        let keys = Keys::new(login, ip);
        self.check_throttle(&keys).await?;
        let found = self.resolve_login(login).await?;
        let hash = found.as_ref().map(|(a, _)| a.password_hash.as_str());
        if !password::verify(password, hash).await {
            self.record_failure(&keys).await?;
            let named = found.as_ref().map(|(a, _)| a.id);
            self.log_event(named, "sign_in_failed", ip, user_agent)
                .await;
            tracing::info!("password sign-in refused");
            return Err(Error::Unauthenticated);
        }
        let Some((account, _)) = found else {
            return Err(Error::Unauthenticated);
        };
        self.store.clear(&keys.login).await?;
        let id = account.id;
        let signed_in = self.start_session(account, user_agent).await?;
        self.log_event(Some(id), "sign_in", ip, user_agent).await;
        Ok(signed_in)
    }

    /// Sends a sign-in code to a verified contact. Answers the same whether
    /// or not the address belongs to anyone.
    pub async fn request_sign_in_code(&self, contact: &str, ip: &str) -> Result<()> {
        let keys = Keys::new(contact, ip);
        self.check_throttle(&keys).await?;
        if let Some((_, Some(contact))) = self.resolve_login(contact).await? {
            match self.send_code(&contact, CodePurpose::Login).await {
                // A resend that comes too soon is dropped silently: telling
                // the caller would reveal that the address is registered.
                Ok(()) | Err(Error::Throttled { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Signs in with a one-time code sent to a verified contact.
    pub async fn sign_in_with_code(
        &self,
        contact: &str,
        code: &str,
        ip: &str,
        user_agent: Option<&str>,
    ) -> Result<SignedIn> {
        let keys = Keys::new(contact, ip);
        self.check_throttle(&keys).await?;
        let Some((account, Some(contact))) = self.resolve_login(contact).await? else {
            self.record_failure(&keys).await?;
            return Err(Error::Unauthenticated);
        };
        if let Err(e) = self.check_code(&contact, CodePurpose::Login, code).await {
            self.record_failure(&keys).await?;
            self.log_event(Some(account.id), "sign_in_failed", ip, user_agent)
                .await;
            tracing::info!(error = %e, "code sign-in refused");
            return Err(Error::Unauthenticated);
        }
        self.store.clear(&keys.login).await?;
        let id = account.id;
        let signed_in = self.start_session(account, user_agent).await?;
        self.log_event(Some(id), "sign_in", ip, user_agent).await;
        Ok(signed_in)
    }

    /// Appends to the service log; a failure to log never fails a sign-in.
    pub(super) async fn log_event(
        &self,
        account: Option<AccountId>,
        kind: &str,
        ip: &str,
        user_agent: Option<&str>,
    ) {
        let event = ServiceEvent {
            id: 0,
            account_id: account,
            kind: kind.into(),
            ip: ip.into(),
            user_agent: user_agent.map(|s| s.chars().take(200).collect()),
            at: self.clock.now(),
        };
        if let Err(e) = self.store.add_service_event(&event).await {
            tracing::warn!(error = %e, "service log entry not written");
        }
    }

    /// The account's latest sign-ins and failed attempts, newest first.
    pub async fn activity(&self, who: AccountId) -> Result<Vec<ServiceEvent>> {
        self.store.service_events_of(who, 50).await
    }

    /// Creates a session for an account that has just proved who it is.
    pub(super) async fn start_session(
        &self,
        account: Account,
        user_agent: Option<&str>,
    ) -> Result<SignedIn> {
        // A cancelled account is closed for good (A8); the refusal is the
        // same as for wrong credentials, so it says nothing about the account.
        if self.store.is_cancelled(account.id).await? {
            return Err(Error::Unauthenticated);
        }
        // Nothing is done with a minor's account, signing in included,
        // until their guardian confirms (A7).
        if self.store.awaiting_guardian(account.id).await? {
            return Err(Error::AwaitingGuardian);
        }
        let token = random_token();
        let hash = token_hash(&token);
        let ua = user_agent.map(|s| s.chars().take(200).collect::<String>());
        // With a second factor, the session grants nothing until its code.
        let second_factor_required = self.has_second_factor(account.id).await?;
        let session_id = self
            .store
            .create_session(
                account.id,
                &hash,
                ua.as_deref(),
                second_factor_required,
                self.clock.now(),
            )
            .await?;
        tracing::info!(account = %account.id, session = %session_id, "signed in");
        Ok(SignedIn {
            token,
            session_id,
            csrf_token: self.secrets.csrf_token(&hash),
            account,
            second_factor_required,
        })
    }
}
