//! Ownership claims (B4): someone holding a camera that is bound to another
//! account proves they hold its label (serial + verification code), adds
//! evidence (a photo of the label or a receipt), and an admin decides with a
//! written reason. The evidence is stored encrypted and erased as soon as
//! the claim is decided.
//!
//! Write order on a decision: the database records the decision and drops
//! the evidence key in one transaction first, then the blob is deleted. A
//! crash in between leaves an encrypted blob that nothing points to, never
//! a decided claim whose evidence is still reachable.

use super::serial::{SerialNumber, VerificationCode};
use super::Cameras;
use crate::accounts::secrets::same_hash;
use crate::clock::Timestamp;
use crate::ids::{AccountId, CameraId};
use crate::ports::Message;
use crate::{Error, Result};

/// Largest evidence file.
pub const MAX_EVIDENCE: usize = 5 * 1024 * 1024;

/// Where a claim stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimStatus {
    /// Waiting for an admin.
    Pending,
    /// The camera moved to the claimant.
    Approved,
    /// The camera stayed with its owner.
    Refused,
}

impl ClaimStatus {
    /// Storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimStatus::Pending => "pending",
            ClaimStatus::Approved => "approved",
            ClaimStatus::Refused => "refused",
        }
    }

    /// Parses the storage name.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "pending" => Ok(ClaimStatus::Pending),
            "approved" => Ok(ClaimStatus::Approved),
            "refused" => Ok(ClaimStatus::Refused),
            _ => Err(Error::Storage(format!("unknown claim status {s}"))),
        }
    }
}

/// A claim as stored.
#[derive(Debug, Clone)]
pub struct Claim {
    /// Its id (0 before it is stored).
    pub id: i64,
    /// The camera claimed.
    pub camera_id: CameraId,
    /// Who claims it.
    pub claimant: AccountId,
    /// The claimant's explanation.
    pub note: String,
    /// Blob key of the encrypted evidence; None once erased.
    pub evidence_key: Option<String>,
    /// MIME type of the evidence.
    pub evidence_type: &'static str,
    /// Status.
    pub status: ClaimStatus,
    /// The admin's written reason, once decided.
    pub reason: Option<String>,
    /// When decided.
    pub decided_at: Option<Timestamp>,
    /// When filed.
    pub created_at: Timestamp,
}

/// The evidence type, from the file's first bytes (not from what the
/// client claims): JPEG, PNG or PDF.
pub fn sniff_evidence(bytes: &[u8]) -> Result<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Ok("image/jpeg")
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Ok("image/png")
    } else if bytes.starts_with(b"%PDF-") {
        Ok("application/pdf")
    } else {
        Err(Error::invalid(
            "evidence",
            "must be a JPEG, PNG or PDF file",
        ))
    }
}

fn evidence_context(claim: i64) -> Vec<u8> {
    format!("ownership claim {claim}").into_bytes()
}

/// Input of a claim.
#[derive(Debug)]
pub struct ClaimRequest<'a> {
    /// Serial from the label.
    pub serial: &'a str,
    /// Verification code from the label.
    pub verification_code: &'a str,
    /// Explanation.
    pub note: &'a str,
    /// The evidence file.
    pub evidence: &'a [u8],
    /// The type the client declared, if any; must agree with the content.
    pub declared_type: Option<&'a str>,
}

impl Cameras {
    /// Files a claim for a camera bound to someone else.
    pub async fn file_claim(&self, who: AccountId, req: ClaimRequest<'_>) -> Result<Claim> {
        let serial = SerialNumber::parse(req.serial)?;
        let code = VerificationCode::parse(req.verification_code)?;
        let note = req.note.trim();
        if note.chars().count() > 2000 {
            return Err(Error::invalid("note", "at most 2000 characters"));
        }
        if req.evidence.is_empty() {
            return Err(Error::invalid(
                "evidence",
                "a photo of the label or a receipt is required",
            ));
        }
        if req.evidence.len() > MAX_EVIDENCE {
            return Err(Error::invalid("evidence", "at most 5 MiB"));
        }
        let kind = sniff_evidence(req.evidence)?;
        if let Some(declared) = req
            .declared_type
            .filter(|d| !d.is_empty() && *d != "application/octet-stream")
        {
            if declared != kind {
                return Err(Error::invalid(
                    "evidence",
                    "the file's content does not match its type",
                ));
            }
        }
        // Same proof of holding the label as binding, under the same throttle.
        let user_key = format!("bind-user:{who}");
        let serial_key = format!("bind-serial:{}", serial.as_str());
        self.throttled(&user_key).await?;
        self.throttled(&serial_key).await?;
        let expected = self.keyed("code", serial.as_str(), code.expose());
        let camera = match self.store.camera_by_serial(serial.as_str()).await? {
            Some(c) if same_hash(&c.code_hash, &expected) => c,
            _ => {
                self.count_failure(&user_key).await?;
                self.count_failure(&serial_key).await?;
                return Err(Error::BindRefused);
            }
        };
        match camera.owner {
            None => {
                return Err(Error::invalid(
                    "serial",
                    "this camera is not bound to anyone: bind it instead",
                ))
            }
            Some(owner) if owner == who => {
                return Err(Error::invalid("serial", "you already own this camera"))
            }
            Some(_) => {}
        }
        let mut claim = Claim {
            id: 0,
            camera_id: camera.id,
            claimant: who,
            note: note.to_string(),
            evidence_key: None,
            evidence_type: kind,
            status: ClaimStatus::Pending,
            reason: None,
            decided_at: None,
            created_at: self.clock.now(),
        };
        claim.id = self.claims.create_claim(&claim).await?;
        let key = format!("claims/{}", claim.id);
        let sealed = crypto::seal(
            &self.evidence_key,
            &evidence_context(claim.id),
            req.evidence,
        );
        self.blobs.put(&key, sealed).await?;
        self.claims.set_evidence_key(claim.id, &key).await?;
        claim.evidence_key = Some(key);
        tracing::info!(account = %who, camera = %camera.id, claim = claim.id, "ownership claim filed");
        Ok(claim)
    }

    /// The claimant's own claims.
    pub async fn my_claims(&self, who: AccountId) -> Result<Vec<Claim>> {
        self.claims.claims_of(who).await
    }

    /// The admin queue: pending claims, oldest first.
    pub async fn pending_claims(&self) -> Result<Vec<Claim>> {
        self.claims.claims_with_status(ClaimStatus::Pending).await
    }

    /// Decrypted evidence of a pending claim, for the deciding admin.
    pub async fn claim_evidence(&self, id: i64) -> Result<(&'static str, Vec<u8>)> {
        let claim = self
            .claims
            .claim(id)
            .await?
            .ok_or(Error::NotFound("claim"))?;
        let key = claim.evidence_key.ok_or(Error::NotFound("evidence"))?;
        let sealed = self
            .blobs
            .get(&key)
            .await?
            .ok_or(Error::NotFound("evidence"))?;
        let plain = crypto::open(&self.evidence_key, &evidence_context(id), &sealed)
            .map_err(|e| Error::Storage(format!("claim evidence: {e}")))?;
        Ok((claim.evidence_type, plain))
    }

    /// Decides a claim with a written reason, erases its evidence, and tells
    /// the claimant and (on approval) the previous owner.
    pub async fn decide_claim(
        &self,
        admin: AccountId,
        id: i64,
        approve: bool,
        reason: &str,
    ) -> Result<Claim> {
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 2000 {
            return Err(Error::invalid(
                "reason",
                "a written reason of 1 to 2000 characters is required",
            ));
        }
        let claim = self
            .claims
            .claim(id)
            .await?
            .ok_or(Error::NotFound("claim"))?;
        if claim.status != ClaimStatus::Pending {
            return Err(Error::invalid("claim", "already decided"));
        }
        let camera = self
            .store
            .camera(claim.camera_id)
            .await?
            .ok_or(Error::NotFound("camera"))?;
        let previous_owner = camera.owner;
        let now = self.clock.now();
        let name = format!(
            "{} {}",
            camera.model,
            &camera.serial[camera.serial.len().saturating_sub(4)..]
        );
        if !self
            .claims
            .decide_claim(id, approve, reason, admin, &name, now)
            .await?
        {
            return Err(Error::invalid("claim", "already decided"));
        }
        if let Some(key) = &claim.evidence_key {
            if let Err(e) = self.blobs.delete(key).await {
                tracing::error!(claim = id, error = %e, "decided claim's evidence blob not deleted");
            }
        }
        let verdict = if approve { "approved" } else { "refused" };
        tracing::info!(admin = %admin, claim = id, verdict, "ownership claim decided");
        self.notify(
            claim.claimant,
            "Your camera ownership claim",
            &format!(
                "Your claim for camera {} was {verdict}. Reason: {reason}",
                camera.serial
            ),
        )
        .await;
        if approve {
            if let Some(prev) = previous_owner {
                self.notify(
                    prev,
                    "A camera was moved to another account",
                    &format!(
                        "Camera {} was moved to another account after an ownership claim. \
                         Recordings already stored stay in your account under its retention.",
                        camera.serial
                    ),
                )
                .await;
            }
        }
        self.claims.claim(id).await?.ok_or(Error::NotFound("claim"))
    }

    /// Sends a notice to every verified contact of an account; failures are
    /// logged, since the decision itself already stands.
    async fn notify(&self, account: AccountId, subject: &str, body: &str) {
        let contacts = match self.accounts.contacts(account).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(account = %account, error = %e, "notice not sent");
                return;
            }
        };
        for c in contacts.into_iter().filter(|c| c.is_deliverable()) {
            let message = Message {
                to: c.address,
                subject: subject.to_string(),
                body: body.to_string(),
                attachment: None,
                unsubscribe: None,
            };
            if let Err(e) = self.outbox.send(&message).await {
                tracing::warn!(account = %account, error = %e, "notice not sent");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_type_comes_from_the_content() {
        assert_eq!(
            sniff_evidence(&[0xFF, 0xD8, 0xFF, 0xE0]).unwrap(),
            "image/jpeg"
        );
        assert_eq!(
            sniff_evidence(b"\x89PNG\r\n\x1a\nrest").unwrap(),
            "image/png"
        );
        assert_eq!(sniff_evidence(b"%PDF-1.7").unwrap(), "application/pdf");
        assert!(sniff_evidence(b"GIF89a").is_err());
        assert!(sniff_evidence(b"").is_err());
    }
}
