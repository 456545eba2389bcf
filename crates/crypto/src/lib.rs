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
    fn labels_give_independent_keys() {
        let k = MasterKey::generate();
        assert_ne!(k.derive("codes"), k.derive("csrf"));
        assert_ne!(k.derive("codes"), MasterKey::generate().derive("codes"));
        assert!(!format!("{k:?}").contains(&k.to_hex()[..8]));
    }
}
