//! A person's cameras: bind, list, view, control, unbind.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use domain::cameras::control::SettingsChange;
use domain::cameras::rtsp::RtspInput;
use domain::cameras::{Access, Camera, ScheduleWindow};
use domain::ids::CameraId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AppJson, AppPath, CurrentUser};
use crate::state::AppState;
use crate::time_fmt::rfc3339;

/// A camera as the people who may use it see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CameraView {
    /// Camera id.
    pub id: i64,
    /// Serial number.
    pub serial: String,
    /// Model.
    pub model: String,
    /// `cloud` (pushes video) or `rtsp` (the server pulls it).
    pub kind: &'static str,
    /// For RTSP cameras: the stream URL without credentials (they are write-only).
    pub source_url: Option<String>,
    /// Display name.
    pub name: String,
    /// `owner`, `operator` or `viewer`.
    pub access: &'static str,
    /// `off`, `events` or `continuous`.
    pub recording_mode: &'static str,
    /// Audio kept.
    pub audio: bool,
    /// Alerts on.
    pub alerts: bool,
    /// Privacy mode on: nothing is recorded.
    pub privacy: bool,
    /// Weekly recording windows (camera time zone); empty means always.
    #[schema(value_type = Vec<Object>)]
    pub schedule: Vec<ScheduleWindow>,
    /// Bumped on every settings change.
    pub settings_version: i64,
    /// Heard from within two heartbeat intervals.
    pub online: bool,
    /// Last heartbeat (RFC 3339).
    pub last_seen_at: Option<String>,
    /// Firmware version the device reported.
    pub firmware_version: Option<String>,
    /// Time zone the device reported.
    pub time_zone: Option<String>,
    /// Wi-Fi signal, dBm.
    pub signal_dbm: Option<i64>,
    /// Upload bitrate, kbit/s.
    pub upload_kbps: Option<i64>,
}

impl CameraView {
    /// Builds the view; `now_ms` decides `online`.
    pub fn new(c: &Camera, access: Access, online: bool) -> Self {
        CameraView {
            id: c.id.0,
            serial: c.serial.clone(),
            model: c.model.clone(),
            kind: c.kind.as_str(),
            source_url: c.source_url.clone(),
            name: c.settings.name.clone(),
            access: match access {
                Access::Owner => "owner",
                Access::Operator => "operator",
                Access::Viewer => "viewer",
            },
            recording_mode: c.settings.recording_mode.as_str(),
            audio: c.settings.audio,
            alerts: c.settings.alerts,
            privacy: c.settings.privacy,
            schedule: c.settings.schedule.clone(),
            settings_version: c.settings_version,
            online,
            last_seen_at: c.facts.last_seen_at.map(rfc3339),
            firmware_version: c.facts.firmware_version.clone(),
            time_zone: c.facts.time_zone.clone(),
            signal_dbm: c.facts.signal_dbm,
            upload_kbps: c.facts.upload_kbps,
        }
    }
}

fn view(state: &AppState, c: &Camera, access: Access) -> CameraView {
    CameraView::new(c, access, state.cameras.is_online(c))
}

/// Binding input: what is printed on the camera's label.
#[derive(Debug, Deserialize, ToSchema)]
pub struct BindRequest {
    /// Serial number.
    pub serial: String,
    /// Verification code from the label.
    pub verification_code: String,
}

/// Binds a provisioned camera to the caller.
#[utoipa::path(post, path = "/api/v1/cameras", tag = "cameras",
    request_body = BindRequest,
    responses((status = 201, body = CameraView),
              (status = 400, description = "serial_or_code_wrong (same for unknown serials) or invalid_input", body = ErrorBody),
              (status = 409, description = "camera_already_bound: see ownership claims", body = ErrorBody),
              (status = 429, description = "too many tries", body = ErrorBody)))]
pub async fn bind(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppJson(req): AppJson<BindRequest>,
) -> ApiResult<(StatusCode, Json<CameraView>)> {
    let camera = state
        .cameras
        .bind(who.account.id, &req.serial, &req.verification_code)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(view(&state, &camera, Access::Owner)),
    ))
}

/// The caller's cameras.
#[utoipa::path(get, path = "/api/v1/cameras", tag = "cameras",
    responses((status = 200, body = [CameraView]), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
) -> ApiResult<Json<Vec<CameraView>>> {
    let cams = state.cameras.list(who.account.id).await?;
    Ok(Json(
        cams.iter().map(|(c, a)| view(&state, c, *a)).collect(),
    ))
}

/// One camera the caller may use.
#[utoipa::path(get, path = "/api/v1/cameras/{id}", tag = "cameras",
    params(("id" = i64, Path, description = "camera id")),
    responses((status = 200, body = CameraView), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppPath(id): AppPath<i64>,
) -> ApiResult<Json<CameraView>> {
    let (c, access) = state.cameras.access(who.account.id, CameraId(id)).await?;
    Ok(Json(view(&state, &c, access)))
}

/// Changes settings (owner or operator); the device hears of it within seconds.
#[utoipa::path(patch, path = "/api/v1/cameras/{id}", tag = "cameras",
    params(("id" = i64, Path, description = "camera id")),
    request_body(content = Object, description = "any of name, recording_mode, audio, alerts, privacy, schedule"),
    responses((status = 200, body = CameraView), (status = 400, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn change(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppPath(id): AppPath<i64>,
    AppJson(change): AppJson<SettingsChange>,
) -> ApiResult<Json<CameraView>> {
    let (c, access) = state
        .cameras
        .change_settings(who.account.id, CameraId(id), change)
        .await?;
    Ok(Json(view(&state, &c, access)))
}

/// Unbinds an owned camera. Recordings already stored stay in the account
/// under its retention.
#[utoipa::path(delete, path = "/api/v1/cameras/{id}", tag = "cameras",
    params(("id" = i64, Path, description = "camera id")),
    responses((status = 204, description = "unbound"), (status = 404, body = ErrorBody)))]
pub async fn unbind(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppPath(id): AppPath<i64>,
) -> ApiResult<StatusCode> {
    state.cameras.unbind(who.account.id, CameraId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One network sample.
#[derive(Debug, Serialize, ToSchema)]
pub struct SampleView {
    /// When (RFC 3339).
    pub at: String,
    /// Wi-Fi signal, dBm.
    pub signal_dbm: Option<i64>,
    /// Upload bitrate, kbit/s.
    pub upload_kbps: Option<i64>,
}

/// The camera's network over the last 24 hours.
#[derive(Debug, Serialize, ToSchema)]
pub struct NetworkView {
    /// Heard from within two heartbeat intervals.
    pub online: bool,
    /// Last heartbeat (RFC 3339).
    pub last_seen_at: Option<String>,
    /// Last reported signal, dBm.
    pub signal_dbm: Option<i64>,
    /// Last reported upload bitrate, kbit/s.
    pub upload_kbps: Option<i64>,
    /// Last error the device reported.
    pub last_error: Option<String>,
    /// Heartbeats received in the last 24 hours.
    pub heartbeats_24h: usize,
    /// Heartbeats missed in the last 24 hours (dropouts).
    pub missed_heartbeats_24h: usize,
    /// Mean upload bitrate over 24 hours.
    pub average_kbps_24h: Option<i64>,
    /// Weakest signal over 24 hours.
    pub weakest_signal_dbm_24h: Option<i64>,
    /// Segment uploads received in the last 24 hours.
    pub uploads_24h: i64,
    /// Uploads that failed (invalid media, too large, server error).
    pub failed_uploads_24h: i64,
    /// Uploads refused by the camera's settings (privacy, schedule, off).
    pub refused_uploads_24h: i64,
    /// Mean upload duration, ms, body transfer included.
    pub upload_latency_ms_avg_24h: Option<i64>,
    /// Longest upload, ms.
    pub upload_latency_ms_max_24h: Option<i64>,
    /// Samples, oldest first.
    pub samples: Vec<SampleView>,
}

/// Online state, last seen, bitrate, dropouts and uploads over 24 hours.
#[utoipa::path(get, path = "/api/v1/cameras/{id}/network", tag = "cameras",
    params(("id" = i64, Path, description = "camera id")),
    responses((status = 200, body = NetworkView), (status = 404, body = ErrorBody)))]
pub async fn network(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppPath(id): AppPath<i64>,
) -> ApiResult<Json<NetworkView>> {
    let r = state.cameras.network(who.account.id, CameraId(id)).await?;
    let u = state
        .recordings
        .upload_report(who.account.id, CameraId(id))
        .await?
        .total;
    Ok(Json(NetworkView {
        uploads_24h: u.uploads,
        failed_uploads_24h: u.failures,
        refused_uploads_24h: u.refused,
        upload_latency_ms_avg_24h: u.mean_latency_ms(),
        upload_latency_ms_max_24h: (u.uploads > 0).then_some(u.latency_ms_max),
        online: r.online,
        last_seen_at: r.last_seen_at.map(rfc3339),
        signal_dbm: r.signal_dbm,
        upload_kbps: r.upload_kbps,
        last_error: r.last_error,
        heartbeats_24h: r.heartbeats,
        missed_heartbeats_24h: r.missed_heartbeats,
        average_kbps_24h: r.average_kbps,
        weakest_signal_dbm_24h: r.weakest_signal_dbm,
        samples: r
            .samples
            .iter()
            .map(|s| SampleView {
                at: rfc3339(s.at),
                signal_dbm: s.signal_dbm,
                upload_kbps: s.upload_kbps,
            })
            .collect(),
    }))
}

/// Adds an IP camera, or one camera per NVR channel when the URL holds
/// `{channel}`: `{"name", "url", "username"?, "password"?, "channels"?}`.
/// Credentials are stored encrypted and never returned.
#[utoipa::path(post, path = "/api/v1/cameras/rtsp", tag = "cameras",
    request_body(content = Object, description = "name, url (rtsp://…, may contain {channel}), username, password, channels"),
    responses((status = 201, body = [CameraView]), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn add_rtsp(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppJson(input): AppJson<RtspInput>,
) -> ApiResult<(StatusCode, Json<Vec<CameraView>>)> {
    let cams = state.cameras.add_rtsp(who.account.id, input).await?;
    Ok((
        StatusCode::CREATED,
        Json(
            cams.iter()
                .map(|c| view(&state, c, Access::Owner))
                .collect(),
        ),
    ))
}

/// New URL and/or credentials for an RTSP camera; absent fields stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RtspChange {
    /// New stream URL.
    pub url: Option<String>,
    /// New username (empty clears it).
    pub username: Option<String>,
    /// New password (empty clears it).
    pub password: Option<String>,
}

/// Replaces an RTSP camera's URL or credentials (owner or operator).
#[utoipa::path(put, path = "/api/v1/cameras/{id}/rtsp", tag = "cameras",
    params(("id" = i64, Path, description = "camera id")),
    request_body = RtspChange,
    responses((status = 200, body = CameraView), (status = 400, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn change_rtsp(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppPath(id): AppPath<i64>,
    AppJson(change): AppJson<RtspChange>,
) -> ApiResult<Json<CameraView>> {
    let (c, access) = state
        .cameras
        .update_rtsp(
            who.account.id,
            CameraId(id),
            change.url,
            change.username,
            change.password,
        )
        .await?;
    Ok(Json(view(&state, &c, access)))
}

/// The result of a connection test.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectionTest {
    /// A playable stream answered.
    pub ok: bool,
    /// `h264` or `h265` when ok.
    pub codec: Option<String>,
    /// Width in pixels.
    pub width: Option<u32>,
    /// Height in pixels.
    pub height: Option<u32>,
    /// Frames per second.
    pub fps: Option<f64>,
    /// When not ok: `unreachable`, `auth_failed`, `unsupported_codec`,
    /// `timeout`, `protocol` or `invalid_url`.
    pub reason: Option<&'static str>,
    /// A sentence for people.
    pub message: String,
}

/// Runs RTSP DESCRIBE against the camera (owner or operator) and reports
/// codec, resolution and frame rate, or why it failed.
#[utoipa::path(post, path = "/api/v1/cameras/{id}/test-connection", tag = "cameras",
    params(("id" = i64, Path, description = "camera id")),
    responses((status = 200, body = ConnectionTest), (status = 400, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn test_connection(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppPath(id): AppPath<i64>,
) -> ApiResult<Json<ConnectionTest>> {
    let o = state
        .cameras
        .test_connection(who.account.id, CameraId(id))
        .await?;
    Ok(Json(ConnectionTest {
        ok: o.ok,
        codec: o.codec,
        width: o.width,
        height: o.height,
        fps: o.fps,
        reason: o.reason,
        message: o.message,
    }))
}
