//! Self-service access (F6): everything held about the caller, per table
//! of the data inventory.

use axum::extract::State;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::CurrentUser;
use crate::state::AppState;

/// One kind of data held about the caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct HeldView {
    /// The table.
    pub table: &'static str,
    /// What one row is.
    pub holds: &'static str,
    /// Why it is kept.
    pub purpose: &'static str,
    /// For how long.
    pub retention: &'static str,
    /// Rows that are the caller's.
    pub rows: u64,
}

/// Everything held about the caller: each table with rows of theirs.
#[utoipa::path(get, path = "/api/v1/me/data", tag = "privacy",
    responses((status = 200, body = Vec<HeldView>), (status = 401, body = ErrorBody)))]
pub async fn mine(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
) -> ApiResult<Json<Vec<HeldView>>> {
    let held = state.holdings.about(who.account.id).await?;
    Ok(Json(
        held.into_iter()
            .map(|h| HeldView {
                table: h.table.name,
                holds: h.table.holds,
                purpose: h.table.purpose.describe(),
                retention: h.table.retention,
                rows: h.rows,
            })
            .collect(),
    ))
}
