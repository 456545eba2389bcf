//! Camera pages: list, add, settings; and the admin device registry.
//!
//! `mine` lists and adds the signed-in person's cameras, `settings` shows one
//! camera and changes it (settings, unbinding), `schedule` is that page's
//! weekly schedule section, `registry` is the administrators' device list and
//! CSV import. Shared here: the route table, the sub-navigation and the
//! full-page error.

mod mine;
mod registry;
mod schedule;
mod settings;

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use domain::cameras::Access;
use domain::ids::CameraId;
use domain::ports::Role;
use maud::{html, Markup};

use super::failure;
use super::layout::{error_box, page};
use crate::extract::PageUser;
use crate::state::AppState;

/// Device imports pasted into the form list a whole production batch.
const IMPORT_LIMIT: usize = 16 * 1024 * 1024;

/// The routes of the camera pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/cameras", get(mine::cameras_get))
        .route("/cameras/add", get(mine::add_get).post(mine::add_post))
        .route("/cameras/{id}", get(settings::camera_get))
        .route("/cameras/{id}/settings", post(settings::settings_post))
        .route(
            "/cameras/{id}/schedule/add",
            post(schedule::schedule_add_post),
        )
        .route(
            "/cameras/{id}/schedule/remove",
            post(schedule::schedule_remove_post),
        )
        .route("/cameras/{id}/unbind", post(settings::unbind_post))
        .route("/admin/devices", get(registry::devices_get))
        .route(
            "/admin/devices/import",
            post(registry::import_post).layer(DefaultBodyLimit::max(IMPORT_LIMIT)),
        )
}

/// Which sub-navigation entry is the current page.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Here {
    Cameras,
    Add,
    Devices,
    Elsewhere,
}

/// Links between the camera pages (the layout's header is not ours to edit).
fn subnav(user: &PageUser, here: Here) -> Markup {
    let link = |href: &str, text: &str, this: Here| {
        html! {
            @if here == this {
                a href=(href) aria-current="page" { (text) }
            } @else {
                a href=(href) { (text) }
            }
        }
    };
    html! {
        nav.sub aria-label="Cameras" {
            (link("/cameras", "Cameras", Here::Cameras))
            " · "
            (link("/cameras/add", "Add camera", Here::Add))
            @if user.0.account.role == Role::Admin {
                " · "
                (link("/admin/devices", "Devices", Here::Devices))
            }
        }
    }
}

/// A page that only says what went wrong, with `status`.
fn message_page(user: &PageUser, status: StatusCode, title: &str, text: &str) -> Response {
    let body = html! {
        (subnav(user, Here::Elsewhere))
        h1 { (title) }
        (error_box(Some(text)))
        p { a href="/cameras" { "Back to your cameras" } }
    };
    (status, page(title, Some(user), body)).into_response()
}

/// A domain error as a whole page: 404 for cameras that are not the
/// caller's (or do not exist), and so on.
fn problem(user: &PageUser, e: domain::Error) -> Response {
    let (status, text) = failure(e);
    let title = match status {
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::FORBIDDEN => "Not allowed",
        _ => "Something went wrong",
    };
    message_page(user, status, title, &text)
}

/// A camera id from the path; anything unparsable is a camera not found.
fn camera_id(raw: &str) -> domain::Result<CameraId> {
    raw.parse::<i64>()
        .map(CameraId)
        .map_err(|_| domain::Error::NotFound("camera"))
}

/// How the person may use the camera, in words.
fn access_str(access: Access) -> &'static str {
    match access {
        Access::Owner => "owner",
        Access::Operator => "operator",
        Access::Viewer => "viewer",
    }
}

/// The online/offline badge.
fn online_badge(online: bool) -> Markup {
    html! {
        @if online {
            span.badge.ok { "online" }
        } @else {
            span.badge.off { "offline" }
        }
    }
}
