//! The audit log as the rest of the server uses it: appends go through the
//! chain, checkpoints sign its head, `verify` walks it.

use std::sync::Arc;

use async_trait::async_trait;

use super::verify::{Report, Verifier};
use super::{AuditEntry, ChainedEntry};
use crate::clock::{Clock, Timestamp};
use crate::ids::AccountId;
use crate::ports::{AuditChainStore, AuditStore};
use crate::Result;

/// Entries read per page while verifying or chaining old rows.
const PAGE: i64 = 1000;

/// The chain's head at a moment, signed with the instance's key: whoever
/// rewrites the chain up to there, even with valid hashes, cannot make the
/// signature match without the master key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The entry it covers (and every one before).
    pub seq: i64,
    /// That entry's hash.
    pub entry_hash: String,
    /// When it was signed.
    pub signed_at: Timestamp,
    /// Hex Ed25519 public key it was signed with (for readers; verification
    /// uses the key derived from the master key).
    pub public_key: String,
    /// Hex Ed25519 signature of [`Checkpoint::message`].
    pub signature: String,
}

impl Checkpoint {
    /// The bytes signed.
    pub fn message(seq: i64, entry_hash: &str, signed_at: Timestamp) -> Vec<u8> {
        let mut m = b"camvault audit checkpoint v1\0".to_vec();
        m.extend_from_slice(&seq.to_be_bytes());
        m.extend_from_slice(&signed_at.ms().to_be_bytes());
        m.extend_from_slice(entry_hash.as_bytes());
        m
    }

    /// Whether the signature is the instance's over this checkpoint.
    pub fn verifies(&self, public_key: &[u8; 32]) -> bool {
        hex::decode(&self.signature).is_ok_and(|sig| {
            crypto::sign::verify(
                public_key,
                &Checkpoint::message(self.seq, &self.entry_hash, self.signed_at),
                &sig,
            )
            .is_ok()
        })
    }
}

/// The audit log.
pub struct AuditLog {
    store: Arc<dyn AuditChainStore>,
    chain_key: [u8; 32],
    signer: crypto::sign::SigningKey,
    clock: Arc<dyn Clock>,
}

impl AuditLog {
    /// The log over `store`, with keys derived from `master`.
    pub fn new(
        store: Arc<dyn AuditChainStore>,
        master: &crypto::MasterKey,
        clock: Arc<dyn Clock>,
    ) -> AuditLog {
        AuditLog {
            store,
            chain_key: master.derive("audit chain"),
            signer: crypto::sign::SigningKey::from_seed(&master.derive("audit checkpoints")),
            clock,
        }
    }

    /// The hex public key checkpoints are signed with.
    pub fn public_key(&self) -> String {
        hex::encode(self.signer.public_key())
    }

    /// Puts rows written before the chain existed into it, once: only
    /// while the chain is empty, so that a row slipped in later stays
    /// outside and `verify` names it. Returns how many were chained.
    pub async fn chain_old_rows(&self) -> Result<u64> {
        if self.store.head().await?.is_some() {
            return Ok(0);
        }
        let mut chained = 0;
        loop {
            let rows = self.store.unchained(PAGE).await?;
            if rows.is_empty() {
                return Ok(chained);
            }
            for (id, entry) in rows {
                let key = self.chain_key;
                self.store
                    .chain_row(id, &move |head| {
                        ChainedEntry::seal(&key, head, entry.clone())
                    })
                    .await?;
                chained += 1;
            }
        }
    }

    /// Signs the chain's head unless the last checkpoint already covers it.
    pub async fn checkpoint(&self) -> Result<Option<Checkpoint>> {
        let Some((seq, entry_hash)) = self.store.head().await? else {
            return Ok(None);
        };
        let last = self
            .store
            .checkpoints()
            .await?
            .into_iter()
            .map(|c| c.seq)
            .max();
        if last.is_some_and(|l| l >= seq) {
            return Ok(None);
        }
        let signed_at = self.clock.now();
        let signature = self
            .signer
            .sign(&Checkpoint::message(seq, &entry_hash, signed_at));
        let c = Checkpoint {
            seq,
            entry_hash,
            signed_at,
            public_key: self.public_key(),
            signature: hex::encode(signature),
        };
        self.store.insert_checkpoint(&c).await?;
        Ok(Some(c))
    }

    /// Records one request an administrator made (every one is an entry,
    /// whatever it did): its method and path, and the account it concerns
    /// when the path names one (`…/accounts/{id}/…`).
    pub async fn admin_request(&self, admin: AccountId, method: &str, path: &str) -> Result<()> {
        let mut parts = path.split('/');
        let subject = parts
            .by_ref()
            .find(|p| *p == "accounts")
            .and_then(|_| parts.next())
            .and_then(|id| id.parse().ok())
            .map(AccountId);
        self.append(&AuditEntry {
            actor: Some(admin),
            role: "admin".into(),
            subject,
            action: "admin.request".into(),
            object: format!("{method} {path}"),
            reason: None,
            at: self.clock.now(),
        })
        .await
    }

    /// Walks the whole chain and its checkpoints; the report names the
    /// first entry found inserted, deleted or altered.
    pub async fn verify(&self) -> Result<Report> {
        let mut v = Verifier::new(
            self.chain_key,
            self.signer.public_key(),
            self.store.checkpoints().await?,
        );
        if let Some((id, _)) = self.store.unchained(1).await?.into_iter().next() {
            v.outside_chain(id);
        }
        let mut after = 0;
        loop {
            let page = self.store.chain_after(after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            v.feed(page);
            if v.done() {
                break;
            }
        }
        Ok(v.finish())
    }
}

#[async_trait]
impl AuditStore for AuditLog {
    async fn append(&self, entry: &AuditEntry) -> Result<()> {
        let key = self.chain_key;
        let entry = entry.clone();
        self.store
            .append_chained(&move |head| ChainedEntry::seal(&key, head, entry.clone()))
            .await
            .map(|_| ())
    }

    async fn entries_about(&self, subject: AccountId, limit: i64) -> Result<Vec<AuditEntry>> {
        self.store.entries_about(subject, limit).await
    }
}
