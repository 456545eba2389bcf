//! The export card of the privacy center: ask for a copy of your data and
//! download it while its link works (F13).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use domain::privacy::export::{ExportRecord, ExportState};
use maud::{html, Markup};
use serde::Deserialize;

use crate::error::ApiError;
use crate::extract::{AppForm, PageUser};
use crate::pages::failure;
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
