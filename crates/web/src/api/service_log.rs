//! The service log as people see it (their sign-ins and failed attempts),
//! and the retention engine's dry run for administrators (F15, F9).

use axum::extract::State;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AdminUser, CurrentUser};
use crate::state::AppState;
use crate::time_fmt::rfc3339;

/// One sign-in or failed attempt.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityView {
    /// When (RFC 3339).
    pub at: String,
    /// `sign_in` or `sign_in_failed`.
    pub kind: String,
    /// The address it came from; its host part is dropped after a few days.
    pub ip: String,
    /// The browser.
    pub user_agent: Option<String>,
}

/// What one retention rule would remove or change now.
#[derive(Debug, Serialize, ToSchema)]
pub struct RetentionItemView {
    /// The table.
    pub class: &'static str,
    /// The rule in words.
    pub rule: String,
    /// Rows it covers now.
    pub count: u64,
}

/// The caller's latest sign-ins and failed attempts, newest first.
#[utoipa::path(get, path = "/api/v1/me/activity", tag = "privacy",
    responses((status = 200, body = Vec<ActivityView>), (status = 401, body = ErrorBody)))]
pub async fn activity(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
) -> ApiResult<Json<Vec<ActivityView>>> {
    let events = state.accounts.activity(who.account.id).await?;
    Ok(Json(
        events
            .into_iter()
            .map(|e| ActivityView {
                at: rfc3339(e.at),
                kind: e.kind,
                ip: e.ip,
                user_agent: e.user_agent,
            })
            .collect(),
    ))
}

/// What the retention rules would remove or truncate if they ran now
/// (administrators; a dry run that changes nothing).
#[utoipa::path(get, path = "/api/v1/admin/retention", tag = "privacy",
    responses((status = 200, body = Vec<RetentionItemView>), (status = 403, body = ErrorBody)))]
pub async fn dry_run(
    State(state): State<AppState>,
    _admin: AdminUser,
) -> ApiResult<Json<Vec<RetentionItemView>>> {
    let items = state.retention.run(true).await?;
    Ok(Json(
        items
            .into_iter()
            .map(|i| RetentionItemView {
                class: i.class,
                rule: i.rule,
                count: i.count,
            })
            .collect(),
    ))
}
