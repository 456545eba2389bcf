//! Plans, orders, payment callbacks and billing flags, both backends.

use async_trait::async_trait;
use domain::billing::{order_number, NewOrder, NewPlan, Order, OrderStatus, Plan, PlanMode};
use domain::clock::Timestamp;
use domain::ids::{AccountId, OrderId, PlanId};
use domain::ports::BillingStore;
use domain::Result;

use super::{storage, taken_or_storage, SqlStore};

const PLAN_COLUMNS: &str = "id, name, price_minor, currency, period_days, retention_days, \
     mode, cameras, quota_mb, offered, created_at";

type PlanRow = (
    i64,
    String,
    i64,
    String,
    i64,
    i64,
    String,
    i64,
    i64,
    bool,
    i64,
);

fn plan(r: PlanRow) -> Plan {
    Plan {
        id: PlanId(r.0),
        terms: NewPlan {
            name: r.1,
            price_minor: r.2,
            currency: r.3,
            period_days: r.4,
            retention_days: r.5,
            mode: PlanMode::parse(&r.6).unwrap_or(PlanMode::Continuous),
            cameras: r.7,
            quota_mb: r.8,
        },
        offered: r.9,
        created_at: Timestamp(r.10),
    }
}

const ORDER_COLUMNS: &str = "id, number, account_id, plan_id, amount_minor, currency, method, \
     status, created_at, paid_at, active_from, active_until, closed_at";

#[derive(sqlx::FromRow)]
struct OrderRow {
    id: i64,
    number: Option<String>,
    account_id: i64,
    plan_id: i64,
    amount_minor: i64,
    currency: String,
    method: String,
    status: String,
    created_at: i64,
    paid_at: Option<i64>,
    active_from: Option<i64>,
    active_until: Option<i64>,
    closed_at: Option<i64>,
}

impl From<OrderRow> for Order {
    fn from(r: OrderRow) -> Order {
        Order {
            id: OrderId(r.id),
            number: r.number.unwrap_or_default(),
            account_id: AccountId(r.account_id),
            plan_id: PlanId(r.plan_id),
            amount_minor: r.amount_minor,
            currency: r.currency,
            method: r.method,
            status: OrderStatus::from_stored(&r.status),
            created_at: Timestamp(r.created_at),
            paid_at: r.paid_at.map(Timestamp),
            active_from: r.active_from.map(Timestamp),
            active_until: r.active_until.map(Timestamp),
            closed_at: r.closed_at.map(Timestamp),
        }
    }
}

#[async_trait]
impl BillingStore for SqlStore {
    async fn insert_plan(&self, p: &NewPlan, now: Timestamp) -> Result<PlanId> {
        let id: i64 = on_db_write!(&self.db, db => sqlx::query_scalar(
                "INSERT INTO plans (name, price_minor, currency, period_days, retention_days, \
                 mode, cameras, quota_mb, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")
            .bind(&p.name)
            .bind(p.price_minor)
            .bind(&p.currency)
            .bind(p.period_days)
            .bind(p.retention_days)
            .bind(p.mode.as_str())
            .bind(p.cameras)
            .bind(p.quota_mb)
            .bind(now.ms())
            .fetch_one(db)
            .await
            .map_err(taken_or_storage("plan"))?);
        Ok(PlanId(id))
    }

    async fn plans(&self) -> Result<Vec<Plan>> {
        let sql = format!("SELECT {PLAN_COLUMNS} FROM plans ORDER BY id");
        let rows: Vec<PlanRow> = on_db!(&self.db, db => sqlx::query_as(&sql)
            .fetch_all(db)
            .await
            .map_err(storage)?);
        Ok(rows.into_iter().map(plan).collect())
    }

    async fn plan(&self, id: PlanId) -> Result<Option<Plan>> {
        let sql = format!("SELECT {PLAN_COLUMNS} FROM plans WHERE id = $1");
        let row: Option<PlanRow> = on_db!(&self.db, db => sqlx::query_as(&sql)
            .bind(id.0)
            .fetch_optional(db)
            .await
            .map_err(storage)?);
        Ok(row.map(plan))
    }

    async fn set_plan_offered(&self, id: PlanId, offered: bool) -> Result<bool> {
        on_db_write!(&self.db, db => sqlx::query("UPDATE plans SET offered = $1 WHERE id = $2")
            .bind(offered)
            .bind(id.0)
            .execute(db)
            .await
            .map(|r| r.rows_affected() == 1)
            .map_err(storage))
    }

    async fn insert_order(&self, o: &NewOrder) -> Result<(OrderId, String)> {
        on_db_write!(&self.db, db => {
            let mut tx = db.begin().await.map_err(storage)?;
            let id: i64 = sqlx::query_scalar(
                    "INSERT INTO orders (account_id, plan_id, amount_minor, currency, method, \
                     status, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
                .bind(o.account_id.0)
                .bind(o.plan_id.0)
                .bind(o.amount_minor)
                .bind(&o.currency)
                .bind(&o.method)
                .bind(OrderStatus::Pending.as_str())
                .bind(o.created_at.ms())
                .fetch_one(&mut *tx)
                .await
                .map_err(storage)?;
            // The number derives from the id, so it is known only now.
            let number = order_number(OrderId(id), o.created_at);
            sqlx::query("UPDATE orders SET number = $1 WHERE id = $2")
                .bind(&number)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(storage)?;
            tx.commit().await.map_err(storage)?;
            Ok((OrderId(id), number))
        })
    }

    async fn order_by_number(&self, number: &str) -> Result<Option<Order>> {
        let sql = format!("SELECT {ORDER_COLUMNS} FROM orders WHERE number = $1");
        let row: Option<OrderRow> = on_db!(&self.db, db => sqlx::query_as(&sql)
            .bind(number)
            .fetch_optional(db)
            .await
            .map_err(storage)?);
        Ok(row.map(Order::from))
    }

    async fn orders_of(&self, account: AccountId) -> Result<Vec<Order>> {
        let sql =
            format!("SELECT {ORDER_COLUMNS} FROM orders WHERE account_id = $1 ORDER BY id DESC");
        let rows: Vec<OrderRow> = on_db!(&self.db, db => sqlx::query_as(&sql)
            .bind(account.0)
            .fetch_all(db)
            .await
            .map_err(storage)?);
        Ok(rows.into_iter().map(Order::from).collect())
    }

    async fn all_orders(&self, limit: i64) -> Result<Vec<Order>> {
        let sql = format!("SELECT {ORDER_COLUMNS} FROM orders ORDER BY id DESC LIMIT $1");
        let rows: Vec<OrderRow> = on_db!(&self.db, db => sqlx::query_as(&sql)
            .bind(limit)
            .fetch_all(db)
            .await
            .map_err(storage)?);
        Ok(rows.into_iter().map(Order::from).collect())
    }

    async fn move_order(&self, id: OrderId, from: OrderStatus, to: &Order) -> Result<bool> {
        on_db_write!(&self.db, db => sqlx::query(
                "UPDATE orders SET status = $1, paid_at = $2, active_from = $3, \
                 active_until = $4, closed_at = $5 WHERE id = $6 AND status = $7")
            .bind(to.status.as_str())
            .bind(to.paid_at.map(|t| t.ms()))
            .bind(to.active_from.map(|t| t.ms()))
            .bind(to.active_until.map(|t| t.ms()))
            .bind(to.closed_at.map(|t| t.ms()))
            .bind(id.0)
            .bind(from.as_str())
            .execute(db)
            .await
            .map(|r| r.rows_affected() == 1)
            .map_err(storage))
    }

    async fn orders_due(&self, status: OrderStatus, at: Timestamp) -> Result<Vec<Order>> {
        let column = if status == OrderStatus::Active {
            "active_until"
        } else {
            "active_from"
        };
        let sql = format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE status = $1 AND {column} <= $2 ORDER BY id"
        );
        let rows: Vec<OrderRow> = on_db!(&self.db, db => sqlx::query_as(&sql)
            .bind(status.as_str())
            .bind(at.ms())
            .fetch_all(db)
            .await
            .map_err(storage)?);
        Ok(rows.into_iter().map(Order::from).collect())
    }

    async fn record_payment_event(
        &self,
        event_id: &str,
        order: OrderId,
        at: Timestamp,
    ) -> Result<bool> {
        on_db_write!(&self.db, db => sqlx::query(
                "INSERT INTO payment_events (event_id, order_id, received_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (event_id) DO NOTHING")
            .bind(event_id)
            .bind(order.0)
            .bind(at.ms())
            .execute(db)
            .await
            .map(|r| r.rows_affected() == 1)
            .map_err(storage))
    }

    async fn forget_payment_event(&self, event_id: &str) -> Result<()> {
        on_db_write!(&self.db, db => sqlx::query("DELETE FROM payment_events WHERE event_id = $1")
            .bind(event_id)
            .execute(db)
            .await
            .map(|_| ())
            .map_err(storage))
    }

    async fn recent_activity(&self, account: AccountId, since: Timestamp) -> Result<(i64, i64)> {
        on_db!(&self.db, db => {
            let orders: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM orders WHERE account_id = $1 AND created_at >= $2")
                .bind(account.0)
                .bind(since.ms())
                .fetch_one(db)
                .await
                .map_err(storage)?;
            let failed: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM payment_failures WHERE account_id = $1 AND at >= $2")
                .bind(account.0)
                .bind(since.ms())
                .fetch_one(db)
                .await
                .map_err(storage)?;
            Ok((orders, failed))
        })
    }

    async fn record_failed_payment(&self, order: OrderId, at: Timestamp) -> Result<()> {
        on_db_write!(&self.db, db => sqlx::query(
                "INSERT INTO payment_failures (order_id, account_id, at) \
                 SELECT id, account_id, $2 FROM orders WHERE id = $1")
            .bind(order.0)
            .bind(at.ms())
            .execute(db)
            .await
            .map(|_| ())
            .map_err(storage))
    }

    async fn flag(
        &self,
        account: AccountId,
        kind: &str,
        detail: &str,
        at: Timestamp,
    ) -> Result<()> {
        on_db_write!(&self.db, db => sqlx::query(
                "INSERT INTO billing_flags (account_id, kind, detail, day, raised_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account_id, kind, day) \
                 DO UPDATE SET detail = excluded.detail, raised_at = excluded.raised_at")
            .bind(account.0)
            .bind(kind)
            .bind(detail)
            .bind(at.ms() / 86_400_000)
            .bind(at.ms())
            .execute(db)
            .await
            .map(|_| ())
            .map_err(storage))
    }

    async fn flags(&self, limit: i64) -> Result<Vec<(AccountId, String, String, Timestamp)>> {
        let rows: Vec<(i64, String, String, i64)> = on_db!(&self.db, db => sqlx::query_as(
                "SELECT account_id, kind, detail, raised_at FROM billing_flags \
                 ORDER BY raised_at DESC LIMIT $1")
            .bind(limit)
            .fetch_all(db)
            .await
            .map_err(storage)?);
        Ok(rows
            .into_iter()
            .map(|(a, k, d, t)| (AccountId(a), k, d, Timestamp(t)))
            .collect())
    }
}
