//! Ownership claims: filing (multipart upload) and the admin queue (B4).

use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use domain::cameras::claims::{Claim, ClaimRequest};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{AdminUser, AppJson, AppPath, CurrentUser};
use crate::state::AppState;
use crate::time_fmt::rfc3339;

/// A claim as its claimant and admins see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClaimView {
    /// Claim id.
    pub id: i64,
    /// Camera id.
    pub camera_id: i64,
    /// `pending`, `approved` or `refused`.
    pub status: &'static str,
    /// The claimant's explanation.
    pub note: String,
    /// MIME type of the evidence.
    pub evidence_type: &'static str,
    /// Whether the evidence is still held (it is erased on decision).
    pub evidence_held: bool,
    /// The admin's written reason, once decided.
    pub reason: Option<String>,
    /// Filed (RFC 3339).
    pub created_at: String,
    /// Decided (RFC 3339).
    pub decided_at: Option<String>,
}

impl From<&Claim> for ClaimView {
    fn from(c: &Claim) -> Self {
        ClaimView {
            id: c.id,
            camera_id: c.camera_id.0,
            status: c.status.as_str(),
            note: c.note.clone(),
            evidence_type: c.evidence_type,
            evidence_held: c.evidence_key.is_some(),
            reason: c.reason.clone(),
            created_at: rfc3339(c.created_at),
            decided_at: c.decided_at.map(rfc3339),
        }
    }
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            "evidence is larger than allowed",
        )
    } else {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", e.body_text())
    }
}

/// Files a claim for a camera bound to someone else: multipart form with
/// `serial`, `verification_code`, `note` and the `evidence` file (JPEG, PNG
/// or PDF, at most 5 MiB). The evidence is stored encrypted.
#[utoipa::path(post, path = "/api/v1/claims", tag = "claims",
    request_body(content = String, content_type = "multipart/form-data"),
    responses((status = 201, body = ClaimView),
              (status = 400, description = "invalid_input, serial_or_code_wrong", body = ErrorBody),
              (status = 409, description = "a claim is already pending", body = ErrorBody),
              (status = 413, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn file(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    form: Result<Multipart, MultipartRejection>,
) -> ApiResult<(StatusCode, Json<ClaimView>)> {
    let mut form =
        form.map_err(|r| ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", r.body_text()))?;
    let (mut serial, mut code, mut note) = (String::new(), String::new(), String::new());
    let mut evidence = Vec::new();
    let mut declared = None;
    while let Some(field) = form.next_field().await.map_err(multipart_error)? {
        match field.name().unwrap_or("") {
            "serial" => serial = field.text().await.map_err(multipart_error)?,
            "verification_code" => code = field.text().await.map_err(multipart_error)?,
            "note" => note = field.text().await.map_err(multipart_error)?,
            "evidence" => {
                declared = field.content_type().map(str::to_string);
                evidence = field.bytes().await.map_err(multipart_error)?.to_vec();
            }
            _ => {}
        }
    }
    let claim = state
        .cameras
        .file_claim(
            who.account.id,
            ClaimRequest {
                serial: &serial,
                verification_code: &code,
                note: &note,
                evidence: &evidence,
                declared_type: declared.as_deref(),
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(ClaimView::from(&claim))))
}

/// The caller's claims, newest first.
#[utoipa::path(get, path = "/api/v1/claims", tag = "claims",
    responses((status = 200, body = [ClaimView]), (status = 401, body = ErrorBody)))]
pub async fn mine(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
) -> ApiResult<Json<Vec<ClaimView>>> {
    let claims = state.cameras.my_claims(who.account.id).await?;
    Ok(Json(claims.iter().map(ClaimView::from).collect()))
}

/// Pending claims, oldest first (admin).
#[utoipa::path(get, path = "/api/v1/admin/claims", tag = "admin",
    responses((status = 200, body = [ClaimView]), (status = 403, body = ErrorBody)))]
pub async fn queue(
    State(state): State<AppState>,
    _admin: AdminUser,
) -> ApiResult<Json<Vec<ClaimView>>> {
    let claims = state.cameras.pending_claims().await?;
    Ok(Json(claims.iter().map(ClaimView::from).collect()))
}

/// The decrypted evidence of a pending claim (admin).
#[utoipa::path(get, path = "/api/v1/admin/claims/{id}/evidence", tag = "admin",
    params(("id" = i64, Path, description = "claim id")),
    responses((status = 200, description = "the file", content_type = "application/octet-stream"),
              (status = 403, body = ErrorBody), (status = 404, description = "no such claim, or evidence erased", body = ErrorBody)))]
pub async fn evidence(
    State(state): State<AppState>,
    _admin: AdminUser,
    AppPath(id): AppPath<i64>,
) -> ApiResult<Response> {
    let (kind, bytes) = state.cameras.claim_evidence(id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "no-store"),
            (header::CONTENT_DISPOSITION, "attachment"),
        ],
        bytes,
    )
        .into_response())
}

/// An admin's decision.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Decision {
    /// True moves the camera to the claimant.
    pub approve: bool,
    /// The written reason (required), shown to the claimant.
    pub reason: String,
}

/// Decides a claim; the evidence is erased either way (admin).
#[utoipa::path(post, path = "/api/v1/admin/claims/{id}/decision", tag = "admin",
    params(("id" = i64, Path, description = "claim id")),
    request_body = Decision,
    responses((status = 200, body = ClaimView), (status = 400, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn decide(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    AppPath(id): AppPath<i64>,
    AppJson(d): AppJson<Decision>,
) -> ApiResult<Json<ClaimView>> {
    let claim = state
        .cameras
        .decide_claim(admin.account.id, id, d.approve, &d.reason)
        .await?;
    Ok(Json(ClaimView::from(&claim)))
}
