//! The data inventory (G5, F1, F5): every table column and every kind of
//! blob camvault stores, with the class of data it holds, why it is kept,
//! on what legal basis, for how long, and who else receives it.
//!
//! It is the single source for the public privacy page (`/privacy`,
//! `/privacy.json`), and a test compares it with the database schema of
//! both backends: a migration that adds a column this inventory does not
//! describe fails the build's tests.

use serde::Serialize;

mod album;
mod billing;
mod cameras;
mod events;
mod identity;
mod recordings;

/// What kind of data a column or blob holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DataClass {
    /// Email addresses and phone numbers.
    Contact,
    /// Who someone is: usernames, names they give, links to a person.
    Identity,
    /// Video, audio and pictures from cameras.
    Media,
    /// Where someone or something is.
    Location,
    /// Payment details.
    Payment,
    /// Device facts, network figures, times, identifiers, secrets' hashes.
    Technical,
    /// What people write or ask: labels, notes, search words, URLs.
    Content,
    /// Nothing about a person (e.g. firmware catalogues).
    NotPersonal,
}

impl DataClass {
    /// Plain words for the public page.
    pub fn describe(self) -> &'static str {
        match self {
            DataClass::Contact => "contact details",
            DataClass::Identity => "identity",
            DataClass::Media => "video, audio and pictures",
            DataClass::Location => "location",
            DataClass::Payment => "payment details",
            DataClass::Technical => "technical data",
            DataClass::Content => "content you write",
            DataClass::NotPersonal => "nothing personal",
        }
    }
}

/// Why something is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// Running the account: sign-in, contact, settings.
    Account,
    /// Keeping accounts and devices safe: sessions, limits, the audit trail.
    Security,
    /// Cameras: binding, settings, health, sharing.
    Cameras,
    /// Recording and playing back video.
    Recording,
    /// Events and alerts.
    Alerts,
    /// Searching one's own events and recordings.
    Search,
    /// Integrations the person or operator sets up (webhooks, push, MQTT).
    Integrations,
    /// Settling who owns a camera.
    Claims,
    /// Answering requests about one's data.
    Rights,
    /// Learning which features are used, from people who agreed.
    Improvement,
    /// Selling storage plans and collecting their payment.
    Billing,
    /// Keeping the photos and clips people upload to their album.
    Album,
}

impl Purpose {
    /// Plain words for the public page.
    pub fn describe(self) -> &'static str {
        match self {
            Purpose::Account => "to run your account: sign-in, your contact details, your settings",
            Purpose::Security => {
                "to keep accounts and devices safe: sessions, rate limits and the audit trail"
            }
            Purpose::Cameras => "to run your cameras: binding, settings, health and sharing",
            Purpose::Recording => "to record your cameras and play the video back to you",
            Purpose::Alerts => "to tell you and the people you share with about events",
            Purpose::Search => "to let you search your events and recordings",
            Purpose::Integrations => "to deliver events to the integrations you set up",
            Purpose::Claims => "to settle who owns a camera when its owner changes",
            Purpose::Rights => "to answer the requests you make about your data",
            Purpose::Improvement => {
                "to learn which pages are used, only if you agreed and your browser does not ask us not to track"
            }
            Purpose::Billing => "to sell you a storage plan and collect its payment",
            Purpose::Album => "to keep the photos and clips you upload to your album",
        }
    }
}

/// The legal basis of keeping something (GDPR Art. 6(1)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LegalBasis {
    /// Needed to provide the service the person signed up for (b).
    Contract,
    /// The person agreed (a).
    Consent,
    /// Security and fraud prevention, balanced against the person's rights (f).
    LegitimateInterest,
    /// A law requires it (c).
    LegalObligation,
}

impl LegalBasis {
    /// Plain words for the public page.
    pub fn describe(self) -> &'static str {
        match self {
            LegalBasis::Contract => "needed to provide the service you signed up for",
            LegalBasis::Consent => "your consent, which you can withdraw",
            LegalBasis::LegitimateInterest => {
                "our legitimate interest in security, balanced against your rights"
            }
            LegalBasis::LegalObligation => "a legal obligation",
        }
    }
}

/// Someone outside this server who receives the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Recipient {
    /// The email relay the operator configured (codes, invitations, alerts).
    EmailRelay,
    /// The SMS gateway the operator configured (codes).
    SmsGateway,
    /// The push service of your browser's vendor (encrypted alerts).
    PushService,
    /// Web addresses you register as webhooks.
    WebhookReceiver,
    /// The MQTT broker the operator set up (e.g. the household's Home Assistant).
    MqttBroker,
    /// The payment service that collects a plan's price.
    PaymentProvider,
}

impl Recipient {
    /// Plain words for the public page.
    pub fn describe(self) -> &'static str {
        match self {
            Recipient::EmailRelay => "the email relay this server sends mail through",
            Recipient::SmsGateway => "the SMS gateway this server sends text messages through",
            Recipient::PushService => "your browser vendor's push service (the alert is encrypted for your browser; the service cannot read it)",
            Recipient::WebhookReceiver => "the web addresses you register as webhooks",
            Recipient::MqttBroker => "the MQTT broker the operator set up, such as the household's Home Assistant",
            Recipient::PaymentProvider => "the payment service the operator set up, which is told an order's number, amount, currency and plan name, and nothing about you",
        }
    }
}

/// One column.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Column {
    /// Its name.
    pub name: &'static str,
    /// What it holds.
    pub class: DataClass,
}

/// Shorthand for the tables below.
pub(crate) const fn col(name: &'static str, class: DataClass) -> Column {
    Column { name, class }
}

/// One table: what a row is and the rules for all of it.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Table {
    /// The table's name in both backends.
    pub name: &'static str,
    /// What one row is, in plain words.
    pub holds: &'static str,
    /// Why it is kept.
    pub purpose: Purpose,
    /// On what basis.
    pub basis: LegalBasis,
    /// For how long, in plain words.
    pub retention: &'static str,
    /// Who else receives some of it.
    pub recipients: &'static [Recipient],
    /// Every column.
    pub columns: &'static [Column],
}

/// One kind of blob (file in the blob store), by key prefix.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct BlobKind {
    /// The key prefix, e.g. `media/`.
    pub prefix: &'static str,
    /// What one blob is.
    pub holds: &'static str,
    /// What it holds.
    pub class: DataClass,
    /// Why it is kept.
    pub purpose: Purpose,
    /// On what basis.
    pub basis: LegalBasis,
    /// For how long.
    pub retention: &'static str,
    /// Who else receives it.
    pub recipients: &'static [Recipient],
}

/// Every table, in no particular order.
pub fn tables() -> impl Iterator<Item = &'static Table> {
    identity::TABLES
        .iter()
        .chain(cameras::TABLES)
        .chain(recordings::TABLES)
        .chain(events::TABLES)
        .chain(billing::TABLES)
        .chain(album::TABLES)
}

/// Every kind of blob.
pub fn blob_kinds() -> &'static [BlobKind] {
    recordings::BLOBS
}

/// The table named `name`, if the inventory has it.
pub fn table(name: &str) -> Option<&'static Table> {
    tables().find(|t| t.name == name)
}

#[cfg(test)]
mod tests;
