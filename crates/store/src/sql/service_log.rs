//! The service log, and the retention engine's counts and deletions.

use async_trait::async_trait;
use domain::clock::Timestamp;
use domain::ids::AccountId;
use domain::ports::{ServiceEvent, ServiceLogStore};
use domain::privacy::retention::{RetentionStore, Rule};
use domain::Result;

use super::{storage, SqlStore};

type Row = (i64, Option<i64>, String, String, Option<String>, i64);

/// The rows a rule covers, as a `FROM … WHERE …` tail whose one parameter
/// is the cut-off instant.
fn covered(rule: Rule) -> &'static str {
    match rule {
        Rule::ServiceLog => "service_log WHERE created_at < $1",
        // A lock still running keeps its row whatever its age.
        Rule::Throttles => "throttles WHERE updated_at < $1 AND locked_until < $1",
        Rule::ExternalSignIns => "external_sign_ins WHERE created_at < $1",
        Rule::FinishedRequests => {
            "rights_requests WHERE state IN ('completed', 'refused') AND updated_at < $1"
        }
    }
}

#[async_trait]
impl ServiceLogStore for SqlStore {
    async fn add_service_event(&self, e: &ServiceEvent) -> Result<()> {
        on_db_write!(&self.db, p => sqlx::query(
                "INSERT INTO service_log (account_id, kind, ip, user_agent, created_at) \
                 VALUES ($1, $2, $3, $4, $5)")
            .bind(e.account_id.map(|a| a.0))
            .bind(&e.kind)
            .bind(&e.ip)
            .bind(&e.user_agent)
            .bind(e.at.ms())
            .execute(p)
            .await
            .map(|_| ())
            .map_err(storage))
    }

    async fn service_events_of(&self, account: AccountId, limit: i64) -> Result<Vec<ServiceEvent>> {
        let rows: Vec<Row> = on_db!(&self.db, p => sqlx::query_as(
                "SELECT id, account_id, kind, ip, user_agent, created_at FROM service_log \
                 WHERE account_id = $1 ORDER BY id DESC LIMIT $2")
            .bind(account.0)
            .bind(limit)
            .fetch_all(p)
            .await
            .map_err(storage)?);
        Ok(rows
            .into_iter()
            .map(|(id, account, kind, ip, user_agent, at)| ServiceEvent {
                id,
                account_id: account.map(AccountId),
                kind,
                ip,
                user_agent,
                at: Timestamp(at),
            })
            .collect())
    }
}

#[async_trait]
impl RetentionStore for SqlStore {
    async fn whole_addresses(&self, before: Timestamp, limit: i64) -> Result<Vec<(i64, String)>> {
        on_db!(&self.db, p => sqlx::query_as(
                "SELECT id, ip FROM service_log WHERE ip_truncated = 0 AND created_at < $1 \
                 ORDER BY id LIMIT $2")
            .bind(before.ms())
            .bind(limit)
            .fetch_all(p)
            .await
            .map_err(storage))
    }

    async fn count_whole_addresses(&self, before: Timestamp) -> Result<u64> {
        let n: i64 = on_db!(&self.db, p => sqlx::query_scalar(
                "SELECT COUNT(*) FROM service_log WHERE ip_truncated = 0 AND created_at < $1")
            .bind(before.ms())
            .fetch_one(p)
            .await
            .map_err(storage)?);
        Ok(n as u64)
    }

    async fn truncate_address(&self, id: i64, truncated: &str) -> Result<()> {
        on_db_write!(&self.db, p => sqlx::query(
                "UPDATE service_log SET ip = $1, ip_truncated = 1 WHERE id = $2")
            .bind(truncated)
            .bind(id)
            .execute(p)
            .await
            .map(|_| ())
            .map_err(storage))
    }

    async fn past_retention(&self, rule: Rule, before: Timestamp, delete: bool) -> Result<u64> {
        let tail = covered(rule);
        if delete {
            let sql = format!("DELETE FROM {tail}");
            on_db_write!(&self.db, p => sqlx::query(&sql)
                .bind(before.ms())
                .execute(p)
                .await
                .map(|r| r.rows_affected())
                .map_err(storage))
        } else {
            let sql = format!("SELECT COUNT(*) FROM {tail}");
            let n: i64 = on_db!(&self.db, p => sqlx::query_scalar(&sql)
                .bind(before.ms())
                .fetch_one(p)
                .await
                .map_err(storage)?);
            Ok(n as u64)
        }
    }
}
