//! Two-step sign-in (A5): codes from an authenticator app (TOTP, RFC 6238)
//! and ten single-use recovery codes. With a confirmed factor, signing in
//! opens a session that grants nothing until one of them is entered.
//! Support and administrator accounts must have one before they can act.

use rand::Rng;
use totp_rs::{Algorithm, TOTP};

use super::password::{self, Password};
use super::secrets::same_hash;
use super::signin::Keys;
use super::{Account, Accounts, Authenticated, Credential};
use crate::accounts::secrets::token_hash;
use crate::ids::AccountId;
use crate::ports::Role;
use crate::{Error, Result};

/// The name authenticator apps show above the code.
const ISSUER: &str = "camvault";
/// Seconds per code (RFC 6238's default, what every app expects).
const STEP_SECS: u64 = 30;
/// Recovery codes made at enrolment.
const RECOVERY_CODES: usize = 10;
/// Letters of a recovery code (no 0/o, 1/l/i to misread).
const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// What a person needs to add camvault to an authenticator app.
#[derive(Debug, Clone)]
pub struct TotpEnrolment {
    /// The secret in base32, to type in by hand.
    pub secret_base32: String,
    /// The `otpauth://` URI, shown as a QR code.
    pub otpauth_url: String,
}

fn totp(secret: Vec<u8>, username: &str) -> Result<TOTP> {
    // Usernames never hold ':' (see username.rs), which the URI forbids.
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        STEP_SECS,
        secret,
        Some(ISSUER.to_string()),
        username.to_string(),
    )
    .map_err(|e| Error::Storage(format!("authenticator secret: {e}")))
}

fn recovery_code() -> String {
    let mut rng = rand::thread_rng();
    let mut code: String = (0..10)
        .map(|_| RECOVERY_ALPHABET[rng.gen_range(0..RECOVERY_ALPHABET.len())] as char)
        .collect();
    code.insert(5, '-');
    code
}

/// A typed recovery code as stored: lower case, no spaces or dashes.
fn normalise(code: &str) -> String {
    code.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

impl Accounts {
    /// Whether the account has a confirmed second factor.
    pub async fn has_second_factor(&self, account: AccountId) -> Result<bool> {
        Ok(self
            .store
            .totp_factor(account)
            .await?
            .is_some_and(|f| f.confirmed_at.is_some()))
    }

    /// Refuses staff without a second factor: they cannot act until they
    /// set one up.
    pub async fn require_staff_second_factor(&self, who: &Account) -> Result<()> {
        if who.role != Role::User && !self.has_second_factor(who.id).await? {
            return Err(Error::SecondFactorEnrolmentRequired);
        }
        Ok(())
    }

    /// Unused recovery codes.
    pub async fn recovery_codes_left(&self, account: AccountId) -> Result<i64> {
        self.store.recovery_codes_left(account).await
    }

    /// Starts adding an authenticator app: a fresh secret, kept pending
    /// until [`Accounts::confirm_totp`] sees a code made from it.
    pub async fn begin_totp(&self, who: &Account) -> Result<TotpEnrolment> {
        let secret: [u8; 20] = rand::random();
        let t = totp(secret.to_vec(), &who.username)?;
        let sealed = self.secrets.seal_second_factor(who.id, &secret);
        if !self
            .store
            .put_pending_totp(who.id, &sealed, self.clock.now())
            .await?
        {
            return Err(Error::Taken("second factor"));
        }
        Ok(TotpEnrolment {
            secret_base32: t.get_secret_base32(),
            otpauth_url: t.get_url(),
        })
    }

    /// Confirms the pending authenticator with a code it shows and returns
    /// the recovery codes, shown once (only their keyed hashes are kept).
    pub async fn confirm_totp(&self, who: &Account, code: &str) -> Result<Vec<String>> {
        let factor = self
            .store
            .totp_factor(who.id)
            .await?
            .filter(|f| f.confirmed_at.is_none())
            .ok_or(Error::NotFound("pending second factor"))?;
        let t = self.open_totp(who, &factor.sealed_secret)?;
        let step = self.matching_step(&t, code).ok_or(Error::WrongCode)?;
        let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| recovery_code()).collect();
        let hashes: Vec<String> = codes
            .iter()
            .map(|c| self.recovery_hash(who.id, c))
            .collect();
        if !self
            .store
            .confirm_totp(who.id, step, self.clock.now(), &hashes)
            .await?
        {
            return Err(Error::NotFound("pending second factor"));
        }
        tracing::info!(account = %who.id, "second factor set up");
        Ok(codes)
    }

    /// Removes the second factor; needs the password again.
    pub async fn remove_second_factor(&self, who: &Account, password: &Password) -> Result<()> {
        if !password::verify(password, Some(&who.password_hash)).await {
            return Err(Error::invalid("password", "is not your password"));
        }
        self.store.remove_second_factor(who.id).await?;
        tracing::info!(account = %who.id, "second factor removed");
        Ok(())
    }

    /// The second sign-in step of the session whose cookie is `token`: a
    /// code from the authenticator app (each accepted once) or an unused
    /// recovery code. Wrong codes are throttled like passwords.
    pub async fn complete_second_factor(
        &self,
        token: &str,
        code: &str,
        ip: &str,
    ) -> Result<Authenticated> {
        let hash = token_hash(token);
        let Some((session, account)) = self.store.session_with_account(&hash).await? else {
            return Err(Error::Unauthenticated);
        };
        if session.second_factor_pending {
            let keys = Keys::second_factor(account.id, ip);
            self.check_throttle(&keys).await?;
            if !self.accept_code(&account, code).await? {
                self.record_failure(&keys).await?;
                return Err(Error::WrongCode);
            }
            self.store.complete_second_factor(session.id).await?;
            tracing::info!(account = %account.id, session = %session.id, "second step passed");
        }
        Ok(Authenticated {
            credential: Credential::Session {
                id: session.id,
                csrf_token: self.secrets.csrf_token(&hash),
            },
            account,
        })
    }

    /// Whether `code` is a current authenticator code not used before, or
    /// an unused recovery code; either is used up by this call.
    async fn accept_code(&self, account: &Account, code: &str) -> Result<bool> {
        let Some(factor) = self
            .store
            .totp_factor(account.id)
            .await?
            .filter(|f| f.confirmed_at.is_some())
        else {
            return Ok(false);
        };
        let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit()) {
            let t = self.open_totp(account, &factor.sealed_secret)?;
            return match self.matching_step(&t, &digits) {
                Some(step) => self.store.use_totp_step(account.id, step).await,
                None => Ok(false),
            };
        }
        let hash = self.recovery_hash(account.id, code);
        self.store
            .use_recovery_code(account.id, &hash, self.clock.now())
            .await
    }

    fn open_totp(&self, who: &Account, sealed: &str) -> Result<TOTP> {
        let secret = self
            .secrets
            .open_second_factor(who.id, sealed)
            .ok_or_else(|| Error::Storage("an authenticator secret does not open".into()))?;
        totp(secret, &who.username)
    }

    /// The time step (now, or one either side for clock drift) whose code
    /// is `code`.
    fn matching_step(&self, t: &TOTP, code: &str) -> Option<i64> {
        let now = (self.clock.now().ms().max(0) / 1000) as u64;
        let step = now / STEP_SECS;
        [step.saturating_sub(1), step, step + 1]
            .into_iter()
            .find(|s| same_hash(&t.generate(s * STEP_SECS), code))
            .and_then(|s| i64::try_from(s).ok())
    }

    fn recovery_hash(&self, account: AccountId, code: &str) -> String {
        self.secrets
            .code_hash(&normalise(code), &format!("recovery {account}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_are_readable_and_typed_loosely() {
        let c = recovery_code();
        assert_eq!(c.len(), 11);
        assert_eq!(c.as_bytes()[5], b'-');
        assert_eq!(
            normalise(&c.to_uppercase().replace('-', " ")),
            c.replace('-', "")
        );
        assert_ne!(recovery_code(), recovery_code());
    }

    #[test]
    fn the_rfc_6238_sha1_vector() {
        // RFC 6238 appendix B: secret "12345678901234567890", T = 59 s.
        let t = totp(b"12345678901234567890".to_vec(), "x").unwrap();
        assert_eq!(t.generate(59), "287082");
        assert!(t.get_url().starts_with("otpauth://totp/camvault:x?"));
    }
}
