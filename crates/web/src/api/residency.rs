//! Data residency (F11): which region holds the caller's data, and moving
//! it to another — only with their explicit consent, recorded in their
//! access log.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AppJson, CurrentUser};
use crate::state::AppState;

/// Where the caller's data is.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegionView {
    /// The region holding it.
    pub region: String,
    /// Every region this server has.
    pub regions: Vec<String>,
}

/// A move to another region.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegionMove {
    /// The region to move to.
    pub region: String,
    /// The person's consent to the transfer; required.
    #[serde(default)]
    pub consent: bool,
}

/// The region holding the caller's data.
#[utoipa::path(get, path = "/api/v1/me/region", tag = "privacy",
    responses((status = 200, body = RegionView), (status = 401, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
) -> ApiResult<Json<RegionView>> {
    let (region, regions) = state.residency.region(who.account.id).await?;
    Ok(Json(RegionView { region, regions }))
}

/// Moves the caller's data to another region; `consent` must be true.
#[utoipa::path(put, path = "/api/v1/me/region", tag = "privacy", request_body = RegionMove,
    responses((status = 200, body = RegionView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody)))]
pub async fn put(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppJson(req): AppJson<RegionMove>,
) -> ApiResult<Json<RegionView>> {
    state
        .residency
        .move_to(who.account.id, &req.region, req.consent)
        .await?;
    let (region, regions) = state.residency.region(who.account.id).await?;
    Ok(Json(RegionView { region, regions }))
}
