//! The first administrator: a one-time setup token printed at start-up, and
//! direct creation for scripts.

use super::contact::Address;
use super::password::Password;
use super::secrets::{random_token, same_hash, token_hash};
use super::username::Username;
use super::{Accounts, SignedIn};
use crate::ports::Role;
use crate::{Error, Result};

const SETUP_TOKEN: &str = "setup_token_hash";

impl Accounts {
    /// While no admin exists, issues a new setup token (replacing any earlier
    /// one) and returns it for the console; otherwise clears it and returns None.
    pub async fn issue_setup_token(&self) -> Result<Option<String>> {
        if self.store.admin_exists().await? {
            self.store.delete_setting(SETUP_TOKEN).await?;
            return Ok(None);
        }
        let token = random_token();
        self.store
            .set_setting(SETUP_TOKEN, &token_hash(&token))
            .await?;
        Ok(Some(token))
    }

    /// Whether `token` is the live setup token.
    pub async fn setup_token_valid(&self, token: &str) -> Result<bool> {
        if self.store.admin_exists().await? {
            return Ok(false);
        }
        Ok(match self.store.setting(SETUP_TOKEN).await? {
            Some(stored) => same_hash(&stored, &token_hash(token)),
            None => false,
        })
    }

    /// Creates the first admin with the setup token, consumes the token and
    /// signs the admin in.
    pub async fn complete_setup(
        &self,
        token: &str,
        username: &str,
        password: &Password,
        email: Option<&str>,
        user_agent: Option<&str>,
    ) -> Result<SignedIn> {
        if !self.setup_token_valid(token).await? {
            return Err(Error::Forbidden);
        }
        let username = Username::parse(username)?;
        let contacts = match email.filter(|e| !e.trim().is_empty()) {
            Some(e) => vec![Address::email(e)?],
            None => Vec::new(),
        };
        self.create_account(username.clone(), password, contacts, Role::Admin)
            .await?;
        self.store.delete_setting(SETUP_TOKEN).await?;
        let account = self
            .store
            .account_by_username(username.as_str())
            .await?
            .ok_or(Error::NotFound("account"))?;
        self.start_session(account, user_agent).await
    }

    /// Creates an account directly (admin CLI); contacts start unverified.
    pub async fn create_user(
        &self,
        username: &str,
        password: &Password,
        email: Option<&str>,
        role: Role,
    ) -> Result<()> {
        let username = Username::parse(username)?;
        let contacts = match email.filter(|e| !e.trim().is_empty()) {
            Some(e) => vec![Address::email(e)?],
            None => Vec::new(),
        };
        self.create_account(username, password, contacts, role)
            .await
    }
}
