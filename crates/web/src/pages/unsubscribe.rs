//! The one-click unsubscribe of marketing mail (F2, RFC 8058). A GET only
//! shows a button — mail scanners open links — and the POST, from that
//! button or straight from the mail client, withdraws the consent without
//! signing in.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::html;

use crate::pages::failure;
use crate::pages::layout::{error_box, page};
use crate::state::AppState;

/// `GET /unsubscribe/{token}`.
pub async fn unsubscribe_get(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    if let Err(e) = state.marketing.check(&token) {
        let (status, text) = failure(e);
        return (status, page("Unsubscribe", None, error_box(Some(&text)))).into_response();
    }
    let body = html! {
        h1 { "Unsubscribe from news and offers" }
        form.card method="post" action=(format!("/unsubscribe/{token}")) {
            p { "You will get no more news or offers by email. Alerts and account mail are not affected." }
            input type="hidden" name="List-Unsubscribe" value="One-Click";
            button type="submit" { "Unsubscribe" }
        }
    };
    page("Unsubscribe", None, body).into_response()
}

/// `POST /unsubscribe/{token}`: works without a session or CSRF token,
/// since the signed token is the proof.
pub async fn unsubscribe_post(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Response {
    match state.marketing.unsubscribe(&token).await {
        Ok(()) => {
            let body = html! {
                h1 { "Unsubscribed" }
                p { "You will get no more news or offers by email. You can opt in again in your privacy center." }
            };
            (StatusCode::OK, page("Unsubscribed", None, body)).into_response()
        }
        Err(e) => {
            let (status, text) = failure(e);
            (status, page("Unsubscribe", None, error_box(Some(&text)))).into_response()
        }
    }
}
