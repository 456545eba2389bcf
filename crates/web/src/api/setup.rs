//! Creating the first administrator with the one-time setup token.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use axum_extra::extract::cookie::CookieJar;
use domain::accounts::password::Password;
use serde::Deserialize;
use utoipa::ToSchema;

use super::{signed_in_response, SignedInView};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AppJson, Client};
use crate::state::AppState;

/// First-admin input.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SetupRequest {
    /// The token from the setup URL printed at start-up.
    pub token: String,
    /// Admin username.
    pub username: String,
    /// Admin password.
    pub password: String,
    /// Optional email address.
    pub email: Option<String>,
}

/// Creates the first admin and signs them in; works once.
#[utoipa::path(post, path = "/api/v1/setup", tag = "setup",
    request_body = SetupRequest,
    responses((status = 201, body = SignedInView),
              (status = 403, description = "wrong token, or an admin exists", body = ErrorBody)))]
pub async fn complete(
    State(state): State<AppState>,
    client: Client,
    jar: CookieJar,
    AppJson(req): AppJson<SetupRequest>,
) -> ApiResult<(StatusCode, CookieJar, Json<SignedInView>)> {
    let signed_in = state
        .accounts
        .complete_setup(
            &req.token,
            &req.username,
            &Password::new(req.password),
            req.email.as_deref(),
            client.user_agent.as_deref(),
        )
        .await?;
    signed_in_response(&state, jar, signed_in).await
}
