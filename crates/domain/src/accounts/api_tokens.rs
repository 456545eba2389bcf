//! Personal API tokens for scripts: shown once, stored hashed, revocable.

use std::time::Duration;

use super::secrets::{random_token, token_hash};
use super::{Accounts, Authenticated, Credential};
use crate::ids::{AccountId, ApiTokenId};
use crate::ports::ApiTokenRecord;
use crate::{Error, Result};

/// Prefix that makes a leaked token recognisable to secret scanners.
const PREFIX: &str = "cvt_";
const TOUCH_EVERY: Duration = Duration::from_secs(60);

impl Accounts {
    /// Creates a token; the returned string is the only copy there will be.
    pub async fn create_api_token(
        &self,
        id: AccountId,
        name: &str,
    ) -> Result<(ApiTokenId, String)> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 64 {
            return Err(Error::invalid("name", "must be 1 to 64 characters"));
        }
        let token = format!("{PREFIX}{}", random_token());
        let token_id = self
            .store
            .create_api_token(id, name, &token_hash(&token), self.clock.now())
            .await?;
        tracing::info!(account = %id, token = %token_id, "API token created");
        Ok((token_id, token))
    }

    /// Resolves a bearer token.
    pub async fn authenticate_api_token(&self, token: &str) -> Result<Authenticated> {
        if !token.starts_with(PREFIX) {
            return Err(Error::Unauthenticated);
        }
        let Some(rec) = self.store.api_token_by_hash(&token_hash(token)).await? else {
            return Err(Error::Unauthenticated);
        };
        let now = self.clock.now();
        if rec.last_used_at.is_none_or(|t| t.plus(TOUCH_EVERY) <= now) {
            self.store.touch_api_token(rec.id, now).await?;
        }
        let account = self
            .store
            .account(rec.account_id)
            .await?
            .ok_or(Error::Unauthenticated)?;
        Ok(Authenticated {
            account,
            credential: Credential::ApiToken(rec.id),
        })
    }

    /// The account's tokens (names and dates only).
    pub async fn api_tokens(&self, id: AccountId) -> Result<Vec<ApiTokenRecord>> {
        self.store.api_tokens_of(id).await
    }

    /// Revokes a token at once.
    pub async fn revoke_api_token(&self, id: AccountId, token: ApiTokenId) -> Result<()> {
        if self.store.delete_api_token(id, token).await? {
            tracing::info!(account = %id, token = %token, "API token revoked");
            Ok(())
        } else {
            Err(Error::NotFound("API token"))
        }
    }
}
