//! Liveness and readiness for load balancers and orchestrators.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::state::AppState;

/// Health answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` or `unavailable`.
    pub status: &'static str,
    /// Database check result.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<&'static str>,
    /// Blob store check result.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blobs: Option<&'static str>,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "health",
    responses((status = 200, description = "alive", body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok",
        database: None,
        blobs: None,
    })
}

/// The database answers and the blob store accepts writes.
#[utoipa::path(get, path = "/readyz", tag = "health",
    responses((status = 200, description = "ready", body = Health),
              (status = 503, description = "a dependency is down", body = Health)))]
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let db = state.accounts.ping().await;
    let blobs = state.blobs.check().await;
    if let Err(e) = &db {
        tracing::warn!(error = %e, "readiness: database check failed");
    }
    if let Err(e) = &blobs {
        tracing::warn!(error = %e, "readiness: blob store check failed");
    }
    let word = |ok: bool| if ok { "ok" } else { "unavailable" };
    let ready = db.is_ok() && blobs.is_ok();
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(Health {
            status: word(ready),
            database: Some(word(db.is_ok())),
            blobs: Some(word(blobs.is_ok())),
        }),
    )
}
