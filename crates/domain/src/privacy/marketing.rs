//! Marketing mail (F2): opt-in only, and every mail unsubscribes in one
//! click without signing in (RFC 8058). Whether a person gets one is
//! decided when it is sent, from their consent as it stands then (F8).

use std::sync::Arc;

use async_trait::async_trait;

use crate::accounts::contact::Address;
use crate::accounts::secrets::{hmac_hex, same_hash};
use crate::audit::AuditEntry;
use crate::clock::Clock;
use crate::ids::AccountId;
use crate::ports::{AuditStore, Message, Sender};
use crate::privacy::consent::Consents;
use crate::{Error, Result};

/// The purpose marketing mail needs.
pub const PURPOSE: &str = "marketing";

/// Who may receive marketing mail now.
#[async_trait]
pub trait MarketingStore: Send + Sync {
    /// Accounts whose latest `marketing` consent is a grant, with their
    /// verified current email; cancelled accounts are never included.
    async fn marketing_recipients(&self) -> Result<Vec<(AccountId, Address)>>;
}

/// The marketing service.
pub struct Marketing {
    store: Arc<dyn MarketingStore>,
    consents: Arc<Consents>,
    email: Arc<dyn Sender>,
    audit: Arc<dyn AuditStore>,
    clock: Arc<dyn Clock>,
    key: [u8; 32],
}

impl Marketing {
    /// Wires the service; `key` signs unsubscribe links.
    pub fn new(
        store: Arc<dyn MarketingStore>,
        consents: Arc<Consents>,
        email: Arc<dyn Sender>,
        audit: Arc<dyn AuditStore>,
        clock: Arc<dyn Clock>,
        key: [u8; 32],
    ) -> Self {
        Marketing {
            store,
            consents,
            email,
            audit,
            clock,
            key,
        }
    }

    fn signature(&self, account: AccountId) -> String {
        let mac = hmac_hex(
            &self.key,
            &[b"unsubscribe marketing ", account.0.to_string().as_bytes()],
        );
        mac[..32].to_string()
    }

    /// The token of `account`'s unsubscribe link: it names the account and
    /// is signed, so it works without signing in and cannot be guessed.
    pub fn token(&self, account: AccountId) -> String {
        format!("{}.{}", account.0, self.signature(account))
    }

    /// The account a token unsubscribes, if the token is genuine.
    fn account_of(&self, token: &str) -> Result<AccountId> {
        let (id, sig) = token
            .split_once('.')
            .ok_or(Error::NotFound("unsubscribe link"))?;
        let account = AccountId(
            id.parse()
                .map_err(|_| Error::NotFound("unsubscribe link"))?,
        );
        if !same_hash(sig, &self.signature(account)) {
            return Err(Error::NotFound("unsubscribe link"));
        }
        Ok(account)
    }

    /// Sends one mail to everyone who opted in; `base` is the server's
    /// public address for the unsubscribe links. Returns how many were sent.
    pub async fn send(
        &self,
        admin: AccountId,
        subject: &str,
        body: &str,
        base: &str,
    ) -> Result<usize> {
        let (subject, body) = (subject.trim(), body.trim());
        if subject.is_empty() || subject.chars().count() > 200 {
            return Err(Error::invalid("subject", "1 to 200 characters"));
        }
        if body.is_empty() || body.chars().count() > 20_000 {
            return Err(Error::invalid("body", "1 to 20,000 characters"));
        }
        let base = base.trim_end_matches('/');
        let mut sent = 0;
        for (account, to) in self.store.marketing_recipients().await? {
            let url = format!("{base}/unsubscribe/{}", self.token(account));
            let message = Message {
                to,
                subject: subject.to_string(),
                body: format!("{body}\n\n--\nYou get this because you asked for news and offers. Unsubscribe in one click: {url}\n"),
                attachment: None,
                unsubscribe: Some(url),
            };
            // One undeliverable address does not stop the others.
            match self.email.send(&message).await {
                Ok(()) => sent += 1,
                Err(e) => tracing::warn!(account = %account, error = %e, "marketing mail not sent"),
            }
        }
        self.audit
            .append(&AuditEntry {
                actor: Some(admin),
                role: "admin".into(),
                subject: None,
                action: "marketing.send".into(),
                object: format!("{sent} recipients"),
                reason: None,
                at: self.clock.now(),
            })
            .await?;
        Ok(sent)
    }

    /// Withdraws the marketing consent a genuine token names, without
    /// signing in; doing it twice is harmless.
    pub async fn unsubscribe(&self, token: &str) -> Result<()> {
        let account = self.account_of(token)?;
        if self.consents.allows(account, PURPOSE).await? {
            self.consents
                .set(account, PURPOSE, false, "unsubscribe")
                .await?;
        }
        Ok(())
    }

    /// Whether a token is genuine (the unsubscribe page checks before asking).
    pub fn check(&self, token: &str) -> Result<()> {
        self.account_of(token).map(|_| ())
    }
}
