//! Web Push: the server's VAPID key for `PushManager.subscribe`, and the
//! caller's subscribed browsers (add, list, remove).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AppJson, AppPath, CurrentUser};
use crate::state::AppState;
use crate::time_fmt::rfc3339;

/// The key browsers subscribe with.
#[derive(Debug, Serialize, ToSchema)]
pub struct VapidKeyView {
    /// The VAPID public key: an uncompressed P-256 point, base64url
    /// without padding, for `applicationServerKey`.
    pub public_key: String,
}

/// The server's VAPID public key.
#[utoipa::path(get, path = "/api/v1/push/vapid-public-key", tag = "events",
    responses((status = 200, body = VapidKeyView)))]
pub async fn vapid_public_key(State(state): State<AppState>) -> Json<VapidKeyView> {
    Json(VapidKeyView {
        public_key: state.events.push_public_key(),
    })
}

/// The keys of a browser's subscription, base64url.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SubscriptionKeys {
    /// The browser's P-256 public key (uncompressed point).
    pub p256dh: String,
    /// The browser's 16-byte authentication secret.
    pub auth: String,
}

/// A browser's `PushSubscription`, as its `toJSON()` gives it.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SubscriptionInput {
    /// The push service URL (https).
    pub endpoint: String,
    /// Its keys.
    pub keys: SubscriptionKeys,
    /// When the browser will end the subscription, if it knows (ignored).
    #[serde(default, rename = "expirationTime")]
    pub expiration_time: Option<f64>,
}

/// A subscribed browser as its owner sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionView {
    /// Subscription id.
    pub id: i64,
    /// The push service, e.g. `https://fcm.googleapis.com/…` (the full
    /// endpoint is a secret and never shown).
    pub endpoint: String,
    /// When subscribed (RFC 3339).
    pub created_at: String,
}

impl From<&domain::events::push::PushSubscription> for SubscriptionView {
    fn from(s: &domain::events::push::PushSubscription) -> Self {
        SubscriptionView {
            id: s.id,
            endpoint: s.masked_endpoint(),
            created_at: rfc3339(s.created_at),
        }
    }
}

/// Subscribes a browser to the caller's alerts; the same endpoint again
/// replaces its earlier subscription. At most 20 browsers per person.
#[utoipa::path(post, path = "/api/v1/me/push-subscriptions", tag = "events",
    request_body = SubscriptionInput,
    responses((status = 201, body = SubscriptionView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody)))]
pub async fn subscribe(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppJson(input): AppJson<SubscriptionInput>,
) -> ApiResult<(StatusCode, Json<SubscriptionView>)> {
    let subscription = state
        .events
        .add_push_subscription(
            who.account.id,
            &input.endpoint,
            &input.keys.p256dh,
            &input.keys.auth,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(SubscriptionView::from(&subscription)),
    ))
}

/// The caller's subscribed browsers, oldest first.
#[utoipa::path(get, path = "/api/v1/me/push-subscriptions", tag = "events",
    responses((status = 200, body = Vec<SubscriptionView>), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
) -> ApiResult<Json<Vec<SubscriptionView>>> {
    let subscriptions = state.events.push_subscriptions(who.account.id).await?;
    Ok(Json(
        subscriptions.iter().map(SubscriptionView::from).collect(),
    ))
}

/// Unsubscribes one of the caller's browsers.
#[utoipa::path(delete, path = "/api/v1/me/push-subscriptions/{id}", tag = "events",
    params(("id" = i64, Path, description = "subscription id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn remove(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppPath(id): AppPath<i64>,
) -> ApiResult<StatusCode> {
    state
        .events
        .remove_push_subscription(who.account.id, id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
