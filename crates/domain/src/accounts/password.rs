//! Password policy and hashing (promise G7).
//!
//! Argon2id with the OWASP-recommended parameters (19 MiB, t=2, p=1);
//! passwords shorter than ten characters or among the 10,000 most common
//! ones are refused before they are ever hashed.

use std::collections::HashSet;
use std::sync::OnceLock;

use argon2::password_hash::{rand_core::OsRng, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};

use crate::{Error, Result};

/// Minimum password length in characters.
pub const MIN_LEN: usize = 10;
/// Maximum length; longer inputs would only make hashing a denial-of-service lever.
pub const MAX_LEN: usize = 1024;

const COMMON_PASSWORDS: &str = include_str!("../../data/common-passwords.txt");

fn common_passwords() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| COMMON_PASSWORDS.lines().map(str::trim).collect())
}

/// A password as typed; its `Debug` never shows the value.
#[derive(Clone)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password([redacted])")
    }
}

impl Password {
    /// Wraps a password without checking the policy (for sign-in).
    pub fn new(raw: impl Into<String>) -> Self {
        Password(raw.into())
    }

    /// Checks a new password against the policy; `username` may not be reused.
    pub fn check_new(&self, username: &str) -> Result<()> {
        let n = self.0.chars().count();
        if n < MIN_LEN {
            return Err(Error::WeakPassword("must be at least 10 characters"));
        }
        if n > MAX_LEN {
            return Err(Error::WeakPassword("must be at most 1024 characters"));
        }
        let lower = self.0.to_lowercase();
        if common_passwords().contains(lower.as_str()) {
            return Err(Error::WeakPassword(
                "is one of the most common passwords; choose another",
            ));
        }
        if lower.contains(&username.to_lowercase()) {
            return Err(Error::WeakPassword("must not contain the username"));
        }
        Ok(())
    }

    fn expose(&self) -> &str {
        &self.0
    }
}

fn argon2() -> Argon2<'static> {
    // Params::new only fails for out-of-range numbers; these are constants
    // within range, so DEFAULT is never reached in practice.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or(Params::DEFAULT);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password with Argon2id on a blocking thread (about 20–50 ms of CPU).
pub async fn hash(password: &Password) -> Result<String> {
    let pw = password.clone();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        argon2()
            .hash_password(pw.expose().as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| Error::Storage(format!("password hashing failed: {e}")))
    })
    .await
    .map_err(|e| Error::Storage(format!("hashing task failed: {e}")))?
}

/// Checks `password` against a stored hash on a blocking thread. With no
/// hash (unknown user) it still spends the same time, so response timing
/// does not reveal whether an account exists.
pub async fn verify(password: &Password, stored: Option<&str>) -> bool {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let known = stored.is_some();
    let hash = match stored {
        Some(h) => h.to_string(),
        None => DUMMY
            .get_or_init(|| {
                let salt = SaltString::generate(&mut OsRng);
                argon2()
                    .hash_password(b"not a real password", &salt)
                    .map(|h| h.to_string())
                    .unwrap_or_default()
            })
            .clone(),
    };
    let pw = password.clone();
    let ok = tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| {
                argon2()
                    .verify_password(pw.expose().as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false);
    known && ok
}

#[cfg(test)]
mod tests {
    use super::*;

    // promise: G7
    #[test]
    fn policy_refuses_short_common_and_username_passwords() {
        assert!(matches!(
            Password::new("short").check_new("alice"),
            Err(Error::WeakPassword(_))
        ));
        // In the shipped list of the most common passwords.
        assert!(matches!(
            Password::new("1234567890").check_new("alice"),
            Err(Error::WeakPassword(_))
        ));
        assert!(matches!(
            Password::new("alice-is-my-name").check_new("alice"),
            Err(Error::WeakPassword(_))
        ));
        assert!(Password::new("correct horse battery")
            .check_new("alice")
            .is_ok());
    }

    #[test]
    fn the_common_list_has_ten_thousand_entries() {
        assert_eq!(common_passwords().len(), 10_000);
    }

    // promise: G7
    #[tokio::test]
    async fn hashes_are_argon2id_with_owasp_parameters() {
        let pw = Password::new("correct horse battery");
        let h = hash(&pw).await.unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify(&pw, Some(&h)).await);
        assert!(!verify(&Password::new("wrong horse battery"), Some(&h)).await);
        assert!(!verify(&pw, None).await);
    }

    #[test]
    fn debug_hides_the_password() {
        assert!(!format!("{:?}", Password::new("hunter2hunter2")).contains("hunter2"));
    }
}
