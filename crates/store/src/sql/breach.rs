//! Breach notices and their deliveries, both backends.

use async_trait::async_trait;
use domain::accounts::contact::Address;
use domain::clock::Timestamp;
use domain::ids::AccountId;
use domain::privacy::breach::{Audience, BreachNotice, BreachStore, Delivery, NoticeText};
use domain::Result;

use super::{storage, SqlStore};

type NoticeRow = (
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    Option<i64>,
);

const NOTICE_COLUMNS: &str = "n.id, n.title, n.what_happened, n.data_affected, n.measures, \
     n.advice, n.contact, n.audience, n.created_at, n.sent_at";

fn notice(r: NoticeRow) -> Result<BreachNotice> {
    let (id, title, what_happened, data_affected, measures, advice, contact, audience, at, sent) =
        r;
    Ok(BreachNotice {
        id,
        text: NoticeText {
            title,
            what_happened,
            data_affected,
            measures,
            advice,
            contact,
        },
        audience: serde_json::from_str(&audience)
            .map_err(|e| domain::Error::Storage(format!("a breach notice's audience: {e}")))?,
        created_at: Timestamp(at),
        sent_at: sent.map(Timestamp),
    })
}

/// The verified current email of each account, when it has one.
const EMAIL: &str = "LEFT JOIN contacts c ON c.account_id = a.id AND c.kind = 'email' \
     AND c.state = 'current' AND c.verified_at IS NOT NULL";

#[async_trait]
impl BreachStore for SqlStore {
    async fn affected(&self, audience: &Audience) -> Result<Vec<(AccountId, Option<Address>)>> {
        let rows: Vec<(i64, Option<String>)> = match audience {
            Audience::Everyone => on_db!(&self.db, p => sqlx::query_as(&format!(
                    "SELECT a.id, c.value FROM accounts a {EMAIL} ORDER BY a.id"))
                .fetch_all(p)
                .await
                .map_err(storage)?),
            Audience::CameraModel { model } => on_db!(&self.db, p => sqlx::query_as(&format!(
                    "SELECT a.id, c.value FROM accounts a {EMAIL} \
                     WHERE EXISTS (SELECT 1 FROM cameras k WHERE k.owner_id = a.id AND k.model = $1) \
                     ORDER BY a.id"))
                .bind(model)
                .fetch_all(p)
                .await
                .map_err(storage)?),
            Audience::Accounts { ids } => {
                let mut rows = Vec::new();
                for id in ids {
                    let row: Option<(i64, Option<String>)> = on_db!(&self.db, p => sqlx::query_as(
                            &format!("SELECT a.id, c.value FROM accounts a {EMAIL} WHERE a.id = $1"))
                        .bind(id)
                        .fetch_optional(p)
                        .await
                        .map_err(storage)?);
                    rows.extend(row);
                }
                rows.sort();
                rows.dedup();
                rows
            }
        };
        // An address that no longer parses counts as none.
        Ok(rows
            .into_iter()
            .map(|(id, e)| (AccountId(id), e.and_then(|v| Address::email(&v).ok())))
            .collect())
    }

    async fn insert_notice(
        &self,
        t: &NoticeText,
        audience: &Audience,
        by: AccountId,
        at: Timestamp,
    ) -> Result<i64> {
        let audience = serde_json::to_string(audience)
            .map_err(|e| domain::Error::Storage(format!("audience: {e}")))?;
        on_db_write!(&self.db, p => sqlx::query_scalar(
                "INSERT INTO breach_notices (title, what_happened, data_affected, measures, advice, \
                 contact, audience, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")
            .bind(&t.title)
            .bind(&t.what_happened)
            .bind(&t.data_affected)
            .bind(&t.measures)
            .bind(&t.advice)
            .bind(&t.contact)
            .bind(&audience)
            .bind(by.0)
            .bind(at.ms())
            .fetch_one(p)
            .await
            .map_err(storage))
    }

    async fn notice(&self, id: i64) -> Result<Option<BreachNotice>> {
        let row: Option<NoticeRow> = on_db!(&self.db, p => sqlx::query_as(&format!(
                "SELECT {NOTICE_COLUMNS} FROM breach_notices n WHERE n.id = $1"))
            .bind(id)
            .fetch_optional(p)
            .await
            .map_err(storage)?);
        row.map(notice).transpose()
    }

    async fn record_delivery(&self, notice: i64, d: &Delivery) -> Result<()> {
        on_db_write!(&self.db, p => sqlx::query(
                "INSERT INTO breach_deliveries (notice_id, account_id, channel, status, delivered_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (notice_id, account_id, channel) \
                 DO UPDATE SET status = excluded.status, delivered_at = excluded.delivered_at")
            .bind(notice)
            .bind(d.account.0)
            .bind(&d.channel)
            .bind(&d.status)
            .bind(d.at.ms())
            .execute(p)
            .await
            .map(|_| ())
            .map_err(storage))
    }

    async fn deliveries(&self, notice: i64) -> Result<Vec<Delivery>> {
        let rows: Vec<(i64, String, String, i64)> = on_db!(&self.db, p => sqlx::query_as(
                "SELECT account_id, channel, status, delivered_at FROM breach_deliveries \
                 WHERE notice_id = $1 ORDER BY account_id, channel")
            .bind(notice)
            .fetch_all(p)
            .await
            .map_err(storage)?);
        Ok(rows
            .into_iter()
            .map(|(a, channel, status, at)| Delivery {
                account: AccountId(a),
                channel,
                status,
                at: Timestamp(at),
            })
            .collect())
    }

    async fn mark_sent(&self, notice: i64, at: Timestamp) -> Result<()> {
        on_db_write!(&self.db, p => sqlx::query(
                "UPDATE breach_notices SET sent_at = $1 WHERE id = $2 AND sent_at IS NULL")
            .bind(at.ms())
            .bind(notice)
            .execute(p)
            .await
            .map(|_| ())
            .map_err(storage))
    }

    async fn notices_for(&self, account: AccountId) -> Result<Vec<BreachNotice>> {
        let rows: Vec<NoticeRow> = on_db!(&self.db, p => sqlx::query_as(&format!(
                "SELECT {NOTICE_COLUMNS} FROM breach_notices n JOIN breach_deliveries d \
                 ON d.notice_id = n.id AND d.account_id = $1 AND d.channel = 'in_app' \
                 ORDER BY n.id DESC"))
            .bind(account.0)
            .fetch_all(p)
            .await
            .map_err(storage)?);
        rows.into_iter().map(notice).collect()
    }
}
