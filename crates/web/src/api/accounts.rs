//! Registration, the own profile, password and contact changes.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use axum_extra::extract::cookie::CookieJar;
use domain::accounts::contact::ContactKind;
use domain::accounts::password::Password;
use domain::accounts::{Registered, Registration};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{signed_in_response, MeView, SignedInView};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{public_base, AppJson, AppPath, Client, CurrentUser};
use crate::state::AppState;

/// Registration input; at least one of `email` and `phone`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RegisterRequest {
    /// 3–32 characters: letters, digits, `_ . -`.
    pub username: String,
    /// At least 10 characters, not a common password.
    pub password: String,
    /// Email address.
    pub email: Option<String>,
    /// Phone number in international form (`+…`).
    pub phone: Option<String>,
    /// Birth date `YYYY-MM-DD`, required when the server checks ages;
    /// compared, never stored.
    #[serde(default)]
    pub birth_date: Option<String>,
    /// Under the minimum age: a parent's or guardian's email, who must confirm.
    #[serde(default)]
    pub guardian_email: Option<String>,
    /// The region to keep the account's data in (see `GET /api/v1/me/region`
    /// for the names); the home region when absent.
    #[serde(default)]
    pub region: Option<String>,
}

/// A registration that waits for a guardian.
#[derive(Debug, Serialize, ToSchema)]
pub struct AwaitingGuardianView {
    /// Always `awaiting_guardian`.
    pub status: &'static str,
}

/// Creates an account, sends a code to each contact, and signs in.
#[utoipa::path(post, path = "/api/v1/accounts", tag = "accounts",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "registered and signed in (cookie set)", body = SignedInView),
        (status = 202, description = "under the minimum age: waits for the guardian", body = AwaitingGuardianView),
        (status = 400, description = "invalid input or weak password", body = ErrorBody),
        (status = 409, description = "username or contact taken", body = ErrorBody),
        (status = 413, description = "body too large", body = ErrorBody)))]
pub async fn register(
    State(state): State<AppState>,
    client: Client,
    jar: CookieJar,
    headers: HeaderMap,
    AppJson(req): AppJson<RegisterRequest>,
) -> ApiResult<Response> {
    let reg = Registration {
        username: req.username,
        password: Password::new(req.password),
        email: req.email,
        phone: req.phone,
        birth_date: req.birth_date,
        guardian_email: req.guardian_email,
        region: req.region,
    };
    let base = public_base(&state, &headers);
    match state
        .accounts
        .register(reg, client.user_agent.as_deref(), &base)
        .await?
    {
        Registered::SignedIn(signed_in) => Ok(signed_in_response(&state, jar, *signed_in)
            .await?
            .into_response()),
        Registered::AwaitingGuardian => Ok((
            StatusCode::ACCEPTED,
            Json(AwaitingGuardianView {
                status: "awaiting_guardian",
            }),
        )
            .into_response()),
    }
}

/// The signed-in account.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts",
    responses((status = 200, body = MeView), (status = 401, body = ErrorBody)))]
pub async fn me(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
) -> ApiResult<Json<MeView>> {
    let profile = state.accounts.profile(who.account.id).await?;
    Ok(Json(MeView::from(&profile)))
}

/// Password change input.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordChange {
    /// The password in use now.
    pub current_password: String,
    /// The new password.
    pub new_password: String,
}

/// Result of a password change.
#[derive(Debug, Serialize, ToSchema)]
pub struct PasswordChanged {
    /// How many other sessions were signed out.
    pub other_sessions_revoked: u64,
}

/// Changes the password and signs out every other session.
#[utoipa::path(put, path = "/api/v1/me/password", tag = "accounts",
    request_body = PasswordChange,
    responses((status = 200, body = PasswordChanged), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn change_password(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppJson(req): AppJson<PasswordChange>,
) -> ApiResult<Json<PasswordChanged>> {
    let revoked = state
        .accounts
        .change_password(
            &who,
            &Password::new(req.current_password),
            &Password::new(req.new_password),
        )
        .await?;
    Ok(Json(PasswordChanged {
        other_sessions_revoked: revoked,
    }))
}

/// New address for a contact.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ContactChange {
    /// The new email address or phone number.
    pub value: String,
}

/// A code is on its way.
#[derive(Debug, Serialize, ToSchema)]
pub struct CodeSent {
    /// Where it went, masked.
    pub sent_to: String,
}

/// Starts adding or replacing the email (`kind` = `email`) or phone
/// (`phone`); the old address keeps working until the new one is verified,
/// then receives nothing more.
#[utoipa::path(put, path = "/api/v1/me/contacts/{kind}", tag = "accounts",
    params(("kind" = String, Path, description = "email or phone")),
    request_body = ContactChange,
    responses((status = 202, body = CodeSent), (status = 400, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn change_contact(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppPath(kind): AppPath<String>,
    AppJson(req): AppJson<ContactChange>,
) -> ApiResult<(StatusCode, Json<CodeSent>)> {
    let kind = ContactKind::parse(&kind)?;
    let sent_to = state
        .accounts
        .change_contact(who.account.id, kind, &req.value)
        .await?;
    Ok((StatusCode::ACCEPTED, Json(CodeSent { sent_to })))
}

/// A one-time code as typed.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CodeInput {
    /// Six digits.
    pub code: String,
}

/// Verifies the contact of `kind` awaiting its code.
#[utoipa::path(post, path = "/api/v1/me/contacts/{kind}/verify", tag = "accounts",
    params(("kind" = String, Path, description = "email or phone")),
    request_body = CodeInput,
    responses((status = 200, body = MeView), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn verify_contact(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppPath(kind): AppPath<String>,
    AppJson(req): AppJson<CodeInput>,
) -> ApiResult<Json<MeView>> {
    let kind = ContactKind::parse(&kind)?;
    state
        .accounts
        .verify_contact(who.account.id, kind, &req.code)
        .await?;
    let profile = state.accounts.profile(who.account.id).await?;
    Ok(Json(MeView::from(&profile)))
}

/// Sends a new code to the contact of `kind` awaiting verification.
#[utoipa::path(post, path = "/api/v1/me/contacts/{kind}/resend", tag = "accounts",
    params(("kind" = String, Path, description = "email or phone")),
    responses((status = 202, description = "sent"), (status = 404, body = ErrorBody),
              (status = 429, body = ErrorBody)))]
pub async fn resend_code(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppPath(kind): AppPath<String>,
) -> ApiResult<StatusCode> {
    let kind = ContactKind::parse(&kind)?;
    state
        .accounts
        .resend_verification(who.account.id, kind)
        .await?;
    Ok(StatusCode::ACCEPTED)
}
