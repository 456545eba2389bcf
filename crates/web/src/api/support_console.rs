//! The support console's actions (E3): finding the account a caller
//! speaks of, its orders, resending its verification codes, a camera's
//! network check, and opening a rights request on the person's behalf.
//! Each one shows in the person's access log.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use domain::ids::{AccountId, CameraId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::billing::OrderView;
use super::requests::RequestView;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AppJson, AppPath, AppQuery, SupportUser};
use crate::state::AppState;
use crate::time_fmt::rfc3339;

/// What the caller gave.
#[derive(Debug, Deserialize, IntoParams)]
pub struct SearchQuery {
    /// An order number (`CV-…`), or a verified email address or phone number.
    pub q: String,
}

/// The account found.
#[derive(Debug, Serialize, ToSchema)]
pub struct Found {
    /// Its id, for `GET /api/v1/support/accounts/{id}` (masked).
    pub account_id: i64,
}

/// Finds an account by order number or verified contact.
#[utoipa::path(get, path = "/api/v1/support/search", tag = "support", params(SearchQuery),
    responses((status = 200, body = Found), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn search(
    State(state): State<AppState>,
    SupportUser(staff): SupportUser,
    AppQuery(q): AppQuery<SearchQuery>,
) -> ApiResult<Json<Found>> {
    let account = state.support.find(staff.account.id, &q.q).await?;
    Ok(Json(Found {
        account_id: account.0,
    }))
}

/// The account's orders.
#[utoipa::path(get, path = "/api/v1/support/accounts/{id}/orders", tag = "support",
    params(("id" = i64, Path, description = "account id")),
    responses((status = 200, body = [OrderView]), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody)))]
pub async fn orders(
    State(state): State<AppState>,
    SupportUser(staff): SupportUser,
    AppPath(id): AppPath<i64>,
) -> ApiResult<Json<Vec<OrderView>>> {
    let orders = state
        .support
        .orders(staff.account.id, AccountId(id))
        .await?;
    Ok(Json(orders.iter().map(OrderView::from).collect()))
}

/// How many codes went out.
#[derive(Debug, Serialize, ToSchema)]
pub struct Resent {
    /// Contacts that got a new code.
    pub sent: usize,
}

/// Sends new verification codes to the account's contacts that wait for one.
#[utoipa::path(post, path = "/api/v1/support/accounts/{id}/resend-verification", tag = "support",
    params(("id" = i64, Path, description = "account id")),
    responses((status = 200, body = Resent), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 429, body = ErrorBody)))]
pub async fn resend_verification(
    State(state): State<AppState>,
    SupportUser(staff): SupportUser,
    AppPath(id): AppPath<i64>,
) -> ApiResult<Json<Resent>> {
    let sent = state
        .support
        .resend_verification(staff.account.id, AccountId(id))
        .await?;
    Ok(Json(Resent { sent }))
}

/// A camera's network state, as support sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SupportNetworkView {
    /// Heard from within two heartbeat intervals.
    pub online: bool,
    /// Last heartbeat (RFC 3339).
    pub last_seen_at: Option<String>,
    /// Wi-Fi signal, dBm.
    pub signal_dbm: Option<i64>,
    /// Upload bitrate, kbit/s.
    pub upload_kbps: Option<i64>,
    /// The device's last error.
    pub last_error: Option<String>,
    /// Heartbeats in the last 24 h.
    pub heartbeats_24h: usize,
    /// Heartbeats missed in the last 24 h.
    pub missed_heartbeats_24h: usize,
}

/// The network check of a camera the account owns.
#[utoipa::path(get, path = "/api/v1/support/accounts/{id}/cameras/{camera}/network", tag = "support",
    params(("id" = i64, Path, description = "account id"), ("camera" = i64, Path, description = "camera id")),
    responses((status = 200, body = SupportNetworkView), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn network(
    State(state): State<AppState>,
    SupportUser(staff): SupportUser,
    AppPath((id, camera)): AppPath<(i64, i64)>,
) -> ApiResult<Json<SupportNetworkView>> {
    let r = state
        .support
        .network(staff.account.id, AccountId(id), CameraId(camera))
        .await?;
    Ok(Json(SupportNetworkView {
        online: r.online,
        last_seen_at: r.last_seen_at.map(rfc3339),
        signal_dbm: r.signal_dbm,
        upload_kbps: r.upload_kbps,
        last_error: r.last_error,
        heartbeats_24h: r.heartbeats,
        missed_heartbeats_24h: r.missed_heartbeats,
    }))
}

/// A request the person made on the phone.
#[derive(Debug, Deserialize, ToSchema)]
pub struct OnBehalf {
    /// `access`, `rectification`, `erasure`, `restriction`, `portability` or `objection`.
    pub kind: String,
    /// What they asked for, in their words.
    pub details: String,
}

/// Opens a rights request on the person's behalf.
#[utoipa::path(post, path = "/api/v1/support/accounts/{id}/requests", tag = "support",
    params(("id" = i64, Path, description = "account id")), request_body = OnBehalf,
    responses((status = 201, body = RequestView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn open_request(
    State(state): State<AppState>,
    SupportUser(staff): SupportUser,
    AppPath(id): AppPath<i64>,
    AppJson(r): AppJson<OnBehalf>,
) -> ApiResult<(StatusCode, Json<RequestView>)> {
    let request = state
        .support
        .open_request(staff.account.id, AccountId(id), &r.kind, &r.details)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(super::requests::view(&state, request).await?),
    ))
}
