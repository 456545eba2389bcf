//! The privacy center's cards about holding back and leaving: restricting
//! processing (F6), a copy of your data to take with you (F13), and
//! cancelling the account (A8).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use domain::accounts::password::Password;
use domain::privacy::export::{ExportRecord, ExportState};
use maud::{html, Markup};
use serde::Deserialize;

use crate::error::ApiError;
use crate::extract::{clear_session_cookie, AppForm, PageUser};
use crate::pages::failure;
use crate::pages::layout::page;
use crate::pages::rights::center;
use crate::state::AppState;
use crate::time_fmt::rfc3339;

/// A size for people: `12.3 MB`.
fn size(bytes: i64) -> String {
    let mb = bytes as f64 / 1_000_000.0;
    if mb >= 1.0 {
        format!("{mb:.1} MB")
    } else {
        format!("{} kB", (bytes + 999) / 1000)
    }
}

fn item(e: &ExportRecord) -> Markup {
    html! {
        li.export data-state=(e.state.as_str()) {
            "Asked for " (rfc3339(e.requested_at)) " · "
            @match e.state {
                ExportState::Pending | ExportState::Running => {
                    "being prepared — " a href="/privacy-center#export" { "reload" } " in a moment"
                }
                ExportState::Ready => {
                    a.download href=(format!("/api/v1/me/exports/{}/download", e.id)) download {
                        "Download (" (size(e.bytes)) ", " (e.media_files) " video files)"
                    }
                    @if let Some(t) = e.expires_at { " · link works until " (rfc3339(t)) }
                }
                ExportState::Failed => {
                    "failed: " (e.error.as_deref().unwrap_or("unknown error")) " — ask again"
                }
                ExportState::Expired => { "expired and deleted" }
            }
        }
    }
}

/// The card listing `exports` with the button asking for a new one.
pub fn card(user: &PageUser, exports: &[ExportRecord]) -> Markup {
    html! {
        form.card #export method="post" action="/privacy-center/exports" {
            h2 { "Your data, to take with you" }
            p.muted {
                "One ZIP file with your account, cameras, events, consents, requests and "
                "access log as JSON, your recordings as MP4 and your snapshots as JPEG. "
                "It is prepared in the background, kept encrypted, and its link works for a few days."
            }
            input type="hidden" name="csrf" value=(user.csrf());
            @if !exports.is_empty() { ul.plain { @for e in exports { (item(e)) } } }
            button type="submit" { "Prepare a copy of my data" }
        }
    }
}

/// The form: only the CSRF token.
#[derive(Debug, Deserialize)]
pub struct ExportForm {
    csrf: String,
}

/// `POST /privacy-center/exports`.
pub async fn export_post(
    State(state): State<AppState>,
    user: PageUser,
    AppForm(form): AppForm<ExportForm>,
) -> Result<Response, ApiError> {
    user.check_csrf(&form.csrf)?;
    Ok(match state.exports.request(user.0.account.id).await {
        Ok(_) => {
            let text =
                "Your copy is being prepared; its download link appears below when it is ready.";
            center(&state, &user, StatusCode::ACCEPTED, Some(text), None).await
        }
        Err(e) => {
            let (status, text) = failure(e);
            center(&state, &user, status, None, Some(&text)).await
        }
    })
}

/// The card that cancels the account, with the password again.
pub fn cancel_card(state: &AppState, user: &PageUser) -> Markup {
    let days = state.closures.config().grace.as_secs() / 86_400;
    html! {
        form.card.danger #cancel method="post" action="/privacy-center/cancel" {
            h2 { "Cancel my account" }
            p {
                "This cannot be undone. You are signed out everywhere, your cameras are "
                "unbound and stop recording, and nothing more is alerted or processed. "
                "Everything held about you is erased " (days) " days later; download a "
                "copy above first if you want one."
            }
            input type="hidden" name="csrf" value=(user.csrf());
            label { "Your password" input type="password" name="password" required autocomplete="current-password"; }
            label.check { input type="checkbox" name="confirm" value="on" required; "I understand that this cannot be undone" }
            button.danger type="submit" { "Cancel my account" }
        }
    }
}

/// The cancel form.
#[derive(Debug, Deserialize)]
pub struct CancelForm {
    csrf: String,
    password: String,
    #[serde(default)]
    confirm: Option<String>,
}

/// `POST /privacy-center/cancel`.
pub async fn cancel_post(
    State(state): State<AppState>,
    user: PageUser,
    jar: CookieJar,
    AppForm(form): AppForm<CancelForm>,
) -> Result<Response, ApiError> {
    user.check_csrf(&form.csrf)?;
    if form.confirm.as_deref() != Some("on") {
        let text = "Tick the box to confirm that you understand this cannot be undone.";
        return Ok(center(&state, &user, StatusCode::BAD_REQUEST, None, Some(text)).await);
    }
    let password = Password::new(form.password);
    Ok(
        match state.closures.cancel(user.0.account.id, &password).await {
            Ok(closure) => {
                let body = html! {
                    h1 { "Your account is cancelled" }
                    p { "You are signed out everywhere and your cameras are unbound." }
                    p { "Everything held about you is erased after " (rfc3339(closure.erase_after)) "." }
                };
                let page = page("Account cancelled", None, body);
                (clear_session_cookie(jar), page).into_response()
            }
            Err(e) => {
                let (status, text) = failure(e);
                center(&state, &user, status, None, Some(&text)).await
            }
        },
    )
}

/// The card that restricts (or lifts the restriction of) processing.
pub fn restriction_card(user: &PageUser, since: Option<domain::clock::Timestamp>) -> Markup {
    html! {
        form.card #restriction method="post" action="/privacy-center/restriction" {
            h2 { "Restrict processing" }
            @if let Some(t) = since {
                p { "Restricted since " (rfc3339(t)) ": your cameras record nothing new and no events or alerts are made; everything stored stays yours to see, export or erase." }
                input type="hidden" name="restricted" value="false";
                button type="submit" { "Lift the restriction" }
            } @else {
                p.muted { "Keep what is stored but stop everything else: your cameras record nothing new, no events or alerts are made, no news mail or usage counting. You can lift it at any time." }
                input type="hidden" name="restricted" value="true";
                button type="submit" { "Restrict processing" }
            }
            input type="hidden" name="csrf" value=(user.csrf());
        }
    }
}

/// The restriction form.
#[derive(Debug, Deserialize)]
pub struct RestrictionForm {
    csrf: String,
    restricted: bool,
}

/// `POST /privacy-center/restriction`.
pub async fn restriction_post(
    State(state): State<AppState>,
    user: PageUser,
    AppForm(form): AppForm<RestrictionForm>,
) -> Result<Response, ApiError> {
    user.check_csrf(&form.csrf)?;
    Ok(
        match state
            .closures
            .restrict(user.0.account.id, form.restricted)
            .await
        {
            Ok(Some(_)) => {
                let text = "Processing is restricted: nothing new is recorded or alerted.";
                center(&state, &user, StatusCode::OK, Some(text), None).await
            }
            Ok(None) => {
                let text = "The restriction is lifted.";
                center(&state, &user, StatusCode::OK, Some(text), None).await
            }
            Err(e) => {
                let (status, text) = failure(e);
                center(&state, &user, status, None, Some(&text)).await
            }
        },
    )
}
