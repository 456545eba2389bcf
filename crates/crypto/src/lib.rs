//! camvault's keys, free of storage and HTTP.
//!
//! The master key is the root of the hierarchy described in
//! `docs/design/keys.md`: every other server key is derived from it with a
//! labelled HMAC, so one 32-byte secret protects the whole instance and
//! rotating it is a single, deliberate act.

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Key material has the wrong length or encoding.
    #[error("malformed key: {0}")]
    MalformedKey(&'static str),
    /// Ciphertext is truncated, altered, or sealed under another key or context.
    #[error("ciphertext could not be authenticated")]
    Unauthentic,
    /// A range or parameter outside what the blob or format allows.
    #[error("out of range")]
    OutOfRange,
}

mod aead;
pub mod blob;
pub mod sign;
pub mod webpush;

/// Wraps (encrypts) a key under a key-encryption key; `context` names the
/// wrapped key (e.g. `account 42`), so a wrapped key cannot be swapped for
/// another's. Rotation of the outer key re-wraps; what the inner key
/// encrypts is never rewritten.
pub fn wrap_key(kek: &[u8; 32], context: &str, key: &[u8; 32]) -> Vec<u8> {
    seal(kek, context.as_bytes(), key)
}

/// Reverses [`wrap_key`].
pub fn unwrap_key(kek: &[u8; 32], context: &str, wrapped: &[u8]) -> Result<[u8; 32], Error> {
    open(kek, context.as_bytes(), wrapped)?
        .try_into()
        .map_err(|_| Error::Unauthentic)
}

/// Combines a key-encryption key with a second secret kept elsewhere (an
/// account's vault secret): the result is unknown to anyone missing either,
/// so destroying the secret voids every copy of what the result wraps.
pub fn combine_keys(kek: &[u8; 32], secret: &[u8; 32], context: &str) -> [u8; 32] {
    // HMAC accepts keys of any length, so construction cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(kek).expect("HMAC takes any key length");
    mac.update(b"camvault key combination v1\0");
    mac.update(secret);
    mac.update(context.as_bytes());
    mac.finalize().into_bytes().into()
}

/// A fresh random 256-bit key (an account key, a period key).
pub fn random_key() -> [u8; 32] {
    let mut k = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut k);
    k
}

const NONCE_LEN: usize = 12;

/// Encrypts `plaintext` with AES-256-GCM under `key`, binding `context`
/// (e.g. the object's id) so a sealed value cannot be swapped for another.
/// Output: a random 96-bit nonce followed by ciphertext and tag.
pub fn seal(key: &[u8; 32], context: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let mut nonce = [0u8; NONCE_LEN];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let mut out = Vec::with_capacity(NONCE_LEN + plaintext.len() + aead::TAG_LEN);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(plaintext);
    // Sealing only fails for inputs beyond GCM's 64 GiB limit, far above
    // any value this function is given.
    let tag = aead::Aes256::new(key)
        .seal_in_place(nonce, context, &mut out[NONCE_LEN..])
        .expect("plaintext within AES-GCM limits");
    out.extend_from_slice(&tag);
    out
}

/// Reverses [`seal`]; fails on any alteration, wrong key or wrong context.
pub fn open(key: &[u8; 32], context: &[u8], sealed: &[u8]) -> Result<Vec<u8>, Error> {
    if sealed.len() < NONCE_LEN + aead::TAG_LEN {
        return Err(Error::Unauthentic);
    }
    let (nonce, rest) = sealed.split_at(NONCE_LEN);
    let (body, tag) = rest.split_at(rest.len() - aead::TAG_LEN);
    let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| Error::Unauthentic)?;
    let mut plain = body.to_vec();
    aead::Aes256::new(key).open_in_place(nonce, context, &mut plain, tag)?;
    Ok(plain)
}

/// The instance's root secret (32 bytes). Its `Debug` never shows it.
#[derive(Clone)]
pub struct MasterKey([u8; 32]);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey([redacted])")
    }
}

impl MasterKey {
    /// A fresh random key from the operating system's generator.
    pub fn generate() -> Self {
        let mut k = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut k);
        MasterKey(k)
    }

    /// Reads the hex text form (64 hex digits, surrounding whitespace ignored).
    pub fn from_hex(text: &str) -> Result<Self, Error> {
        let bytes = hex::decode(text.trim()).map_err(|_| Error::MalformedKey("not hex"))?;
        let arr: [u8; 32] = bytes
            .try_into()
            .map_err(|_| Error::MalformedKey("must be 32 bytes"))?;
        Ok(MasterKey(arr))
    }

    /// The hex text form, for the key file.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Derives an independent subkey for one purpose; different labels give
    /// unrelated keys, so no subkey reveals another or the master key.
    pub fn derive(&self, label: &str) -> [u8; 32] {
        // HMAC accepts keys of any length, so construction cannot fail.
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(b"camvault key derivation v1\0");
        mac.update(label.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_validation() {
        let k = MasterKey::generate();
        let k2 = MasterKey::from_hex(&format!("{}\n", k.to_hex())).unwrap();
        assert_eq!(k.derive("x"), k2.derive("x"));
        assert!(MasterKey::from_hex("abcd").is_err());
        assert!(MasterKey::from_hex(&"zz".repeat(32)).is_err());
    }

    #[test]
    fn sealed_values_open_only_with_the_same_key_and_context() {
        let k = MasterKey::generate().derive("evidence");
        let other = MasterKey::generate().derive("evidence");
        let sealed = seal(&k, b"claim 1", b"the receipt");
        assert_ne!(&sealed[12..], b"the receipt");
        assert_eq!(open(&k, b"claim 1", &sealed).unwrap(), b"the receipt");
        assert!(open(&other, b"claim 1", &sealed).is_err());
        assert!(open(&k, b"claim 2", &sealed).is_err());
        let mut flipped = sealed.clone();
        flipped[20] ^= 1;
        assert!(open(&k, b"claim 1", &flipped).is_err());
        assert!(open(&k, b"claim 1", &sealed[..sealed.len() - 1]).is_err());
        assert!(open(&k, b"claim 1", &[]).is_err());
    }

    #[test]
    fn labels_give_independent_keys() {
        let k = MasterKey::generate();
        assert_ne!(k.derive("codes"), k.derive("csrf"));
        assert_ne!(k.derive("codes"), MasterKey::generate().derive("codes"));
        assert!(!format!("{k:?}").contains(&k.to_hex()[..8]));
    }
}
