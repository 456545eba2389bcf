//! Accounts and contacts, both backends.

use async_trait::async_trait;
use domain::accounts::contact::{Address, ContactKind};
use domain::clock::Timestamp;
use domain::ids::{AccountId, ContactId};
use domain::ports::{Account, AccountStore, Contact, ContactState, NewAccount, Role};
use domain::Result;

use super::{storage, taken_or_storage, SqlStore};

#[derive(sqlx::FromRow)]
struct AccountRow {
    id: i64,
    username: String,
    password_hash: String,
    role: String,
    created_at: i64,
}

impl From<AccountRow> for Account {
    fn from(r: AccountRow) -> Self {
        Account {
            id: AccountId(r.id),
            username: r.username,
            password_hash: r.password_hash,
            role: Role::from_stored(&r.role),
            created_at: Timestamp(r.created_at),
        }
    }
}

#[derive(sqlx::FromRow)]
struct ContactRow {
    id: i64,
    account_id: i64,
    kind: String,
    value: String,
    state: String,
    verified_at: Option<i64>,
}

impl TryFrom<ContactRow> for Contact {
    type Error = domain::Error;
    fn try_from(r: ContactRow) -> Result<Self> {
        Ok(Contact {
            id: ContactId(r.id),
            account_id: AccountId(r.account_id),
            address: Address::from_stored(ContactKind::parse(&r.kind)?, r.value),
            state: ContactState::from_stored(&r.state),
            verified_at: r.verified_at.map(Timestamp),
        })
    }
}

const ACCOUNT_COLUMNS: &str = "id, username, password_hash, role, created_at";
const CONTACT_COLUMNS: &str = "id, account_id, kind, value, state, verified_at";

pub(super) const INSERT_ACCOUNT: &str =
    "INSERT INTO accounts (username, password_hash, role, created_at) \
     VALUES ($1, $2, $3, $4) RETURNING id";
pub(super) const INSERT_CONTACT: &str =
    "INSERT INTO contacts (account_id, kind, value, state, created_at) \
     VALUES ($1, $2, $3, $4, $5) RETURNING id";

fn contacts_from(rows: Vec<ContactRow>) -> Result<Vec<Contact>> {
    rows.into_iter().map(Contact::try_from).collect()
}

#[async_trait]
impl AccountStore for SqlStore {
    async fn create_account(&self, new: NewAccount) -> Result<AccountId> {
        on_db_write!(&self.db, p => {
            let mut tx = p.begin().await.map_err(storage)?;
            let id: i64 = sqlx::query_scalar(INSERT_ACCOUNT)
                .bind(&new.username)
                .bind(&new.password_hash)
                .bind(new.role.as_str())
                .bind(new.now.ms())
                .fetch_one(&mut *tx)
                .await
                .map_err(taken_or_storage("username"))?;
            for c in &new.contacts {
                sqlx::query(INSERT_CONTACT)
                    .bind(id)
                    .bind(c.kind().as_str())
                    .bind(c.expose())
                    .bind(ContactState::Current.as_str())
                    .bind(new.now.ms())
                    .execute(&mut *tx)
                    .await
                    .map_err(taken_or_storage("contact"))?;
            }
            tx.commit().await.map_err(storage)?;
            Ok(AccountId(id))
        })
    }

    async fn account(&self, id: AccountId) -> Result<Option<Account>> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1");
        let row: Option<AccountRow> = on_db!(&self.db, p => sqlx::query_as(&sql)
            .bind(id.0)
            .fetch_optional(p)
            .await
            .map_err(storage)?);
        Ok(row.map(Account::from))
    }

    async fn is_cancelled(&self, id: AccountId) -> Result<bool> {
        let n: i64 = on_db!(&self.db, p => sqlx::query_scalar(
                "SELECT COUNT(*) FROM account_closures WHERE account_id = $1")
            .bind(id.0)
            .fetch_one(p)
            .await
            .map_err(storage)?);
        Ok(n > 0)
    }

    async fn restricted_since(&self, id: AccountId) -> Result<Option<Timestamp>> {
        let since: Option<i64> = on_db!(&self.db, p => sqlx::query_scalar(
                "SELECT since FROM account_restrictions WHERE account_id = $1")
            .bind(id.0)
            .fetch_optional(p)
            .await
            .map_err(storage)?);
        Ok(since.map(Timestamp))
    }

    async fn set_restricted(&self, id: AccountId, since: Option<Timestamp>) -> Result<()> {
        on_db_write!(&self.db, p => match since {
            Some(t) => sqlx::query(
                    "INSERT INTO account_restrictions (account_id, since) VALUES ($1, $2) \
                     ON CONFLICT (account_id) DO NOTHING")
                .bind(id.0)
                .bind(t.ms())
                .execute(p)
                .await,
            None => sqlx::query("DELETE FROM account_restrictions WHERE account_id = $1")
                .bind(id.0)
                .execute(p)
                .await,
        }
        .map(|_| ())
        .map_err(storage))
    }

    async fn account_by_username(&self, username: &str) -> Result<Option<Account>> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE username = $1");
        let row: Option<AccountRow> = on_db!(&self.db, p => sqlx::query_as(&sql)
            .bind(username)
            .fetch_optional(p)
            .await
            .map_err(storage)?);
        Ok(row.map(Account::from))
    }

    async fn admin_exists(&self) -> Result<bool> {
        let n: i64 = on_db!(&self.db, p => sqlx::query_scalar(
                "SELECT COUNT(*) FROM accounts WHERE role = 'admin'")
            .fetch_one(p)
            .await
            .map_err(storage)?);
        Ok(n > 0)
    }

    async fn set_password_hash(&self, id: AccountId, hash: &str) -> Result<()> {
        on_db_write!(&self.db, p => sqlx::query("UPDATE accounts SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(id.0)
            .execute(p)
            .await
            .map(|_| ())
            .map_err(storage)?);
        Ok(())
    }

    async fn contacts(&self, id: AccountId) -> Result<Vec<Contact>> {
        let sql = format!(
            "SELECT {CONTACT_COLUMNS} FROM contacts WHERE account_id = $1 ORDER BY kind, state"
        );
        let rows: Vec<ContactRow> = on_db!(&self.db, p => sqlx::query_as(&sql)
            .bind(id.0)
            .fetch_all(p)
            .await
            .map_err(storage)?);
        contacts_from(rows)
    }

    async fn verified_contact(&self, address: &Address) -> Result<Option<Contact>> {
        let sql = format!(
            "SELECT {CONTACT_COLUMNS} FROM contacts \
             WHERE kind = $1 AND value = $2 AND state = 'current' AND verified_at IS NOT NULL"
        );
        let row: Option<ContactRow> = on_db!(&self.db, p => sqlx::query_as(&sql)
            .bind(address.kind().as_str())
            .bind(address.expose())
            .fetch_optional(p)
            .await
            .map_err(storage)?);
        row.map(Contact::try_from).transpose()
    }

    async fn put_contact(
        &self,
        id: AccountId,
        address: &Address,
        state: ContactState,
        now: Timestamp,
    ) -> Result<ContactId> {
        on_db_write!(&self.db, p => {
            let mut tx = p.begin().await.map_err(storage)?;
            sqlx::query("DELETE FROM contacts WHERE account_id = $1 AND kind = $2 AND state = $3")
                .bind(id.0)
                .bind(address.kind().as_str())
                .bind(state.as_str())
                .execute(&mut *tx)
                .await
                .map_err(storage)?;
            let cid: i64 = sqlx::query_scalar(INSERT_CONTACT)
                .bind(id.0)
                .bind(address.kind().as_str())
                .bind(address.expose())
                .bind(state.as_str())
                .bind(now.ms())
                .fetch_one(&mut *tx)
                .await
                .map_err(taken_or_storage("contact"))?;
            tx.commit().await.map_err(storage)?;
            Ok(ContactId(cid))
        })
    }

    async fn mark_verified(&self, contact: ContactId, now: Timestamp) -> Result<()> {
        on_db_write!(&self.db, p => sqlx::query("UPDATE contacts SET verified_at = $1 WHERE id = $2")
            .bind(now.ms())
            .bind(contact.0)
            .execute(p)
            .await
            .map(|_| ())
            .map_err(taken_or_storage("contact"))?);
        Ok(())
    }

    async fn promote_pending(&self, pending: ContactId, now: Timestamp) -> Result<()> {
        on_db_write!(&self.db, p => {
            let mut tx = p.begin().await.map_err(storage)?;
            // The old address goes first, with its codes (ON DELETE CASCADE):
            // from this commit on nothing can be sent to it (A4).
            sqlx::query(
                "DELETE FROM contacts WHERE state = 'current' AND (account_id, kind) IN \
                 (SELECT account_id, kind FROM contacts WHERE id = $1 AND state = 'pending')",
            )
            .bind(pending.0)
            .execute(&mut *tx)
            .await
            .map_err(storage)?;
            sqlx::query("UPDATE contacts SET state = 'current', verified_at = $1 WHERE id = $2")
                .bind(now.ms())
                .bind(pending.0)
                .execute(&mut *tx)
                .await
                .map_err(taken_or_storage("contact"))?;
            tx.commit().await.map_err(storage)?;
            Ok(())
        })
    }
}
