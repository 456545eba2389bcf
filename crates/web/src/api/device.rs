//! The device API: what cameras call, with their own credentials.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use domain::cameras::device::Heartbeat;
use domain::cameras::{Camera, ScheduleWindow, HEARTBEAT_INTERVAL};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AppJson, AppQuery, DeviceCaller};
use crate::state::AppState;

/// Device credentials from the factory.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DeviceLogin {
    /// Serial number.
    pub serial: String,
    /// Device secret.
    pub secret: String,
}

/// A device bearer token.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceToken {
    /// Use as `Authorization: Bearer <token>` on the device API.
    pub token: String,
    /// Seconds until it expires.
    pub expires_in: u64,
}

/// Exchanges serial + secret for a one-hour token.
#[utoipa::path(post, path = "/api/v1/device/token", tag = "device",
    request_body = DeviceLogin,
    responses((status = 201, body = DeviceToken), (status = 401, body = ErrorBody),
              (status = 429, body = ErrorBody)))]
pub async fn token(
    State(state): State<AppState>,
    AppJson(req): AppJson<DeviceLogin>,
) -> ApiResult<(StatusCode, Json<DeviceToken>)> {
    let (token, ttl) = state.cameras.device_token(&req.serial, &req.secret).await?;
    Ok((
        StatusCode::CREATED,
        Json(DeviceToken {
            token,
            expires_in: ttl.as_secs(),
        }),
    ))
}

/// Answer to a heartbeat.
#[derive(Debug, Serialize, ToSchema)]
pub struct HeartbeatAck {
    /// The current settings version; fetch settings when it changed.
    pub settings_version: i64,
    /// Seconds until the next heartbeat is due.
    pub heartbeat_interval_secs: u64,
}

/// Reports device facts; any field beyond the listed ones is refused (B2).
#[utoipa::path(post, path = "/api/v1/device/heartbeat", tag = "device",
    request_body(content = Object, description = "firmware_version, model, time_zone, language, uptime_secs, signal_dbm, upload_kbps, last_error; nothing else"),
    responses((status = 200, body = HeartbeatAck), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody)))]
pub async fn heartbeat(
    State(state): State<AppState>,
    DeviceCaller(camera): DeviceCaller,
    AppJson(beat): AppJson<Heartbeat>,
) -> ApiResult<Json<HeartbeatAck>> {
    state.cameras.heartbeat(&camera, beat).await?;
    Ok(Json(HeartbeatAck {
        settings_version: camera.settings_version,
        heartbeat_interval_secs: HEARTBEAT_INTERVAL.as_secs(),
    }))
}

/// Long-poll parameters.
#[derive(Debug, Deserialize)]
pub struct SettingsQuery {
    /// The version the device has; the call waits until it changes.
    known_version: Option<i64>,
    /// Longest wait in seconds (at most 30).
    wait: Option<u64>,
}

/// Settings as the device applies them.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceSettings {
    /// Settings version.
    pub version: i64,
    /// Whether an account owns the camera; unbound cameras must not upload.
    pub bound: bool,
    /// `off`, `events` or `continuous`.
    pub recording_mode: &'static str,
    /// Record audio.
    pub audio: bool,
    /// Detect and send alerts.
    pub alerts: bool,
    /// Privacy mode: record nothing.
    pub privacy: bool,
    /// Weekly recording windows in the camera's time zone.
    #[schema(value_type = Vec<Object>)]
    pub schedule: Vec<ScheduleWindow>,
}

impl From<&Camera> for DeviceSettings {
    fn from(c: &Camera) -> Self {
        DeviceSettings {
            version: c.settings_version,
            bound: c.owner.is_some(),
            recording_mode: c.settings.recording_mode.as_str(),
            audio: c.settings.audio,
            alerts: c.settings.alerts,
            privacy: c.settings.privacy,
            schedule: c.settings.schedule.clone(),
        }
    }
}

/// The device's settings; with `known_version`, waits (up to `wait`
/// seconds) until they differ from it, so changes arrive at once.
#[utoipa::path(get, path = "/api/v1/device/settings", tag = "device",
    params(("known_version" = Option<i64>, Query, description = "version the device has"),
           ("wait" = Option<u64>, Query, description = "seconds to wait for a change, at most 30")),
    responses((status = 200, body = DeviceSettings), (status = 401, body = ErrorBody)))]
pub async fn settings(
    State(state): State<AppState>,
    DeviceCaller(camera): DeviceCaller,
    AppQuery(q): AppQuery<SettingsQuery>,
) -> ApiResult<Json<DeviceSettings>> {
    let wait = Duration::from_secs(q.wait.unwrap_or(25).min(30));
    let camera = state
        .cameras
        .settings_after(camera.id, q.known_version, wait)
        .await?;
    Ok(Json(DeviceSettings::from(&camera)))
}

/// Checks for newer firmware for this camera's model: 200 with the newest
/// release newer than what the device last reported, or 204.
#[utoipa::path(get, path = "/api/v1/device/firmware", tag = "device",
    responses((status = 200, body = crate::api::admin::FirmwareView),
              (status = 204, description = "up to date"), (status = 401, body = ErrorBody)))]
pub async fn firmware(
    State(state): State<AppState>,
    DeviceCaller(camera): DeviceCaller,
) -> ApiResult<Response> {
    let update = state
        .cameras
        .firmware_update(&camera.model, camera.facts.firmware_version.as_deref())
        .await?;
    Ok(match update {
        Some(m) => Json(crate::api::admin::FirmwareView::from(m)).into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    })
}
