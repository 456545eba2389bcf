//! AES-256-GCM in place, through `ring`.
//!
//! `ring` picks the fastest code the CPU allows (AES-NI, VAES, CLMUL) at
//! run time; on the machines camvault targets that is several times the
//! throughput of a portable implementation, and every stored byte goes
//! through here at least twice. The wire format is plain AES-256-GCM
//! (96-bit nonce, 128-bit tag), so blobs sealed by any conforming
//! implementation open here and the other way round.

use ring::aead::{Aad, LessSafeKey, Nonce, Tag, UnboundKey, AES_256_GCM};

use crate::Error;

/// Length of an AES-GCM tag.
pub(crate) const TAG_LEN: usize = 16;

/// An AES-256-GCM key ready for use.
pub(crate) struct Aes256(LessSafeKey);

impl Aes256 {
    /// Prepares `key`.
    pub(crate) fn new(key: &[u8; 32]) -> Aes256 {
        // A 32-byte key is exactly what AES-256 takes, so this cannot fail.
        let unbound = UnboundKey::new(&AES_256_GCM, key).expect("AES-256 takes a 32-byte key");
        Aes256(LessSafeKey::new(unbound))
    }

    /// Encrypts `data` in place and returns its tag.
    pub(crate) fn seal_in_place(
        &self,
        nonce: [u8; 12],
        aad: &[u8],
        data: &mut [u8],
    ) -> Result<[u8; TAG_LEN], Error> {
        let tag = self
            .0
            .seal_in_place_separate_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), data)
            .map_err(|_| Error::OutOfRange)?;
        let mut out = [0u8; TAG_LEN];
        out.copy_from_slice(tag.as_ref());
        Ok(out)
    }

    /// Decrypts `data` in place after checking `tag`; on failure `data`
    /// holds nothing usable.
    pub(crate) fn open_in_place(
        &self,
        nonce: [u8; 12],
        aad: &[u8],
        data: &mut [u8],
        tag: &[u8],
    ) -> Result<(), Error> {
        let tag: [u8; TAG_LEN] = tag.try_into().map_err(|_| Error::Unauthentic)?;
        self.0
            .open_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad),
                Tag::from(tag),
                data,
                0..,
            )
            .map(|_| ())
            .map_err(|_| Error::Unauthentic)
    }
}
