//! Web Push subscriptions, both backends.

use async_trait::async_trait;
use domain::clock::Timestamp;
use domain::events::push::{NewPushSubscription, PushSubscription};
use domain::ids::AccountId;
use domain::ports::PushStore;
use domain::Result;

use super::{storage, SqlStore};

type Row = (i64, i64, String, Vec<u8>, Vec<u8>, i64);

fn subscription((id, account, endpoint, p256dh, auth, created): Row) -> PushSubscription {
    PushSubscription {
        id,
        account_id: AccountId(account),
        endpoint,
        p256dh,
        auth,
        created_at: Timestamp(created),
    }
}

#[async_trait]
impl PushStore for SqlStore {
    async fn put_push_subscription(
        &self,
        new: &NewPushSubscription,
        max: i64,
    ) -> Result<Option<i64>> {
        // One statement, so the limit check and the write cannot interleave
        // with another subscribe on SQLite's single writer; the endpoint's
        // own row does not count, since it is replaced.
        on_db_write!(&self.db, p => sqlx::query_scalar(
                "INSERT INTO push_subscriptions (account_id, endpoint, p256dh, auth, created_at) \
                 SELECT $1, $2, $3, $4, $5 \
                 WHERE (SELECT COUNT(*) FROM push_subscriptions \
                        WHERE account_id = $1 AND endpoint <> $2) < $6 \
                 ON CONFLICT (endpoint) DO UPDATE SET account_id = excluded.account_id, \
                 p256dh = excluded.p256dh, auth = excluded.auth, created_at = excluded.created_at \
                 RETURNING id")
            .bind(new.account_id.0)
            .bind(&new.endpoint)
            .bind(&new.p256dh)
            .bind(&new.auth)
            .bind(new.created_at.ms())
            .bind(max)
            .fetch_optional(p)
            .await
            .map_err(storage))
    }

    async fn push_subscriptions_of(&self, account: AccountId) -> Result<Vec<PushSubscription>> {
        let rows: Vec<Row> = on_db!(&self.db, p => sqlx::query_as(
                "SELECT id, account_id, endpoint, p256dh, auth, created_at FROM push_subscriptions \
                 WHERE account_id = $1 ORDER BY id")
            .bind(account.0)
            .fetch_all(p)
            .await
            .map_err(storage)?);
        Ok(rows.into_iter().map(subscription).collect())
    }

    async fn accounts_with_push(&self, accounts: &[AccountId]) -> Result<Vec<AccountId>> {
        let mut found = Vec::new();
        // Bound the placeholders per statement (SQLite allows 32,766).
        for chunk in accounts.chunks(500) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT DISTINCT account_id FROM push_subscriptions WHERE account_id IN ({})",
                marks.join(", ")
            );
            let rows: Vec<(i64,)> = on_db!(&self.db, p => {
                let mut q = sqlx::query_as(&sql);
                for a in chunk {
                    q = q.bind(a.0);
                }
                q.fetch_all(p).await.map_err(storage)?
            });
            found.extend(rows.into_iter().map(|(a,)| AccountId(a)));
        }
        Ok(found)
    }

    async fn delete_push_subscription(&self, account: AccountId, id: i64) -> Result<bool> {
        on_db_write!(&self.db, p => sqlx::query(
                "DELETE FROM push_subscriptions WHERE id = $1 AND account_id = $2")
            .bind(id)
            .bind(account.0)
            .execute(p)
            .await
            .map(|r| r.rows_affected() > 0)
            .map_err(storage))
    }

    async fn forget_push_subscription(&self, id: i64) -> Result<()> {
        on_db_write!(&self.db, p => sqlx::query("DELETE FROM push_subscriptions WHERE id = $1")
            .bind(id)
            .execute(p)
            .await
            .map(|_| ())
            .map_err(storage))
    }
}
