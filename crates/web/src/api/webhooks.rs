//! Event webhooks: owners register URLs that receive their cameras' events
//! as signed JSON POSTs, and read each webhook's delivery log.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use domain::events::webhooks::{DeliveryState, Webhook, WebhookAttempt, WebhookInput};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AppJson, AppPath, AppQuery, CurrentUser};
use crate::state::AppState;
use crate::time_fmt::rfc3339;

/// A webhook to register.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// An http:// or https:// URL with a host.
    pub url: String,
    /// Only events of these cameras of yours; leave out for all of them,
    /// including cameras you add later.
    pub camera_ids: Option<Vec<i64>>,
    /// Only events of these types (`motion`, `person`…); leave out for all.
    pub event_types: Option<Vec<String>>,
}

/// A webhook (never its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookView {
    /// Webhook id.
    pub id: i64,
    /// Where events are POSTed.
    pub url: String,
    /// Camera filter; null means all of your cameras.
    pub camera_ids: Option<Vec<i64>>,
    /// Event type filter; null means all types.
    pub event_types: Option<Vec<String>>,
    /// Registered (RFC 3339).
    pub created_at: String,
}

impl From<&Webhook> for WebhookView {
    fn from(w: &Webhook) -> Self {
        WebhookView {
            id: w.id,
            url: w.url.clone(),
            camera_ids: (!w.camera_ids.is_empty())
                .then(|| w.camera_ids.iter().map(|c| c.0).collect()),
            event_types: (!w.event_types.is_empty()).then(|| w.event_types.clone()),
            created_at: rfc3339(w.created_at),
        }
    }
}

/// A just-registered webhook with its signing secret: the only time the
/// secret is shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedWebhook {
    /// The webhook.
    #[serde(flatten)]
    pub webhook: WebhookView,
    /// Verify `X-Camvault-Signature` with it: `sha256=` followed by the hex
    /// HMAC-SHA256, keyed with this whole string, of
    /// `"<X-Camvault-Timestamp>.<body>"`.
    pub secret: String,
}

/// One delivery attempt.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptView {
    /// The event delivered.
    pub event_id: i64,
    /// 1 for the first attempt.
    pub attempt: i64,
    /// The receiver's HTTP status, if it answered.
    pub status_code: Option<u16>,
    /// Why there was no answer (timeout, connection failed…).
    pub error: Option<String>,
    /// How long the attempt took, in ms.
    pub duration_ms: i64,
    /// When it was made (RFC 3339).
    pub at: String,
    /// When the next attempt is due (RFC 3339), if one will be made.
    pub next_retry_at: Option<String>,
    /// The delivery after this attempt: `retrying`, `delivered` or `failed`.
    pub state: &'static str,
}

impl From<&WebhookAttempt> for AttemptView {
    fn from(a: &WebhookAttempt) -> Self {
        AttemptView {
            event_id: a.event_id,
            attempt: a.attempt,
            status_code: a.status_code,
            error: a.error.clone(),
            duration_ms: a.duration_ms,
            at: rfc3339(a.at),
            next_retry_at: a.next_retry_at.map(rfc3339),
            state: match a.state {
                DeliveryState::Pending => "retrying",
                DeliveryState::Delivered => "delivered",
                DeliveryState::Failed => "failed",
            },
        }
    }
}

/// Registers a webhook for your cameras' events (at most 10 per account).
#[utoipa::path(post, path = "/api/v1/me/webhooks", tag = "webhooks",
    request_body = NewWebhook,
    responses((status = 201, body = CreatedWebhook),
              (status = 400, description = "invalid_input: bad URL, unknown camera or type, or 10 webhooks already", body = ErrorBody),
              (status = 401, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppJson(req): AppJson<NewWebhook>,
) -> ApiResult<(StatusCode, Json<CreatedWebhook>)> {
    let (webhook, secret) = state
        .webhooks
        .create(
            who.account.id,
            WebhookInput {
                url: req.url,
                camera_ids: req.camera_ids,
                event_types: req.event_types,
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedWebhook {
            webhook: WebhookView::from(&webhook),
            secret,
        }),
    ))
}

/// Your webhooks (without their secrets).
#[utoipa::path(get, path = "/api/v1/me/webhooks", tag = "webhooks",
    responses((status = 200, body = [WebhookView]), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
) -> ApiResult<Json<Vec<WebhookView>>> {
    let hooks = state.webhooks.list(who.account.id).await?;
    Ok(Json(hooks.iter().map(WebhookView::from).collect()))
}

/// Deletes a webhook with its pending deliveries and its log.
#[utoipa::path(delete, path = "/api/v1/me/webhooks/{id}", tag = "webhooks",
    params(("id" = i64, Path, description = "webhook id")),
    responses((status = 204, description = "deleted"), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppPath(id): AppPath<i64>,
) -> ApiResult<StatusCode> {
    state.webhooks.delete(who.account.id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Page size of the delivery log.
#[derive(Debug, Deserialize, IntoParams)]
pub struct DeliveriesQuery {
    /// At most this many attempts, newest first (default 100, at most 500).
    pub limit: Option<i64>,
}

/// A webhook's delivery log: every attempt, newest first.
#[utoipa::path(get, path = "/api/v1/me/webhooks/{id}/deliveries", tag = "webhooks",
    params(("id" = i64, Path, description = "webhook id"), DeliveriesQuery),
    responses((status = 200, body = [AttemptView]), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn deliveries(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppPath(id): AppPath<i64>,
    AppQuery(q): AppQuery<DeliveriesQuery>,
) -> ApiResult<Json<Vec<AttemptView>>> {
    let log = state
        .webhooks
        .deliveries(who.account.id, id, q.limit.unwrap_or(100))
        .await?;
    Ok(Json(log.iter().map(AttemptView::from).collect()))
}
