//! The usage-statistics report (F14): page views per day, keyed by the
//! random installation id, with nothing about any person.

use axum::extract::State;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::AdminUser;
use crate::state::AppState;

/// One day's views of one page.
#[derive(Debug, Serialize, ToSchema)]
pub struct UsageCountView {
    /// UTC day, `YYYY-MM-DD`.
    pub day: String,
    /// The page's route, e.g. `/cameras/{id}`.
    pub feature: String,
    /// Views.
    pub count: i64,
}

/// The report.
#[derive(Debug, Serialize, ToSchema)]
pub struct UsageReportView {
    /// A random id made once per installation.
    pub installation_id: String,
    /// Every count kept, oldest first.
    pub counts: Vec<UsageCountView>,
}

/// The usage report (administrators): what this installation would share.
#[utoipa::path(get, path = "/api/v1/admin/usage", tag = "privacy",
    responses((status = 200, body = UsageReportView), (status = 403, body = ErrorBody)))]
pub async fn report(
    State(state): State<AppState>,
    _admin: AdminUser,
) -> ApiResult<Json<UsageReportView>> {
    let r = state.usage.report().await?;
    Ok(Json(UsageReportView {
        installation_id: r.installation_id,
        counts: r
            .counts
            .into_iter()
            .map(|c| UsageCountView {
                day: c.day,
                feature: c.feature,
                count: c.count,
            })
            .collect(),
    }))
}
