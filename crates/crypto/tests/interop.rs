//! The blob format and sealed values are plain AES-256-GCM: an independent
//! implementation (RustCrypto's `aes-gcm`) reads what camvault writes and
//! camvault reads what it writes, so stored media never depends on one
//! library's quirks.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::Aes256Gcm;
use crypto::blob::{open_blob, seal_blob};
use proptest::prelude::*;

fn reference_open(key: &[u8; 32], nonce: &[u8], aad: &[u8], ct_and_tag: &[u8]) -> Vec<u8> {
    Aes256Gcm::new(key.into())
        .decrypt(
            nonce.into(),
            Payload {
                msg: ct_and_tag,
                aad,
            },
        )
        .expect("the reference implementation opens it")
}

fn be16(b: &[u8]) -> usize {
    u16::from_be_bytes([b[0], b[1]]) as usize
}

/// Decrypts a whole blob with the reference implementation, following the
/// layout documented in `crypto::blob`.
fn reference_open_blob(kek: &[u8; 32], blob: &[u8]) -> Vec<u8> {
    assert_eq!(&blob[..5], b"CVB1\x01");
    let chunk = 1usize << blob[5];
    let id_len = be16(&blob[6..8]);
    let key_id = &blob[8..8 + id_len];
    let mut at = 8 + id_len;
    let prefix = &blob[at..at + 7];
    at += 7;
    let len = u64::from_be_bytes(blob[at..at + 8].try_into().expect("8 bytes")) as usize;
    at += 8;
    let wk_len = be16(&blob[at..at + 2]);
    at += 2;
    let wrapped = &blob[at..at + wk_len];
    at += wk_len;
    let header = &blob[..at];
    let data_key: [u8; 32] = reference_open(kek, &wrapped[..12], key_id, &wrapped[12..])
        .try_into()
        .expect("a 32-byte data key");
    let chunks = len.div_ceil(chunk).max(1);
    let mut plain = Vec::new();
    for (i, ct) in blob[at..].chunks(chunk + 16).enumerate() {
        let mut nonce = [0u8; 12];
        nonce[..7].copy_from_slice(prefix);
        nonce[7..11].copy_from_slice(&(i as u32).to_be_bytes());
        nonce[11] = u8::from(i + 1 == chunks);
        plain.extend(reference_open(&data_key, &nonce, header, ct));
    }
    plain
}

proptest! {
    #[test]
    fn blobs_open_with_an_independent_aes_gcm(data in proptest::collection::vec(any::<u8>(), 0..600),
                                              log2 in 4u8..8) {
        let kek = crypto::random_key();
        let blob = seal_blob(&kek, "acct-1/2026-11", log2, &data).unwrap();
        prop_assert_eq!(reference_open_blob(&kek, &blob), data.clone());
        prop_assert_eq!(open_blob(&kek, &blob).unwrap(), data);
    }

    #[test]
    fn sealed_values_cross_both_ways(data in proptest::collection::vec(any::<u8>(), 0..300),
                                     context in proptest::collection::vec(any::<u8>(), 0..40)) {
        let key = crypto::random_key();
        let ours = crypto::seal(&key, &context, &data);
        prop_assert_eq!(reference_open(&key, &ours[..12], &context, &ours[12..]), data.clone());

        let nonce = [9u8; 12];
        let mut theirs = nonce.to_vec();
        theirs.extend(
            Aes256Gcm::new((&key).into())
                .encrypt((&nonce).into(), Payload { msg: &data, aad: &context })
                .unwrap(),
        );
        prop_assert_eq!(crypto::open(&key, &context, &theirs).unwrap(), data);
    }
}
