//! Two-step sign-in (A5): setting up an authenticator app, the second step
//! of a sign-in, and removing the factor.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use axum_extra::extract::cookie::CookieJar;
use domain::accounts::password::Password;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::MeView;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{AppJson, Client, CurrentUser, SESSION_COOKIE};
use crate::state::AppState;

/// A code from the authenticator app, or a recovery code.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SecondFactorCode {
    /// Six digits, or a recovery code such as `abcde-fghjk`.
    pub code: String,
}

/// Where the caller's second factor stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct SecondFactorView {
    /// A confirmed authenticator app is set up.
    pub enabled: bool,
    /// Recovery codes not used yet.
    pub recovery_codes_left: i64,
}

/// What to add to an authenticator app.
#[derive(Debug, Serialize, ToSchema)]
pub struct TotpSetupView {
    /// The secret in base32, to type in.
    pub secret: String,
    /// The `otpauth://` URI.
    pub otpauth_url: String,
    /// The URI as a QR code (SVG).
    pub qr_svg: String,
}

/// The recovery codes, shown once.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecoveryCodesView {
    /// Each works once in place of an app code.
    pub recovery_codes: Vec<String>,
}

/// The password, to remove the factor.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RemoveSecondFactor {
    /// The account's password.
    pub password: String,
}

/// The QR code of `text` as SVG, or nothing if it is too long for one.
pub fn qr_svg(text: &str) -> String {
    qrcode::QrCode::new(text.as_bytes())
        .map(|q| {
            q.render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(200, 200)
                .build()
        })
        .unwrap_or_default()
}

/// The second step of a sign-in: the session cookie from
/// `POST /api/v1/sessions` and a code.
#[utoipa::path(post, path = "/api/v1/sessions/second-factor", tag = "sessions",
    request_body = SecondFactorCode,
    responses((status = 200, body = MeView),
              (status = 400, description = "wrong or used code", body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn complete(
    State(state): State<AppState>,
    client: Client,
    jar: CookieJar,
    body: Result<AppJson<SecondFactorCode>, ApiError>,
) -> ApiResult<Json<MeView>> {
    // Without a session nothing about the body matters: 401 comes first.
    let token = jar
        .get(SESSION_COOKIE)
        .map(|c| c.value().to_string())
        .ok_or_else(ApiError::unauthenticated)?;
    let AppJson(req) = body?;
    let who = state
        .accounts
        .complete_second_factor(&token, &req.code, &client.ip)
        .await?;
    let profile = state.accounts.profile(who.account.id).await?;
    Ok(Json(MeView::from(&profile)))
}

/// Whether the caller has a second factor.
#[utoipa::path(get, path = "/api/v1/me/second-factor", tag = "accounts",
    responses((status = 200, body = SecondFactorView), (status = 401, body = ErrorBody)))]
pub async fn status(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
) -> ApiResult<Json<SecondFactorView>> {
    Ok(Json(SecondFactorView {
        enabled: state.accounts.has_second_factor(who.account.id).await?,
        recovery_codes_left: state.accounts.recovery_codes_left(who.account.id).await?,
    }))
}

/// Starts setting up an authenticator app (replacing an unconfirmed one).
#[utoipa::path(post, path = "/api/v1/me/second-factor/totp", tag = "accounts",
    responses((status = 200, body = TotpSetupView),
              (status = 409, description = "a second factor is already set up", body = ErrorBody),
              (status = 401, body = ErrorBody)))]
pub async fn begin(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
) -> ApiResult<Json<TotpSetupView>> {
    let e = state.accounts.begin_totp(&who.account).await?;
    Ok(Json(TotpSetupView {
        qr_svg: qr_svg(&e.otpauth_url),
        secret: e.secret_base32,
        otpauth_url: e.otpauth_url,
    }))
}

/// Confirms the authenticator with a code it shows; answers the recovery
/// codes, which are never shown again.
#[utoipa::path(post, path = "/api/v1/me/second-factor/totp/confirm", tag = "accounts",
    request_body = SecondFactorCode,
    responses((status = 201, body = RecoveryCodesView),
              (status = 400, description = "wrong code", body = ErrorBody),
              (status = 404, description = "nothing to confirm", body = ErrorBody)))]
pub async fn confirm(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppJson(req): AppJson<SecondFactorCode>,
) -> ApiResult<(StatusCode, Json<RecoveryCodesView>)> {
    let recovery_codes = state.accounts.confirm_totp(&who.account, &req.code).await?;
    Ok((
        StatusCode::CREATED,
        Json(RecoveryCodesView { recovery_codes }),
    ))
}

/// Removes the second factor; needs the password.
#[utoipa::path(delete, path = "/api/v1/me/second-factor", tag = "accounts",
    request_body = RemoveSecondFactor,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn remove(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppJson(req): AppJson<RemoveSecondFactor>,
) -> ApiResult<StatusCode> {
    state
        .accounts
        .remove_second_factor(&who.account, &Password::new(req.password))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
