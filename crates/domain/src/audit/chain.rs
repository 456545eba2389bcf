//! The keyed hash chain of the audit log.
//!
//! Each entry's hash is an HMAC (key derived from the master key) over the
//! previous entry's hash, its sequence number, time, role and action, and
//! two salted digests: one of the actor, one of the rest (subject, object,
//! reason). Without the key nobody can make an entry that fits the chain,
//! so an edited or inserted row shows; a gap in the sequence shows a
//! deleted one. Erasing a person removes their part of an entry together
//! with its salt: the digest stays, so the chain still verifies, but it
//! can no longer be linked back to them.

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::AuditEntry;
use crate::ids::AccountId;

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An entry as stored, with what chains it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainedEntry {
    /// Position in the chain, from 1, without gaps.
    pub seq: i64,
    /// What happened (personal parts empty once erased).
    pub entry: AuditEntry,
    /// Hex salt of the actor digest; `None` once the actor is erased.
    pub actor_salt: Option<String>,
    /// Hex SHA-256 of the salt and the actor.
    pub actor_digest: String,
    /// Hex salt of the body digest; `None` once the subject is erased.
    pub body_salt: Option<String>,
    /// Hex SHA-256 of the salt, subject, object and reason.
    pub body_digest: String,
    /// The previous entry's `entry_hash` ([`GENESIS`] for the first).
    pub prev_hash: String,
    /// Hex HMAC-SHA256 that links this entry to the previous one.
    pub entry_hash: String,
}

/// Feeds one length-prefixed field, so no two field lists hash alike.
fn field(h: &mut impl Digest, bytes: &[u8]) {
    h.update((bytes.len() as u64).to_be_bytes());
    h.update(bytes);
}

fn id_text(id: Option<AccountId>) -> String {
    id.map(|a| a.0.to_string()).unwrap_or_default()
}

fn digest(salt: &[u8], parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    field(&mut h, salt);
    for p in parts {
        field(&mut h, p);
    }
    hex::encode(h.finalize())
}

fn actor_digest(salt: &[u8], actor: Option<AccountId>) -> String {
    digest(salt, &[b"actor", id_text(actor).as_bytes()])
}

fn body_digest(salt: &[u8], e: &AuditEntry) -> String {
    let reason = e.reason.as_deref();
    digest(
        salt,
        &[
            b"body",
            id_text(e.subject).as_bytes(),
            e.object.as_bytes(),
            // "no reason" and "an empty reason" differ.
            &[u8::from(reason.is_some())],
            reason.unwrap_or_default().as_bytes(),
        ],
    )
}

fn link(key: &[u8; 32], prev: &str, seq: i64, e: &AuditEntry, actor: &str, body: &str) -> String {
    // HMAC accepts keys of any length, so construction cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(b"camvault audit chain v1\0");
    for part in [
        prev.as_bytes(),
        &seq.to_be_bytes(),
        &e.at.ms().to_be_bytes(),
        e.role.as_bytes(),
        e.action.as_bytes(),
        actor.as_bytes(),
        body.as_bytes(),
    ] {
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part);
    }
    hex::encode(mac.finalize().into_bytes())
}

fn salt() -> String {
    let mut s = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut s);
    hex::encode(s)
}

impl ChainedEntry {
    /// `entry` as the next link after `head` (the last entry's sequence
    /// number and hash; `None` for the first).
    pub fn seal(key: &[u8; 32], head: Option<(i64, String)>, entry: AuditEntry) -> ChainedEntry {
        let (seq, prev_hash) = match head {
            Some((seq, hash)) => (seq + 1, hash),
            None => (1, GENESIS.to_string()),
        };
        let (actor_salt, body_salt) = (salt(), salt());
        // Salts are fresh hex, so decoding cannot fail.
        let actor_digest = actor_digest(&hex::decode(&actor_salt).unwrap_or_default(), entry.actor);
        let body_digest = body_digest(&hex::decode(&body_salt).unwrap_or_default(), &entry);
        let entry_hash = link(key, &prev_hash, seq, &entry, &actor_digest, &body_digest);
        ChainedEntry {
            seq,
            entry,
            actor_salt: Some(actor_salt),
            actor_digest,
            body_salt: Some(body_salt),
            body_digest,
            prev_hash,
            entry_hash,
        }
    }

    /// Whether the entry matches its own digests and hash: what it says is
    /// what was sealed (erased parts must be empty), and only the key's
    /// holder can have sealed it.
    pub fn intact(&self, key: &[u8; 32]) -> bool {
        let e = &self.entry;
        let actor_ok = match &self.actor_salt {
            Some(s) => hex::decode(s).is_ok_and(|s| actor_digest(&s, e.actor) == self.actor_digest),
            None => e.actor.is_none(),
        };
        let body_ok = match &self.body_salt {
            Some(s) => hex::decode(s).is_ok_and(|s| body_digest(&s, e) == self.body_digest),
            None => e.subject.is_none() && e.object.is_empty() && e.reason.is_none(),
        };
        actor_ok
            && body_ok
            && link(
                key,
                &self.prev_hash,
                self.seq,
                e,
                &self.actor_digest,
                &self.body_digest,
            ) == self.entry_hash
    }

    /// Whether a person's part was erased from this entry.
    pub fn redacted(&self) -> bool {
        self.actor_salt.is_none() || self.body_salt.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Timestamp;

    fn entry(object: &str) -> AuditEntry {
        AuditEntry {
            actor: Some(AccountId(3)),
            role: "support".into(),
            subject: Some(AccountId(9)),
            action: "recording.playback".into(),
            object: object.into(),
            reason: Some("ticket 12".into()),
            at: Timestamp(1_700_000_000_000),
        }
    }

    #[test]
    fn links_follow_each_other_and_any_change_breaks_them() {
        let key = [5u8; 32];
        let a = ChainedEntry::seal(&key, None, entry("camera:1"));
        let b = ChainedEntry::seal(&key, Some((a.seq, a.entry_hash.clone())), entry("camera:2"));
        assert_eq!((a.seq, a.prev_hash.as_str()), (1, GENESIS));
        assert_eq!((b.seq, &b.prev_hash), (2, &a.entry_hash));
        assert!(a.intact(&key) && b.intact(&key));
        assert!(!b.intact(&[6u8; 32]), "another key");

        let mut changed = b.clone();
        changed.entry.object = "camera:3".into();
        assert!(!changed.intact(&key));
        let mut changed = b.clone();
        changed.entry.reason = None;
        assert!(!changed.intact(&key));
        let mut changed = b.clone();
        changed.entry.at = Timestamp(1);
        assert!(!changed.intact(&key));
        let mut changed = b.clone();
        changed.entry.actor = Some(AccountId(4));
        assert!(!changed.intact(&key));
        let mut changed = b.clone();
        changed.seq = 3;
        assert!(!changed.intact(&key));
    }

    #[test]
    fn erasing_a_part_keeps_the_link_but_only_when_the_part_is_gone() {
        let key = [5u8; 32];
        let mut e = ChainedEntry::seal(&key, None, entry("camera:1"));
        e.body_salt = None;
        assert!(!e.intact(&key), "content left behind without its salt");
        e.entry.subject = None;
        e.entry.object.clear();
        e.entry.reason = None;
        assert!(e.intact(&key));
        e.actor_salt = None;
        e.entry.actor = None;
        assert!(e.intact(&key) && e.redacted());
    }
}
