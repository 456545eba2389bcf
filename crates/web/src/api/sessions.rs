//! Signing in and out, and the session list.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use axum_extra::extract::cookie::CookieJar;
use domain::accounts::password::Password;
use domain::ids::SessionId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{signed_in_response, SignedInView};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{clear_session_cookie, AppJson, AppPath, Client, CurrentUser};
use crate::state::AppState;
use crate::time_fmt::rfc3339;

/// Password sign-in.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordLogin {
    /// Username, or a verified email address or phone number.
    pub login: String,
    /// Password.
    pub password: String,
}

/// Signs in with a password; sets the session cookie.
#[utoipa::path(post, path = "/api/v1/sessions", tag = "sessions",
    request_body = PasswordLogin,
    responses((status = 201, body = SignedInView),
              (status = 401, description = "wrong name or password (never says which)", body = ErrorBody),
              (status = 429, description = "throttled; see Retry-After", body = ErrorBody)))]
pub async fn sign_in(
    State(state): State<AppState>,
    client: Client,
    jar: CookieJar,
    AppJson(req): AppJson<PasswordLogin>,
) -> ApiResult<(StatusCode, CookieJar, Json<SignedInView>)> {
    let signed_in = state
        .accounts
        .sign_in_with_password(
            &req.login,
            &Password::new(req.password),
            &client.ip,
            client.user_agent.as_deref(),
        )
        .await?;
    signed_in_response(&state, jar, signed_in).await
}

/// Request for a sign-in code.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CodeRequest {
    /// A verified email address or phone number.
    pub contact: String,
}

/// Sends a sign-in code if the address is a verified contact; answers 202
/// either way so addresses cannot be probed.
#[utoipa::path(post, path = "/api/v1/login-codes", tag = "sessions",
    request_body = CodeRequest,
    responses((status = 202, description = "sent if the address is registered"),
              (status = 429, body = ErrorBody)))]
pub async fn request_code(
    State(state): State<AppState>,
    client: Client,
    AppJson(req): AppJson<CodeRequest>,
) -> ApiResult<StatusCode> {
    state
        .accounts
        .request_sign_in_code(&req.contact, &client.ip)
        .await?;
    Ok(StatusCode::ACCEPTED)
}

/// Code sign-in.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CodeLogin {
    /// The address the code went to.
    pub contact: String,
    /// Six digits.
    pub code: String,
}

/// Signs in with a one-time code; sets the session cookie.
#[utoipa::path(post, path = "/api/v1/sessions/by-code", tag = "sessions",
    request_body = CodeLogin,
    responses((status = 201, body = SignedInView), (status = 401, body = ErrorBody),
              (status = 429, body = ErrorBody)))]
pub async fn sign_in_with_code(
    State(state): State<AppState>,
    client: Client,
    jar: CookieJar,
    AppJson(req): AppJson<CodeLogin>,
) -> ApiResult<(StatusCode, CookieJar, Json<SignedInView>)> {
    let signed_in = state
        .accounts
        .sign_in_with_code(
            &req.contact,
            &req.code,
            &client.ip,
            client.user_agent.as_deref(),
        )
        .await?;
    signed_in_response(&state, jar, signed_in).await
}

/// One session in the list.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    /// Session id.
    pub id: i64,
    /// Browser, as it described itself.
    pub user_agent: Option<String>,
    /// Created (RFC 3339).
    pub created_at: String,
    /// Last activity (RFC 3339, to the minute).
    pub last_seen_at: String,
    /// True for the session making this request.
    pub current: bool,
}

/// The caller's sessions, newest first.
#[utoipa::path(get, path = "/api/v1/sessions", tag = "sessions",
    responses((status = 200, body = [SessionView]), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
) -> ApiResult<Json<Vec<SessionView>>> {
    let current = who.session_id();
    let sessions = state.accounts.sessions(who.account.id).await?;
    Ok(Json(
        sessions
            .into_iter()
            .map(|s| SessionView {
                id: s.id.0,
                user_agent: s.user_agent,
                created_at: rfc3339(s.created_at),
                last_seen_at: rfc3339(s.last_seen_at),
                current: Some(s.id) == current,
            })
            .collect(),
    ))
}

/// Signs out this session.
#[utoipa::path(delete, path = "/api/v1/sessions/current", tag = "sessions",
    responses((status = 204, description = "signed out"), (status = 401, body = ErrorBody),
              (status = 403, description = "CSRF token missing", body = ErrorBody)))]
pub async fn sign_out(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    jar: CookieJar,
) -> ApiResult<(StatusCode, CookieJar)> {
    state.accounts.sign_out(&who).await?;
    Ok((StatusCode::NO_CONTENT, clear_session_cookie(jar)))
}

/// Revokes one of the caller's sessions.
#[utoipa::path(delete, path = "/api/v1/sessions/{id}", tag = "sessions",
    params(("id" = i64, Path, description = "session id")),
    responses((status = 204, description = "revoked"), (status = 404, body = ErrorBody)))]
pub async fn revoke(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppPath(id): AppPath<i64>,
) -> ApiResult<StatusCode> {
    state
        .accounts
        .revoke_session(who.account.id, SessionId(id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
