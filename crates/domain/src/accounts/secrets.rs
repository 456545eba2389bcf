//! Random tokens, one-time codes and the hashes they are stored as.
//!
//! Session and API tokens carry 256 bits of entropy, so a plain SHA-256 is
//! enough to store them. One-time codes have only six digits, so they are
//! stored as an HMAC under a server key: a stolen database alone cannot
//! brute-force them.

use base64::Engine;
use hmac::{Hmac, Mac};
use rand::{Rng, RngCore};
use sha2::{Digest, Sha256};

use crate::ids::AccountId;

/// Server-side keys derived from the master key at start-up.
#[derive(Clone)]
pub struct Secrets {
    code_key: [u8; 32],
    csrf_key: [u8; 32],
    second_factor_key: [u8; 32],
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets([redacted])")
    }
}

impl Secrets {
    /// Builds the key set from independently derived keys.
    pub fn new(code_key: [u8; 32], csrf_key: [u8; 32], second_factor_key: [u8; 32]) -> Self {
        Secrets {
            code_key,
            csrf_key,
            second_factor_key,
        }
    }

    /// Seals an authenticator secret for storage, bound to its account.
    pub fn seal_second_factor(&self, account: AccountId, secret: &[u8]) -> String {
        hex::encode(crypto::seal(
            &self.second_factor_key,
            format!("totp {account}").as_bytes(),
            secret,
        ))
    }

    /// Reverses [`Secrets::seal_second_factor`].
    pub fn open_second_factor(&self, account: AccountId, sealed: &str) -> Option<Vec<u8>> {
        let bytes = hex::decode(sealed).ok()?;
        crypto::open(
            &self.second_factor_key,
            format!("totp {account}").as_bytes(),
            &bytes,
        )
        .ok()
    }

    /// Keyed hash of a one-time code, bound to what it is for.
    pub fn code_hash(&self, code: &str, binding: &str) -> String {
        hmac_hex(
            &self.code_key,
            &[binding.as_bytes(), b"\0", code.as_bytes()],
        )
    }

    /// The CSRF token that belongs to a session (derived, so nothing to store).
    pub fn csrf_token(&self, session_token_hash: &str) -> String {
        hmac_hex(&self.csrf_key, &[session_token_hash.as_bytes()])
    }
}

pub(crate) fn hmac_hex(key: &[u8; 32], parts: &[&[u8]]) -> String {
    // new_from_slice accepts any key length for HMAC, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    for p in parts {
        mac.update(p);
    }
    hex::encode(mac.finalize().into_bytes())
}

/// A fresh 256-bit random token, URL-safe base64 without padding.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// How a high-entropy token is stored: hex SHA-256.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A uniformly random six-digit code, leading zeros kept.
pub fn new_code() -> String {
    format!("{:06}", rand::rngs::OsRng.gen_range(0..1_000_000u32))
}

/// Compares two hashes without an early exit.
pub fn same_hash(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_and_distinct() {
        let a = random_token();
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_token());
        assert_eq!(token_hash(&a).len(), 64);
    }

    #[test]
    fn codes_are_six_digits() {
        for _ in 0..100 {
            let c = new_code();
            assert_eq!(c.len(), 6);
            assert!(c.chars().all(|ch| ch.is_ascii_digit()));
        }
    }

    #[test]
    fn code_hashes_depend_on_key_and_binding() {
        let s = Secrets::new([1; 32], [2; 32], [4; 32]);
        let t = Secrets::new([3; 32], [2; 32], [4; 32]);
        assert_ne!(s.code_hash("123456", "a"), t.code_hash("123456", "a"));
        assert_ne!(s.code_hash("123456", "a"), s.code_hash("123456", "b"));
        assert!(same_hash(&s.code_hash("1", "a"), &s.code_hash("1", "a")));
    }
}
