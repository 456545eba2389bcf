//! Verifying contacts and changing them (A1, A4).
//!
//! A new address never replaces the current one until its code is entered;
//! from that moment the old address is deleted, so nothing (codes, alerts,
//! notices) can reach it any more.

use super::contact::{Address, ContactKind};
use super::{Accounts, Profile};
use crate::ids::AccountId;
use crate::ports::{Account, CodePurpose, Contact, ContactState};
use crate::{Error, Result};

impl Accounts {
    /// The account and its contacts.
    pub async fn profile(&self, id: AccountId) -> Result<Profile> {
        let account = self
            .store
            .account(id)
            .await?
            .ok_or(Error::NotFound("account"))?;
        let contacts = self.store.contacts(id).await?;
        Ok(Profile { account, contacts })
    }

    /// The profile of an account already loaded (saves a query per request).
    pub async fn profile_of(&self, account: Account) -> Result<Profile> {
        let contacts = self.store.contacts(account.id).await?;
        Ok(Profile { account, contacts })
    }

    /// The contact of `kind` waiting for its code: a pending replacement, or
    /// else an unverified current contact.
    async fn awaiting_verification(&self, id: AccountId, kind: ContactKind) -> Result<Contact> {
        let contacts = self.store.contacts(id).await?;
        let of_kind = |state| {
            contacts
                .iter()
                .find(|c| c.address.kind() == kind && c.state == state)
                .cloned()
        };
        if let Some(p) = of_kind(ContactState::Pending) {
            return Ok(p);
        }
        match of_kind(ContactState::Current) {
            Some(c) if c.verified_at.is_none() => Ok(c),
            _ => Err(Error::NotFound("contact awaiting verification")),
        }
    }

    /// Proves a contact with its code; a pending replacement becomes current
    /// and the old address is removed at once.
    pub async fn verify_contact(&self, id: AccountId, kind: ContactKind, code: &str) -> Result<()> {
        let contact = self.awaiting_verification(id, kind).await?;
        self.check_code(&contact, CodePurpose::Verify, code).await?;
        let now = self.clock.now();
        match contact.state {
            ContactState::Pending => self.store.promote_pending(contact.id, now).await?,
            ContactState::Current => self.store.mark_verified(contact.id, now).await?,
        }
        tracing::info!(account = %id, contact = %contact.address.masked(), "contact verified");
        Ok(())
    }

    /// The account whose verified contact `address` is, if any.
    pub async fn account_with_contact(&self, address: &Address) -> Result<Option<AccountId>> {
        Ok(self
            .store
            .verified_contact(address)
            .await?
            .map(|c| c.account_id))
    }

    /// Sends a new verification code to the contact awaiting one.
    pub async fn resend_verification(&self, id: AccountId, kind: ContactKind) -> Result<()> {
        let contact = self.awaiting_verification(id, kind).await?;
        self.send_code(&contact, CodePurpose::Verify).await
    }

    /// Starts replacing (or adding) the account's contact of `kind`: the new
    /// address gets a code; the current one keeps working until it is entered.
    pub async fn change_contact(
        &self,
        id: AccountId,
        kind: ContactKind,
        raw: &str,
    ) -> Result<String> {
        let address = Address::parse(kind, raw)?;
        if let Some(owner) = self.store.verified_contact(&address).await? {
            if owner.account_id == id {
                return Err(Error::invalid(kind.as_str(), "is already your address"));
            }
            return Err(Error::Taken("contact"));
        }
        let contacts = self.store.contacts(id).await?;
        let current_verified = contacts.iter().any(|c| {
            c.address.kind() == kind && c.state == ContactState::Current && c.verified_at.is_some()
        });
        let state = if current_verified {
            ContactState::Pending
        } else {
            ContactState::Current
        };
        let now = self.clock.now();
        self.store.put_contact(id, &address, state, now).await?;
        let contact = self.awaiting_verification(id, kind).await?;
        self.send_code(&contact, CodePurpose::Verify).await?;
        Ok(address.masked())
    }
}
