//! Ed25519 signatures over records the server vouches for (the audit
//! log's checkpoints), through `ring`. The signing key is derived from the
//! master key, so it needs no file of its own and a database alone cannot
//! forge a signature.

use ring::signature::{Ed25519KeyPair, KeyPair, UnparsedPublicKey, ED25519};

use crate::Error;

/// Length of an Ed25519 signature.
pub const SIGNATURE_LEN: usize = 64;

/// An Ed25519 signing key. Its `Debug` never shows it.
pub struct SigningKey(Ed25519KeyPair);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey").finish_non_exhaustive()
    }
}

impl SigningKey {
    /// The key whose private scalar is derived from `seed` (RFC 8032).
    pub fn from_seed(seed: &[u8; 32]) -> SigningKey {
        // Every 32-byte string is a valid Ed25519 seed.
        let pair = Ed25519KeyPair::from_seed_unchecked(seed).expect("any 32 bytes are a seed");
        SigningKey(pair)
    }

    /// The public key, to verify with.
    pub fn public_key(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        out.copy_from_slice(self.0.public_key().as_ref());
        out
    }

    /// Signs `message`.
    pub fn sign(&self, message: &[u8]) -> [u8; SIGNATURE_LEN] {
        let mut out = [0u8; SIGNATURE_LEN];
        out.copy_from_slice(self.0.sign(message).as_ref());
        out
    }
}

/// Checks `signature` over `message` under `public_key`.
pub fn verify(public_key: &[u8], message: &[u8], signature: &[u8]) -> Result<(), Error> {
    UnparsedPublicKey::new(&ED25519, public_key)
        .verify(message, signature)
        .map_err(|_| Error::Unauthentic)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_8032_first_vector() {
        let seed: [u8; 32] =
            hex::decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
                .unwrap()
                .try_into()
                .unwrap();
        let key = SigningKey::from_seed(&seed);
        assert_eq!(
            hex::encode(key.public_key()),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        );
        let sig = key.sign(b"");
        assert_eq!(
            hex::encode(sig),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155\
             5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        );
        assert!(verify(&key.public_key(), b"", &sig).is_ok());
    }

    #[test]
    fn another_message_key_or_signature_fails() {
        let key = SigningKey::from_seed(&[7; 32]);
        let other = SigningKey::from_seed(&[8; 32]);
        let sig = key.sign(b"checkpoint 10");
        assert!(verify(&key.public_key(), b"checkpoint 10", &sig).is_ok());
        assert!(verify(&key.public_key(), b"checkpoint 11", &sig).is_err());
        assert!(verify(&other.public_key(), b"checkpoint 10", &sig).is_err());
        let mut bent = sig;
        bent[3] ^= 1;
        assert!(verify(&key.public_key(), b"checkpoint 10", &bent).is_err());
        assert!(verify(&key.public_key(), b"checkpoint 10", &sig[..63]).is_err());
        assert!(!format!("{key:?}").contains("Ed25519"));
    }
}
