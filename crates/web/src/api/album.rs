//! The album (C5, C4): photos and clips uploaded whole or in pieces,
//! listed, downloaded and deleted by their owner.

use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use std::sync::Arc;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use domain::album::files::WINDOW;
use domain::album::uploads::{Piece, Upload};
use domain::album::AlbumItem;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::recordings::{parse_range, range_not_satisfiable};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{AppJson, AppPath, AppQuery, CurrentUser};
use crate::state::AppState;
use crate::time_fmt::rfc3339;

/// Largest body of a whole upload or one piece; bigger files come in pieces.
pub const BODY_LIMIT: usize = 64 * 1024 * 1024;

/// A photo or clip.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlbumItemView {
    /// Id.
    pub id: i64,
    /// `image/jpeg`, `image/png`, `image/heic` or `video/mp4`.
    pub media_type: String,
    /// The file name it came with.
    pub name: Option<String>,
    /// Size in bytes.
    pub bytes: i64,
    /// Whether where it was taken was kept (only with the location-tags consent).
    pub location_kept: bool,
    /// Whether it has a thumbnail (`/api/v1/me/album/{id}/thumbnail.jpg`).
    pub has_thumbnail: bool,
    /// Uploaded (RFC 3339).
    pub created_at: String,
}

impl From<&AlbumItem> for AlbumItemView {
    fn from(i: &AlbumItem) -> Self {
        AlbumItemView {
            id: i.id,
            media_type: i.media_type.clone(),
            name: i.name.clone(),
            bytes: i.bytes,
            location_kept: i.location_kept,
            has_thumbnail: i.thumb_key.is_some(),
            created_at: rfc3339(i.created_at),
        }
    }
}

fn content_type(headers: &HeaderMap) -> Result<String, ApiError> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the file with its Content-Type (image/jpeg, image/png, image/heic or video/mp4)",
            )
        })
}

/// A file name to keep with the upload.
#[derive(Debug, Deserialize, IntoParams)]
pub struct NameQuery {
    /// The file's name, up to 200 characters.
    pub name: Option<String>,
}

/// Adds a photo or clip sent whole (up to 64 MiB; larger ones in pieces).
#[utoipa::path(post, path = "/api/v1/me/album", tag = "album", params(NameQuery),
    request_body(content = Vec<u8>, content_type = "image/jpeg"),
    responses((status = 201, body = AlbumItemView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 413, body = ErrorBody),
              (status = 415, body = ErrorBody),
              (status = 422, description = "invalid_media: not what its type says, or a location that cannot be removed", body = ErrorBody)))]
pub async fn add(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    headers: HeaderMap,
    AppQuery(q): AppQuery<NameQuery>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, Json<AlbumItemView>)> {
    let media_type = content_type(&headers)?;
    let body = body?;
    let item = state
        .album
        .add(
            who.account.id,
            &media_type,
            q.name.as_deref(),
            Vec::from(body),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(AlbumItemView::from(&item))))
}

/// The caller's album, newest first.
#[utoipa::path(get, path = "/api/v1/me/album", tag = "album",
    responses((status = 200, body = [AlbumItemView]), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
) -> ApiResult<Json<Vec<AlbumItemView>>> {
    let items = state.album.list(who.account.id).await?;
    Ok(Json(items.iter().map(AlbumItemView::from).collect()))
}

/// One photo or clip, decrypted as it is sent (a window at a time, so a
/// long clip is never held whole); honours a single `Range` for seeking.
#[utoipa::path(get, path = "/api/v1/me/album/{id}", tag = "album",
    params(("id" = i64, Path, description = "item id")),
    responses((status = 200, description = "the file, with its media type"),
              (status = 206, description = "the requested range"),
              (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 416, body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppPath(id): AppPath<i64>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let (item, file) = state.album.open_file(who.account.id, id).await?;
    let total = file.len();
    let Ok(range) = parse_range(&headers, total) else {
        return Ok(range_not_satisfiable("file", total));
    };
    let (status, (start, end)) = match range {
        None => (StatusCode::OK, (0, total)),
        Some(r) => (StatusCode::PARTIAL_CONTENT, r),
    };
    let file = Arc::new(file);
    let windows = futures_util::stream::unfold(start, move |at| {
        let file = file.clone();
        async move {
            if at >= end {
                return None;
            }
            let next = (at + WINDOW).min(end);
            let bytes = file.read(at, next).await.map_err(std::io::Error::other);
            Some((bytes, next))
        }
    });
    let mut response = (status, Body::from_stream(windows)).into_response();
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&item.media_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(end - start));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    if status == StatusCode::PARTIAL_CONTENT {
        if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{}/{total}", end - 1)) {
            h.insert(header::CONTENT_RANGE, v);
        }
    }
    Ok(response)
}

/// A photo's thumbnail: a JPEG at most 320 pixels on its longest side,
/// without any metadata.
#[utoipa::path(get, path = "/api/v1/me/album/{id}/thumbnail.jpg", tag = "album",
    params(("id" = i64, Path, description = "item id")),
    responses((status = 200, description = "image/jpeg"), (status = 401, body = ErrorBody),
              (status = 404, description = "no such item, or a clip or HEIC photo (no thumbnail)", body = ErrorBody)))]
pub async fn thumbnail(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppPath(id): AppPath<i64>,
) -> ApiResult<Response> {
    let jpeg = state.album.thumbnail(who.account.id, id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/jpeg"),
            (header::CACHE_CONTROL, "private, max-age=3600"),
        ],
        Body::from(jpeg),
    )
        .into_response())
}

/// Deletes a photo or clip.
#[utoipa::path(delete, path = "/api/v1/me/album/{id}", tag = "album",
    params(("id" = i64, Path, description = "item id")),
    responses((status = 204, description = "deleted"), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppPath(id): AppPath<i64>,
) -> ApiResult<StatusCode> {
    state.album.delete(who.account.id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A large file to send in pieces.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UploadRequest {
    /// Its media type.
    pub media_type: String,
    /// Its size in bytes.
    pub size: i64,
    /// Its name.
    pub name: Option<String>,
}

/// An upload under way; `item` once the last piece arrived.
#[derive(Debug, Serialize, ToSchema)]
pub struct UploadView {
    /// Upload id.
    pub id: String,
    /// The whole file's size.
    pub size: i64,
    /// Bytes received: where the next piece starts.
    pub offset: i64,
    /// The stored photo or clip, when complete.
    pub item: Option<AlbumItemView>,
}

fn upload_view(u: &Upload, item: Option<AlbumItemView>) -> UploadView {
    UploadView {
        id: u.id.clone(),
        size: u.size,
        offset: u.received,
        item,
    }
}

/// Starts an upload in pieces.
#[utoipa::path(post, path = "/api/v1/me/album/uploads", tag = "album", request_body = UploadRequest,
    responses((status = 201, body = UploadView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 413, body = ErrorBody)))]
pub async fn start_upload(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppJson(r): AppJson<UploadRequest>,
) -> ApiResult<(StatusCode, Json<UploadView>)> {
    let upload = state
        .album
        .start_upload(who.account.id, &r.media_type, r.name.as_deref(), r.size)
        .await?;
    Ok((StatusCode::CREATED, Json(upload_view(&upload, None))))
}

/// Where an upload stands (to resume after a dropped connection).
#[utoipa::path(get, path = "/api/v1/me/album/uploads/{id}", tag = "album",
    params(("id" = String, Path, description = "upload id")),
    responses((status = 200, body = UploadView), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn upload_status(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppPath(id): AppPath<String>,
) -> ApiResult<Json<UploadView>> {
    let upload = state.album.upload(who.account.id, &id).await?;
    Ok(Json(upload_view(&upload, None)))
}

/// Where a piece starts.
#[derive(Debug, Deserialize, IntoParams)]
pub struct PieceQuery {
    /// Must equal the upload's current offset.
    pub offset: i64,
}

/// Sends the piece that starts at `offset`; the last one completes the file.
#[utoipa::path(put, path = "/api/v1/me/album/uploads/{id}", tag = "album",
    params(("id" = String, Path, description = "upload id"), PieceQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = UploadView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, description = "upload_offset_mismatch: send from the upload's offset", body = ErrorBody),
              (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_piece(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppPath(id): AppPath<String>,
    AppQuery(q): AppQuery<PieceQuery>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<UploadView>> {
    let body = body?;
    let piece = state
        .album
        .put_piece(who.account.id, &id, q.offset, Vec::from(body))
        .await?;
    Ok(Json(match piece {
        Piece::Partial(u) => upload_view(&u, None),
        Piece::Complete(item) => UploadView {
            id,
            size: item.bytes,
            offset: item.bytes,
            item: Some(AlbumItemView::from(item.as_ref())),
        },
    }))
}
