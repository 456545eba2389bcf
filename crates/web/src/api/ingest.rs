//! Push ingest: cameras upload their init segment and media segments.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::Extension;
use axum::Json;
use domain::clock::Timestamp;
use domain::recordings::ingest::{SegmentUpload, Stored};
use domain::recordings::uploads::UploadOutcome;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{AppPath, AppQuery, DeviceCaller};
use crate::state::AppState;

/// When the request arrived, before its body was read: upload time
/// includes receiving the body.
#[derive(Debug, Clone, Copy)]
pub struct RequestStart(pub std::time::Instant);

/// Stamps [`RequestStart`] on the request.
pub async fn stamp_start(
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    req.extensions_mut()
        .insert(RequestStart(std::time::Instant::now()));
    next.run(req).await
}

/// Accepted init segment.
#[derive(Debug, Serialize, ToSchema)]
pub struct InitAck {
    /// Name this init in the segment uploads that follow it.
    pub init_id: i64,
}

/// Accepted media segment.
#[derive(Debug, Serialize, ToSchema)]
pub struct SegmentAck {
    /// The server's id for it.
    pub id: i64,
    /// The device's id for it, as given.
    pub segment_id: String,
    /// Start, Unix ms.
    pub start_ms: i64,
    /// End, Unix ms.
    pub end_ms: i64,
}

fn content_type_is(headers: &HeaderMap, allowed: &[&str]) -> Result<(), ApiError> {
    let given = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
    match given {
        Some(t) if allowed.contains(&t.as_str()) => Ok(()),
        _ => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("send the body as {}", allowed.join(" or ")),
        )),
    }
}

fn status(stored: Stored) -> StatusCode {
    match stored {
        Stored::New => StatusCode::CREATED,
        Stored::Again => StatusCode::OK,
    }
}

/// Uploads the camera's fMP4 init segment (ftyp + moov). 201 when stored,
/// 200 when the same init was stored before.
#[utoipa::path(put, path = "/api/v1/device/init", tag = "device",
    request_body(content = Vec<u8>, content_type = "video/mp4"),
    responses((status = 201, body = InitAck), (status = 200, body = InitAck),
              (status = 401, body = ErrorBody),
              (status = 403, description = "camera_unbound", body = ErrorBody),
              (status = 409, description = "privacy_mode, recording_off", body = ErrorBody),
              (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
              (status = 422, description = "invalid_media", body = ErrorBody)))]
pub async fn upload_init(
    State(state): State<AppState>,
    DeviceCaller(camera): DeviceCaller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, Json<InitAck>)> {
    content_type_is(&headers, &["video/mp4"])?;
    let body = body?;
    let (init, stored) = state.recordings.upload_init(&camera, &body).await?;
    Ok((status(stored), Json(InitAck { init_id: init.id })))
}

/// Where a segment belongs.
#[derive(Debug, Deserialize, IntoParams)]
pub struct SegmentQuery {
    /// The init it plays with.
    pub init_id: i64,
    /// The camera's wall-clock time of its first frame, Unix ms.
    pub start_ms: i64,
}

/// Uploads one media segment (moof + mdat, 1–6 s, starting with a
/// keyframe). Retrying with the same `segment_id` stores it once: 201 the
/// first time, 200 after.
#[utoipa::path(put, path = "/api/v1/device/segments/{segment_id}", tag = "device",
    params(("segment_id" = String, Path, description = "the device's id: 1–64 of [A-Za-z0-9._-]"),
           SegmentQuery),
    request_body(content = Vec<u8>, content_type = "video/iso.segment"),
    responses((status = 201, body = SegmentAck), (status = 200, body = SegmentAck),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, description = "camera_unbound", body = ErrorBody),
              (status = 404, description = "unknown init", body = ErrorBody),
              (status = 409, description = "privacy_mode, recording_off, outside_schedule", body = ErrorBody),
              (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
              (status = 422, description = "invalid_media", body = ErrorBody)))]
pub async fn upload_segment(
    State(state): State<AppState>,
    Extension(started): Extension<RequestStart>,
    DeviceCaller(camera): DeviceCaller,
    AppPath(segment_id): AppPath<String>,
    AppQuery(q): AppQuery<SegmentQuery>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> ApiResult<(StatusCode, Json<SegmentAck>)> {
    let result = async {
        content_type_is(&headers, &["video/iso.segment", "video/mp4"])?;
        let limit = state.recordings.config().max_segment_bytes;
        let body = crate::extract::read_body(body, &headers, limit).await?;
        Ok::<_, ApiError>(
            state
                .recordings
                .upload_segment(
                    &camera,
                    SegmentUpload {
                        device_id: segment_id,
                        init_id: q.init_id,
                        start: Timestamp(q.start_ms),
                        bytes: body,
                    },
                )
                .await?,
        )
    }
    .await;
    // The network view counts every upload of a known camera: how long it
    // took (receiving the body included) and how it ended.
    let outcome = match &result {
        Ok(_) => UploadOutcome::Stored,
        Err(e) if e.status == StatusCode::CONFLICT || e.code == "camera_unbound" => {
            UploadOutcome::Refused
        }
        Err(_) => UploadOutcome::Failed,
    };
    state
        .recordings
        .note_upload(camera.id, outcome, started.0.elapsed());
    let counted = match outcome {
        UploadOutcome::Stored => "stored",
        UploadOutcome::Refused => "refused",
        UploadOutcome::Failed => "failed",
    };
    state
        .metrics
        .ingest_segments
        .get_or_create(&crate::metrics::OutcomeLabels { outcome: counted })
        .inc();
    if let Ok((record, Stored::New)) = &result {
        state
            .metrics
            .ingest_bytes
            .inc_by(record.segment.bytes.max(0) as u64);
    }
    let (record, stored) = result?;
    Ok((
        status(stored),
        Json(SegmentAck {
            id: record.id,
            segment_id: record.segment.device_id,
            start_ms: record.segment.start.ms(),
            end_ms: record.segment.end.ms(),
        }),
    ))
}
