//! The administrators' firmware page: every published manifest, and the
//! form that publishes one. Devices of the model see it at their next check.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use domain::cameras::firmware::Manifest;
use maud::html;
use serde::Deserialize;

use super::{not_admin, problem, subnav, DoneQuery, Here};
use crate::error::ApiError;
use crate::extract::{AppForm, PageUser};
use crate::pages::failure;
use crate::pages::layout::{error_box, notice_box, page};
use crate::state::AppState;
use crate::time_fmt::rfc3339;

const WHAT: &str = "Firmware publishing";

/// Publish form fields.
#[derive(Debug, Default, Deserialize)]
pub struct PublishForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    model: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    sha256: String,
    #[serde(default)]
    notes: String,
}

async fn render(
    state: &AppState,
    user: &PageUser,
    status: StatusCode,
    form: &PublishForm,
    notice: Option<&str>,
    error: Option<&str>,
) -> Response {
    let manifests = match state.cameras.firmware_manifests().await {
        Ok(all) => all,
        Err(e) => return problem(user, e),
    };
    let body = html! {
        (subnav(user, Here::Firmware))
        h1 { "Firmware" }
        (notice_box(notice))
        (error_box(error))
        form.card method="post" action="/admin/firmware" {
            h2 { "Publish a release" }
            input type="hidden" name="csrf" value=(user.csrf());
            label { "Model" input name="model" required maxlength="64" autocomplete="off"
                placeholder="Cube 2" value=(form.model); }
            label { "Version" input name="version" required maxlength="32" autocomplete="off"
                spellcheck="false" placeholder="2.1.0" value=(form.version); }
            label { "Download URL" input type="url" name="url" required maxlength="2048"
                autocomplete="off" spellcheck="false" placeholder="https://" value=(form.url); }
            label { "SHA-256 of the image " small { "(64 hex digits)" }
                input name="sha256" required minlength="64" maxlength="64" autocomplete="off"
                    spellcheck="false" value=(form.sha256); }
            label { "Release notes"
                textarea name="notes" rows="4" maxlength="4000" { (form.notes) } }
            p.muted { "Devices of this model are offered the newest version at their next check." }
            button type="submit" { "Publish" }
        }
        section.card {
            h2 { "Published" }
            @if manifests.is_empty() {
                p { "No firmware published yet." }
            } @else {
                ul.plain {
                    @for m in &manifests {
                        li {
                            strong { (m.model) " " (m.version) }
                            br;
                            small.muted { "published " (rfc3339(m.published_at)) }
                            br;
                            small { a href=(m.url) rel="noreferrer" { (m.url) } }
                            br;
                            small.muted { "sha256 " code.hash { (m.sha256) } }
                            @if !m.notes.is_empty() { p { (m.notes) } }
                        }
                    }
                }
            }
        }
    };
    (status, page("Firmware", Some(user), body)).into_response()
}

/// `GET /admin/firmware`: administrators only.
pub async fn firmware_get(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<DoneQuery>,
) -> Response {
    if let Some(refusal) = not_admin(&state, &user, WHAT).await {
        return refusal;
    }
    let notice = match q.done.as_deref() {
        Some("published") => Some("Firmware published."),
        _ => None,
    };
    render(
        &state,
        &user,
        StatusCode::OK,
        &PublishForm::default(),
        notice,
        None,
    )
    .await
}

/// `POST /admin/firmware`: `model`, `version`, `url`, `sha256`, `notes`.
pub async fn firmware_post(
    State(state): State<AppState>,
    user: PageUser,
    AppForm(form): AppForm<PublishForm>,
) -> Result<Response, ApiError> {
    user.check_csrf(&form.csrf)?;
    if let Some(refusal) = not_admin(&state, &user, WHAT).await {
        return Ok(refusal);
    }
    let manifest = Manifest {
        model: form.model.clone(),
        version: form.version.trim().to_string(),
        url: form.url.trim().to_string(),
        sha256: form.sha256.trim().to_string(),
        notes: form.notes.clone(),
        published_at: domain::clock::Timestamp(0),
    };
    Ok(match state.cameras.publish_firmware(manifest).await {
        Ok(_) => Redirect::to("/admin/firmware?done=published").into_response(),
        Err(e) => {
            let (status, text) = failure(e);
            render(&state, &user, status, &form, None, Some(&text)).await
        }
    })
}
