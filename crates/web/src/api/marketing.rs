//! Marketing mail (F2): administrators send news to the people who opted
//! in; every mail unsubscribes in one click without signing in.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{public_base, AdminUser, AppJson};
use crate::state::AppState;

/// A marketing mail.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Newsletter {
    /// Subject line, 1–200 characters.
    pub subject: String,
    /// Plain text; the unsubscribe link is appended.
    pub body: String,
}

/// How many people it went to.
#[derive(Debug, Serialize, ToSchema)]
pub struct Sent {
    /// Mails handed to the mail server.
    pub sent: usize,
}

/// Sends a mail to everyone whose marketing consent is granted now
/// (administrators).
#[utoipa::path(post, path = "/api/v1/admin/marketing", tag = "privacy", request_body = Newsletter,
    responses((status = 200, body = Sent), (status = 400, body = ErrorBody),
              (status = 403, body = ErrorBody)))]
pub async fn send(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    headers: HeaderMap,
    AppJson(mail): AppJson<Newsletter>,
) -> ApiResult<Json<Sent>> {
    let base = public_base(&state, &headers);
    let sent = state
        .marketing
        .send(admin.account.id, &mail.subject, &mail.body, &base)
        .await?;
    Ok(Json(Sent { sent }))
}
