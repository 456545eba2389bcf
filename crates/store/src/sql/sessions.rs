//! Sessions and API tokens, both backends.

use async_trait::async_trait;
use domain::clock::Timestamp;
use domain::ids::{AccountId, ApiTokenId, SessionId};
use domain::ports::{Account, ApiTokenRecord, Role, SessionRecord, SessionStore};
use domain::Result;

use super::{storage, SqlStore};

#[derive(sqlx::FromRow)]
struct SessionRow {
    id: i64,
    account_id: i64,
    token_hash: String,
    user_agent: Option<String>,
    created_at: i64,
    last_seen_at: i64,
    /// Only the sign-in lookup needs it; session lists leave it out.
    #[sqlx(default)]
    second_factor_pending: bool,
}

impl From<SessionRow> for SessionRecord {
    fn from(r: SessionRow) -> Self {
        SessionRecord {
            id: SessionId(r.id),
            account_id: AccountId(r.account_id),
            token_hash: r.token_hash,
            created_at: Timestamp(r.created_at),
            last_seen_at: Timestamp(r.last_seen_at),
            user_agent: r.user_agent,
            second_factor_pending: r.second_factor_pending,
        }
    }
}

#[derive(sqlx::FromRow)]
struct SessionAccountRow {
    #[sqlx(flatten)]
    session: SessionRow,
    username: String,
    password_hash: String,
    role: String,
    account_created_at: i64,
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: i64,
    account_id: i64,
    name: String,
    created_at: i64,
    last_used_at: Option<i64>,
}

impl From<TokenRow> for ApiTokenRecord {
    fn from(r: TokenRow) -> Self {
        ApiTokenRecord {
            id: ApiTokenId(r.id),
            account_id: AccountId(r.account_id),
            name: r.name,
            created_at: Timestamp(r.created_at),
            last_used_at: r.last_used_at.map(Timestamp),
        }
    }
}

const SESSION_COLUMNS: &str = "id, account_id, token_hash, user_agent, created_at, last_seen_at";
const TOKEN_COLUMNS: &str = "id, account_id, name, created_at, last_used_at";

#[async_trait]
impl SessionStore for SqlStore {
    async fn create_session(
        &self,
        account: AccountId,
        token_hash: &str,
        user_agent: Option<&str>,
        second_factor_pending: bool,
        now: Timestamp,
    ) -> Result<SessionId> {
        let id: i64 = on_db_write!(&self.db, p => sqlx::query_scalar(
                "INSERT INTO sessions (account_id, token_hash, user_agent, created_at, last_seen_at, \
                 second_factor_pending) VALUES ($1, $2, $3, $4, $4, $5) RETURNING id")
            .bind(account.0)
            .bind(token_hash)
            .bind(user_agent)
            .bind(now.ms())
            .bind(second_factor_pending)
            .fetch_one(p)
            .await
            .map_err(storage)?);
        Ok(SessionId(id))
    }

    async fn session_with_account(&self, hash: &str) -> Result<Option<(SessionRecord, Account)>> {
        let row: Option<SessionAccountRow> = on_db!(&self.db, p => sqlx::query_as(
                "SELECT s.id, s.account_id, s.token_hash, s.user_agent, s.created_at, s.last_seen_at, \
                 s.second_factor_pending, a.username, a.password_hash, a.role, a.created_at AS account_created_at \
                 FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE s.token_hash = $1")
            .bind(hash)
            .fetch_optional(p)
            .await
            .map_err(storage)?);
        Ok(row.map(|r| {
            let account = Account {
                id: AccountId(r.session.account_id),
                username: r.username,
                password_hash: r.password_hash,
                role: Role::from_stored(&r.role),
                created_at: Timestamp(r.account_created_at),
            };
            (SessionRecord::from(r.session), account)
        }))
    }

    async fn touch_session(&self, id: SessionId, now: Timestamp) -> Result<()> {
        on_db_write!(&self.db, p => sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id = $2")
            .bind(now.ms())
            .bind(id.0)
            .execute(p)
            .await
            .map(|_| ())
            .map_err(storage)?);
        Ok(())
    }

    async fn sessions_of(&self, account: AccountId) -> Result<Vec<SessionRecord>> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM sessions WHERE account_id = $1 ORDER BY created_at DESC, id DESC"
        );
        let rows: Vec<SessionRow> = on_db!(&self.db, p => sqlx::query_as(&sql)
            .bind(account.0)
            .fetch_all(p)
            .await
            .map_err(storage)?);
        Ok(rows.into_iter().map(SessionRecord::from).collect())
    }

    async fn delete_session(&self, account: AccountId, id: SessionId) -> Result<bool> {
        let n = on_db_write!(&self.db, p => sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND id = $2")
            .bind(account.0)
            .bind(id.0)
            .execute(p)
            .await
            .map_err(storage)?
            .rows_affected());
        Ok(n > 0)
    }

    async fn delete_other_sessions(
        &self,
        account: AccountId,
        keep: Option<SessionId>,
    ) -> Result<u64> {
        let keep = keep.map(|s| s.0).unwrap_or(-1);
        let n = on_db_write!(&self.db, p => sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND id <> $2")
            .bind(account.0)
            .bind(keep)
            .execute(p)
            .await
            .map_err(storage)?
            .rows_affected());
        Ok(n)
    }

    async fn create_api_token(
        &self,
        account: AccountId,
        name: &str,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<ApiTokenId> {
        let id: i64 = on_db_write!(&self.db, p => sqlx::query_scalar(
                "INSERT INTO api_tokens (account_id, name, token_hash, created_at) \
                 VALUES ($1, $2, $3, $4) RETURNING id")
            .bind(account.0)
            .bind(name)
            .bind(token_hash)
            .bind(now.ms())
            .fetch_one(p)
            .await
            .map_err(storage)?);
        Ok(ApiTokenId(id))
    }

    async fn api_token_by_hash(&self, hash: &str) -> Result<Option<ApiTokenRecord>> {
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = $1");
        let row: Option<TokenRow> = on_db!(&self.db, p => sqlx::query_as(&sql)
            .bind(hash)
            .fetch_optional(p)
            .await
            .map_err(storage)?);
        Ok(row.map(ApiTokenRecord::from))
    }

    async fn touch_api_token(&self, id: ApiTokenId, now: Timestamp) -> Result<()> {
        on_db_write!(&self.db, p => sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(now.ms())
            .bind(id.0)
            .execute(p)
            .await
            .map(|_| ())
            .map_err(storage)?);
        Ok(())
    }

    async fn api_tokens_of(&self, account: AccountId) -> Result<Vec<ApiTokenRecord>> {
        let sql = format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE account_id = $1 ORDER BY created_at DESC, id DESC"
        );
        let rows: Vec<TokenRow> = on_db!(&self.db, p => sqlx::query_as(&sql)
            .bind(account.0)
            .fetch_all(p)
            .await
            .map_err(storage)?);
        Ok(rows.into_iter().map(ApiTokenRecord::from).collect())
    }

    async fn delete_api_token(&self, account: AccountId, id: ApiTokenId) -> Result<bool> {
        let n = on_db_write!(&self.db, p => sqlx::query("DELETE FROM api_tokens WHERE account_id = $1 AND id = $2")
            .bind(account.0)
            .bind(id.0)
            .execute(p)
            .await
            .map_err(storage)?
            .rows_affected());
        Ok(n > 0)
    }
}
