//! IP cameras and NVR channels (RTSP): adding them, their source, and the
//! connection test. Credentials are write-only: no page ever shows them.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use domain::cameras::rtsp::RtspInput;
use domain::cameras::Camera;
use maud::{html, Markup};
use serde::Deserialize;

use super::settings::{refused, render, saved, Extras};
use super::{camera_id, problem, subnav, Here};
use crate::error::ApiError;
use crate::extract::{AppForm, PageUser};
use crate::pages::auth::CsrfForm;
use crate::pages::failure;
use crate::pages::layout::{error_box, page};
use crate::state::AppState;

/// Fields of the add-IP-camera form.
#[derive(Debug, Default, Deserialize)]
pub struct AddIpForm {
    #[serde(default)]
    csrf: String,
    name: String,
    url: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    channels: String,
}

fn add_ip_page(user: &PageUser, form: &AddIpForm, error: Option<&str>) -> Markup {
    page(
        "Add an IP camera",
        Some(user),
        html! {
            (subnav(user, Here::Add))
            h1 { "Add an IP camera or NVR" }
            (error_box(error))
            form.card method="post" action="/cameras/add-ip" {
                input type="hidden" name="csrf" value=(user.csrf());
                label { "Name" input name="name" required maxlength="60" value=(form.name); }
                label { "RTSP address "
                    small { "(e.g. rtsp://192.168.1.20:554/stream1; for an NVR put {channel} where the channel number goes)" }
                    input name="url" required maxlength="1024" spellcheck="false" value=(form.url); }
                label { "Username" input name="username" autocomplete="off" value=(form.username); }
                label { "Password" input type="password" name="password" autocomplete="new-password"; }
                label { "NVR channels " small { "(only with {channel} in the address)" }
                    input name="channels" inputmode="numeric" maxlength="2" value=(form.channels); }
                p.muted { "The username and password are stored encrypted and never shown again." }
                button type="submit" { "Add" }
            }
            p { "A camera with a serial number and code on its label? " a href="/cameras/add" { "Add it here" } "." }
        },
    )
}

/// `GET /cameras/add-ip`.
pub async fn add_ip_get(user: PageUser) -> Markup {
    add_ip_page(&user, &AddIpForm::default(), None)
}

/// `POST /cameras/add-ip`: adds the camera (or one per channel).
pub async fn add_ip_post(
    State(state): State<AppState>,
    user: PageUser,
    AppForm(form): AppForm<AddIpForm>,
) -> Result<Response, ApiError> {
    user.check_csrf(&form.csrf)?;
    let channels = match form.channels.trim() {
        "" => None,
        n => match n.parse::<u32>() {
            Ok(n) => Some(n),
            Err(_) => {
                let page = add_ip_page(
                    &user,
                    &form,
                    Some("Channels must be a number from 1 to 64."),
                );
                return Ok((StatusCode::BAD_REQUEST, page).into_response());
            }
        },
    };
    let input = RtspInput {
        name: form.name.clone(),
        url: form.url.clone(),
        username: Some(form.username.clone()),
        password: Some(form.password.clone()),
        channels,
    };
    Ok(
        match state.cameras.add_rtsp(user.0.account.id, input).await {
            Ok(cams) => match cams.first() {
                Some(c) => Redirect::to(&format!("/cameras/{}", c.id)).into_response(),
                None => Redirect::to("/cameras").into_response(),
            },
            Err(e) => {
                let (status, text) = failure(e);
                (status, add_ip_page(&user, &form, Some(&text))).into_response()
            }
        },
    )
}

/// The source section of an RTSP camera's page (owner and operators).
pub(super) fn source_section(user: &PageUser, c: &Camera) -> Markup {
    html! {
        section.card {
            h2 { "Stream source" }
            p { "Address: " code { (c.source_url.as_deref().unwrap_or("-")) } }
            form method="post" action={ "/cameras/" (c.id) "/test-connection" } {
                input type="hidden" name="csrf" value=(user.csrf());
                button type="submit" { "Test connection" }
            }
            form method="post" action={ "/cameras/" (c.id) "/source" } {
                input type="hidden" name="csrf" value=(user.csrf());
                label { "New address " small { "(leave empty to keep)" } input name="url" spellcheck="false"; }
                label { "New username " small { "(leave empty to keep)" } input name="username" autocomplete="off"; }
                label { "New password " small { "(leave empty to keep)" } input type="password" name="password" autocomplete="new-password"; }
                button type="submit" { "Save source" }
            }
        }
    }
}

/// `POST /cameras/{id}/test-connection`: the camera page with the result.
pub async fn test_post(
    State(state): State<AppState>,
    user: PageUser,
    Path(raw): Path<String>,
    AppForm(form): AppForm<CsrfForm>,
) -> Result<Response, ApiError> {
    user.check_csrf(form.csrf())?;
    let id = match camera_id(&raw) {
        Ok(id) => id,
        Err(e) => return Ok(problem(&user, e)),
    };
    let outcome = match state.cameras.test_connection(user.0.account.id, id).await {
        Ok(o) => o,
        Err(e) => return Ok(refused(&state, &user, id, e).await),
    };
    let text = if outcome.ok {
        let size = match (outcome.width, outcome.height) {
            (Some(w), Some(h)) => format!(" {w}×{h}"),
            _ => String::new(),
        };
        let fps = outcome
            .fps
            .map(|f| format!(" at {f} fps"))
            .unwrap_or_default();
        format!(
            "Connection works: {}{size}{fps}.",
            outcome.codec.as_deref().unwrap_or("?").to_uppercase()
        )
    } else {
        format!(
            "Connection failed ({}): {}",
            outcome.reason.unwrap_or("error"),
            outcome.message
        )
    };
    let extras = if outcome.ok {
        Extras {
            notice: Some(&text),
            ..Extras::default()
        }
    } else {
        Extras {
            error: Some(&text),
            ..Extras::default()
        }
    };
    Ok(render(&state, &user, id, StatusCode::OK, extras).await)
}

/// Fields of the source form; empty fields keep what is stored.
#[derive(Debug, Deserialize)]
pub struct SourceForm {
    csrf: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

fn given(s: String) -> Option<String> {
    Some(s).filter(|s| !s.trim().is_empty())
}

/// `POST /cameras/{id}/source`: replaces address or credentials.
pub async fn source_post(
    State(state): State<AppState>,
    user: PageUser,
    Path(raw): Path<String>,
    AppForm(form): AppForm<SourceForm>,
) -> Result<Response, ApiError> {
    user.check_csrf(&form.csrf)?;
    let id = match camera_id(&raw) {
        Ok(id) => id,
        Err(e) => return Ok(problem(&user, e)),
    };
    let result = state
        .cameras
        .update_rtsp(
            user.0.account.id,
            id,
            given(form.url),
            given(form.username),
            given(form.password),
        )
        .await;
    Ok(match result {
        Ok(_) => saved(id, "source"),
        Err(e) => refused(&state, &user, id, e).await,
    })
}
