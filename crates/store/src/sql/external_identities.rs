//! External (OpenID Connect) identities and sign-ins in flight, both backends.

use async_trait::async_trait;
use domain::clock::Timestamp;
use domain::ids::AccountId;
use domain::ports::{
    ContactState, ExternalIdentity, ExternalIdentityStore, NewAccount, PendingExternalSignIn,
};
use domain::Result;

use super::accounts::{INSERT_ACCOUNT, INSERT_CONTACT};
use super::{storage, taken_or_storage, SqlStore};

type IdentityRow = (i64, String, String, Option<String>, i64, i64);

const IDENTITY_COLUMNS: &str = "account_id, issuer, subject, email, linked_at, last_used_at";

const INSERT_IDENTITY: &str = "INSERT INTO external_identities \
     (account_id, issuer, subject, email, linked_at, last_used_at) \
     VALUES ($1, $2, $3, $4, $5, $6)";

fn identity((account, issuer, subject, email, linked, used): IdentityRow) -> ExternalIdentity {
    ExternalIdentity {
        account_id: AccountId(account),
        issuer,
        subject,
        email,
        linked_at: Timestamp(linked),
        last_used_at: Timestamp(used),
    }
}

#[async_trait]
impl ExternalIdentityStore for SqlStore {
    async fn put_pending_external(
        &self,
        state_hash: &str,
        p: &PendingExternalSignIn,
    ) -> Result<()> {
        on_db_write!(&self.db, db => sqlx::query(
                "INSERT INTO external_sign_ins \
                 (state_hash, pkce_verifier, nonce, redirect_url, link_account, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(state_hash)
            .bind(&p.pkce_verifier)
            .bind(&p.nonce)
            .bind(&p.redirect_url)
            .bind(p.link_account.map(|a| a.0))
            .bind(p.created_at.ms())
            .execute(db)
            .await
            .map(|_| ())
            .map_err(taken_or_storage("state")))
    }

    async fn take_pending_external(
        &self,
        state_hash: &str,
    ) -> Result<Option<PendingExternalSignIn>> {
        // DELETE … RETURNING: of two requests with one state, one gets it.
        let row: Option<(String, String, String, Option<i64>, i64)> = on_db_write!(&self.db, db =>
            sqlx::query_as(
                "DELETE FROM external_sign_ins WHERE state_hash = $1 \
                 RETURNING pkce_verifier, nonce, redirect_url, link_account, created_at")
            .bind(state_hash)
            .fetch_optional(db)
            .await
            .map_err(storage)?);
        Ok(row.map(
            |(pkce_verifier, nonce, redirect_url, link, created)| PendingExternalSignIn {
                pkce_verifier,
                nonce,
                redirect_url,
                link_account: link.map(AccountId),
                created_at: Timestamp(created),
            },
        ))
    }

    async fn purge_pending_external(&self, before: Timestamp) -> Result<u64> {
        on_db_write!(&self.db, db => sqlx::query(
                "DELETE FROM external_sign_ins WHERE created_at < $1")
            .bind(before.ms())
            .execute(db)
            .await
            .map(|r| r.rows_affected())
            .map_err(storage))
    }

    async fn external_identity(
        &self,
        issuer: &str,
        subject: &str,
    ) -> Result<Option<ExternalIdentity>> {
        let sql = format!(
            "SELECT {IDENTITY_COLUMNS} FROM external_identities WHERE issuer = $1 AND subject = $2"
        );
        let row: Option<IdentityRow> = on_db!(&self.db, db => sqlx::query_as(&sql)
            .bind(issuer)
            .bind(subject)
            .fetch_optional(db)
            .await
            .map_err(storage)?);
        Ok(row.map(identity))
    }

    async fn external_identities_of(&self, account: AccountId) -> Result<Vec<ExternalIdentity>> {
        let sql = format!(
            "SELECT {IDENTITY_COLUMNS} FROM external_identities WHERE account_id = $1 \
             ORDER BY linked_at, issuer"
        );
        let rows: Vec<IdentityRow> = on_db!(&self.db, db => sqlx::query_as(&sql)
            .bind(account.0)
            .fetch_all(db)
            .await
            .map_err(storage)?);
        Ok(rows.into_iter().map(identity).collect())
    }

    async fn link_external(&self, i: &ExternalIdentity) -> Result<()> {
        on_db_write!(&self.db, db => sqlx::query(INSERT_IDENTITY)
            .bind(i.account_id.0)
            .bind(&i.issuer)
            .bind(&i.subject)
            .bind(&i.email)
            .bind(i.linked_at.ms())
            .bind(i.last_used_at.ms())
            .execute(db)
            .await
            .map(|_| ())
            .map_err(taken_or_storage("external_identity")))
    }

    async fn touch_external(
        &self,
        issuer: &str,
        subject: &str,
        email: Option<&str>,
        now: Timestamp,
    ) -> Result<()> {
        on_db_write!(&self.db, db => sqlx::query(
                "UPDATE external_identities SET email = $1, last_used_at = $2 \
                 WHERE issuer = $3 AND subject = $4")
            .bind(email)
            .bind(now.ms())
            .bind(issuer)
            .bind(subject)
            .execute(db)
            .await
            .map(|_| ())
            .map_err(storage))
    }

    async fn unlink_external(&self, account: AccountId, issuer: &str) -> Result<bool> {
        on_db_write!(&self.db, db => sqlx::query(
                "DELETE FROM external_identities WHERE account_id = $1 AND issuer = $2")
            .bind(account.0)
            .bind(issuer)
            .execute(db)
            .await
            .map(|r| r.rows_affected() > 0)
            .map_err(storage))
    }

    async fn create_external_account(
        &self,
        new: NewAccount,
        issuer: &str,
        subject: &str,
        email: Option<&str>,
    ) -> Result<AccountId> {
        on_db_write!(&self.db, db => {
            let mut tx = db.begin().await.map_err(storage)?;
            let id: i64 = sqlx::query_scalar(INSERT_ACCOUNT)
                .bind(&new.username)
                .bind(&new.password_hash)
                .bind(new.role.as_str())
                .bind(new.now.ms())
                .fetch_one(&mut *tx)
                .await
                .map_err(taken_or_storage("username"))?;
            for c in &new.contacts {
                let contact: i64 = sqlx::query_scalar(INSERT_CONTACT)
                    .bind(id)
                    .bind(c.kind().as_str())
                    .bind(c.expose())
                    .bind(ContactState::Current.as_str())
                    .bind(new.now.ms())
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(taken_or_storage("contact"))?;
                // The provider verified it; asking again would prove nothing more.
                sqlx::query("UPDATE contacts SET verified_at = $1 WHERE id = $2")
                    .bind(new.now.ms())
                    .bind(contact)
                    .execute(&mut *tx)
                    .await
                    .map_err(taken_or_storage("contact"))?;
            }
            sqlx::query(INSERT_IDENTITY)
                .bind(id)
                .bind(issuer)
                .bind(subject)
                .bind(email)
                .bind(new.now.ms())
                .bind(new.now.ms())
                .execute(&mut *tx)
                .await
                .map_err(taken_or_storage("external_identity"))?;
            tx.commit().await.map_err(storage)?;
            Ok(AccountId(id))
        })
    }
}
