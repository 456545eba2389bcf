//! Authenticator secrets and recovery codes, both backends.

use async_trait::async_trait;
use domain::clock::Timestamp;
use domain::ids::{AccountId, SessionId};
use domain::ports::{SecondFactorStore, TotpFactor};
use domain::Result;

use super::{storage, SqlStore};

#[async_trait]
impl SecondFactorStore for SqlStore {
    async fn totp_factor(&self, account: AccountId) -> Result<Option<TotpFactor>> {
        let row: Option<(String, Option<i64>, i64)> = on_db!(&self.db, p => sqlx::query_as(
                "SELECT secret, confirmed_at, last_step FROM totp_factors WHERE account_id = $1")
            .bind(account.0)
            .fetch_optional(p)
            .await
            .map_err(storage)?);
        Ok(row.map(|(sealed_secret, confirmed, last_step)| TotpFactor {
            sealed_secret,
            confirmed_at: confirmed.map(Timestamp),
            last_step,
        }))
    }

    async fn put_pending_totp(
        &self,
        account: AccountId,
        sealed: &str,
        now: Timestamp,
    ) -> Result<bool> {
        on_db_write!(&self.db, p => sqlx::query(
                "INSERT INTO totp_factors (account_id, secret, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (account_id) DO UPDATE SET secret = excluded.secret, \
                 created_at = excluded.created_at WHERE totp_factors.confirmed_at IS NULL")
            .bind(account.0)
            .bind(sealed)
            .bind(now.ms())
            .execute(p)
            .await
            .map(|r| r.rows_affected() == 1)
            .map_err(storage))
    }

    async fn confirm_totp(
        &self,
        account: AccountId,
        step: i64,
        now: Timestamp,
        code_hashes: &[String],
    ) -> Result<bool> {
        on_db_write!(&self.db, p => {
            let mut tx = p.begin().await.map_err(storage)?;
            let confirmed = sqlx::query(
                    "UPDATE totp_factors SET confirmed_at = $1, last_step = $2 \
                     WHERE account_id = $3 AND confirmed_at IS NULL")
                .bind(now.ms())
                .bind(step)
                .bind(account.0)
                .execute(&mut *tx)
                .await
                .map_err(storage)?
                .rows_affected() == 1;
            if !confirmed {
                return Ok(false);
            }
            sqlx::query("DELETE FROM recovery_codes WHERE account_id = $1")
                .bind(account.0)
                .execute(&mut *tx)
                .await
                .map_err(storage)?;
            for hash in code_hashes {
                sqlx::query("INSERT INTO recovery_codes (account_id, code_hash) VALUES ($1, $2)")
                    .bind(account.0)
                    .bind(hash)
                    .execute(&mut *tx)
                    .await
                    .map_err(storage)?;
            }
            tx.commit().await.map_err(storage)?;
            Ok(true)
        })
    }

    async fn use_totp_step(&self, account: AccountId, step: i64) -> Result<bool> {
        on_db_write!(&self.db, p => sqlx::query(
                "UPDATE totp_factors SET last_step = $1 \
                 WHERE account_id = $2 AND confirmed_at IS NOT NULL AND last_step < $1")
            .bind(step)
            .bind(account.0)
            .execute(p)
            .await
            .map(|r| r.rows_affected() == 1)
            .map_err(storage))
    }

    async fn use_recovery_code(
        &self,
        account: AccountId,
        hash: &str,
        now: Timestamp,
    ) -> Result<bool> {
        on_db_write!(&self.db, p => sqlx::query(
                "UPDATE recovery_codes SET used_at = $1 \
                 WHERE account_id = $2 AND code_hash = $3 AND used_at IS NULL")
            .bind(now.ms())
            .bind(account.0)
            .bind(hash)
            .execute(p)
            .await
            .map(|r| r.rows_affected() == 1)
            .map_err(storage))
    }

    async fn recovery_codes_left(&self, account: AccountId) -> Result<i64> {
        on_db!(&self.db, p => sqlx::query_scalar(
                "SELECT COUNT(*) FROM recovery_codes WHERE account_id = $1 AND used_at IS NULL")
            .bind(account.0)
            .fetch_one(p)
            .await
            .map_err(storage))
    }

    async fn remove_second_factor(&self, account: AccountId) -> Result<()> {
        on_db_write!(&self.db, p => {
            let mut tx = p.begin().await.map_err(storage)?;
            for sql in [
                "DELETE FROM recovery_codes WHERE account_id = $1",
                "DELETE FROM totp_factors WHERE account_id = $1",
            ] {
                sqlx::query(sql)
                    .bind(account.0)
                    .execute(&mut *tx)
                    .await
                    .map_err(storage)?;
            }
            tx.commit().await.map_err(storage)
        })
    }

    async fn complete_second_factor(&self, session: SessionId) -> Result<()> {
        on_db_write!(&self.db, p => sqlx::query(
                "UPDATE sessions SET second_factor_pending = FALSE WHERE id = $1")
            .bind(session.0)
            .execute(p)
            .await
            .map(|_| ())
            .map_err(storage))
    }
}
