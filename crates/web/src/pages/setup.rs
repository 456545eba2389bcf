//! The first-administrator page reached through the URL printed at start-up.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use domain::accounts::password::Password;
use maud::{html, Markup};
use serde::Deserialize;

use super::failure;
use super::layout::{error_box, page};
use crate::extract::{session_cookie, AppForm, Client};
use crate::state::AppState;

/// The token in the setup URL.
#[derive(Debug, Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

fn setup_page(token: &str, username: &str, error: Option<&str>) -> Markup {
    page(
        "Set up",
        None,
        html! {
            h1 { "Create the administrator" }
            (error_box(error))
            p { "This page works once, with the link printed when the server started." }
            form.card method="post" action="/setup" {
                input type="hidden" name="token" value=(token);
                label { "Username" input name="username" required value=(username); }
                label { "Password" input type="password" name="password" required minlength="10" autocomplete="new-password"; }
                label { "Email (optional)" input type="email" name="email"; }
                button type="submit" { "Create administrator" }
            }
        },
    )
}

fn invalid_page() -> Markup {
    page(
        "Set up",
        None,
        html! {
            h1 { "Setup link not valid" }
            p { "The link is wrong, or an administrator already exists. Restart the server to print a fresh link while none exists." }
        },
    )
}

/// `GET /setup?token=…`.
pub async fn setup_get(State(state): State<AppState>, Query(q): Query<TokenQuery>) -> Response {
    match state.accounts.setup_token_valid(&q.token).await {
        Ok(true) => setup_page(&q.token, "", None).into_response(),
        Ok(false) => (axum::http::StatusCode::FORBIDDEN, invalid_page()).into_response(),
        Err(e) => crate::error::ApiError::from(e).into_response(),
    }
}

/// Setup form fields.
#[derive(Debug, Deserialize)]
pub struct SetupForm {
    token: String,
    username: String,
    password: String,
    #[serde(default)]
    email: String,
}

/// `POST /setup`.
pub async fn setup_post(
    State(state): State<AppState>,
    client: Client,
    jar: CookieJar,
    AppForm(form): AppForm<SetupForm>,
) -> Response {
    let result = state
        .accounts
        .complete_setup(
            &form.token,
            &form.username,
            &Password::new(form.password),
            Some(form.email.as_str()),
            client.user_agent.as_deref(),
        )
        .await;
    match result {
        Ok(s) => (session_cookie(jar, &s, &state), Redirect::to("/account")).into_response(),
        Err(domain::Error::Forbidden) => {
            (axum::http::StatusCode::FORBIDDEN, invalid_page()).into_response()
        }
        Err(e) => {
            let (status, text) = failure(e);
            (status, setup_page(&form.token, &form.username, Some(&text))).into_response()
        }
    }
}
