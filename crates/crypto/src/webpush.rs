//! Web Push cryptography, free of HTTP: the application server's VAPID key
//! (RFC 8292) and the encryption of one push message for one browser
//! subscription (RFC 8291, the `aes128gcm` coding of RFC 8188).
//!
//! The VAPID key is derived from a master-key subkey rather than kept in a
//! file of its own: it survives restarts (browsers' subscriptions are bound
//! to it) and changes only with the master key, after which browsers must
//! subscribe again.

use aes_gcm::aead::{Aead, KeyInit};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::{PublicKey, SecretKey};
use rand::RngCore;
use sha2::Sha256;

use crate::Error;

/// Length of an uncompressed P-256 point (`0x04 || x || y`).
pub const PUBLIC_KEY_LEN: usize = 65;
/// Length of a subscription's authentication secret.
pub const AUTH_LEN: usize = 16;
/// Most plaintext one push message may carry: push services need accept
/// only 4096 octets of body, less the header, delimiter and tag (RFC 8291 §4).
pub const MAX_PLAINTEXT: usize = 3993;
/// The record size announced in the header; one record carries everything.
const RECORD_SIZE: u32 = 4096;
/// Salt length of the `aes128gcm` header.
const SALT_LEN: usize = 16;

/// The application server's VAPID key pair; `Debug` never shows the secret.
#[derive(Clone)]
pub struct VapidKey {
    signing: SigningKey,
    public: [u8; PUBLIC_KEY_LEN],
}

impl std::fmt::Debug for VapidKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VapidKey([redacted])")
    }
}

impl VapidKey {
    /// Derives the key pair from a 32-byte secret, the same one every time.
    /// A secret that is not a valid P-256 scalar (zero, or not below the
    /// group order: about one in 2^32) is rehashed with a counter until one is.
    pub fn derive(secret: &[u8; 32]) -> VapidKey {
        let mut candidate = *secret;
        let mut counter: u32 = 0;
        loop {
            if let Ok(key) = SecretKey::from_slice(&candidate) {
                return VapidKey::from_secret(&key);
            }
            counter = counter.wrapping_add(1);
            candidate = retry_candidate(secret, counter);
        }
    }

    fn from_secret(key: &SecretKey) -> VapidKey {
        VapidKey {
            signing: SigningKey::from(key),
            public: uncompressed(&key.public_key()),
        }
    }

    /// The public key as an uncompressed point: what browsers pass to
    /// `PushManager.subscribe` as `applicationServerKey`.
    pub fn public_key(&self) -> [u8; PUBLIC_KEY_LEN] {
        self.public
    }

    /// An ES256 signature (raw `r || s`, as JWS wants) over `message`.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        let signature: Signature = self.signing.sign(message);
        signature.to_bytes().into()
    }
}

/// The next candidate scalar after `counter` rejections of `secret`.
fn retry_candidate(secret: &[u8; 32], counter: u32) -> [u8; 32] {
    // HMAC accepts keys of any length, so construction cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(b"camvault vapid retry\0");
    mac.update(&counter.to_be_bytes());
    mac.finalize().into_bytes().into()
}

fn uncompressed(key: &PublicKey) -> [u8; PUBLIC_KEY_LEN] {
    let point = key.to_encoded_point(false);
    let mut out = [0u8; PUBLIC_KEY_LEN];
    // An uncompressed P-256 point is always 65 bytes.
    out.copy_from_slice(point.as_bytes());
    out
}

/// Parses a browser's `p256dh` key: an uncompressed point on P-256.
fn parse_public_key(bytes: &[u8]) -> Result<PublicKey, Error> {
    if bytes.len() != PUBLIC_KEY_LEN || bytes[0] != 0x04 {
        return Err(Error::MalformedKey("not an uncompressed P-256 point"));
    }
    PublicKey::from_sec1_bytes(bytes).map_err(|_| Error::MalformedKey("not a point on P-256"))
}

/// Whether `bytes` is an uncompressed point on P-256 (a valid `p256dh`).
pub fn is_valid_public_key(bytes: &[u8]) -> bool {
    parse_public_key(bytes).is_ok()
}

/// Encrypts `plaintext` for the browser whose subscription keys are
/// `ua_public` (its `p256dh`) and `auth`: the whole `aes128gcm` body of a
/// push message, under a fresh ephemeral key and salt every time.
pub fn encrypt(ua_public: &[u8], auth: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, Error> {
    let ephemeral = SecretKey::random(&mut rand::rngs::OsRng);
    let mut salt = [0u8; SALT_LEN];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    encrypt_with(&ephemeral, &salt, ua_public, auth, plaintext)
}

/// The keys of one message (RFC 8291 §3.4, RFC 8188 §2.2–2.3).
struct Schedule {
    /// Input keying material combined from ECDH and the auth secret.
    #[cfg_attr(not(test), allow(dead_code))]
    ikm: [u8; 32],
    /// Content encryption key.
    cek: [u8; 16],
    /// Nonce of the only record (sequence number 0).
    nonce: [u8; 12],
}

fn schedule(
    as_secret: &SecretKey,
    as_public: &[u8],
    ua: &PublicKey,
    ua_public: &[u8],
    auth: &[u8],
    salt: &[u8],
) -> Result<Schedule, Error> {
    let shared = p256::ecdh::diffie_hellman(as_secret.to_nonzero_scalar(), ua.as_affine());
    // key_info binds both public keys, so a message is for this pair only.
    let mut key_info = Vec::with_capacity(14 + 2 * PUBLIC_KEY_LEN);
    key_info.extend_from_slice(b"WebPush: info\0");
    key_info.extend_from_slice(ua_public);
    key_info.extend_from_slice(as_public);
    let mut ikm = [0u8; 32];
    Hkdf::<Sha256>::new(Some(auth), shared.raw_secret_bytes())
        .expand(&key_info, &mut ikm)
        .map_err(|_| Error::OutOfRange)?;
    let prk = Hkdf::<Sha256>::new(Some(salt), &ikm);
    let mut cek = [0u8; 16];
    prk.expand(b"Content-Encoding: aes128gcm\0", &mut cek)
        .map_err(|_| Error::OutOfRange)?;
    let mut nonce = [0u8; 12];
    prk.expand(b"Content-Encoding: nonce\0", &mut nonce)
        .map_err(|_| Error::OutOfRange)?;
    Ok(Schedule { ikm, cek, nonce })
}

fn encrypt_with(
    as_secret: &SecretKey,
    salt: &[u8; SALT_LEN],
    ua_public: &[u8],
    auth: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, Error> {
    if plaintext.len() > MAX_PLAINTEXT {
        return Err(Error::OutOfRange);
    }
    if auth.len() != AUTH_LEN {
        return Err(Error::MalformedKey("auth secret must be 16 bytes"));
    }
    let ua = parse_public_key(ua_public)?;
    let as_public = uncompressed(&as_secret.public_key());
    let keys = schedule(as_secret, &as_public, &ua, ua_public, auth, salt)?;
    // One record, so it is the last: the 0x02 delimiter and no padding.
    let mut record = Vec::with_capacity(plaintext.len() + 1);
    record.extend_from_slice(plaintext);
    record.push(0x02);
    let sealed = aes_gcm::Aes128Gcm::new((&keys.cek).into())
        .encrypt((&keys.nonce).into(), record.as_slice())
        .map_err(|_| Error::OutOfRange)?;
    let mut out = Vec::with_capacity(SALT_LEN + 5 + PUBLIC_KEY_LEN + sealed.len());
    out.extend_from_slice(salt);
    out.extend_from_slice(&RECORD_SIZE.to_be_bytes());
    out.push(PUBLIC_KEY_LEN as u8);
    out.extend_from_slice(&as_public);
    out.extend_from_slice(&sealed);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use p256::ecdsa::signature::Verifier;
    use p256::ecdsa::VerifyingKey;

    fn b64(s: &str) -> Vec<u8> {
        URL_SAFE_NO_PAD.decode(s).unwrap()
    }

    /// The receiving side, as a browser does it.
    fn decrypt(ua_secret: &SecretKey, auth: &[u8], body: &[u8]) -> Vec<u8> {
        let salt = &body[..16];
        assert_eq!(&body[16..20], &RECORD_SIZE.to_be_bytes());
        assert_eq!(body[20] as usize, PUBLIC_KEY_LEN);
        let as_public = &body[21..21 + PUBLIC_KEY_LEN];
        let ua_public = uncompressed(&ua_secret.public_key());
        let as_key = PublicKey::from_sec1_bytes(as_public).unwrap();
        // ECDH is symmetric: the browser's secret with the server's public key.
        let shared = p256::ecdh::diffie_hellman(ua_secret.to_nonzero_scalar(), as_key.as_affine());
        let mut info = b"WebPush: info\0".to_vec();
        info.extend_from_slice(&ua_public);
        info.extend_from_slice(as_public);
        let mut ikm = [0u8; 32];
        Hkdf::<Sha256>::new(Some(auth), shared.raw_secret_bytes())
            .expand(&info, &mut ikm)
            .unwrap();
        let prk = Hkdf::<Sha256>::new(Some(salt), &ikm);
        let (mut cek, mut nonce) = ([0u8; 16], [0u8; 12]);
        prk.expand(b"Content-Encoding: aes128gcm\0", &mut cek)
            .unwrap();
        prk.expand(b"Content-Encoding: nonce\0", &mut nonce)
            .unwrap();
        let mut plain = aes_gcm::Aes128Gcm::new((&cek).into())
            .decrypt((&nonce).into(), &body[21 + PUBLIC_KEY_LEN..])
            .unwrap();
        assert_eq!(plain.pop(), Some(0x02), "last-record delimiter");
        plain
    }

    // The example of RFC 8291 Appendix A.
    const AS_PRIVATE: &str = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw";
    const AS_PUBLIC: &str =
        "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8";
    const UA_PRIVATE: &str = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94";
    const UA_PUBLIC: &str =
        "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
    const SALT: &str = "DGv6ra1nlYgDCS1FRnbzlw";
    const AUTH: &str = "BTBZMqHH6r4Tts7J_aSIgg";
    const PLAINTEXT: &str = "V2hlbiBJIGdyb3cgdXAsIEkgd2FudCB0byBiZSBhIHdhdGVybWVsb24";

    #[test]
    fn the_key_schedule_matches_rfc_8291() {
        let as_secret = SecretKey::from_slice(&b64(AS_PRIVATE)).unwrap();
        assert_eq!(
            uncompressed(&as_secret.public_key()).to_vec(),
            b64(AS_PUBLIC)
        );
        let ua_public = b64(UA_PUBLIC);
        let ua = PublicKey::from_sec1_bytes(&ua_public).unwrap();
        let keys = schedule(
            &as_secret,
            &b64(AS_PUBLIC),
            &ua,
            &ua_public,
            &b64(AUTH),
            &b64(SALT),
        )
        .unwrap();
        assert_eq!(
            URL_SAFE_NO_PAD.encode(keys.ikm),
            "S4lYMb_L0FxCeq0WhDx813KgSYqU26kOyzWUdsXYyrg"
        );
        assert_eq!(URL_SAFE_NO_PAD.encode(keys.cek), "oIhVW04MRdy2XN9CiKLxTg");
        assert!(URL_SAFE_NO_PAD
            .encode(keys.nonce)
            .starts_with("4h_95klXJ5E"));
    }

    #[test]
    fn the_rfc_example_message_decrypts_for_the_browser() {
        let as_secret = SecretKey::from_slice(&b64(AS_PRIVATE)).unwrap();
        let salt: [u8; 16] = b64(SALT).try_into().unwrap();
        let body = encrypt_with(
            &as_secret,
            &salt,
            &b64(UA_PUBLIC),
            &b64(AUTH),
            &b64(PLAINTEXT),
        )
        .unwrap();
        // salt, rs = 4096, idlen = 65, keyid = the server's public key.
        assert!(URL_SAFE_NO_PAD.encode(&body[..86]).starts_with(
            "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIg"
        ));
        let ua_secret = SecretKey::from_slice(&b64(UA_PRIVATE)).unwrap();
        assert_eq!(
            decrypt(&ua_secret, &b64(AUTH), &body),
            b"When I grow up, I want to be a watermelon"
        );
    }

    #[test]
    fn fresh_messages_differ_and_bad_keys_are_refused() {
        let ua_secret = SecretKey::random(&mut rand::rngs::OsRng);
        let ua_public = uncompressed(&ua_secret.public_key());
        let auth = [7u8; AUTH_LEN];
        let a = encrypt(&ua_public, &auth, b"{}").unwrap();
        let b = encrypt(&ua_public, &auth, b"{}").unwrap();
        assert_ne!(a, b, "a new salt and ephemeral key each time");
        assert_eq!(decrypt(&ua_secret, &auth, &a), b"{}");
        assert!(is_valid_public_key(&ua_public));
        let mut off_curve = [0u8; PUBLIC_KEY_LEN];
        off_curve[0] = 0x04;
        assert!(!is_valid_public_key(&off_curve));
        let compressed = ua_secret.public_key().to_encoded_point(true);
        assert!(!is_valid_public_key(compressed.as_bytes()));
        assert!(encrypt(&off_curve, &auth, b"{}").is_err());
        assert!(encrypt(&ua_public, &auth[..15], b"{}").is_err());
        assert!(encrypt(&ua_public, &auth, &[b'x'; MAX_PLAINTEXT + 1]).is_err());
        assert!(encrypt(&ua_public, &auth, &[b'x'; MAX_PLAINTEXT]).is_ok());
    }

    #[test]
    fn the_vapid_key_is_stable_and_signs_verifiably() {
        let a = VapidKey::derive(&[1u8; 32]);
        let b = VapidKey::derive(&[1u8; 32]);
        assert_eq!(a.public_key(), b.public_key());
        assert_ne!(a.public_key(), VapidKey::derive(&[2u8; 32]).public_key());
        // Zero and all-ones are not valid scalars: the counter finds one.
        let zero = VapidKey::derive(&[0u8; 32]);
        let ones = VapidKey::derive(&[0xFF; 32]);
        assert!(is_valid_public_key(&zero.public_key()));
        assert!(is_valid_public_key(&ones.public_key()));
        assert_ne!(zero.public_key(), ones.public_key());
        let signature = a.sign(b"header.claims");
        let verifier = VerifyingKey::from_sec1_bytes(&a.public_key()).unwrap();
        let signature = Signature::from_slice(&signature).unwrap();
        assert!(verifier.verify(b"header.claims", &signature).is_ok());
        assert!(verifier.verify(b"header.claimz", &signature).is_err());
        assert!(!format!("{a:?}").contains(&format!("{:?}", [1u8; 32])));
    }
}
