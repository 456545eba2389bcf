//! Rights requests and their steps.

use async_trait::async_trait;
use domain::accounts::contact::Address;
use domain::clock::Timestamp;
use domain::ids::AccountId;
use domain::privacy::requests::{
    RequestKind, RequestState, RequestStep, RequestStore, RightsRequest,
};
use domain::Result;

use super::{storage, SqlStore};

const COLUMNS: &str =
    "id, account_id, kind, details, state, reason, due_at, repeat_of, created_at, updated_at";

type Row = (
    i64,
    i64,
    String,
    String,
    String,
    Option<String>,
    i64,
    Option<i64>,
    i64,
    i64,
);

fn request(
    (id, account, kind, details, state, reason, due, repeat, created, updated): Row,
) -> Result<RightsRequest> {
    Ok(RightsRequest {
        id,
        account_id: AccountId(account),
        kind: RequestKind::parse(&kind)?,
        details,
        state: RequestState::parse(&state)?,
        reason,
        due_at: Timestamp(due),
        repeat_of: repeat,
        created_at: Timestamp(created),
        updated_at: Timestamp(updated),
    })
}

#[async_trait]
impl RequestStore for SqlStore {
    async fn insert_request(&self, r: &RightsRequest) -> Result<i64> {
        on_db_write!(&self.db, p => {
            let mut tx = p.begin().await.map_err(storage)?;
            let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO rights_requests (account_id, kind, details, state, reason, due_at, \
                     repeat_of, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                     RETURNING id")
                .bind(r.account_id.0)
                .bind(r.kind.as_str())
                .bind(&r.details)
                .bind(r.state.as_str())
                .bind(&r.reason)
                .bind(r.due_at.ms())
                .bind(r.repeat_of)
                .bind(r.created_at.ms())
                .bind(r.updated_at.ms())
                .fetch_one(&mut *tx)
                .await
                .map_err(storage)?;
            sqlx::query(
                    "INSERT INTO rights_request_steps (request_id, state, reason, actor_id, created_at) \
                     VALUES ($1, $2, NULL, $3, $4)")
                .bind(id)
                .bind(r.state.as_str())
                .bind(r.account_id.0)
                .bind(r.created_at.ms())
                .execute(&mut *tx)
                .await
                .map_err(storage)?;
            tx.commit().await.map_err(storage)?;
            Ok(id)
        })
    }

    async fn request(&self, id: i64) -> Result<Option<RightsRequest>> {
        let sql = format!("SELECT {COLUMNS} FROM rights_requests WHERE id = $1");
        let row: Option<Row> = on_db!(&self.db, p => sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(p)
            .await
            .map_err(storage)?);
        row.map(request).transpose()
    }

    async fn requests_of(&self, account: AccountId) -> Result<Vec<RightsRequest>> {
        let sql =
            format!("SELECT {COLUMNS} FROM rights_requests WHERE account_id = $1 ORDER BY id DESC");
        let rows: Vec<Row> = on_db!(&self.db, p => sqlx::query_as(&sql)
            .bind(account.0)
            .fetch_all(p)
            .await
            .map_err(storage)?);
        rows.into_iter().map(request).collect()
    }

    async fn open_requests(&self) -> Result<Vec<RightsRequest>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM rights_requests WHERE state NOT IN ('completed', 'refused') \
             ORDER BY due_at, id"
        );
        let rows: Vec<Row> = on_db!(&self.db, p => sqlx::query_as(&sql)
            .fetch_all(p)
            .await
            .map_err(storage)?);
        rows.into_iter().map(request).collect()
    }

    async fn move_request(&self, from: RequestState, s: &RequestStep) -> Result<bool> {
        on_db_write!(&self.db, p => {
            let mut tx = p.begin().await.map_err(storage)?;
            let moved = sqlx::query(
                    "UPDATE rights_requests SET state = $1, reason = $2, updated_at = $3 \
                     WHERE id = $4 AND state = $5")
                .bind(s.state.as_str())
                .bind(&s.reason)
                .bind(s.at.ms())
                .bind(s.request_id)
                .bind(from.as_str())
                .execute(&mut *tx)
                .await
                .map_err(storage)?
                .rows_affected();
            if moved == 0 {
                return Ok(false);
            }
            sqlx::query(
                    "INSERT INTO rights_request_steps (request_id, state, reason, actor_id, created_at) \
                     VALUES ($1, $2, $3, $4, $5)")
                .bind(s.request_id)
                .bind(s.state.as_str())
                .bind(&s.reason)
                .bind(s.actor.map(|a| a.0))
                .bind(s.at.ms())
                .execute(&mut *tx)
                .await
                .map_err(storage)?;
            tx.commit().await.map_err(storage)?;
            Ok(true)
        })
    }

    async fn request_steps(&self, id: i64) -> Result<Vec<RequestStep>> {
        let rows: Vec<(String, Option<String>, Option<i64>, i64)> = on_db!(&self.db, p => sqlx::query_as(
                "SELECT state, reason, actor_id, created_at FROM rights_request_steps \
                 WHERE request_id = $1 ORDER BY id")
            .bind(id)
            .fetch_all(p)
            .await
            .map_err(storage)?);
        rows.into_iter()
            .map(|(state, reason, actor, at)| {
                Ok(RequestStep {
                    request_id: id,
                    state: RequestState::parse(&state)?,
                    reason,
                    actor: actor.map(AccountId),
                    at: Timestamp(at),
                })
            })
            .collect()
    }

    async fn mark_reminded(&self, id: i64, at: Timestamp) -> Result<bool> {
        on_db_write!(&self.db, p => sqlx::query(
                "UPDATE rights_requests SET reminded_at = $1 WHERE id = $2 AND reminded_at IS NULL")
            .bind(at.ms())
            .bind(id)
            .execute(p)
            .await
            .map(|r| r.rows_affected() == 1)
            .map_err(storage))
    }

    async fn admin_emails(&self) -> Result<Vec<Address>> {
        self.verified_email_addresses(true).await
    }
}
