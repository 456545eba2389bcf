//! Administration: the device registry and its import.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use domain::cameras::firmware::Manifest;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AdminUser, AppJson, AppQuery};
use crate::state::AppState;
use crate::time_fmt::rfc3339;

/// Import options.
#[derive(Debug, Deserialize)]
pub struct ImportQuery {
    /// Replace devices whose serial is already provisioned.
    #[serde(default)]
    update: bool,
}

/// Result of an import.
#[derive(Debug, Serialize, ToSchema)]
pub struct Imported {
    /// Devices stored.
    pub imported: u64,
}

/// Imports devices from CSV (`serial,model,verification_code,device_secret`
/// with a header row). All or nothing; every bad line is reported.
#[utoipa::path(post, path = "/api/v1/admin/devices", tag = "admin",
    params(("update" = Option<bool>, Query, description = "replace existing serials")),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 201, body = Imported),
              (status = 400, description = "import_rejected, with every bad line", body = ErrorBody),
              (status = 403, body = ErrorBody)))]
pub async fn import(
    State(state): State<AppState>,
    _admin: AdminUser,
    AppQuery(q): AppQuery<ImportQuery>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Imported>)> {
    let imported = state.cameras.provision(&body, q.update).await?;
    Ok((StatusCode::CREATED, Json(Imported { imported })))
}

/// Paging of the registry.
#[derive(Debug, Deserialize)]
pub struct Page {
    #[serde(default = "default_limit")]
    limit: i64,
    #[serde(default)]
    offset: i64,
}

fn default_limit() -> i64 {
    100
}

/// A device in the registry: no owner identity, only whether it is bound.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceEntry {
    /// Camera id.
    pub id: i64,
    /// Serial number.
    pub serial: String,
    /// Model.
    pub model: String,
    /// Bound to an account.
    pub bound: bool,
    /// Last heartbeat (RFC 3339).
    pub last_seen_at: Option<String>,
    /// Reported firmware.
    pub firmware_version: Option<String>,
}

/// Lists provisioned devices, newest first.
#[utoipa::path(get, path = "/api/v1/admin/devices", tag = "admin",
    params(("limit" = Option<i64>, Query, description = "at most 1000"),
           ("offset" = Option<i64>, Query, description = "skip this many")),
    responses((status = 200, body = [DeviceEntry]), (status = 403, body = ErrorBody)))]
pub async fn devices(
    State(state): State<AppState>,
    _admin: AdminUser,
    AppQuery(p): AppQuery<Page>,
) -> ApiResult<Json<Vec<DeviceEntry>>> {
    let cams = state
        .cameras
        .registry(p.limit.clamp(1, 1000), p.offset.max(0))
        .await?;
    Ok(Json(
        cams.into_iter()
            .map(|c| DeviceEntry {
                id: c.id.0,
                serial: c.serial,
                model: c.model,
                bound: c.owner.is_some(),
                last_seen_at: c.facts.last_seen_at.map(rfc3339),
                firmware_version: c.facts.firmware_version,
            })
            .collect(),
    ))
}

/// A firmware release as published.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FirmwareView {
    /// Model it is for.
    pub model: String,
    /// Dotted version.
    pub version: String,
    /// Download URL.
    pub url: String,
    /// SHA-256 of the image (hex).
    pub sha256: String,
    /// Release notes.
    #[serde(default)]
    pub notes: String,
    /// When published (RFC 3339; ignored on input).
    #[serde(default, skip_deserializing)]
    pub published_at: String,
}

impl From<Manifest> for FirmwareView {
    fn from(m: Manifest) -> Self {
        FirmwareView {
            published_at: rfc3339(m.published_at),
            model: m.model,
            version: m.version,
            url: m.url,
            sha256: m.sha256,
            notes: m.notes,
        }
    }
}

/// Publishes a firmware manifest; devices of that model see it at their next check.
#[utoipa::path(post, path = "/api/v1/admin/firmware", tag = "admin",
    request_body = FirmwareView,
    responses((status = 201, body = FirmwareView), (status = 400, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn publish_firmware(
    State(state): State<AppState>,
    _admin: AdminUser,
    AppJson(f): AppJson<FirmwareView>,
) -> ApiResult<(StatusCode, Json<FirmwareView>)> {
    let m = state
        .cameras
        .publish_firmware(Manifest {
            model: f.model,
            version: f.version,
            url: f.url,
            sha256: f.sha256,
            notes: f.notes,
            published_at: domain::clock::Timestamp(0),
        })
        .await?;
    Ok((StatusCode::CREATED, Json(FirmwareView::from(m))))
}

/// Every published manifest, newest first.
#[utoipa::path(get, path = "/api/v1/admin/firmware", tag = "admin",
    responses((status = 200, body = [FirmwareView]), (status = 403, body = ErrorBody)))]
pub async fn firmware(
    State(state): State<AppState>,
    _admin: AdminUser,
) -> ApiResult<Json<Vec<FirmwareView>>> {
    let all = state.cameras.firmware_manifests().await?;
    Ok(Json(all.into_iter().map(FirmwareView::from).collect()))
}

/// Aggregate statistics (F3): counts only, groups smaller than the
/// configured k suppressed.
#[utoipa::path(get, path = "/api/v1/admin/statistics", tag = "admin",
    responses((status = 200, body = Object), (status = 403, body = ErrorBody)))]
pub async fn statistics(
    State(state): State<AppState>,
    _admin: AdminUser,
) -> ApiResult<Json<domain::privacy::statistics::Report>> {
    Ok(Json(state.statistics.report().await?))
}
