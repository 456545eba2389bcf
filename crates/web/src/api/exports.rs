//! Data export (F13): ask for a copy of everything held about you, watch
//! it being made, download the ZIP until its link expires.

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use domain::privacy::export::{ExportRecord, ExportState};
use futures_util::StreamExt;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AppPath, CurrentUser};
use crate::state::AppState;
use crate::time_fmt::rfc3339;

/// An export as its owner sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExportView {
    /// Its id.
    pub id: String,
    /// `pending`, `running`, `ready`, `failed` or `expired`.
    pub state: &'static str,
    /// Asked for at (RFC 3339).
    pub requested_at: String,
    /// Finished at (RFC 3339).
    pub finished_at: Option<String>,
    /// The download link works until then (RFC 3339).
    pub expires_at: Option<String>,
    /// Archive size in bytes.
    pub bytes: i64,
    /// Video files in it.
    pub media_files: i64,
    /// Why it failed.
    pub error: Option<String>,
    /// Where to download it, while it is ready.
    pub download_url: Option<String>,
}

/// The view of an export record.
pub fn view(e: &ExportRecord) -> ExportView {
    ExportView {
        id: e.id.clone(),
        state: e.state.as_str(),
        requested_at: rfc3339(e.requested_at),
        finished_at: e.finished_at.map(rfc3339),
        expires_at: e.expires_at.map(rfc3339),
        bytes: e.bytes,
        media_files: e.media_files,
        error: e.error.clone(),
        download_url: (e.state == ExportState::Ready)
            .then(|| format!("/api/v1/me/exports/{}/download", e.id)),
    }
}

/// Asks for an export of the caller's data; one already being made is
/// returned instead of a second.
#[utoipa::path(post, path = "/api/v1/me/exports", tag = "privacy",
    responses((status = 202, body = ExportView), (status = 401, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
) -> ApiResult<(StatusCode, Json<ExportView>)> {
    let export = state.exports.request(who.account.id).await?;
    Ok((StatusCode::ACCEPTED, Json(view(&export))))
}

/// The caller's exports, newest first.
#[utoipa::path(get, path = "/api/v1/me/exports", tag = "privacy",
    responses((status = 200, body = Vec<ExportView>), (status = 401, body = ErrorBody)))]
pub async fn mine(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
) -> ApiResult<Json<Vec<ExportView>>> {
    let all = state.exports.mine(who.account.id).await?;
    Ok(Json(all.iter().map(view).collect()))
}

/// Downloads a ready export as a ZIP, decrypted as it streams.
#[utoipa::path(get, path = "/api/v1/me/exports/{id}/download", tag = "privacy",
    params(("id" = String, Path, description = "export id")),
    responses((status = 200, description = "application/zip"), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 410, body = ErrorBody)))]
pub async fn download(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppPath(id): AppPath<String>,
) -> ApiResult<Response> {
    let export = state.exports.downloadable(who.account.id, &id).await?;
    let name = format!(
        "attachment; filename=\"camvault-export-{}.zip\"",
        export
            .finished_at
            .map(rfc3339)
            .unwrap_or_default()
            .replace(':', "-")
    );
    let size = export.bytes;
    let parts = state
        .exports
        .archive(export)
        .map(|part| part.map_err(std::io::Error::other));
    let mut response = (StatusCode::OK, Body::from_stream(parts)).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/zip"),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    if let Ok(v) = HeaderValue::from_str(&name) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}
