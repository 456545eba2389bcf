//! Cancelled accounts, and the bulk deletions that erase one.

use async_trait::async_trait;
use domain::clock::Timestamp;
use domain::ids::AccountId;
use domain::privacy::closure::{Closure, ClosureStore};
use domain::Result;

use super::{storage, SqlStore};

type Row = (i64, i64, i64);

fn closure((account, cancelled, erase): Row) -> Closure {
    Closure {
        account_id: AccountId(account),
        cancelled_at: Timestamp(cancelled),
        erase_after: Timestamp(erase),
    }
}

/// Rows that end every way in and out of a cancelled account.
const REVOKE: [&str; 8] = [
    "DELETE FROM external_identities WHERE account_id = $1",
    "UPDATE exports SET state = 'expired' WHERE account_id = $1 AND state = 'pending'",
    "DELETE FROM sessions WHERE account_id = $1",
    "DELETE FROM api_tokens WHERE account_id = $1",
    "DELETE FROM push_subscriptions WHERE account_id = $1",
    "DELETE FROM webhooks WHERE account_id = $1",
    "DELETE FROM camera_shares WHERE account_id = $1",
    "DELETE FROM share_invitations WHERE EXISTS (SELECT 1 FROM contacts c \
     WHERE c.account_id = $1 AND c.kind = share_invitations.kind \
     AND c.value = share_invitations.value)",
];

/// Rows that name an account without a foreign key to cascade from it,
/// handled before the account row goes (which cascades to the rest).
const ERASE: [&str; 7] = [
    "DELETE FROM throttles WHERE key = 'login:' || (SELECT username FROM accounts WHERE id = $1) \
     OR key IN (SELECT 'login:' || value FROM contacts WHERE account_id = $1)",
    "DELETE FROM share_invitations WHERE EXISTS (SELECT 1 FROM contacts c \
     WHERE c.account_id = $1 AND c.kind = share_invitations.kind \
     AND c.value = share_invitations.value)",
    // Audit entries stay in the chain (deleting one would show as
    // tampering) but lose the person's part and the salt of its digest, so
    // what is left cannot be linked back to them.
    "UPDATE audit_entries SET subject_id = NULL, object = '', reason = NULL, body_salt = NULL \
     WHERE subject_id = $1",
    "UPDATE audit_entries SET actor_id = NULL, actor_salt = NULL WHERE actor_id = $1",
    "UPDATE rights_request_steps SET actor_id = NULL WHERE actor_id = $1",
    "UPDATE breach_notices SET created_by = NULL WHERE created_by = $1",
    "DELETE FROM accounts WHERE id = $1",
];

#[async_trait]
impl ClosureStore for SqlStore {
    async fn insert_closure(&self, c: &Closure) -> Result<bool> {
        on_db_write!(&self.db, p => sqlx::query(
                "INSERT INTO account_closures (account_id, cancelled_at, erase_after) \
                 VALUES ($1, $2, $3) ON CONFLICT (account_id) DO NOTHING")
            .bind(c.account_id.0)
            .bind(c.cancelled_at.ms())
            .bind(c.erase_after.ms())
            .execute(p)
            .await
            .map(|r| r.rows_affected() == 1)
            .map_err(storage))
    }

    async fn closure(&self, account: AccountId) -> Result<Option<Closure>> {
        let row: Option<Row> = on_db!(&self.db, p => sqlx::query_as(
                "SELECT account_id, cancelled_at, erase_after FROM account_closures \
                 WHERE account_id = $1")
            .bind(account.0)
            .fetch_optional(p)
            .await
            .map_err(storage)?);
        Ok(row.map(closure))
    }

    async fn set_erase_after(&self, account: AccountId, at: Timestamp) -> Result<bool> {
        on_db_write!(&self.db, p => sqlx::query(
                "UPDATE account_closures SET erase_after = $1 WHERE account_id = $2")
            .bind(at.ms())
            .bind(account.0)
            .execute(p)
            .await
            .map(|r| r.rows_affected() == 1)
            .map_err(storage))
    }

    async fn closures_due(&self, now: Timestamp) -> Result<Vec<Closure>> {
        let rows: Vec<Row> = on_db!(&self.db, p => sqlx::query_as(
                "SELECT account_id, cancelled_at, erase_after FROM account_closures \
                 WHERE erase_after <= $1 ORDER BY erase_after, account_id")
            .bind(now.ms())
            .fetch_all(p)
            .await
            .map_err(storage)?);
        Ok(rows.into_iter().map(closure).collect())
    }

    async fn revoke_access(&self, account: AccountId) -> Result<()> {
        on_db_write!(&self.db, p => {
            let mut tx = p.begin().await.map_err(storage)?;
            for sql in REVOKE {
                sqlx::query(sql)
                    .bind(account.0)
                    .execute(&mut *tx)
                    .await
                    .map_err(storage)?;
            }
            tx.commit().await.map_err(storage)
        })
    }

    async fn blobs_of(&self, account: AccountId) -> Result<(Vec<String>, Vec<String>)> {
        let keys: Vec<String> = on_db!(&self.db, p => sqlx::query_scalar(
                "SELECT blob_key FROM recording_segments WHERE account_id = $1 \
                 UNION ALL SELECT blob_key FROM recording_inits WHERE account_id = $1 \
                 UNION ALL SELECT snapshot_key FROM events \
                   WHERE account_id = $1 AND snapshot_key IS NOT NULL \
                 UNION ALL SELECT evidence_key FROM ownership_claims \
                   WHERE claimant_id = $1 AND evidence_key IS NOT NULL \
                 UNION ALL SELECT blob_key FROM album_items WHERE account_id = $1 \
                 UNION ALL SELECT thumb_key FROM album_items \
                   WHERE account_id = $1 AND thumb_key IS NOT NULL")
            .bind(account.0)
            .fetch_all(p)
            .await
            .map_err(storage)?);
        let exports: Vec<String> = on_db!(&self.db, p => sqlx::query_scalar(
                "SELECT id FROM exports WHERE account_id = $1")
            .bind(account.0)
            .fetch_all(p)
            .await
            .map_err(storage)?);
        let uploads: Vec<String> = on_db!(&self.db, p => sqlx::query_scalar(
                "SELECT id FROM album_uploads WHERE account_id = $1")
            .bind(account.0)
            .fetch_all(p)
            .await
            .map_err(storage)?);
        Ok((
            keys,
            exports
                .into_iter()
                .map(|id| format!("exports/{id}/"))
                .chain(uploads.into_iter().map(|id| format!("album-uploads/{id}/")))
                .collect(),
        ))
    }

    async fn erase_rows(&self, account: AccountId, now: Timestamp) -> Result<()> {
        on_db_write!(&self.db, p => {
            let mut tx = p.begin().await.map_err(storage)?;
            for sql in ERASE {
                sqlx::query(sql)
                    .bind(account.0)
                    .execute(&mut *tx)
                    .await
                    .map_err(storage)?;
            }
            sqlx::query(
                    "INSERT INTO erasures (account_id, erased_at) VALUES ($1, $2) \
                     ON CONFLICT (account_id) DO NOTHING")
                .bind(account.0)
                .bind(now.ms())
                .execute(&mut *tx)
                .await
                .map_err(storage)?;
            tx.commit().await.map_err(storage)
        })
    }
}
