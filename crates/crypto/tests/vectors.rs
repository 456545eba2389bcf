//! Properties of the key hierarchy and the encrypted blob format.

// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use crypto::blob::{open_blob, open_blob_owned, seal_blob, seal_blob_owned, Header};
use crypto::{random_key, unwrap_key, wrap_key, MasterKey};
use proptest::prelude::*;

fn read_range(kek: &[u8; 32], blob: &[u8], start: u64, end: u64) -> Result<Vec<u8>, crypto::Error> {
    let h = Header::parse(blob)?;
    let (from, to, _) = h.span(start, end)?;
    let chunks = blob
        .get(from as usize..to as usize)
        .ok_or(crypto::Error::Unauthentic)?;
    h.open_range(kek, start, end, chunks)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_range_decrypts_to_the_same_bytes(data in proptest::collection::vec(any::<u8>(), 0..700),
                                            log2 in 4u8..8, a in 0usize..700, b in 0usize..700) {
        let kek = random_key();
        let blob = seal_blob(&kek, "acct 1 / cam 2 / 2026-11-26", log2, &data).unwrap();
        prop_assert_eq!(open_blob(&kek, &blob).unwrap(), data.clone());
        let (s, e) = (a.min(b).min(data.len()), a.max(b).min(data.len()));
        prop_assert_eq!(read_range(&kek, &blob, s as u64, e as u64).unwrap(), data[s..e].to_vec());
        // Reading a range touches only the chunks that cover it.
        let h = Header::parse(&blob).unwrap();
        let (from, to, _) = h.span(s as u64, e as u64).unwrap();
        prop_assert!(to - from <= (((e - s) as u64 >> log2) + 2) * ((1u64 << log2) + 16));
    }

    #[test]
    fn any_flipped_byte_is_detected(data in proptest::collection::vec(any::<u8>(), 1..300),
                                    pos in any::<prop::sample::Index>(), bit in 0u8..8) {
        let kek = random_key();
        let mut blob = seal_blob(&kek, "k", 5, &data).unwrap();
        let i = pos.index(blob.len());
        blob[i] ^= 1 << bit;
        prop_assert!(open_blob(&kek, &blob).is_err());
    }

    #[test]
    fn truncation_anywhere_is_detected(data in proptest::collection::vec(any::<u8>(), 1..300),
                                       cut in any::<prop::sample::Index>()) {
        let kek = random_key();
        let blob = seal_blob(&kek, "k", 5, &data).unwrap();
        let keep = cut.index(blob.len());
        prop_assert!(open_blob(&kek, &blob[..keep]).is_err());
        // Read from the middle: a range ending in the cut-off part fails too.
        if let Ok(h) = Header::parse(&blob[..keep]) {
            let (from, to, _) = h.span(0, h.plaintext_len).unwrap();
            let avail = &blob[..keep];
            let chunks = avail.get(from as usize..(to as usize).min(avail.len())).unwrap_or(&[]);
            prop_assert!(h.open_range(&kek, 0, h.plaintext_len, chunks).is_err());
        }
    }

    // promise: G2
    #[test]
    fn another_key_cannot_read(data in proptest::collection::vec(any::<u8>(), 0..200)) {
        let kek = random_key();
        let blob = seal_blob(&kek, "k", 6, &data).unwrap();
        prop_assert!(open_blob(&random_key(), &blob).is_err());
    }
}

#[test]
fn reordered_chunks_fail() {
    let kek = random_key();
    let data: Vec<u8> = (0..=255u8).cycle().take(16 * 4).collect();
    let blob = seal_blob(&kek, "k", 4, &data).unwrap();
    let h = Header::parse(&blob).unwrap();
    let body = &blob[h.len()..];
    let stride = 16 + 16;
    let mut swapped = blob[..h.len()].to_vec();
    swapped.extend_from_slice(&body[stride..2 * stride]);
    swapped.extend_from_slice(&body[..stride]);
    swapped.extend_from_slice(&body[2 * stride..]);
    assert!(open_blob(&kek, &swapped).is_err());
    // Dropping the last chunk and claiming a shorter length is caught by the header tag.
    assert!(open_blob(&kek, &blob[..blob.len() - stride]).is_err());
}

// promise: G2
#[test]
fn rotating_the_master_key_rewraps_account_keys_without_touching_media() {
    let old_master = MasterKey::generate().derive("account keys");
    let account_key = random_key();
    let wrapped = wrap_key(&old_master, "account 7", &account_key);
    let blob = seal_blob(&account_key, "account 7", 6, b"a recording").unwrap();

    // Rotation: unwrap with the old master, wrap with the new; the blob is untouched.
    let new_master = MasterKey::generate().derive("account keys");
    let rewrapped = wrap_key(
        &new_master,
        "account 7",
        &unwrap_key(&old_master, "account 7", &wrapped).unwrap(),
    );
    let recovered = unwrap_key(&new_master, "account 7", &rewrapped).unwrap();
    assert_eq!(open_blob(&recovered, &blob).unwrap(), b"a recording");
    assert!(
        unwrap_key(&new_master, "account 8", &rewrapped).is_err(),
        "context is bound"
    );
    assert!(unwrap_key(&old_master, "account 7", &rewrapped).is_err());
}

/// The crypto-shredding primitive: once the key is gone, a copy of the blob
/// (a backup) opens under no other key.
#[test]
fn a_copy_opens_under_no_other_key() {
    let blob = seal_blob(&random_key(), "account 9", 6, b"kitchen, 08:15").unwrap();
    let backup_copy = blob.clone();
    for _ in 0..32 {
        assert!(open_blob(&random_key(), &backup_copy).is_err());
    }
}

#[test]
fn malformed_headers_are_refused() {
    assert!(Header::parse(b"").is_err());
    assert!(Header::parse(b"CVB2\x01\x10").is_err());
    assert!(
        Header::parse(b"CVB1\x01\x03\x00\x00").is_err(),
        "chunk size too small"
    );
    assert!(seal_blob(&random_key(), "k", 30, b"x").is_err());
}

proptest! {
    #[test]
    fn owned_forms_match_the_borrowed_ones(data in proptest::collection::vec(any::<u8>(), 0..700),
                                           log2 in 4u8..7, a in 0usize..700, b in 0usize..700) {
        let kek = random_key();
        let sealed = seal_blob_owned(&kek, "k", log2, data.clone()).unwrap();
        prop_assert_eq!(sealed.len(), seal_blob(&kek, "k", log2, &data).unwrap().len());
        prop_assert_eq!(open_blob(&kek, &sealed).unwrap(), data.clone());
        prop_assert_eq!(open_blob_owned(&kek, sealed.clone()).unwrap(), data.clone());
        let (start, end) = (a.min(b).min(data.len()) as u64, a.max(b).min(data.len()) as u64);
        let header = Header::parse(&sealed).unwrap();
        let (from, to, _) = header.span(start, end).unwrap();
        let span = sealed[from as usize..to as usize].to_vec();
        prop_assert_eq!(
            header.open_range_owned(&kek, start, end, span).unwrap(),
            data[start as usize..end as usize].to_vec()
        );
    }

    #[test]
    fn owned_opening_detects_any_flipped_byte(data in proptest::collection::vec(any::<u8>(), 1..300),
                                              at in any::<prop::sample::Index>()) {
        let kek = random_key();
        let mut sealed = seal_blob_owned(&kek, "k", 5, data).unwrap();
        let i = at.index(sealed.len());
        sealed[i] ^= 0x40;
        prop_assert!(open_blob_owned(&kek, sealed).is_err());
    }
}
