//! The administrators' device registry: every provisioned device, and the
//! CSV import of a manufacturing batch.

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use serde::Deserialize;

use super::{not_admin, problem, subnav, Here};
use crate::error::ApiError;
use crate::extract::{AppForm, PageUser};
use crate::pages::failure;
use crate::pages::layout::{error_box, notice_box, page};
use crate::state::AppState;
use crate::time_fmt::rfc3339;

/// Devices per page.
const PAGE: i64 = 100;

/// What the import form shows again after a refusal.
#[derive(Default)]
struct ImportState<'a> {
    csv: &'a str,
    update: bool,
    notice: Option<String>,
    error: Option<&'a str>,
    rejected: &'a [String],
}

const WHAT: &str = "The device registry";

async fn registry_page(
    state: &AppState,
    user: &PageUser,
    offset: i64,
    import: ImportState<'_>,
) -> Result<Markup, domain::Error> {
    let mut devices = state.cameras.registry(PAGE + 1, offset).await?;
    let more = devices.len() as i64 > PAGE;
    devices.truncate(PAGE as usize);
    Ok(page(
        "Devices",
        Some(user),
        html! {
            (subnav(user, Here::Devices))
            h1 { "Devices" }
            (notice_box(import.notice.as_deref()))
            (error_box(import.error))
            @if !import.rejected.is_empty() {
                div.error role="alert" {
                    p { "Nothing was imported. Fix these lines and try again:" }
                    ul {
                        @for line in import.rejected { li { (line) } }
                    }
                }
            }
            form.card method="post" action="/admin/devices/import" {
                h2 { "Import devices" }
                input type="hidden" name="csrf" value=(user.csrf());
                label { "CSV with a header row"
                    textarea name="csv" rows="8" required spellcheck="false" autocomplete="off"
                        placeholder="serial,model,verification_code,device_secret" { (import.csv) }
                }
                label.check {
                    input type="checkbox" name="update" value="on" checked[import.update];
                    " Replace devices that are already provisioned"
                }
                p.muted { "All or nothing: if any line is wrong, no device is stored." }
                button type="submit" { "Import" }
            }
            section.card {
                h2 { "Registry" }
                @if devices.is_empty() {
                    p { @if offset > 0 { "No more devices." } @else { "No devices provisioned yet." } }
                } @else {
                    p.muted { "Devices " (offset + 1) "–" (offset + devices.len() as i64) ", newest first." }
                    ul.plain {
                        @for c in &devices {
                            li {
                                code { (c.serial) } " " (c.model) " "
                                @if c.owner.is_some() {
                                    span.badge.ok { "bound" }
                                } @else {
                                    span.badge { "not bound" }
                                }
                                br;
                                small.muted {
                                    "last seen " (c.facts.last_seen_at.map_or_else(|| "never".to_string(), rfc3339))
                                    " · firmware " (c.facts.firmware_version.as_deref().unwrap_or("not reported"))
                                }
                            }
                        }
                    }
                }
                @if offset > 0 || more {
                    p.pager {
                        @if offset > 0 {
                            a href={ "/admin/devices?offset=" ((offset - PAGE).max(0)) } { "← Newer" }
                        }
                        @if more {
                            a href={ "/admin/devices?offset=" (offset + PAGE) } { "Older →" }
                        }
                    }
                }
            }
        },
    ))
}

/// Paging of the registry page, and the count of a finished import.
#[derive(Debug, Default, Deserialize)]
pub struct RegistryQuery {
    #[serde(default)]
    offset: i64,
    #[serde(default)]
    imported: Option<u64>,
}

/// `GET /admin/devices?offset=N`: administrators only.
pub async fn devices_get(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<RegistryQuery>,
) -> Response {
    if let Some(refusal) = not_admin(&state, &user, WHAT).await {
        return refusal;
    }
    let notice = q.imported.map(|n| match n {
        1 => "Imported 1 device.".to_string(),
        n => format!("Imported {n} devices."),
    });
    let import = ImportState {
        notice,
        ..ImportState::default()
    };
    match registry_page(&state, &user, q.offset.max(0), import).await {
        Ok(markup) => markup.into_response(),
        Err(e) => problem(&user, e),
    }
}

/// Import form fields; `update` is absent when unchecked.
#[derive(Debug, Deserialize)]
pub struct ImportForm {
    csrf: String,
    csv: String,
    #[serde(default)]
    update: Option<String>,
}

/// `POST /admin/devices/import`: all or nothing, every bad line listed.
pub async fn import_post(
    State(state): State<AppState>,
    user: PageUser,
    AppForm(form): AppForm<ImportForm>,
) -> Result<Response, ApiError> {
    user.check_csrf(&form.csrf)?;
    if let Some(refusal) = not_admin(&state, &user, WHAT).await {
        return Ok(refusal);
    }
    let update = form.update.is_some();
    let (status, text, rejected) = match state.cameras.provision(form.csv.as_bytes(), update).await
    {
        Ok(n) => return Ok(Redirect::to(&format!("/admin/devices?imported={n}")).into_response()),
        Err(domain::Error::ImportRejected(lines)) => (StatusCode::BAD_REQUEST, None, lines),
        Err(e) => {
            let (status, text) = failure(e);
            (status, Some(text), Vec::new())
        }
    };
    let import = ImportState {
        csv: &form.csv,
        update,
        notice: None,
        error: text.as_deref(),
        rejected: &rejected,
    };
    Ok(match registry_page(&state, &user, 0, import).await {
        // The form is shown again with the pasted secrets: keep it out of caches.
        Ok(markup) => (status, [(header::CACHE_CONTROL, "no-store")], markup).into_response(),
        Err(e) => problem(&user, e),
    })
}
