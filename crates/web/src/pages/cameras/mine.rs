//! The signed-in person's cameras and adding one with its label.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use serde::Deserialize;

use super::invitations::invitations_banner;
use super::{access_str, online_badge, problem, subnav, DoneQuery, Here};
use crate::error::ApiError;
use crate::extract::{AppForm, PageUser};
use crate::pages::failure;
use crate::pages::layout::{error_box, notice_box, page};
use crate::state::AppState;

/// `GET /cameras`: name, model, serial, online state and access of each,
/// and how many invitations are waiting.
pub async fn cameras_get(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<DoneQuery>,
) -> Response {
    let who = user.0.account.id;
    let (cams, invitations) = match (
        state.cameras.list(who).await,
        state.cameras.invitations(who).await,
    ) {
        (Ok(cams), Ok(invitations)) => (cams, invitations),
        (Err(e), _) | (_, Err(e)) => return problem(&user, e),
    };
    let notice = match q.done.as_deref() {
        Some("left") => Some("You left the camera. Its owner can invite you again."),
        _ => None,
    };
    let body = html! {
        (subnav(&user, Here::Cameras))
        h1 { "Your cameras" }
        (notice_box(notice))
        (invitations_banner(invitations.len()))
        @if cams.is_empty() {
            section.card {
                p { "You have no cameras yet." }
                p { a href="/cameras/add" { "Add a camera" } " with the serial number and code on its label." }
            }
        } @else {
            section.card {
                ul.plain.grid {
                    @for (c, access) in &cams {
                        li {
                            (super::viewer::tile(c))
                            a href={ "/cameras/" (c.id) } { strong { (c.settings.name) } }
                            " " (online_badge(state.cameras.is_online(c)))
                            br;
                            small.muted {
                                (c.model) " · serial " code { (c.serial) } " · " (access_str(*access))
                            }
                        }
                    }
                }
                p { a href="/cameras/add" { "Add another camera" } }
            }
            (super::viewer::scripts())
        }
    };
    page("Cameras", Some(&user), body).into_response()
}

/// The add form refused because the camera is someone else's: the way on is
/// an ownership claim, with the serial carried over.
fn bound_elsewhere(serial: &str) -> Markup {
    let serial: String = url::form_urlencoded::byte_serialize(serial.trim().as_bytes()).collect();
    html! {
        p.error role="alert" {
            "This camera belongs to another account. If the camera is in your hands \
             (for example, bought second-hand and never released), you can "
            a href={ "/claims/new?serial=" (serial) } { "file an ownership claim" }
            " to have it moved to your account."
        }
    }
}

fn add_page(user: &PageUser, serial: &str, error: Option<&str>) -> Markup {
    add_page_with(user, serial, error_box(error))
}

fn add_page_with(user: &PageUser, serial: &str, error: Markup) -> Markup {
    page(
        "Add a camera",
        Some(user),
        html! {
            (subnav(user, Here::Add))
            h1 { "Add a camera" }
            (error)
            form.card method="post" action="/cameras/add" {
                input type="hidden" name="csrf" value=(user.csrf());
                p.muted { "Both are printed on the label on the camera and on its box." }
                label { "Serial number"
                    input name="serial" required autocomplete="off" autocapitalize="characters"
                        spellcheck="false" maxlength="32" value=(serial); }
                label { "Verification code"
                    input name="verification_code" required autocomplete="off"
                        autocapitalize="characters" spellcheck="false" maxlength="32"; }
                button type="submit" { "Add camera" }
            }
            p { "An IP camera or NVR that streams over RTSP? " a href="/cameras/add-ip" { "Add it by its address" } "." }
        },
    )
}

/// `GET /cameras/add`.
pub async fn add_get(user: PageUser) -> Markup {
    add_page(&user, "", None)
}

/// Fields of the add form: what is printed on the label.
#[derive(Debug, Deserialize)]
pub struct AddForm {
    csrf: String,
    serial: String,
    verification_code: String,
}

/// `POST /cameras/add`: binds the camera to the signed-in person.
pub async fn add_post(
    State(state): State<AppState>,
    user: PageUser,
    AppForm(form): AppForm<AddForm>,
) -> Result<Response, ApiError> {
    user.check_csrf(&form.csrf)?;
    let result = state
        .cameras
        .bind(user.0.account.id, &form.serial, &form.verification_code)
        .await;
    Ok(match result {
        Ok(camera) => Redirect::to(&format!("/cameras/{}", camera.id)).into_response(),
        Err(domain::Error::AlreadyBound) => (
            StatusCode::CONFLICT,
            add_page_with(&user, &form.serial, bound_elsewhere(&form.serial)),
        )
            .into_response(),
        Err(e) => {
            let (status, text) = failure(e);
            (status, add_page(&user, &form.serial, Some(&text))).into_response()
        }
    })
}
