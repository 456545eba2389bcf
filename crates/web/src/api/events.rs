//! Events and alerts: cameras report events (with a JPEG snapshot);
//! people list them, view snapshots, follow the in-app alert stream (SSE)
//! and choose how they are alerted (D1).

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Multipart, State};
use axum::http::{header, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use domain::clock::Timestamp;
use domain::events::ingest::EventInput;
use domain::events::prefs::{AlertSettings, Preferences};
use domain::events::Event;
use domain::ids::CameraId;
use futures_util::stream::Stream;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::error::RecvError;
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{AppJson, AppPath, AppQuery, CurrentUser, DeviceCaller};
use crate::state::AppState;
use crate::time_fmt::rfc3339;

/// An event as people see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    /// Event id.
    pub id: i64,
    /// Camera id.
    pub camera_id: i64,
    /// `motion`, `person`…
    #[serde(rename = "type")]
    pub kind: String,
    /// The camera's time of the event, Unix ms.
    pub at_ms: i64,
    /// The same, RFC 3339.
    pub at: String,
    /// Confidence 0–1.
    pub score: Option<f64>,
    /// Box in the picture (fractions).
    #[schema(value_type = Option<Object>)]
    pub region: Option<domain::events::Region>,
    /// Search words.
    pub labels: Vec<String>,
    /// Snapshot URL, when one was kept.
    pub snapshot_url: Option<String>,
}

impl From<&Event> for EventView {
    fn from(e: &Event) -> Self {
        EventView {
            id: e.id,
            camera_id: e.camera_id.0,
            kind: e.kind.clone(),
            at_ms: e.at.ms(),
            at: rfc3339(e.at),
            score: e.score,
            region: e.region,
            labels: e.labels.clone(),
            snapshot_url: e.snapshot_key.as_ref().map(|_| {
                format!(
                    "/api/v1/cameras/{}/events/{}/snapshot.jpg",
                    e.camera_id, e.id
                )
            }),
        }
    }
}

fn invalid_multipart(what: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid_body",
        format!("multipart body: {what}"),
    )
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            "request body is larger than allowed",
        )
    } else {
        invalid_multipart(e.body_text())
    }
}

/// Reads a multipart body: an `event` part (JSON) and an optional
/// `snapshot` part (image/jpeg).
async fn read_multipart(mut form: Multipart) -> Result<(EventInput, Option<Vec<u8>>), ApiError> {
    let mut input = None;
    let mut snapshot = None;
    while let Some(field) = form.next_field().await.map_err(multipart_error)? {
        match field.name() {
            Some("event") => {
                let bytes = field.bytes().await.map_err(multipart_error)?;
                input = Some(serde_json::from_slice::<EventInput>(&bytes).map_err(|e| {
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "invalid_body",
                        format!("event: {e}"),
                    )
                })?);
            }
            Some("snapshot") => {
                let bytes = field.bytes().await.map_err(multipart_error)?;
                snapshot = Some(bytes.to_vec());
            }
            _ => {
                return Err(invalid_multipart(
                    "only the parts `event` and `snapshot` are allowed",
                ))
            }
        }
    }
    let input = input.ok_or_else(|| invalid_multipart("the `event` part is missing"))?;
    Ok((input, snapshot))
}

/// Reports an event: JSON (`{"type","at_ms","score"?,"region"?,"labels"?}`),
/// or multipart with that JSON as part `event` and a JPEG as part `snapshot`.
#[utoipa::path(post, path = "/api/v1/device/events", tag = "device",
    request_body(content = Object, description = "JSON event, or multipart/form-data with parts `event` (JSON) and `snapshot` (image/jpeg, at most 2 MiB)"),
    responses((status = 201, body = EventView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody),
              (status = 403, description = "camera_unbound", body = ErrorBody),
              (status = 409, description = "privacy_mode", body = ErrorBody),
              (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
              (status = 422, description = "invalid_media: the snapshot is not a JPEG", body = ErrorBody)))]
pub async fn report(
    State(state): State<AppState>,
    DeviceCaller(camera): DeviceCaller,
    request: axum::extract::Request,
) -> ApiResult<(StatusCode, Json<EventView>)> {
    let (input, snapshot) = read_event_body(request).await?;
    let event = state.events.record(&camera, input, snapshot).await?;
    Ok((StatusCode::CREATED, Json(EventView::from(&event))))
}

/// Reads a camera's event report: JSON, or multipart with an `event` part
/// and an optional `snapshot` part (the fuzzing targets call this too).
pub async fn read_event_body(
    request: axum::extract::Request,
) -> ApiResult<(EventInput, Option<Vec<u8>>)> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.starts_with("multipart/form-data") {
        let form = <Multipart as axum::extract::FromRequest<()>>::from_request(request, &())
            .await
            .map_err(|e| invalid_multipart(e.body_text()))?;
        read_multipart(form).await
    } else {
        let AppJson(input) =
            <AppJson<EventInput> as axum::extract::FromRequest<()>>::from_request(request, &())
                .await?;
        Ok((input, None))
    }
}

/// A time range and page size.
#[derive(Debug, Deserialize, IntoParams)]
pub struct EventsQuery {
    /// Start, Unix ms.
    pub from: i64,
    /// End, Unix ms.
    pub to: i64,
    /// At most this many, newest first (default 100, at most 500).
    pub limit: Option<i64>,
}

/// A camera's events in a time range, newest first.
#[utoipa::path(get, path = "/api/v1/cameras/{id}/events", tag = "events",
    params(("id" = i64, Path, description = "camera id"), EventsQuery),
    responses((status = 200, body = Vec<EventView>), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppPath(id): AppPath<i64>,
    AppQuery(q): AppQuery<EventsQuery>,
) -> ApiResult<Json<Vec<EventView>>> {
    let events = state
        .events
        .list(
            who.account.id,
            CameraId(id),
            Timestamp(q.from),
            Timestamp(q.to),
            q.limit.unwrap_or(100),
        )
        .await?;
    Ok(Json(events.iter().map(EventView::from).collect()))
}

/// An event's snapshot (decrypted); each view is in the owner's access log.
#[utoipa::path(get, path = "/api/v1/cameras/{id}/events/{event_id}/snapshot.jpg", tag = "events",
    params(("id" = i64, Path, description = "camera id"), ("event_id" = i64, Path, description = "event id")),
    responses((status = 200, description = "image/jpeg"), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn snapshot(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppPath((id, event)): AppPath<(i64, i64)>,
) -> ApiResult<Response> {
    let jpeg = state
        .events
        .snapshot(who.account.id, CameraId(id), event)
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/jpeg"),
            (header::CACHE_CONTROL, "private, max-age=3600"),
        ],
        jpeg,
    )
        .into_response())
}

/// The caller's in-app alert stream (server-sent events): each alert is an
/// `alert` event whose data is JSON (event id, camera, type, time).
#[utoipa::path(get, path = "/api/v1/me/alerts/stream", tag = "events",
    responses((status = 200, description = "text/event-stream"), (status = 401, body = ErrorBody)))]
pub async fn stream(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let rx = state.events.hub().subscribe(who.account.id);
    let events = futures_util::stream::unfold(rx, |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(alert) => {
                    let event = SseEvent::default()
                        .event("alert")
                        .json_data(&alert)
                        // A plain struct of numbers and strings always serialises.
                        .unwrap_or_else(|_| SseEvent::default().comment("alert"));
                    return Some((Ok(event), rx));
                }
                // A slow reader skipped some alerts; the list API has them all.
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

/// Switch changes for one camera: any of `all`, `in_app`, `email`, `push`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferencesChange {
    /// Alerts from this camera at all (D1: off means nothing is pushed).
    pub all: Option<bool>,
    /// The in-app stream.
    pub in_app: Option<bool>,
    /// Email.
    pub email: Option<bool>,
    /// Web Push.
    pub push: Option<bool>,
}

/// The caller's alert switches for a camera.
#[utoipa::path(get, path = "/api/v1/cameras/{id}/alert-preferences", tag = "events",
    params(("id" = i64, Path, description = "camera id")),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody)))]
pub async fn preferences(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppPath(id): AppPath<i64>,
) -> ApiResult<Json<Preferences>> {
    Ok(Json(
        state
            .events
            .preferences(who.account.id, CameraId(id))
            .await?,
    ))
}

/// Changes the caller's alert switches for a camera (only the ones given).
#[utoipa::path(put, path = "/api/v1/cameras/{id}/alert-preferences", tag = "events",
    params(("id" = i64, Path, description = "camera id")), request_body = PreferencesChange,
    responses((status = 200, body = Object), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn set_preferences(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppPath(id): AppPath<i64>,
    AppJson(change): AppJson<PreferencesChange>,
) -> ApiResult<Json<Preferences>> {
    let (who, camera) = (who.account.id, CameraId(id));
    let mut prefs = state.events.preferences(who, camera).await?;
    for (channel, value) in [
        ("all", change.all),
        ("in_app", change.in_app),
        ("email", change.email),
        ("push", change.push),
    ] {
        if let Some(on) = value {
            prefs = state
                .events
                .set_preference(who, camera, channel, on)
                .await?;
        }
    }
    Ok(Json(prefs))
}

/// The caller's quiet hours and alert-mail choice.
#[utoipa::path(get, path = "/api/v1/me/alert-settings", tag = "events",
    responses((status = 200, body = Object), (status = 401, body = ErrorBody)))]
pub async fn settings(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
) -> ApiResult<Json<AlertSettings>> {
    Ok(Json(state.events.alert_settings(who.account.id).await?))
}

/// Replaces the caller's quiet hours (`HH:MM` start and end, IANA
/// `time_zone`) and whether alert mails carry the snapshot.
#[utoipa::path(put, path = "/api/v1/me/alert-settings", tag = "events",
    request_body(content = Object, description = "quiet_start, quiet_end, time_zone, snapshot_in_email"),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody)))]
pub async fn save_settings(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppJson(settings): AppJson<AlertSettings>,
) -> ApiResult<Json<AlertSettings>> {
    state
        .events
        .save_alert_settings(who.account.id, settings)
        .await?;
    Ok(Json(state.events.alert_settings(who.account.id).await?))
}

/// One alert delivery.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    /// The event.
    pub event_id: i64,
    /// `email`, `push`…
    pub channel: String,
    /// `sent`, `failed`, `expired`, `skipped_quiet_hours`, `skipped_cooldown`, `no_address`.
    pub status: String,
    /// Why it failed.
    pub detail: Option<String>,
    /// When (RFC 3339).
    pub at: String,
}

/// The caller's latest alert deliveries, newest first.
#[utoipa::path(get, path = "/api/v1/me/alert-deliveries", tag = "events",
    responses((status = 200, body = Vec<DeliveryView>), (status = 401, body = ErrorBody)))]
pub async fn deliveries(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
) -> ApiResult<Json<Vec<DeliveryView>>> {
    let list = state.events.deliveries(who.account.id, 200).await?;
    Ok(Json(
        list.into_iter()
            .map(|d| DeliveryView {
                event_id: d.event_id,
                channel: d.channel,
                status: d.status,
                detail: d.detail,
                at: rfc3339(d.at),
            })
            .collect(),
    ))
}
