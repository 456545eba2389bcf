//! Formal rights requests (F7): people file them; administrators move them
//! through received → verified → in progress → completed | refused.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use domain::privacy::requests::{RequestKind, RequestState, RightsRequest};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AdminUser, AppJson, AppPath, CurrentUser};
use crate::state::AppState;
use crate::time_fmt::rfc3339;

/// A new request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRequest {
    /// `access`, `correction`, `erasure`, `portability`, `restriction`, `objection` or `other`.
    pub kind: String,
    /// What the person asks for, in their words.
    pub details: String,
}

/// A step change by an administrator.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StateChange {
    /// `verified`, `in_progress`, `completed` or `refused`.
    pub state: String,
    /// Why; required for `refused`.
    #[serde(default)]
    pub reason: Option<String>,
}

/// One step of a request's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct StepView {
    /// The state it moved to.
    pub state: &'static str,
    /// Why, if given.
    pub reason: Option<String>,
    /// When (RFC 3339).
    pub at: String,
}

/// A request as its requester and administrators see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestView {
    /// Its id.
    pub id: i64,
    /// Who made it (account id).
    pub account_id: i64,
    /// What for.
    pub kind: &'static str,
    /// Their words.
    pub details: String,
    /// Where it stands.
    pub state: &'static str,
    /// The reason of the last step, if given (always for a refusal).
    pub reason: Option<String>,
    /// When an answer is due (RFC 3339).
    pub due_at: String,
    /// Open and past its deadline.
    pub overdue: bool,
    /// Open and due within a week.
    pub due_soon: bool,
    /// The earlier identical request this repeats.
    pub repeat_of: Option<i64>,
    /// When it was made (RFC 3339).
    pub created_at: String,
    /// Its history, oldest first.
    pub steps: Vec<StepView>,
}

pub(crate) async fn view(state: &AppState, r: RightsRequest) -> ApiResult<RequestView> {
    let steps = state.requests.steps(r.id).await?;
    Ok(RequestView {
        overdue: state.requests.is_overdue(&r),
        due_soon: state.requests.is_due_soon(&r),
        id: r.id,
        account_id: r.account_id.0,
        kind: r.kind.as_str(),
        details: r.details,
        state: r.state.as_str(),
        reason: r.reason,
        due_at: rfc3339(r.due_at),
        repeat_of: r.repeat_of,
        created_at: rfc3339(r.created_at),
        steps: steps
            .into_iter()
            .map(|s| StepView {
                state: s.state.as_str(),
                reason: s.reason,
                at: rfc3339(s.at),
            })
            .collect(),
    })
}

/// Files a request about the caller's data.
#[utoipa::path(post, path = "/api/v1/me/requests", tag = "privacy", request_body = NewRequest,
    responses((status = 201, body = RequestView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppJson(req): AppJson<NewRequest>,
) -> ApiResult<(StatusCode, Json<RequestView>)> {
    let kind = RequestKind::parse(&req.kind)?;
    let r = state
        .requests
        .submit(who.account.id, kind, &req.details)
        .await?;
    Ok((StatusCode::CREATED, Json(view(&state, r).await?)))
}

/// The caller's requests, newest first, with their history.
#[utoipa::path(get, path = "/api/v1/me/requests", tag = "privacy",
    responses((status = 200, body = Vec<RequestView>), (status = 401, body = ErrorBody)))]
pub async fn mine(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
) -> ApiResult<Json<Vec<RequestView>>> {
    let mut out = Vec::new();
    for r in state.requests.mine(who.account.id).await? {
        out.push(view(&state, r).await?);
    }
    Ok(Json(out))
}

/// Open requests, soonest due first (administrators).
#[utoipa::path(get, path = "/api/v1/admin/requests", tag = "privacy",
    responses((status = 200, body = Vec<RequestView>), (status = 403, body = ErrorBody)))]
pub async fn queue(
    State(state): State<AppState>,
    _admin: AdminUser,
) -> ApiResult<Json<Vec<RequestView>>> {
    let mut out = Vec::new();
    for r in state.requests.queue().await? {
        out.push(view(&state, r).await?);
    }
    Ok(Json(out))
}

/// Moves a request on (administrators); a refusal needs a reason.
#[utoipa::path(post, path = "/api/v1/admin/requests/{id}/state", tag = "privacy",
    params(("id" = i64, Path, description = "request id")), request_body = StateChange,
    responses((status = 200, body = RequestView), (status = 400, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn advance(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    AppPath(id): AppPath<i64>,
    AppJson(change): AppJson<StateChange>,
) -> ApiResult<Json<RequestView>> {
    let to = RequestState::parse(&change.state)?;
    let r = state
        .requests
        .advance(admin.account.id, id, to, change.reason.as_deref())
        .await?;
    Ok(Json(view(&state, r).await?))
}
