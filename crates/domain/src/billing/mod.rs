//! Storage plans and orders (E1) with pluggable payment (E2).
//!
//! An administrator defines plans; a person orders one and pays through a
//! [`PaymentProvider`]: `manual` (an administrator marks the order paid) or
//! a provider that calls back with a signed webhook ([`webhook`]). An order
//! goes pending → paid → active → expired, or ends refunded or cancelled.
//! The active plan sets its cameras' retention, recording mode and the
//! account's quota ([`coverage`]); cameras beyond the plan, and accounts
//! without one, have the free tier the operator configures.

pub mod coverage;
pub mod money;
mod orders;
pub mod providers;
pub mod webhook;

use std::sync::Arc;
use std::time::Duration;

use crate::clock::{Clock, Timestamp};
use crate::ids::{AccountId, OrderId, PlanId};
use crate::ports::{BillingStore, CameraStore, PaymentProvider};
use crate::{Error, Result};

pub use orders::Placed;

/// What a plan records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanMode {
    /// Everything is kept for the retention period.
    Continuous,
    /// Only the video around events is kept.
    EventsOnly,
}

impl PlanMode {
    /// Stored and API name.
    pub fn as_str(self) -> &'static str {
        match self {
            PlanMode::Continuous => "continuous",
            PlanMode::EventsOnly => "events_only",
        }
    }

    /// Parses the stored or API name.
    pub fn parse(s: &str) -> Result<PlanMode> {
        match s {
            "continuous" => Ok(PlanMode::Continuous),
            "events_only" => Ok(PlanMode::EventsOnly),
            _ => Err(Error::invalid("mode", "continuous or events_only")),
        }
    }
}

/// A plan as an administrator writes it.
#[derive(Debug, Clone)]
pub struct PlanInput {
    /// Name people see, 1–60 characters.
    pub name: String,
    /// Price such as `4.99`.
    pub price: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Days one payment covers (1–3660).
    pub period_days: i64,
    /// Days recordings are kept (1–3650).
    pub retention_days: i64,
    /// `continuous` or `events_only`.
    pub mode: String,
    /// Cameras the plan covers (1–100).
    pub cameras: i64,
    /// Storage for the account's recordings, MiB (0: no limit).
    pub quota_mb: i64,
}

/// A validated plan, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPlan {
    /// Name.
    pub name: String,
    /// Price in minor units.
    pub price_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// Days one payment covers.
    pub period_days: i64,
    /// Days recordings are kept.
    pub retention_days: i64,
    /// What is recorded.
    pub mode: PlanMode,
    /// Cameras covered.
    pub cameras: i64,
    /// Quota in MiB; 0 is none.
    pub quota_mb: i64,
}

/// A stored plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Id.
    pub id: PlanId,
    /// Its terms.
    pub terms: NewPlan,
    /// Whether it can be ordered now.
    pub offered: bool,
    /// Created.
    pub created_at: Timestamp,
}

impl PlanInput {
    /// Checks every field; prices are exact in the currency's minor unit.
    pub fn validate(&self) -> Result<NewPlan> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 60 {
            return Err(Error::invalid("name", "1 to 60 characters"));
        }
        let currency = money::currency(&self.currency)?;
        let in_range = |field: &'static str, v: i64, lo: i64, hi: i64| {
            if (lo..=hi).contains(&v) {
                Ok(v)
            } else {
                Err(Error::invalid(field, format!("between {lo} and {hi}")))
            }
        };
        Ok(NewPlan {
            name: name.to_string(),
            price_minor: money::parse_price(&self.price, currency)?,
            currency: currency.to_string(),
            period_days: in_range("period_days", self.period_days, 1, 3660)?,
            retention_days: in_range("retention_days", self.retention_days, 1, 3650)?,
            mode: PlanMode::parse(&self.mode)?,
            cameras: in_range("cameras", self.cameras, 1, 100)?,
            quota_mb: in_range("quota_mb", self.quota_mb, 0, 100_000_000)?,
        })
    }
}

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderStatus {
    /// Waiting for payment.
    Pending,
    /// Paid; starts when the current plan's period ends (a downgrade).
    Paid,
    /// Its plan applies now.
    Active,
    /// Its period is over.
    Expired,
    /// The money went back.
    Refunded,
    /// Given up before payment.
    Cancelled,
}

impl OrderStatus {
    /// Stored and API name.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Paid => "paid",
            OrderStatus::Active => "active",
            OrderStatus::Expired => "expired",
            OrderStatus::Refunded => "refunded",
            OrderStatus::Cancelled => "cancelled",
        }
    }

    /// Parses a stored name; unknown names read as cancelled.
    pub fn from_stored(s: &str) -> OrderStatus {
        match s {
            "pending" => OrderStatus::Pending,
            "paid" => OrderStatus::Paid,
            "active" => OrderStatus::Active,
            "expired" => OrderStatus::Expired,
            "refunded" => OrderStatus::Refunded,
            _ => OrderStatus::Cancelled,
        }
    }

    /// The moves the state machine allows.
    pub fn can_become(self, to: OrderStatus) -> bool {
        use OrderStatus::*;
        matches!(
            (self, to),
            (Pending, Paid)
                | (Pending, Active)
                | (Pending, Cancelled)
                | (Paid, Active)
                | (Paid, Refunded)
                | (Active, Expired)
                | (Active, Refunded)
        )
    }
}

/// An order as it is created.
#[derive(Debug, Clone)]
pub struct NewOrder {
    /// Who orders.
    pub account_id: AccountId,
    /// What.
    pub plan_id: PlanId,
    /// Amount in minor units (the plan's price when ordered).
    pub amount_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// Payment method (the provider's name).
    pub method: String,
    /// When.
    pub created_at: Timestamp,
}

/// A stored order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    /// Id.
    pub id: OrderId,
    /// Human-readable number, e.g. `CV-2026-000042`.
    pub number: String,
    /// Who ordered.
    pub account_id: AccountId,
    /// The plan.
    pub plan_id: PlanId,
    /// Amount in minor units.
    pub amount_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// Payment method.
    pub method: String,
    /// Where it stands.
    pub status: OrderStatus,
    /// Created.
    pub created_at: Timestamp,
    /// Paid.
    pub paid_at: Option<Timestamp>,
    /// Its plan applies from…
    pub active_from: Option<Timestamp>,
    /// …until.
    pub active_until: Option<Timestamp>,
    /// Expired, refunded or cancelled.
    pub closed_at: Option<Timestamp>,
}

impl Order {
    /// The amount as people read it, e.g. `4.99 EUR`.
    pub fn amount_text(&self) -> String {
        money::format_price(self.amount_minor, &self.currency)
    }
}

impl Plan {
    /// The price as people read it.
    pub fn price_text(&self) -> String {
        money::format_price(self.terms.price_minor, &self.terms.currency)
    }
}

/// The tier of cameras no paid plan covers.
#[derive(Debug, Clone, Default)]
pub struct FreeTier {
    /// Retention cap in days; None keeps the instance's own rules.
    pub retention_days: Option<i64>,
    /// Only event windows are kept.
    pub events_only: bool,
}

/// The billing service.
pub struct Billing {
    store: Arc<dyn BillingStore>,
    cameras: Arc<dyn CameraStore>,
    providers: Vec<Arc<dyn PaymentProvider>>,
    clock: Arc<dyn Clock>,
    free: FreeTier,
    webhook_secret: Option<Vec<u8>>,
}

/// How far a provider's callback may be from the server's clock.
pub const WEBHOOK_TOLERANCE: Duration = Duration::from_secs(300);

impl Billing {
    /// Wires the service; `webhook_secret` enables the webhook provider's callbacks.
    pub fn new(
        store: Arc<dyn BillingStore>,
        cameras: Arc<dyn CameraStore>,
        providers: Vec<Arc<dyn PaymentProvider>>,
        clock: Arc<dyn Clock>,
        free: FreeTier,
        webhook_secret: Option<Vec<u8>>,
    ) -> Self {
        Billing {
            store,
            cameras,
            providers,
            clock,
            free,
            webhook_secret,
        }
    }

    /// The payment methods people can choose.
    pub fn methods(&self) -> Vec<&'static str> {
        self.providers.iter().map(|p| p.method()).collect()
    }

    /// Adds a plan (administrators).
    pub async fn create_plan(&self, input: &PlanInput) -> Result<Plan> {
        let terms = input.validate()?;
        let id = self.store.insert_plan(&terms, self.clock.now()).await?;
        self.store.plan(id).await?.ok_or(Error::NotFound("plan"))
    }

    /// Every plan (administrators) or only those on offer.
    pub async fn plans(&self, offered_only: bool) -> Result<Vec<Plan>> {
        let all = self.store.plans().await?;
        Ok(all
            .into_iter()
            .filter(|p| p.offered || !offered_only)
            .collect())
    }

    /// Offers or withdraws a plan.
    pub async fn set_offered(&self, id: PlanId, offered: bool) -> Result<Plan> {
        if !self.store.set_plan_offered(id, offered).await? {
            return Err(Error::NotFound("plan"));
        }
        self.store.plan(id).await?.ok_or(Error::NotFound("plan"))
    }

    /// Flags raised for administrators, newest first.
    pub async fn flags(&self) -> Result<Vec<(AccountId, String, String, Timestamp)>> {
        self.store.flags(200).await
    }

    fn now(&self) -> Timestamp {
        self.clock.now()
    }
}

/// The order number shown to people: year and a zero-padded sequence.
pub fn order_number(id: OrderId, at: Timestamp) -> String {
    let year = jiff::Timestamp::from_millisecond(at.ms())
        .map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).year())
        .unwrap_or(1970);
    format!("CV-{year}-{:06}", id.0)
}
