//! Cancelling one's account (A8), restricting the processing of one's data
//! (F6), and administrators bringing a cancelled account's erasure forward
//! (F9).

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use axum_extra::extract::cookie::CookieJar;
use domain::accounts::password::Password;
use domain::clock::Timestamp;
use domain::ids::AccountId;
use domain::privacy::closure::Closure;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{clear_session_cookie, AdminUser, AppJson, AppPath, CurrentUser};
use crate::state::AppState;
use crate::time_fmt::rfc3339;

/// The password again: cancelling is irreversible.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelRequest {
    /// The account's current password.
    pub password: String,
}

/// When an administrator wants a cancelled account erased, and why.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EraseSooner {
    /// Erase at the next run of the erasure job after this instant (Unix
    /// ms); now when absent. Only earlier than the current date.
    #[serde(default)]
    pub erase_after_ms: Option<i64>,
    /// Why, e.g. the rights request it answers.
    pub reason: String,
}

/// A cancelled account.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClosureView {
    /// The account.
    pub account_id: i64,
    /// Cancelled at (RFC 3339).
    pub cancelled_at: String,
    /// Its data is erased after this (RFC 3339).
    pub erase_after: String,
}

/// The view of a closure.
pub fn view(c: &Closure) -> ClosureView {
    ClosureView {
        account_id: c.account_id.0,
        cancelled_at: rfc3339(c.cancelled_at),
        erase_after: rfc3339(c.erase_after),
    }
}

/// Cancels the caller's account: sessions and tokens end at once, cameras
/// are unbound, nothing more is recorded or alerted; the data is erased
/// after the grace period.
#[utoipa::path(post, path = "/api/v1/me/cancel", tag = "privacy", request_body = CancelRequest,
    responses((status = 200, body = ClosureView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody)))]
pub async fn cancel(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    jar: CookieJar,
    AppJson(req): AppJson<CancelRequest>,
) -> ApiResult<Response> {
    let closure = state
        .closures
        .cancel(who.account.id, &Password::new(req.password))
        .await?;
    Ok((clear_session_cookie(jar), Json(view(&closure))).into_response())
}

/// Brings a cancelled account's erasure forward (administrators).
#[utoipa::path(post, path = "/api/v1/admin/accounts/{id}/erasure", tag = "privacy",
    params(("id" = i64, Path, description = "account id")), request_body = EraseSooner,
    responses((status = 200, body = ClosureView), (status = 400, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn erase_sooner(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    AppPath(id): AppPath<i64>,
    AppJson(req): AppJson<EraseSooner>,
) -> ApiResult<Json<ClosureView>> {
    let at = req.erase_after_ms.map(Timestamp);
    let closure = state
        .closures
        .erase_sooner(admin.account.id, AccountId(id), at, &req.reason)
        .await?;
    Ok(Json(view(&closure)))
}

/// Restricting processing: on or off.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RestrictionChange {
    /// True to restrict, false to lift.
    pub restricted: bool,
}

/// Whether processing is restricted.
#[derive(Debug, Serialize, ToSchema)]
pub struct RestrictionView {
    /// Restricted now.
    pub restricted: bool,
    /// Since when (RFC 3339).
    pub since: Option<String>,
}

fn restriction_view(since: Option<Timestamp>) -> RestrictionView {
    RestrictionView {
        restricted: since.is_some(),
        since: since.map(rfc3339),
    }
}

/// Whether the caller restricted the processing of their data.
#[utoipa::path(get, path = "/api/v1/me/restriction", tag = "privacy",
    responses((status = 200, body = RestrictionView), (status = 401, body = ErrorBody)))]
pub async fn restriction(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
) -> ApiResult<Json<RestrictionView>> {
    let since = state.closures.restricted_since(who.account.id).await?;
    Ok(Json(restriction_view(since)))
}

/// Restricts (or lifts the restriction of) the processing of the caller's
/// data: cameras record nothing new and no event or alert is made, while
/// everything stored stays theirs to see, export or erase.
#[utoipa::path(put, path = "/api/v1/me/restriction", tag = "privacy", request_body = RestrictionChange,
    responses((status = 200, body = RestrictionView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody)))]
pub async fn set_restriction(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppJson(change): AppJson<RestrictionChange>,
) -> ApiResult<Json<RestrictionView>> {
    let since = state
        .closures
        .restrict(who.account.id, change.restricted)
        .await?;
    Ok(Json(restriction_view(since)))
}
