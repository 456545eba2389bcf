//! Storage plans, orders and payment providers (E1, E2).

use async_trait::async_trait;

use crate::billing::{NewOrder, NewPlan, Order, OrderStatus, Plan};
use crate::clock::Timestamp;
use crate::ids::{AccountId, OrderId, PlanId};
use crate::Result;

/// What a payment provider is told about an order: nothing about the
/// person, only what it takes to collect the amount (E2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRequest {
    /// The order number, which comes back in the provider's callback.
    pub order_number: String,
    /// Amount in the currency's minor unit.
    pub amount_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// What is bought, e.g. "camvault Plus, 30 days".
    pub description: String,
}

/// How the person pays, as the provider answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checkout {
    /// Pay by transfer, quoting the reference; an administrator marks the
    /// order paid when the money arrives.
    Instructions(String),
    /// Continue at the provider's page.
    Redirect(String),
}

/// A way to collect payment.
#[async_trait]
pub trait PaymentProvider: Send + Sync {
    /// The method name stored on orders (`manual`, `webhook`).
    fn method(&self) -> &'static str;
    /// Starts collecting `request`.
    async fn checkout(&self, request: &PaymentRequest) -> Result<Checkout>;
}

/// Plans and orders as stored.
#[async_trait]
pub trait BillingStore: Send + Sync {
    /// Stores a plan; `Taken("plan")` when the name is in use.
    async fn insert_plan(&self, plan: &NewPlan, now: Timestamp) -> Result<PlanId>;
    /// Every plan, offered or withdrawn, oldest first.
    async fn plans(&self) -> Result<Vec<Plan>>;
    /// One plan.
    async fn plan(&self, id: PlanId) -> Result<Option<Plan>>;
    /// Offers or withdraws a plan (orders for it stay as they are).
    async fn set_plan_offered(&self, id: PlanId, offered: bool) -> Result<bool>;
    /// Stores a pending order and gives it its number; returns both.
    async fn insert_order(&self, order: &NewOrder) -> Result<(OrderId, String)>;
    /// An order by number.
    async fn order_by_number(&self, number: &str) -> Result<Option<Order>>;
    /// An account's orders, newest first.
    async fn orders_of(&self, account: AccountId) -> Result<Vec<Order>>;
    /// Every order, newest first, at most `limit`.
    async fn all_orders(&self, limit: i64) -> Result<Vec<Order>>;
    /// Moves an order from `from` to `to` with its new times; false when it
    /// was no longer in `from` (someone else moved it first).
    async fn move_order(&self, id: OrderId, from: OrderStatus, to: &Order) -> Result<bool>;
    /// Orders in `status` whose `active_until` (for active) or
    /// `active_from` (for paid) is at or before `at`.
    async fn orders_due(&self, status: OrderStatus, at: Timestamp) -> Result<Vec<Order>>;
    /// Records a provider callback's event id; false when it was seen before.
    async fn record_payment_event(
        &self,
        event_id: &str,
        order: OrderId,
        at: Timestamp,
    ) -> Result<bool>;
    /// Forgets a callback's event id whose application failed, so the
    /// provider's retry is not taken for a replay.
    async fn forget_payment_event(&self, event_id: &str) -> Result<()>;
    /// Counts an account's orders created since `since`, and its failed payments.
    async fn recent_activity(&self, account: AccountId, since: Timestamp) -> Result<(i64, i64)>;
    /// Records a failed payment attempt on an order.
    async fn record_failed_payment(&self, order: OrderId, at: Timestamp) -> Result<()>;
    /// Raises a flag for administrators (one per account and kind a day).
    async fn flag(&self, account: AccountId, kind: &str, detail: &str, at: Timestamp)
        -> Result<()>;
    /// Open flags, newest first: (account, kind, detail, at).
    async fn flags(&self, limit: i64) -> Result<Vec<(AccountId, String, String, Timestamp)>>;
}

/// What an account's plan lets one camera keep (E1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Allowance {
    /// Days kept at most; None leaves the instance's and camera's own rules.
    pub retention_days: Option<i64>,
    /// Only the video around events is kept.
    pub events_only: bool,
}

/// The plans, as the recording purge asks them.
#[async_trait]
pub trait RecordingAllowance: Send + Sync {
    /// What `owner`'s plan lets `camera` keep now.
    async fn camera(
        &self,
        owner: crate::ids::AccountId,
        camera: crate::ids::CameraId,
    ) -> Result<Allowance>;
    /// The account's storage quota under its plan; None leaves the instance's.
    async fn quota_bytes(&self, owner: crate::ids::AccountId) -> Result<Option<u64>>;
}
