//! Search over events and recordings (C7), and the searcher's own history.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use domain::clock::Timestamp;
use domain::events::search::SearchRequest;
use domain::ids::CameraId;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::events::EventView;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{AppJson, AppQuery, CurrentUser};
use crate::state::AppState;

/// Search parameters.
#[derive(Debug, Deserialize, IntoParams)]
pub struct SearchQuery {
    /// Words matched against camera names and event labels.
    pub q: Option<String>,
    /// Camera ids, comma-separated (default: every camera you may see).
    pub cameras: Option<String>,
    /// From, Unix ms.
    pub from: i64,
    /// To, Unix ms (at most a year after `from`).
    pub to: i64,
    /// Event types, comma-separated.
    pub types: Option<String>,
    /// An exact label.
    pub label: Option<String>,
    /// `next` from the previous page.
    pub cursor: Option<String>,
    /// Page size (default 50, at most 200).
    pub limit: Option<i64>,
}

/// Recorded stretches of one camera.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordingHit {
    /// Camera id.
    pub camera_id: i64,
    /// Camera name.
    pub camera_name: String,
    /// Stretches (`start_ms`, `end_ms`).
    #[schema(value_type = Vec<Object>)]
    pub spans: Vec<domain::recordings::Span>,
}

/// One page of results.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchPage {
    /// Matching events, newest first.
    pub events: Vec<EventView>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next: Option<String>,
    /// Recordings of matching cameras (first page, when not filtering by type or label).
    pub recordings: Vec<RecordingHit>,
}

fn list<T: std::str::FromStr>(field: &'static str, v: Option<&str>) -> Result<Vec<T>, ApiError> {
    v.map(|s| {
        s.split(',')
            .filter(|p| !p.trim().is_empty())
            .map(|p| {
                p.trim().parse().map_err(|_| {
                    ApiError::from(domain::Error::invalid(field, "a comma-separated list"))
                })
            })
            .collect()
    })
    .unwrap_or_else(|| Ok(Vec::new()))
}

/// Searches events and recordings of the cameras you may see.
#[utoipa::path(get, path = "/api/v1/search", tag = "events", params(SearchQuery),
    responses((status = 200, body = SearchPage), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn search(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppQuery(q): AppQuery<SearchQuery>,
) -> ApiResult<Json<SearchPage>> {
    let before = match q.cursor.as_deref() {
        None => None,
        Some(c) => Some(
            c.split_once(':')
                .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)))
                .ok_or_else(|| {
                    ApiError::from(domain::Error::invalid(
                        "cursor",
                        "use `next` from the previous page",
                    ))
                })?,
        ),
    };
    let results = state
        .events
        .search(
            who.account.id,
            SearchRequest {
                text: q.q,
                cameras: list::<i64>("cameras", q.cameras.as_deref())?
                    .into_iter()
                    .map(CameraId)
                    .collect(),
                from: Timestamp(q.from),
                to: Timestamp(q.to),
                kinds: list("types", q.types.as_deref())?,
                label: q.label,
                before,
                limit: q.limit.unwrap_or(50),
            },
        )
        .await?;
    Ok(Json(SearchPage {
        events: results.events.iter().map(EventView::from).collect(),
        next: results.next.map(|(at, id)| format!("{at}:{id}")),
        recordings: results
            .recordings
            .into_iter()
            .map(|r| RecordingHit {
                camera_id: r.camera_id.0,
                camera_name: r.camera_name,
                spans: r.spans,
            })
            .collect(),
    }))
}

/// The caller's search history.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchHistory {
    /// Whether searches are remembered.
    pub enabled: bool,
    /// Recent search texts, newest first.
    pub recent: Vec<String>,
}

/// The caller's recent searches and whether they are kept.
#[utoipa::path(get, path = "/api/v1/me/searches", tag = "events",
    responses((status = 200, body = SearchHistory), (status = 401, body = ErrorBody)))]
pub async fn history(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
) -> ApiResult<Json<SearchHistory>> {
    let who = who.account.id;
    Ok(Json(SearchHistory {
        enabled: state.events.search_history_enabled(who).await?,
        recent: state.events.recent_searches(who).await?,
    }))
}

/// Forgets the caller's searches.
#[utoipa::path(delete, path = "/api/v1/me/searches", tag = "events",
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn clear(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
) -> ApiResult<StatusCode> {
    state.events.clear_searches(who.account.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Whether to keep search history.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HistorySwitch {
    /// Keep recent searches; false also forgets the ones kept.
    pub history: bool,
}

/// Switches keeping the caller's search history.
#[utoipa::path(put, path = "/api/v1/me/search-settings", tag = "events",
    request_body = HistorySwitch,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn settings(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppJson(req): AppJson<HistorySwitch>,
) -> ApiResult<StatusCode> {
    state
        .events
        .set_search_history(who.account.id, req.history)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
