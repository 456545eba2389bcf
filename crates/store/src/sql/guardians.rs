//! Guardian approvals of minors' accounts.

use async_trait::async_trait;
use domain::accounts::minors::GuardianStore;
use domain::clock::Timestamp;
use domain::ids::AccountId;
use domain::Result;

use super::{storage, SqlStore};

#[async_trait]
impl GuardianStore for SqlStore {
    async fn add_guardian_request(
        &self,
        account: AccountId,
        email: &str,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<()> {
        on_db_write!(&self.db, p => sqlx::query(
                "INSERT INTO guardian_approvals (account_id, guardian_email, token_hash, requested_at) \
                 VALUES ($1, $2, $3, $4)")
            .bind(account.0)
            .bind(email)
            .bind(token_hash)
            .bind(now.ms())
            .execute(p)
            .await
            .map(|_| ())
            .map_err(storage))
    }

    async fn awaiting_guardian(&self, account: AccountId) -> Result<bool> {
        let n: i64 = on_db!(&self.db, p => sqlx::query_scalar(
                "SELECT COUNT(*) FROM guardian_approvals WHERE account_id = $1 AND confirmed_at IS NULL")
            .bind(account.0)
            .fetch_one(p)
            .await
            .map_err(storage)?);
        Ok(n > 0)
    }

    async fn guardian_link_open(&self, token_hash: &str) -> Result<bool> {
        let n: i64 = on_db!(&self.db, p => sqlx::query_scalar(
                "SELECT COUNT(*) FROM guardian_approvals WHERE token_hash = $1 AND confirmed_at IS NULL")
            .bind(token_hash)
            .fetch_one(p)
            .await
            .map_err(storage)?);
        Ok(n > 0)
    }

    async fn confirm_guardian(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<AccountId>> {
        let id: Option<i64> = on_db_write!(&self.db, p => sqlx::query_scalar(
                "UPDATE guardian_approvals SET confirmed_at = $1 \
                 WHERE token_hash = $2 AND confirmed_at IS NULL RETURNING account_id")
            .bind(now.ms())
            .bind(token_hash)
            .fetch_optional(p)
            .await
            .map_err(storage)?);
        Ok(id.map(AccountId))
    }
}
