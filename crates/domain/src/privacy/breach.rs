//! Breach notices (G6): when personal data was breached, an administrator
//! writes what happened, what data, what was done, what people should do
//! and whom to contact; picks who is affected with a query; previews how
//! many that is; and sends it by email and in the app. Every delivery is
//! recorded, so a second send reaches only those the first one missed.

use std::collections::HashSet;
use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::accounts::contact::Address;
use crate::audit::AuditEntry;
use crate::clock::{Clock, Timestamp};
use crate::ids::AccountId;
use crate::ports::{AuditStore, Message, Sender};
use crate::{Error, Result};

/// Who a notice is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Audience {
    /// Every account.
    Everyone,
    /// Owners of a camera of this model.
    CameraModel {
        /// The model, as provisioned.
        model: String,
    },
    /// These accounts.
    Accounts {
        /// Their ids.
        ids: Vec<i64>,
    },
}

/// What a notice says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeText {
    /// A short title.
    pub title: String,
    /// What happened, and when.
    pub what_happened: String,
    /// Which personal data was concerned.
    pub data_affected: String,
    /// What was done about it.
    pub measures: String,
    /// What people should do now.
    pub advice: String,
    /// Whom to contact.
    pub contact: String,
}

/// A stored notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreachNotice {
    /// Its id.
    pub id: i64,
    /// What it says.
    pub text: NoticeText,
    /// Who it is for.
    pub audience: Audience,
    /// When it was written.
    pub created_at: Timestamp,
    /// When it was first sent.
    pub sent_at: Option<Timestamp>,
}

/// One delivery of a notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// To whom.
    pub account: AccountId,
    /// `email` or `in_app`.
    pub channel: String,
    /// `sent`, `failed` or `no_address` (no verified email).
    pub status: String,
    /// When.
    pub at: Timestamp,
}

/// What a send did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SendReport {
    /// Accounts the audience names now.
    pub accounts: u64,
    /// New in-app deliveries.
    pub in_app: u64,
    /// Emails sent now.
    pub emailed: u64,
    /// Accounts without a verified email (in-app only).
    pub no_address: u64,
    /// Emails the mail service refused (a later send retries them).
    pub failed: u64,
}

/// Storage of notices and deliveries.
#[async_trait]
pub trait BreachStore: Send + Sync {
    /// The accounts the audience names, each with its verified current email.
    async fn affected(&self, audience: &Audience) -> Result<Vec<(AccountId, Option<Address>)>>;
    /// Stores a notice; returns its id.
    async fn insert_notice(
        &self,
        text: &NoticeText,
        audience: &Audience,
        by: AccountId,
        at: Timestamp,
    ) -> Result<i64>;
    /// A notice.
    async fn notice(&self, id: i64) -> Result<Option<BreachNotice>>;
    /// Records (or updates) one delivery.
    async fn record_delivery(&self, notice: i64, d: &Delivery) -> Result<()>;
    /// A notice's deliveries.
    async fn deliveries(&self, notice: i64) -> Result<Vec<Delivery>>;
    /// Notes the first send.
    async fn mark_sent(&self, notice: i64, at: Timestamp) -> Result<()>;
    /// Notices delivered in the app to `account`, newest first.
    async fn notices_for(&self, account: AccountId) -> Result<Vec<BreachNotice>>;
}

/// The breach-notice service.
pub struct BreachNotices {
    store: Arc<dyn BreachStore>,
    email: Arc<dyn Sender>,
    audit: Arc<dyn AuditStore>,
    clock: Arc<dyn Clock>,
}

fn check(field: &'static str, value: &str, max: usize) -> Result<String> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > max {
        return Err(Error::invalid(field, format!("1 to {max} characters")));
    }
    Ok(v.to_string())
}

impl NoticeText {
    /// Every part is required: a notice that leaves one out is refused.
    fn validated(&self) -> Result<NoticeText> {
        Ok(NoticeText {
            title: check("title", &self.title, 200)?,
            what_happened: check("what_happened", &self.what_happened, 10_000)?,
            data_affected: check("data_affected", &self.data_affected, 10_000)?,
            measures: check("measures", &self.measures, 10_000)?,
            advice: check("advice", &self.advice, 10_000)?,
            contact: check("contact", &self.contact, 1_000)?,
        })
    }

    /// The mail's body.
    pub fn body(&self) -> String {
        format!(
            "{}\n\nWhat happened\n{}\n\nWhich of your data\n{}\n\nWhat we have done\n{}\n\n\
             What you should do\n{}\n\nQuestions\n{}\n",
            self.title,
            self.what_happened,
            self.data_affected,
            self.measures,
            self.advice,
            self.contact
        )
    }
}

impl Audience {
    fn validated(&self) -> Result<Audience> {
        match self {
            Audience::CameraModel { model } => Ok(Audience::CameraModel {
                model: check("model", model, 200)?,
            }),
            Audience::Accounts { ids } if ids.is_empty() || ids.len() > 100_000 => {
                Err(Error::invalid("ids", "1 to 100,000 account ids"))
            }
            other => Ok(other.clone()),
        }
    }
}

impl BreachNotices {
    /// Wires the service.
    pub fn new(
        store: Arc<dyn BreachStore>,
        email: Arc<dyn Sender>,
        audit: Arc<dyn AuditStore>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        BreachNotices {
            store,
            email,
            audit,
            clock,
        }
    }

    /// How many accounts the audience names, and how many of them have a
    /// verified email.
    pub async fn preview(&self, audience: &Audience) -> Result<(u64, u64)> {
        let affected = self.store.affected(&audience.validated()?).await?;
        let with_email = affected.iter().filter(|(_, e)| e.is_some()).count();
        Ok((affected.len() as u64, with_email as u64))
    }

    /// Writes a notice (not sent yet).
    pub async fn create(
        &self,
        admin: AccountId,
        text: &NoticeText,
        audience: &Audience,
    ) -> Result<BreachNotice> {
        let (text, audience) = (text.validated()?, audience.validated()?);
        let at = self.clock.now();
        let id = self
            .store
            .insert_notice(&text, &audience, admin, at)
            .await?;
        self.log(admin, "breach.create", format!("notice:{id}"))
            .await?;
        self.store
            .notice(id)
            .await?
            .ok_or(Error::NotFound("breach notice"))
    }

    /// A notice and its deliveries.
    pub async fn get(&self, id: i64) -> Result<(BreachNotice, Vec<Delivery>)> {
        let n = self
            .store
            .notice(id)
            .await?
            .ok_or(Error::NotFound("breach notice"))?;
        Ok((n, self.store.deliveries(id).await?))
    }

    /// Sends a notice to everyone its audience names now: in the app, and
    /// by email to a verified address. Deliveries already made are not
    /// repeated; failed emails are tried again.
    pub async fn send(&self, admin: AccountId, id: i64) -> Result<SendReport> {
        let (notice, done) = self.get(id).await?;
        let sent: HashSet<(AccountId, String)> = done
            .into_iter()
            .filter(|d| d.status != "failed")
            .map(|d| (d.account, d.channel))
            .collect();
        let subject = format!("Security notice: {}", notice.text.title);
        let body = notice.text.body();
        let mut report = SendReport::default();
        for (account, email) in self.store.affected(&notice.audience).await? {
            report.accounts += 1;
            if !sent.contains(&(account, "in_app".to_string())) {
                self.deliver(id, account, "in_app", "sent").await?;
                report.in_app += 1;
            }
            if sent.contains(&(account, "email".to_string())) {
                continue;
            }
            let status = match email {
                None => {
                    report.no_address += 1;
                    "no_address"
                }
                Some(to) => {
                    let message = Message {
                        to,
                        subject: subject.clone(),
                        body: body.clone(),
                        attachment: None,
                        unsubscribe: None,
                    };
                    match self.email.send(&message).await {
                        Ok(()) => {
                            report.emailed += 1;
                            "sent"
                        }
                        Err(e) => {
                            tracing::warn!(account = %account, error = %e, "breach notice not emailed");
                            report.failed += 1;
                            "failed"
                        }
                    }
                }
            };
            self.deliver(id, account, "email", status).await?;
        }
        if notice.sent_at.is_none() {
            self.store.mark_sent(id, self.clock.now()).await?;
        }
        self.log(
            admin,
            "breach.send",
            format!("notice:{id} to {} accounts", report.accounts),
        )
        .await?;
        Ok(report)
    }

    /// The notices a person received in the app.
    pub async fn for_account(&self, account: AccountId) -> Result<Vec<BreachNotice>> {
        self.store.notices_for(account).await
    }

    async fn deliver(
        &self,
        id: i64,
        account: AccountId,
        channel: &str,
        status: &str,
    ) -> Result<()> {
        let d = Delivery {
            account,
            channel: channel.into(),
            status: status.into(),
            at: self.clock.now(),
        };
        self.store.record_delivery(id, &d).await
    }

    async fn log(&self, admin: AccountId, action: &str, object: String) -> Result<()> {
        self.audit
            .append(&AuditEntry {
                actor: Some(admin),
                role: "admin".into(),
                subject: None,
                action: action.into(),
                object,
                reason: None,
                at: self.clock.now(),
            })
            .await
    }
}
