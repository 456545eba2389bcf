//! Webhooks, their delivery queue and attempt log, both backends.

use async_trait::async_trait;
use domain::clock::Timestamp;
use domain::events::webhooks::{
    DeliveryState, DueDelivery, NewDelivery, NewWebhook, Webhook, WebhookAttempt,
};
use domain::ids::{AccountId, CameraId};
use domain::ports::WebhookStore;
use domain::Result;

use super::{storage, Db, SqlStore};

#[derive(sqlx::FromRow)]
struct WebhookRow {
    id: i64,
    account_id: i64,
    url: String,
    camera_ids: String,
    event_types: String,
    created_at: i64,
}

impl From<WebhookRow> for Webhook {
    fn from(r: WebhookRow) -> Self {
        Webhook {
            id: r.id,
            account_id: AccountId(r.account_id),
            url: r.url,
            // Written by this code as space-separated ids.
            camera_ids: r
                .camera_ids
                .split_whitespace()
                .filter_map(|s| s.parse().ok())
                .map(CameraId)
                .collect(),
            event_types: r
                .event_types
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
            created_at: Timestamp(r.created_at),
        }
    }
}

#[derive(sqlx::FromRow)]
struct DueRow {
    id: i64,
    webhook_id: i64,
    account_id: i64,
    event_id: i64,
    url: String,
    sealed_secret: Vec<u8>,
    body: String,
    attempts: i64,
    next_at: i64,
}

#[derive(sqlx::FromRow)]
struct AttemptRow {
    delivery_id: i64,
    webhook_id: i64,
    event_id: i64,
    attempt: i64,
    status_code: Option<i64>,
    error: Option<String>,
    duration_ms: i64,
    state: String,
    next_at: Option<i64>,
    created_at: i64,
}

impl From<AttemptRow> for WebhookAttempt {
    fn from(r: AttemptRow) -> Self {
        WebhookAttempt {
            delivery_id: r.delivery_id,
            webhook_id: r.webhook_id,
            event_id: r.event_id,
            attempt: r.attempt,
            status_code: r.status_code.and_then(|c| u16::try_from(c).ok()),
            error: r.error,
            duration_ms: r.duration_ms,
            at: Timestamp(r.created_at),
            next_retry_at: r.next_at.map(Timestamp),
            state: DeliveryState::from_stored(&r.state),
        }
    }
}

fn joined<T: ToString>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

#[async_trait]
impl WebhookStore for SqlStore {
    async fn create_webhook(&self, w: &NewWebhook, max: i64) -> Result<Option<i64>> {
        // Locking the account row makes count-then-insert atomic on
        // PostgreSQL; SQLite has one writer, so it is atomic there anyway.
        let lock = match self.db {
            Db::Postgres(_) => "SELECT id FROM accounts WHERE id = $1 FOR UPDATE",
            Db::Sqlite { .. } => "SELECT id FROM accounts WHERE id = $1",
        };
        on_db_write!(&self.db, p => {
            let mut tx = p.begin().await.map_err(storage)?;
            sqlx::query(lock)
                .bind(w.account_id.0)
                .execute(&mut *tx)
                .await
                .map_err(storage)?;
            let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM webhooks WHERE account_id = $1")
                .bind(w.account_id.0)
                .fetch_one(&mut *tx)
                .await
                .map_err(storage)?;
            if count >= max {
                return Ok(None);
            }
            let id: i64 = sqlx::query_scalar(
                    "INSERT INTO webhooks (account_id, url, camera_ids, event_types, sealed_secret, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
                .bind(w.account_id.0)
                .bind(&w.url)
                .bind(joined(&w.camera_ids))
                .bind(joined(&w.event_types))
                .bind(&w.sealed_secret)
                .bind(w.created_at.ms())
                .fetch_one(&mut *tx)
                .await
                .map_err(storage)?;
            tx.commit().await.map_err(storage)?;
            Ok(Some(id))
        })
    }

    async fn webhooks_of(&self, account: AccountId) -> Result<Vec<Webhook>> {
        let rows: Vec<WebhookRow> = on_db!(&self.db, p => sqlx::query_as(
                "SELECT id, account_id, url, camera_ids, event_types, created_at FROM webhooks \
                 WHERE account_id = $1 ORDER BY id")
            .bind(account.0)
            .fetch_all(p)
            .await
            .map_err(storage)?);
        Ok(rows.into_iter().map(Webhook::from).collect())
    }

    async fn delete_webhook(&self, account: AccountId, id: i64) -> Result<bool> {
        on_db_write!(&self.db, p => sqlx::query("DELETE FROM webhooks WHERE id = $1 AND account_id = $2")
            .bind(id)
            .bind(account.0)
            .execute(p)
            .await
            .map(|r| r.rows_affected() > 0)
            .map_err(storage))
    }

    async fn enqueue_deliveries(&self, deliveries: &[NewDelivery]) -> Result<()> {
        on_db_write!(&self.db, p => {
            let mut tx = p.begin().await.map_err(storage)?;
            for d in deliveries {
                sqlx::query(
                        "INSERT INTO webhook_deliveries (webhook_id, event_id, body, state, attempts, next_at, created_at) \
                         VALUES ($1, $2, $3, 'pending', 0, $4, $5)")
                    .bind(d.webhook_id)
                    .bind(d.event_id)
                    .bind(&d.body)
                    .bind(d.next_at.ms())
                    .bind(d.created_at.ms())
                    .execute(&mut *tx)
                    .await
                    .map_err(storage)?;
            }
            tx.commit().await.map_err(storage)
        })
    }

    async fn claim_due(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: i64,
    ) -> Result<Vec<DueDelivery>> {
        on_db_write!(&self.db, p => {
            let mut tx = p.begin().await.map_err(storage)?;
            let rows: Vec<DueRow> = sqlx::query_as(
                    "SELECT d.id, d.webhook_id, w.account_id, d.event_id, w.url, w.sealed_secret, \
                     d.body, d.attempts, d.next_at FROM webhook_deliveries d \
                     JOIN webhooks w ON w.id = d.webhook_id \
                     WHERE d.state = 'pending' AND d.next_at <= $1 ORDER BY d.next_at, d.id LIMIT $2")
                .bind(now.ms())
                .bind(limit)
                .fetch_all(&mut *tx)
                .await
                .map_err(storage)?;
            let mut claimed = Vec::with_capacity(rows.len());
            for r in rows {
                // Only if nobody moved it since the read: a concurrent
                // runner's claim makes this one match no row.
                let moved = sqlx::query(
                        "UPDATE webhook_deliveries SET next_at = $1 \
                         WHERE id = $2 AND state = 'pending' AND next_at = $3")
                    .bind(lease_until.ms())
                    .bind(r.id)
                    .bind(r.next_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(storage)?
                    .rows_affected();
                if moved == 1 {
                    claimed.push(DueDelivery {
                        id: r.id,
                        webhook_id: r.webhook_id,
                        account_id: AccountId(r.account_id),
                        event_id: r.event_id,
                        url: r.url,
                        sealed_secret: r.sealed_secret,
                        body: r.body,
                        attempts: r.attempts,
                    });
                }
            }
            tx.commit().await.map_err(storage)?;
            Ok(claimed)
        })
    }

    async fn record_attempt(&self, a: &WebhookAttempt) -> Result<()> {
        let state = a.state.as_str();
        let next_at = a.next_retry_at.map(Timestamp::ms);
        on_db_write!(&self.db, p => {
            let mut tx = p.begin().await.map_err(storage)?;
            sqlx::query(
                    "INSERT INTO webhook_attempts (delivery_id, webhook_id, event_id, attempt, status_code, \
                     error, duration_ms, state, next_at, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
                .bind(a.delivery_id)
                .bind(a.webhook_id)
                .bind(a.event_id)
                .bind(a.attempt)
                .bind(a.status_code.map(i64::from))
                .bind(&a.error)
                .bind(a.duration_ms)
                .bind(state)
                .bind(next_at)
                .bind(a.at.ms())
                .execute(&mut *tx)
                .await
                .map_err(storage)?;
            // A finished delivery keeps no copy of the event's details.
            sqlx::query(
                    "UPDATE webhook_deliveries SET attempts = $1, state = $2, next_at = $3, \
                     body = CASE WHEN $4 THEN body ELSE '' END WHERE id = $5")
                .bind(a.attempt)
                .bind(state)
                .bind(next_at)
                .bind(a.state == DeliveryState::Pending)
                .bind(a.delivery_id)
                .execute(&mut *tx)
                .await
                .map_err(storage)?;
            tx.commit().await.map_err(storage)
        })
    }

    async fn attempts_of(&self, webhook: i64, limit: i64) -> Result<Vec<WebhookAttempt>> {
        let rows: Vec<AttemptRow> = on_db!(&self.db, p => sqlx::query_as(
                "SELECT delivery_id, webhook_id, event_id, attempt, status_code, error, duration_ms, \
                 state, next_at, created_at FROM webhook_attempts WHERE webhook_id = $1 \
                 ORDER BY id DESC LIMIT $2")
            .bind(webhook)
            .bind(limit)
            .fetch_all(p)
            .await
            .map_err(storage)?);
        Ok(rows.into_iter().map(WebhookAttempt::from).collect())
    }
}
