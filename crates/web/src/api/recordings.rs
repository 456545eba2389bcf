//! Recordings of a camera: timeline, HLS playback, ranged segments, MP4
//! download, event windows, retention and the caller's access log (C2).

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use domain::clock::Timestamp;
use domain::ids::CameraId;
use domain::recordings::Span;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{AppJson, AppPath, AppQuery, CurrentUser};
use crate::state::AppState;
use crate::time_fmt::rfc3339;

/// A time range in Unix milliseconds.
#[derive(Debug, Deserialize, IntoParams)]
pub struct RangeQuery {
    /// Start, Unix ms.
    pub from: i64,
    /// End, Unix ms (at most 7 days after `from`).
    pub to: i64,
}

/// Recorded spans.
#[derive(Debug, Serialize, ToSchema)]
pub struct Timeline {
    /// Continuous stretches of recording, oldest first.
    #[schema(value_type = Vec<Object>)]
    pub spans: Vec<Span>,
}

/// Recorded spans of a camera between `from` and `to`, for the scrubber.
#[utoipa::path(get, path = "/api/v1/cameras/{id}/recordings/timeline", tag = "recordings",
    params(("id" = i64, Path, description = "camera id"), RangeQuery),
    responses((status = 200, body = Timeline), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn timeline(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppPath(id): AppPath<i64>,
    AppQuery(q): AppQuery<RangeQuery>,
) -> ApiResult<Json<Timeline>> {
    let spans = state
        .recordings
        .timeline(
            who.account.id,
            CameraId(id),
            Timestamp(q.from),
            Timestamp(q.to),
        )
        .await?;
    Ok(Json(Timeline { spans }))
}

/// An HLS (fMP4) VOD playlist of the range; audited as a playback.
#[utoipa::path(get, path = "/api/v1/cameras/{id}/recordings.m3u8", tag = "recordings",
    params(("id" = i64, Path, description = "camera id"), RangeQuery),
    responses((status = 200, description = "application/vnd.apple.mpegurl playlist"),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn playlist(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppPath(id): AppPath<i64>,
    AppQuery(q): AppQuery<RangeQuery>,
) -> ApiResult<Response> {
    let text = state
        .recordings
        .playlist(
            who.account.id,
            CameraId(id),
            Timestamp(q.from),
            Timestamp(q.to),
        )
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/vnd.apple.mpegurl"),
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        text,
    )
        .into_response())
}

/// An init segment (`{init}.mp4`, or `{init}-noaudio.mp4` for segments
/// stored without audio).
#[utoipa::path(get, path = "/api/v1/cameras/{id}/recordings/inits/{name}", tag = "recordings",
    params(("id" = i64, Path, description = "camera id"),
           ("name" = String, Path, description = "`12.mp4` or `12-noaudio.mp4`")),
    responses((status = 200, description = "video/mp4 init segment"),
              (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn init(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppPath((id, name)): AppPath<(i64, String)>,
) -> ApiResult<Response> {
    let stem = name
        .strip_suffix(".mp4")
        .ok_or(domain::Error::NotFound("init"))?;
    let (init_id, audio) = match stem.strip_suffix("-noaudio") {
        Some(n) => (n, false),
        None => (stem, true),
    };
    let init_id = init_id
        .parse()
        .map_err(|_| domain::Error::NotFound("init"))?;
    let bytes = state
        .recordings
        .playback_init(who.account.id, CameraId(id), init_id, audio)
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "video/mp4"),
            (header::CACHE_CONTROL, "private, max-age=3600"),
        ],
        bytes.as_ref().clone(),
    )
        .into_response())
}

/// Parses a single `bytes=a-b`, `bytes=a-` or `bytes=-n` range against a
/// length; None when absent; an error when unsatisfiable.
pub(crate) fn parse_range(headers: &HeaderMap, len: u64) -> Result<Option<(u64, u64)>, ()> {
    let Some(value) = headers.get(header::RANGE) else {
        return Ok(None);
    };
    let spec = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("bytes="))
        .ok_or(())?;
    if spec.contains(',') {
        // Multipart ranges are not worth their complexity for video.
        return Err(());
    }
    let (a, b) = spec.split_once('-').ok_or(())?;
    let (start, end) = match (a.trim(), b.trim()) {
        ("", n) => {
            let n: u64 = n.parse().map_err(|_| ())?;
            (len.saturating_sub(n), len)
        }
        (a, "") => (a.parse().map_err(|_| ())?, len),
        (a, b) => {
            let last: u64 = b.parse().map_err(|_| ())?;
            (a.parse().map_err(|_| ())?, last.saturating_add(1).min(len))
        }
    };
    if start >= end || start >= len {
        return Err(());
    }
    Ok(Some((start, end)))
}

/// `416` for a range outside a `what` of `total` bytes, saying its length.
pub(crate) fn range_not_satisfiable(what: &str, total: u64) -> Response {
    let mut r = ApiError::new(
        StatusCode::RANGE_NOT_SATISFIABLE,
        "range_not_satisfiable",
        format!("the requested byte range is outside the {what}"),
    )
    .into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("bytes */{total}")) {
        r.headers_mut().insert(header::CONTENT_RANGE, v);
    }
    r
}

/// A media segment (`{segment}.m4s`), decrypted on the fly; honours a
/// single `Range` and then decrypts only the chunks it covers.
#[utoipa::path(get, path = "/api/v1/cameras/{id}/recordings/segments/{name}", tag = "recordings",
    params(("id" = i64, Path, description = "camera id"),
           ("name" = String, Path, description = "`34.m4s`")),
    responses((status = 200, description = "video/iso.segment"),
              (status = 206, description = "the requested range"),
              (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 416, body = ErrorBody)))]
pub async fn segment(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppPath((id, name)): AppPath<(i64, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let seg: i64 = name
        .strip_suffix(".m4s")
        .and_then(|n| n.parse().ok())
        .ok_or(domain::Error::NotFound("segment"))?;
    let (camera, who) = (CameraId(id), who.account.id);
    let wants_range = headers.contains_key(header::RANGE);
    let (total, _, whole) = if wants_range {
        // The length is needed to resolve the range; read just the header.
        state
            .recordings
            .segment_bytes(who, camera, seg, Some((0, 0)))
            .await?
    } else {
        state
            .recordings
            .segment_bytes(who, camera, seg, None)
            .await?
    };
    let Ok(range) = parse_range(&headers, total) else {
        return Ok(range_not_satisfiable("segment", total));
    };
    let mut response = match range {
        None => (StatusCode::OK, whole).into_response(),
        Some((start, end)) => {
            let (_, _, bytes) = state
                .recordings
                .segment_bytes(who, camera, seg, Some((start, end)))
                .await?;
            let mut r = (StatusCode::PARTIAL_CONTENT, bytes).into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{}/{total}", end - 1)) {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            r
        }
    };
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("video/iso.segment"),
    );
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    Ok(response)
}

/// One MP4 file of the range (the first recording session in it),
/// streamed segment by segment; audited as a download.
#[utoipa::path(get, path = "/api/v1/cameras/{id}/recordings/download.mp4", tag = "recordings",
    params(("id" = i64, Path, description = "camera id"), RangeQuery),
    responses((status = 200, description = "video/mp4"), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn download(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppPath(id): AppPath<i64>,
    AppQuery(q): AppQuery<RangeQuery>,
) -> ApiResult<Response> {
    let plan = state
        .recordings
        .download(
            who.account.id,
            CameraId(id),
            Timestamp(q.from),
            Timestamp(q.to),
        )
        .await?;
    let first = Ok::<_, std::io::Error>(plan.init.as_ref().clone());
    let recordings = state.recordings.clone();
    let rest = futures_util::stream::unfold((plan, 0usize), move |(plan, i)| {
        let recordings = recordings.clone();
        async move {
            if i >= plan.segments.len() {
                return None;
            }
            let part = recordings
                .download_part(&plan, i)
                .await
                .map_err(std::io::Error::other);
            Some((part, (plan, i + 1)))
        }
    });
    let body = Body::from_stream(futures_util::StreamExt::chain(
        futures_util::stream::iter([first]),
        rest,
    ));
    let name = format!(
        "attachment; filename=\"camera-{id}-{}.mp4\"",
        rfc3339(Timestamp(q.from)).replace(':', "-")
    );
    let mut response = (StatusCode::OK, body).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("video/mp4"));
    if let Ok(v) = HeaderValue::from_str(&name) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

/// An event to keep video around (events-mode recording).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventMark {
    /// When it happened, Unix ms.
    pub at_ms: i64,
}

/// The window kept around it.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventWindowView {
    /// Window id.
    pub id: i64,
    /// Start, Unix ms (event minus pre-roll).
    pub start_ms: i64,
    /// End, Unix ms (event plus post-roll).
    pub end_ms: i64,
}

/// Marks an event window: in events mode, video within it is kept and
/// video outside every window is purged. Owner or operator.
#[utoipa::path(post, path = "/api/v1/cameras/{id}/event-windows", tag = "recordings",
    params(("id" = i64, Path, description = "camera id")), request_body = EventMark,
    responses((status = 201, body = EventWindowView), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn mark_event(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppPath(id): AppPath<i64>,
    AppJson(req): AppJson<EventMark>,
) -> ApiResult<(StatusCode, Json<EventWindowView>)> {
    let w = state
        .recordings
        .mark_event(who.account.id, CameraId(id), Timestamp(req.at_ms))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(EventWindowView {
            id: w.id,
            start_ms: w.start.ms(),
            end_ms: w.end.ms(),
        }),
    ))
}

/// How long a camera's recordings are kept.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetentionChange {
    /// Days (1–3650); null returns to the instance default.
    pub days: Option<i64>,
}

/// Sets a camera's retention; owner only.
#[utoipa::path(put, path = "/api/v1/cameras/{id}/retention", tag = "recordings",
    params(("id" = i64, Path, description = "camera id")), request_body = RetentionChange,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn set_retention(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppPath(id): AppPath<i64>,
    AppJson(req): AppJson<RetentionChange>,
) -> ApiResult<StatusCode> {
    state
        .recordings
        .set_retention(who.account.id, CameraId(id), req.days)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One access to the caller's data.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccessEntry {
    /// Who (account id; null for the system).
    pub actor_id: Option<i64>,
    /// In what capacity.
    pub role: String,
    /// What was done, e.g. `recording.playback`.
    pub action: String,
    /// To what.
    pub object: String,
    /// Why, when the access was not the person's own request.
    pub reason: Option<String>,
    /// When (RFC 3339).
    pub at: String,
}

/// Who accessed the caller's personal data (recordings played or
/// downloaded, by them or by people they share with), newest first.
#[utoipa::path(get, path = "/api/v1/me/access-log", tag = "recordings",
    responses((status = 200, body = Vec<AccessEntry>), (status = 401, body = ErrorBody)))]
pub async fn access_log(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
) -> ApiResult<Json<Vec<AccessEntry>>> {
    let entries = state.recordings.access_log(who.account.id, 200).await?;
    Ok(Json(
        entries
            .into_iter()
            .map(|e| AccessEntry {
                actor_id: e.actor.map(|a| a.0),
                role: e.role,
                action: e.action,
                object: e.object,
                reason: e.reason,
                at: rfc3339(e.at),
            })
            .collect(),
    ))
}
