//! Motion-detection settings of a camera the server watches (RTSP cameras).

use axum::extract::State;
use axum::Json;
use domain::events::motion::MotionSettings;
use domain::ids::CameraId;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AppJson, AppPath, CurrentUser};
use crate::state::AppState;

/// A camera's motion settings: `enabled`, `sensitivity` (1–100) and
/// `masked_zones` (`[{x, y, w, h}]`, fractions of the picture).
#[utoipa::path(get, path = "/api/v1/cameras/{id}/motion", tag = "events",
    params(("id" = i64, Path, description = "camera id")),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppPath(id): AppPath<i64>,
) -> ApiResult<Json<MotionSettings>> {
    Ok(Json(
        state
            .events
            .motion_settings(who.account.id, CameraId(id))
            .await?,
    ))
}

/// Replaces a camera's motion settings (owner or operator).
#[utoipa::path(put, path = "/api/v1/cameras/{id}/motion", tag = "events",
    params(("id" = i64, Path, description = "camera id")),
    request_body(content = Object, description = "enabled, sensitivity (1–100), masked_zones"),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn put(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppPath(id): AppPath<i64>,
    AppJson(settings): AppJson<MotionSettings>,
) -> ApiResult<Json<MotionSettings>> {
    Ok(Json(
        state
            .events
            .set_motion_settings(who.account.id, CameraId(id), &settings)
            .await?,
    ))
}
