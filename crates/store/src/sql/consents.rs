//! Consent records, privacy policy versions, and who may get marketing mail.

use async_trait::async_trait;
use domain::accounts::contact::Address;
use domain::clock::Timestamp;
use domain::ids::AccountId;
use domain::privacy::consent::{ConsentRecord, ConsentStore, PolicyVersion};
use domain::privacy::marketing::MarketingStore;
use domain::Result;

use super::{storage, SqlStore};

#[async_trait]
impl ConsentStore for SqlStore {
    async fn add_consent(&self, r: &ConsentRecord) -> Result<()> {
        on_db_write!(&self.db, p => sqlx::query(
                "INSERT INTO consents (account_id, purpose, granted, policy_version, channel, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(r.account_id.0)
            .bind(&r.purpose)
            .bind(i64::from(r.granted))
            .bind(&r.policy_version)
            .bind(&r.channel)
            .bind(r.at.ms())
            .execute(p)
            .await
            .map(|_| ())
            .map_err(storage))
    }

    async fn consents_of(&self, account: AccountId) -> Result<Vec<ConsentRecord>> {
        let rows: Vec<(String, i64, String, String, i64)> = on_db!(&self.db, p => sqlx::query_as(
                "SELECT purpose, granted, policy_version, channel, created_at FROM consents \
                 WHERE account_id = $1 ORDER BY id")
            .bind(account.0)
            .fetch_all(p)
            .await
            .map_err(storage)?);
        Ok(rows
            .into_iter()
            .map(
                |(purpose, granted, policy_version, channel, at)| ConsentRecord {
                    account_id: account,
                    purpose,
                    granted: granted != 0,
                    policy_version,
                    channel,
                    at: Timestamp(at),
                },
            )
            .collect())
    }

    async fn add_policy(&self, v: &PolicyVersion) -> Result<bool> {
        on_db_write!(&self.db, p => sqlx::query(
                "INSERT INTO policy_versions (version, major, summary, published_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (version) DO NOTHING")
            .bind(&v.version)
            .bind(i64::from(v.major))
            .bind(&v.summary)
            .bind(v.published_at.ms())
            .execute(p)
            .await
            .map(|r| r.rows_affected() == 1)
            .map_err(storage))
    }

    async fn policies(&self) -> Result<Vec<PolicyVersion>> {
        let rows: Vec<(String, i64, String, i64)> = on_db!(&self.db, p => sqlx::query_as(
                "SELECT version, major, summary, published_at FROM policy_versions \
                 ORDER BY published_at, version")
            .fetch_all(p)
            .await
            .map_err(storage)?);
        Ok(rows
            .into_iter()
            .map(|(version, major, summary, at)| PolicyVersion {
                version,
                major: major != 0,
                summary,
                published_at: Timestamp(at),
            })
            .collect())
    }

    async fn account_created_at(&self, account: AccountId) -> Result<Option<Timestamp>> {
        let at: Option<i64> = on_db!(&self.db, p => sqlx::query_scalar(
                "SELECT created_at FROM accounts WHERE id = $1")
            .bind(account.0)
            .fetch_optional(p)
            .await
            .map_err(storage)?);
        Ok(at.map(Timestamp))
    }

    async fn verified_emails(&self) -> Result<Vec<Address>> {
        self.verified_email_addresses(false).await
    }
}

impl SqlStore {
    /// Verified, current email addresses, of administrators only when asked.
    pub(crate) async fn verified_email_addresses(&self, admins_only: bool) -> Result<Vec<Address>> {
        let rows: Vec<(String,)> = on_db!(&self.db, p => sqlx::query_as(
                "SELECT c.value FROM contacts c JOIN accounts a ON a.id = c.account_id \
                 WHERE c.kind = 'email' AND c.state = 'current' AND c.verified_at IS NOT NULL \
                 AND (a.role = 'admin' OR $1 = CAST(0 AS BIGINT)) \
                 AND NOT EXISTS (SELECT 1 FROM account_closures x WHERE x.account_id = a.id) \
                 ORDER BY c.id")
            .bind(i64::from(admins_only))
            .fetch_all(p)
            .await
            .map_err(storage)?);
        // A stored address that no longer parses is skipped, not fatal.
        Ok(rows
            .into_iter()
            .filter_map(|(v,)| Address::email(&v).ok())
            .collect())
    }
}

#[async_trait]
impl MarketingStore for SqlStore {
    async fn marketing_recipients(&self) -> Result<Vec<(AccountId, Address)>> {
        // The latest marketing record of each account decides (F8).
        let rows: Vec<(i64, String)> = on_db!(&self.db, p => sqlx::query_as(
                "SELECT k.account_id, c.value FROM consents k \
                 JOIN contacts c ON c.account_id = k.account_id \
                 WHERE k.purpose = 'marketing' AND k.granted = 1 \
                 AND k.id = (SELECT MAX(l.id) FROM consents l \
                             WHERE l.account_id = k.account_id AND l.purpose = 'marketing') \
                 AND c.kind = 'email' AND c.state = 'current' AND c.verified_at IS NOT NULL \
                 AND NOT EXISTS (SELECT 1 FROM account_closures x WHERE x.account_id = k.account_id) \
                 AND NOT EXISTS (SELECT 1 FROM account_restrictions r WHERE r.account_id = k.account_id) \
                 ORDER BY k.account_id")
            .fetch_all(p)
            .await
            .map_err(storage)?);
        // A stored address that no longer parses is skipped, not fatal.
        Ok(rows
            .into_iter()
            .filter_map(|(id, v)| Address::email(&v).ok().map(|a| (AccountId(id), a)))
            .collect())
    }
}
