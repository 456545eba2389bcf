//! Registration (A1): username, password and at least one contact, each
//! contact verified afterwards by a one-time code.

use super::contact::Address;
use super::password::{self, Password};
use super::username::Username;
use super::{Accounts, SignedIn};
use crate::ports::{CodePurpose, NewAccount, Role};
use crate::{Error, Result};

/// What a person types to register.
#[derive(Debug)]
pub struct Registration {
    /// Desired username.
    pub username: String,
    /// Desired password.
    pub password: Password,
    /// Email address, if given.
    pub email: Option<String>,
    /// Phone number, if given.
    pub phone: Option<String>,
    /// Birth date `YYYY-MM-DD`, needed when the age check is on; compared,
    /// never stored.
    pub birth_date: Option<String>,
    /// A parent's or guardian's email, needed under the minimum age.
    pub guardian_email: Option<String>,
    /// The region to keep the account's data in; home when absent (F11).
    pub region: Option<String>,
}

/// How a registration ended.
#[derive(Debug)]
pub enum Registered {
    /// The account is ready and signed in.
    SignedIn(Box<SignedIn>),
    /// The account waits for a guardian to confirm (A7); nobody is signed in.
    AwaitingGuardian,
}

impl Registration {
    /// Validates the input into its parts; at least one contact is required.
    fn parse(&self) -> Result<(Username, Vec<Address>)> {
        let username = Username::parse(&self.username)?;
        let mut contacts = Vec::new();
        if let Some(e) = self.email.as_deref().filter(|s| !s.trim().is_empty()) {
            contacts.push(Address::email(e)?);
        }
        if let Some(p) = self.phone.as_deref().filter(|s| !s.trim().is_empty()) {
            contacts.push(Address::phone(p)?);
        }
        if contacts.is_empty() {
            return Err(Error::invalid(
                "email",
                "give an email address or a phone number",
            ));
        }
        Ok((username, contacts))
    }
}

impl Accounts {
    /// Registers a user account and sends a verification code to each
    /// contact; signs the new user in, or — under the minimum age — mails
    /// their guardian a link under `base` and waits.
    pub async fn register(
        &self,
        reg: Registration,
        user_agent: Option<&str>,
        base: &str,
    ) -> Result<Registered> {
        let (username, contacts) = reg.parse()?;
        let home = self.config.regions.first().cloned().unwrap_or_default();
        let region = match reg
            .region
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
        {
            None => home.clone(),
            Some(r) if self.config.regions.iter().any(|k| k == r) => r.to_string(),
            Some(_) => {
                let all = self.config.regions.join(", ");
                return Err(Error::invalid("region", format!("one of {all}")));
            }
        };
        let guardian = self.age_check(
            reg.birth_date.as_deref(),
            reg.guardian_email.as_deref(),
            &contacts,
            &region,
        )?;
        self.create_account(username.clone(), &reg.password, contacts, Role::User)
            .await?;
        if region != home {
            let account = self
                .store
                .account_by_username(username.as_str())
                .await?
                .ok_or(Error::NotFound("account"))?;
            self.store
                .set_account_region(account.id, &region, self.clock.now())
                .await?;
        }
        let Some(guardian) = guardian else {
            let signed_in = self.sign_in_as_new(username, user_agent).await?;
            return Ok(Registered::SignedIn(Box::new(signed_in)));
        };
        let account = self
            .store
            .account_by_username(username.as_str())
            .await?
            .ok_or(Error::NotFound("account"))?;
        self.ask_guardian(account.id, username.as_str(), guardian, base)
            .await?;
        Ok(Registered::AwaitingGuardian)
    }

    /// Creates an account with the given role and sends verification codes;
    /// used by registration, first-admin setup and the admin CLI.
    pub(super) async fn create_account(
        &self,
        username: Username,
        password: &Password,
        contacts: Vec<Address>,
        role: Role,
    ) -> Result<()> {
        password.check_new(username.as_str())?;
        for address in &contacts {
            if self.store.verified_contact(address).await?.is_some() {
                return Err(Error::Taken("contact"));
            }
        }
        let password_hash = password::hash(password).await?;
        let id = self
            .store
            .create_account(NewAccount {
                username: username.as_str().to_string(),
                password_hash,
                role,
                contacts,
                now: self.clock.now(),
            })
            .await?;
        tracing::info!(account = %id, role = role.as_str(), "account created");
        for contact in self.store.contacts(id).await? {
            // The account exists either way; a failed send is retried by the
            // user with "resend", so it must not undo the registration.
            if let Err(e) = self.send_code(&contact, CodePurpose::Verify).await {
                tracing::warn!(account = %id, error = %e, "verification code not sent");
            }
        }
        Ok(())
    }

    async fn sign_in_as_new(
        &self,
        username: Username,
        user_agent: Option<&str>,
    ) -> Result<SignedIn> {
        let account = self
            .store
            .account_by_username(username.as_str())
            .await?
            .ok_or(Error::NotFound("account"))?;
        self.start_session(account, user_agent).await
    }
}
