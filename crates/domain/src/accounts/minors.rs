//! Minors (A7): when the operator turns the age check on, sign-up asks for
//! a birth date; below the minimum age the account waits for a guardian,
//! who confirms through a link mailed to them, and nothing is done with
//! the account — not even signing in — until then. The birth date is only
//! compared, never stored.

use async_trait::async_trait;

use super::contact::Address;
use super::secrets::{random_token, token_hash};
use super::Accounts;
use crate::clock::Timestamp;
use crate::ids::AccountId;
use crate::ports::Message;
use crate::{Error, Result};

/// Guardian approvals.
#[async_trait]
pub trait GuardianStore: Send + Sync {
    /// Records that `account` waits for the guardian at `email`.
    async fn add_guardian_request(
        &self,
        account: AccountId,
        email: &str,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<()>;
    /// Whether `account` still waits for its guardian.
    async fn awaiting_guardian(&self, account: AccountId) -> Result<bool>;
    /// Whether a link with this token hash waits for an answer.
    async fn guardian_link_open(&self, token_hash: &str) -> Result<bool>;
    /// Confirms the request with this token hash; the account, if one waited.
    async fn confirm_guardian(&self, token_hash: &str, now: Timestamp)
        -> Result<Option<AccountId>>;
}

/// Whole years from `birth` to `today`.
fn age(birth: jiff::civil::Date, today: jiff::civil::Date) -> i16 {
    let mut years = today.year() - birth.year();
    if (today.month(), today.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    years
}

/// What sign-up needs of a minor, checked before anything is stored.
pub(super) struct GuardianNeeded {
    pub(super) email: Address,
}

impl Accounts {
    /// Checks a sign-up's birth date against the minimum age; Some when a
    /// guardian must confirm (and their address is valid).
    pub(super) fn age_check(
        &self,
        birth_date: Option<&str>,
        guardian_email: Option<&str>,
        own: &[Address],
        region: &str,
    ) -> Result<Option<GuardianNeeded>> {
        let Some(default) = self.config.minimum_age else {
            return Ok(None);
        };
        let minimum = self
            .config
            .minimum_age_by_region
            .get(region)
            .copied()
            .unwrap_or(default);
        let birth: jiff::civil::Date = birth_date
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| Error::invalid("birth_date", "is required, as YYYY-MM-DD"))?
            .parse()
            .map_err(|_| Error::invalid("birth_date", "must be a date, YYYY-MM-DD"))?;
        let today = jiff::Timestamp::from_millisecond(self.clock.now().ms())
            .map_err(|_| Error::Storage("clock out of range".into()))?
            .to_zoned(jiff::tz::TimeZone::UTC)
            .date();
        if birth > today || age(birth, today) > 130 {
            return Err(Error::invalid(
                "birth_date",
                "is not a plausible birth date",
            ));
        }
        if age(birth, today) >= i16::try_from(minimum).unwrap_or(i16::MAX) {
            return Ok(None);
        }
        let email = guardian_email
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                Error::invalid(
                    "guardian_email",
                    "under the minimum age, a parent or guardian must confirm: give their email",
                )
            })?;
        let email = Address::email(email)?;
        if own.iter().any(|a| a.expose() == email.expose()) {
            return Err(Error::invalid(
                "guardian_email",
                "must be your parent's or guardian's address, not yours",
            ));
        }
        Ok(Some(GuardianNeeded { email }))
    }

    /// Asks the guardian to confirm `account`, by mail with a link under `base`.
    pub(super) async fn ask_guardian(
        &self,
        account: AccountId,
        username: &str,
        guardian: GuardianNeeded,
        base: &str,
    ) -> Result<()> {
        let token = random_token();
        self.store
            .add_guardian_request(
                account,
                guardian.email.expose(),
                &token_hash(&token),
                self.clock.now(),
            )
            .await?;
        let link = format!("{}/guardian/{token}", base.trim_end_matches('/'));
        let message = Message {
            to: guardian.email,
            subject: "Please confirm a camvault account for someone in your care".into(),
            body: format!(
                "Someone signed up to camvault as \"{username}\" and gave your address as their parent's or guardian's.\n\n\
                 Their account does nothing until you confirm. If you agree, open:\n{link}\n\n\
                 If you do not know about this, ignore this mail: the account stays closed."
            ),
            attachment: None,
            unsubscribe: None,
        };
        // The account waits either way; a failed mail can be sent again by support.
        if let Err(e) = self.outbox.send(&message).await {
            tracing::warn!(account = %account, error = %e, "guardian mail not sent");
        }
        Ok(())
    }

    /// Whether a guardian link is genuine and still waits for an answer.
    pub async fn guardian_link_open(&self, token: &str) -> Result<bool> {
        self.store.guardian_link_open(&token_hash(token)).await
    }

    /// The guardian confirms: the account may be used from now on.
    pub async fn confirm_guardian(&self, token: &str) -> Result<AccountId> {
        let account = self
            .store
            .confirm_guardian(&token_hash(token), self.clock.now())
            .await?
            .ok_or(Error::NotFound("guardian link"))?;
        tracing::info!(account = %account, "guardian confirmed");
        Ok(account)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_years() {
        let d = |s: &str| s.parse::<jiff::civil::Date>().unwrap();
        assert_eq!(age(d("2010-06-15"), d("2026-06-14")), 15);
        assert_eq!(age(d("2010-06-15"), d("2026-06-15")), 16);
        assert_eq!(age(d("2008-02-29"), d("2026-02-28")), 17);
        assert_eq!(age(d("2008-02-29"), d("2026-03-01")), 18);
    }
}
