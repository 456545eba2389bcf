//! The provider identities linked to the caller's account (A3), with what
//! was kept of each: the person sees exactly which claims are stored.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use domain::accounts::external::KEPT_CLAIMS;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AppQuery, CurrentUser};
use crate::state::AppState;
use crate::time_fmt::rfc3339;

/// One linked identity and everything kept of it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExternalIdentityView {
    /// The provider's issuer URL.
    pub issuer: String,
    /// The provider's id for you (`sub`).
    pub subject: String,
    /// Your email address as the provider verified it, if it did.
    pub email: Option<String>,
    /// Linked (RFC 3339).
    pub linked_at: String,
    /// Last used to sign in (RFC 3339).
    pub last_used_at: String,
    /// The claims of the provider's ID token that are kept; all others
    /// are dropped when it is read.
    pub kept_claims: Vec<String>,
}

/// The caller's linked provider identities.
#[utoipa::path(get, path = "/api/v1/me/external-identities", tag = "sessions",
    responses((status = 200, body = [ExternalIdentityView]), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
) -> ApiResult<Json<Vec<ExternalIdentityView>>> {
    let linked = state.accounts.external_identities(who.account.id).await?;
    Ok(Json(
        linked
            .into_iter()
            .map(|i| ExternalIdentityView {
                issuer: i.issuer,
                subject: i.subject,
                email: i.email,
                linked_at: rfc3339(i.linked_at),
                last_used_at: rfc3339(i.last_used_at),
                kept_claims: KEPT_CLAIMS.iter().map(|c| c.to_string()).collect(),
            })
            .collect(),
    ))
}

/// Which provider to unlink.
#[derive(Debug, Deserialize, IntoParams)]
pub struct UnlinkQuery {
    /// The provider's issuer URL.
    pub issuer: String,
}

/// Unlinks a provider; refused while it would leave no way to sign in
/// that the person can use (a verified email or phone).
#[utoipa::path(delete, path = "/api/v1/me/external-identities", tag = "sessions",
    params(UnlinkQuery),
    responses((status = 204, description = "unlinked"),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn unlink(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppQuery(q): AppQuery<UnlinkQuery>,
) -> ApiResult<StatusCode> {
    state
        .accounts
        .unlink_external(who.account.id, &q.issuer)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
