//! Ordering, paying, refunding and the end of periods: the order state
//! machine of [`OrderStatus::can_become`], applied in one place.

use std::time::Duration;

use super::{Billing, NewOrder, Order, OrderStatus, Plan};
use crate::ids::{AccountId, PlanId};
use crate::ports::{Checkout, PaymentRequest};
use crate::{Error, Result};

/// More orders than this from one account within [`BURST_WINDOW`] raise a flag.
const BURST_ORDERS: i64 = 5;
const BURST_WINDOW: Duration = Duration::from_secs(3600);
/// This many failed payments of one account within a day raise a flag.
const FAILED_PAYMENTS: i64 = 3;
const DAY: Duration = Duration::from_secs(86_400);

/// An order just placed, and how to pay it.
#[derive(Debug, Clone)]
pub struct Placed {
    /// The order (pending).
    pub order: Order,
    /// What the provider said to do.
    pub checkout: Checkout,
}

/// What the provider is told about an order: nothing about the person (E2).
fn request(order: &Order, plan: &Plan) -> PaymentRequest {
    PaymentRequest {
        order_number: order.number.clone(),
        amount_minor: order.amount_minor,
        currency: order.currency.clone(),
        description: format!(
            "camvault {}, {} days",
            plan.terms.name, plan.terms.period_days
        ),
    }
}

fn days(n: i64) -> Duration {
    Duration::from_secs(n.max(0) as u64 * 86_400)
}

impl Billing {
    /// Places an order for an offered plan, to be paid by `method`.
    pub async fn order(&self, who: AccountId, plan: PlanId, method: &str) -> Result<Placed> {
        let plan = self
            .store
            .plan(plan)
            .await?
            .filter(|p| p.offered)
            .ok_or(Error::NotFound("plan"))?;
        let provider = self
            .providers
            .iter()
            .find(|p| p.method() == method)
            .ok_or_else(|| {
                Error::invalid("method", format!("one of {}", self.methods().join(", ")))
            })?
            .clone();
        let now = self.now();
        let (id, number) = self
            .store
            .insert_order(&NewOrder {
                account_id: who,
                plan_id: plan.id,
                amount_minor: plan.terms.price_minor,
                currency: plan.terms.currency.clone(),
                method: provider.method().to_string(),
                created_at: now,
            })
            .await?;
        let (recent, _) = self
            .store
            .recent_activity(who, now.minus(BURST_WINDOW))
            .await?;
        if recent > BURST_ORDERS {
            self.store
                .flag(
                    who,
                    "many_orders",
                    &format!("{recent} orders within an hour"),
                    now,
                )
                .await?;
        }
        let order = self
            .store
            .order_by_number(&number)
            .await?
            .ok_or(Error::NotFound("order"))?;
        let checkout = provider.checkout(&request(&order, &plan)).await?;
        tracing::info!(order = %id, method = provider.method(), "order placed");
        Ok(Placed { order, checkout })
    }

    /// How to pay a pending order, asked of its provider again (providers
    /// keep nothing, so the answer is the one given when it was placed).
    pub async fn checkout_for(&self, order: &Order) -> Result<Option<Checkout>> {
        if order.status != OrderStatus::Pending {
            return Ok(None);
        }
        let Some(provider) = self.providers.iter().find(|p| p.method() == order.method) else {
            return Ok(None);
        };
        let plan = self.plan(order.plan_id).await?;
        provider.checkout(&request(order, &plan)).await.map(Some)
    }

    /// The caller's own order by number.
    pub async fn my_order(&self, who: AccountId, number: &str) -> Result<Order> {
        self.store
            .order_by_number(number)
            .await?
            .filter(|o| o.account_id == who)
            .ok_or(Error::NotFound("order"))
    }

    /// Any order by number (administrators, support).
    pub async fn order_by_number(&self, number: &str) -> Result<Order> {
        self.store
            .order_by_number(number)
            .await?
            .ok_or(Error::NotFound("order"))
    }

    /// The caller's orders, newest first.
    pub async fn orders_of(&self, who: AccountId) -> Result<Vec<Order>> {
        self.store.orders_of(who).await
    }

    /// Every order, newest first (administrators).
    pub async fn all_orders(&self) -> Result<Vec<Order>> {
        self.store.all_orders(500).await
    }

    /// A plan by id, offered or not.
    pub async fn plan(&self, id: PlanId) -> Result<Plan> {
        self.store.plan(id).await?.ok_or(Error::NotFound("plan"))
    }

    /// Moves `order` to `to` if the state machine allows it and nobody
    /// moved it first.
    async fn transition(&self, order: &Order, next: Order) -> Result<Order> {
        if !order.status.can_become(next.status) {
            return Err(Error::invalid(
                "status",
                format!(
                    "an order that is {} cannot become {}",
                    order.status.as_str(),
                    next.status.as_str()
                ),
            ));
        }
        if !self.store.move_order(order.id, order.status, &next).await? {
            return Err(Error::Taken("order"));
        }
        tracing::info!(order = %order.id, from = order.status.as_str(), to = next.status.as_str(), "order moved");
        Ok(next)
    }

    /// Records a payment: the plan applies at once, unless it keeps video
    /// for less time than the plan now running, which then runs to the end
    /// of its period first (a downgrade never cuts what was paid for).
    pub async fn mark_paid(&self, number: &str) -> Result<Order> {
        let order = self.order_by_number(number).await?;
        if order.status != OrderStatus::Pending {
            return self
                .transition(
                    &order,
                    Order {
                        status: OrderStatus::Paid,
                        ..order.clone()
                    },
                )
                .await;
        }
        let now = self.now();
        let plan = self.plan(order.plan_id).await?;
        let current = self.running(order.account_id).await?;
        if let Some((running, running_plan)) = &current {
            if plan.terms.retention_days < running_plan.terms.retention_days {
                let from = running.active_until.unwrap_or(now);
                let next = Order {
                    status: OrderStatus::Paid,
                    paid_at: Some(now),
                    active_from: Some(from),
                    active_until: Some(from.plus(days(plan.terms.period_days))),
                    ..order.clone()
                };
                return self.transition(&order, next).await;
            }
            // An upgrade replaces the running plan now.
            let ended = Order {
                status: OrderStatus::Expired,
                active_until: Some(now),
                closed_at: Some(now),
                ..running.clone()
            };
            self.transition(running, ended).await?;
        }
        let next = Order {
            status: OrderStatus::Active,
            paid_at: Some(now),
            active_from: Some(now),
            active_until: Some(now.plus(days(plan.terms.period_days))),
            ..order.clone()
        };
        self.transition(&order, next).await
    }

    /// Refunds a paid or active order; its plan stops applying at once.
    pub async fn refund(&self, number: &str) -> Result<Order> {
        let order = self.order_by_number(number).await?;
        let now = self.now();
        let next = Order {
            status: OrderStatus::Refunded,
            closed_at: Some(now),
            ..order.clone()
        };
        self.transition(&order, next).await
    }

    /// Cancels the caller's own unpaid order.
    pub async fn cancel(&self, who: AccountId, number: &str) -> Result<Order> {
        let order = self.my_order(who, number).await?;
        let next = Order {
            status: OrderStatus::Cancelled,
            closed_at: Some(self.now()),
            ..order.clone()
        };
        self.transition(&order, next).await
    }

    /// Records a failed payment, flagging the account at the third in a day.
    pub async fn payment_failed(&self, order: &Order) -> Result<()> {
        let now = self.now();
        self.store.record_failed_payment(order.id, now).await?;
        let (_, failed) = self
            .store
            .recent_activity(order.account_id, now.minus(DAY))
            .await?;
        if failed >= FAILED_PAYMENTS {
            self.store
                .flag(
                    order.account_id,
                    "failed_payments",
                    &format!("{failed} failed payments within a day"),
                    now,
                )
                .await?;
        }
        Ok(())
    }

    /// Ends the periods that are over and starts the paid plans whose time
    /// has come; returns how many orders moved. Run by the purge job.
    pub async fn roll_periods(&self) -> Result<u64> {
        let now = self.now();
        let mut moved = 0;
        for order in self.store.orders_due(OrderStatus::Active, now).await? {
            let ended = Order {
                status: OrderStatus::Expired,
                closed_at: Some(now),
                ..order.clone()
            };
            if self.transition(&order, ended).await.is_ok() {
                moved += 1;
            }
        }
        for order in self.store.orders_due(OrderStatus::Paid, now).await? {
            let started = Order {
                status: OrderStatus::Active,
                ..order.clone()
            };
            if self.transition(&order, started).await.is_ok() {
                moved += 1;
            }
        }
        Ok(moved)
    }

    /// The account's running order and its plan, if any.
    pub(super) async fn running(&self, who: AccountId) -> Result<Option<(Order, Plan)>> {
        let now = self.now();
        let running =
            self.store.orders_of(who).await?.into_iter().find(|o| {
                o.status == OrderStatus::Active && o.active_until.is_none_or(|u| now < u)
            });
        match running {
            Some(o) => {
                let plan = self.plan(o.plan_id).await?;
                Ok(Some((o, plan)))
            }
            None => Ok(None),
        }
    }

    /// The paid order waiting for the running one to end, if any.
    pub(super) async fn upcoming(&self, who: AccountId) -> Result<Option<(Order, Plan)>> {
        let next = self
            .store
            .orders_of(who)
            .await?
            .into_iter()
            .find(|o| o.status == OrderStatus::Paid);
        match next {
            Some(o) => {
                let plan = self.plan(o.plan_id).await?;
                Ok(Some((o, plan)))
            }
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_machine_allows_only_its_moves() {
        use OrderStatus::*;
        let all = [Pending, Paid, Active, Expired, Refunded, Cancelled];
        let allowed: Vec<(OrderStatus, OrderStatus)> = all
            .iter()
            .flat_map(|a| all.iter().map(move |b| (*a, *b)))
            .filter(|(a, b)| a.can_become(*b))
            .collect();
        assert_eq!(
            allowed,
            [
                (Pending, Paid),
                (Pending, Active),
                (Pending, Cancelled),
                (Paid, Active),
                (Paid, Refunded),
                (Active, Expired),
                (Active, Refunded),
            ]
        );
        for s in all {
            assert_eq!(OrderStatus::from_stored(s.as_str()), s);
        }
    }
}
