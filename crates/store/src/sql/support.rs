//! Support unmaskings, both backends.

use async_trait::async_trait;
use domain::clock::Timestamp;
use domain::ids::AccountId;
use domain::privacy::support::UnmaskStore;
use domain::Result;

use super::{storage, SqlStore};

#[async_trait]
impl UnmaskStore for SqlStore {
    async fn insert_unmask(
        &self,
        staff: AccountId,
        account: AccountId,
        field: &str,
        reason: &str,
        at: Timestamp,
        until: Timestamp,
    ) -> Result<()> {
        on_db_write!(&self.db, p => sqlx::query(
                "INSERT INTO support_unmasks (staff_id, account_id, field, reason, granted_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(staff.0)
            .bind(account.0)
            .bind(field)
            .bind(reason)
            .bind(at.ms())
            .bind(until.ms())
            .execute(p)
            .await
            .map(|_| ())
            .map_err(storage))
    }

    async fn active_unmasks(
        &self,
        staff: AccountId,
        account: AccountId,
        now: Timestamp,
    ) -> Result<Vec<(String, Timestamp)>> {
        let rows: Vec<(String, i64)> = on_db!(&self.db, p => sqlx::query_as(
                "SELECT field, MAX(expires_at) FROM support_unmasks \
                 WHERE staff_id = $1 AND account_id = $2 AND expires_at > $3 \
                 GROUP BY field ORDER BY field")
            .bind(staff.0)
            .bind(account.0)
            .bind(now.ms())
            .fetch_all(p)
            .await
            .map_err(storage)?);
        Ok(rows.into_iter().map(|(f, t)| (f, Timestamp(t))).collect())
    }
}
