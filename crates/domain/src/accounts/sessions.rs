//! Session checks, the session list, sign-out and password change.

use std::time::Duration;

use super::password::{self, Password};
use super::secrets::token_hash;
use super::{Accounts, Authenticated, Credential};
use crate::ids::{AccountId, SessionId};
use crate::ports::SessionRecord;
use crate::{Error, Result};

/// Activity is written back at most this often, so reads stay reads.
const TOUCH_EVERY: Duration = Duration::from_secs(60);

impl Accounts {
    /// Resolves a session cookie; idle sessions are deleted and refused.
    pub async fn authenticate_session(&self, token: &str) -> Result<Authenticated> {
        let hash = token_hash(token);
        let Some((session, account)) = self.store.session_with_account(&hash).await? else {
            return Err(Error::Unauthenticated);
        };
        if session.second_factor_pending {
            return Err(Error::SecondFactorRequired);
        }
        let now = self.clock.now();
        if session.last_seen_at.plus(self.config.session_idle) <= now {
            self.store
                .delete_session(session.account_id, session.id)
                .await?;
            return Err(Error::Unauthenticated);
        }
        if session.last_seen_at.plus(TOUCH_EVERY) <= now {
            self.store.touch_session(session.id, now).await?;
        }
        Ok(Authenticated {
            account,
            credential: Credential::Session {
                id: session.id,
                csrf_token: self.secrets.csrf_token(&hash),
            },
        })
    }

    /// Ends the caller's own session.
    pub async fn sign_out(&self, who: &Authenticated) -> Result<()> {
        if let Some(id) = who.session_id() {
            self.store.delete_session(who.account.id, id).await?;
        }
        Ok(())
    }

    /// The account's sessions, newest first.
    pub async fn sessions(&self, id: AccountId) -> Result<Vec<SessionRecord>> {
        self.store.sessions_of(id).await
    }

    /// Revokes one of the account's own sessions.
    pub async fn revoke_session(&self, id: AccountId, session: SessionId) -> Result<()> {
        if self.store.delete_session(id, session).await? {
            tracing::info!(account = %id, session = %session, "session revoked");
            Ok(())
        } else {
            Err(Error::NotFound("session"))
        }
    }

    /// Changes the password after checking the current one, and signs out
    /// every other session.
    pub async fn change_password(
        &self,
        who: &Authenticated,
        current: &Password,
        new: &Password,
    ) -> Result<u64> {
        if !password::verify(current, Some(&who.account.password_hash)).await {
            return Err(Error::invalid("current_password", "is not correct"));
        }
        new.check_new(&who.account.username)?;
        let hash = password::hash(new).await?;
        self.store.set_password_hash(who.account.id, &hash).await?;
        let revoked = self
            .store
            .delete_other_sessions(who.account.id, who.session_id())
            .await?;
        tracing::info!(account = %who.account.id, revoked, "password changed");
        Ok(revoked)
    }
}
