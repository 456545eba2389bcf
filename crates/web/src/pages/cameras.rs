//! Camera pages: list, add, settings; and the admin device registry.

use axum::Router;

use crate::state::AppState;

/// The routes of the camera pages.
pub fn routes() -> Router<AppState> {
    Router::new()
}
