//! Personal API tokens.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use domain::ids::ApiTokenId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AppJson, AppPath, CurrentUser};
use crate::state::AppState;
use crate::time_fmt::rfc3339;

/// Token creation input.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewToken {
    /// A label, e.g. `home-assistant`.
    pub name: String,
}

/// A just-created token: the only time its value is shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedToken {
    /// Token id.
    pub id: i64,
    /// Its label.
    pub name: String,
    /// Use as `Authorization: Bearer <token>`; shown once, stored hashed.
    pub token: String,
}

/// A token in the list (never its value).
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    /// Token id.
    pub id: i64,
    /// Its label.
    pub name: String,
    /// Created (RFC 3339).
    pub created_at: String,
    /// Last used (RFC 3339), if ever.
    pub last_used_at: Option<String>,
}

/// Creates a token.
#[utoipa::path(post, path = "/api/v1/me/tokens", tag = "tokens",
    request_body = NewToken,
    responses((status = 201, body = CreatedToken), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppJson(req): AppJson<NewToken>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    let (id, token) = state
        .accounts
        .create_api_token(who.account.id, &req.name)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            id: id.0,
            name: req.name.trim().to_string(),
            token,
        }),
    ))
}

/// Lists the caller's tokens.
#[utoipa::path(get, path = "/api/v1/me/tokens", tag = "tokens",
    responses((status = 200, body = [TokenView]), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
) -> ApiResult<Json<Vec<TokenView>>> {
    let tokens = state.accounts.api_tokens(who.account.id).await?;
    Ok(Json(
        tokens
            .into_iter()
            .map(|t| TokenView {
                id: t.id.0,
                name: t.name,
                created_at: rfc3339(t.created_at),
                last_used_at: t.last_used_at.map(rfc3339),
            })
            .collect(),
    ))
}

/// Revokes a token at once.
#[utoipa::path(delete, path = "/api/v1/me/tokens/{id}", tag = "tokens",
    params(("id" = i64, Path, description = "token id")),
    responses((status = 204, description = "revoked"), (status = 404, body = ErrorBody)))]
pub async fn revoke(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppPath(id): AppPath<i64>,
) -> ApiResult<StatusCode> {
    state
        .accounts
        .revoke_api_token(who.account.id, ApiTokenId(id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
