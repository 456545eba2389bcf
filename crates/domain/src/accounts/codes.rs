//! Issuing and checking one-time codes (6 digits, 10 minutes, 5 tries).

use super::secrets::{new_code, same_hash};
use super::Accounts;
use crate::ports::{CodePurpose, Contact, Message};
use crate::{Error, Result};

impl Accounts {
    /// Binds a code's hash to its contact and purpose, so a code sent for
    /// one thing cannot be replayed for another.
    fn code_binding(contact: &Contact, purpose: CodePurpose) -> String {
        format!("{}:{}", contact.id, purpose.as_str())
    }

    /// Issues a fresh code to `contact` and sends it.
    pub(super) async fn send_code(&self, contact: &Contact, purpose: CodePurpose) -> Result<()> {
        let now = self.clock.now();
        if let Some(prev) = self.store.code(contact.id, purpose).await? {
            let next_allowed = prev.created_at.plus(self.config.code_resend_interval);
            if now < next_allowed {
                return Err(Error::Throttled {
                    retry_after_secs: now.secs_until(next_allowed),
                });
            }
        }
        let code = new_code();
        let hash = self
            .secrets
            .code_hash(&code, &Self::code_binding(contact, purpose));
        let expires = now.plus(self.config.code_ttl);
        self.store
            .put_code(contact.id, purpose, &hash, expires, now)
            .await?;
        let minutes = self.config.code_ttl.as_secs().div_ceil(60);
        let what = match purpose {
            CodePurpose::Verify => "to confirm this address",
            CodePurpose::Login => "to sign in",
        };
        let message = Message {
            to: contact.address.clone(),
            subject: "Your camvault code".to_string(),
            body: format!(
                "camvault code {code} {what}. It expires in {minutes} minutes. \
                 If you did not ask for it, ignore this message."
            ),
            attachment: None,
            unsubscribe: None,
        };
        self.outbox.send(&message).await?;
        tracing::info!(
            contact = %contact.address.masked(),
            purpose = purpose.as_str(),
            "one-time code sent"
        );
        Ok(())
    }

    /// Checks a code: consumes it when right, counts a try when wrong.
    pub(super) async fn check_code(
        &self,
        contact: &Contact,
        purpose: CodePurpose,
        code: &str,
    ) -> Result<()> {
        let now = self.clock.now();
        let Some(rec) = self.store.code(contact.id, purpose).await? else {
            return Err(Error::CodeExpired);
        };
        if now >= rec.expires_at {
            self.store.delete_code(rec.id).await?;
            return Err(Error::CodeExpired);
        }
        if rec.attempts >= self.config.code_max_attempts {
            return Err(Error::CodeAttemptsExhausted);
        }
        let given = self
            .secrets
            .code_hash(code.trim(), &Self::code_binding(contact, purpose));
        if same_hash(&given, &rec.code_hash) {
            self.store.delete_code(rec.id).await?;
            return Ok(());
        }
        let attempts = self.store.bump_code_attempts(rec.id).await?;
        if attempts >= self.config.code_max_attempts {
            Err(Error::CodeAttemptsExhausted)
        } else {
            Err(Error::WrongCode)
        }
    }
}
