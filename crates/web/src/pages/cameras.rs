//! Camera pages: list, add, settings, sharing, network, ownership claims;
//! and the administrators' device registry, claims queue and firmware.
//!
//! `mine` lists and adds the signed-in person's cameras, `settings` shows one
//! camera and changes it (settings, unbinding), `schedule` is that page's
//! weekly schedule section, `sharing` is the owner's sharing page (and
//! leaving a shared camera), `invitations` the invitee's side of sharing,
//! `network` the 24-hour network check, `claims` ownership claims and the
//! admin queue, `registry` the administrators' device list and CSV import,
//! `firmware` the administrators' firmware manifests. Shared here: the route
//! table, the sub-navigation and the full-page error.

mod alerts;
mod claims;
mod events;
mod feed;
mod firmware;
mod integrations;
mod invitations;
mod ip;
mod mine;
mod motion;
mod network;
mod registry;
mod schedule;
mod search;
mod settings;
mod sharing;
mod statistics;
mod viewer;

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use domain::cameras::Access;
use domain::ids::CameraId;
use domain::ports::Role;
use maud::{html, Markup};
use serde::Deserialize;

use super::failure;
use super::layout::{error_box, page};
use crate::extract::PageUser;
use crate::state::AppState;

/// Device imports pasted into the form list a whole production batch.
const IMPORT_LIMIT: usize = 16 * 1024 * 1024;

/// Claim evidence is at most 5 MiB; the form around it adds a little.
const EVIDENCE_LIMIT: usize = 6 * 1024 * 1024;

/// The routes of the camera pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/cameras", get(mine::cameras_get))
        .route("/cameras/add", get(mine::add_get).post(mine::add_post))
        .route("/cameras/add-ip", get(ip::add_ip_get).post(ip::add_ip_post))
        .route("/cameras/{id}/test-connection", post(ip::test_post))
        .route("/cameras/{id}/source", post(ip::source_post))
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
        .route("/cameras/{id}/alerts", post(events::alerts_post))
        .route("/cameras/{id}/motion", post(motion::motion_post))
        .route("/alerts", get(alerts::alerts_get).post(alerts::alerts_post))
        .route("/events", get(feed::feed_get))
        .route("/admin/statistics", get(statistics::statistics_get))
        .route("/integrations", get(integrations::integrations_get))
        .route(
            "/integrations/webhooks",
            post(integrations::webhook_add_post),
        )
        .route(
            "/integrations/webhooks/remove",
            post(integrations::webhook_remove_post),
        )
        .route("/search", get(search::search_get))
        .route("/search/history/clear", post(search::history_clear_post))
        .route("/search/history/off", post(search::history_off_post))
        .route("/search/history/on", post(search::history_on_post))
        .route("/cameras/{id}/sharing", get(sharing::sharing_get))
        .route("/cameras/{id}/sharing/invite", post(sharing::invite_post))
        .route("/cameras/{id}/sharing/revoke", post(sharing::revoke_post))
        .route(
            "/cameras/{id}/sharing/withdraw",
            post(sharing::withdraw_post),
        )
        .route("/cameras/{id}/sharing/leave", post(sharing::leave_post))
        .route("/cameras/{id}/network", get(network::network_get))
        .route("/invitations", get(invitations::invitations_get))
        .route("/invitations/{id}/accept", post(invitations::accept_post))
        .route("/invitations/{id}/decline", post(invitations::decline_post))
        .route("/claims", get(claims::claims_get))
        .route(
            "/claims/new",
            get(claims::new_get)
                .post(claims::new_post)
                .layer(DefaultBodyLimit::max(EVIDENCE_LIMIT)),
        )
        .route("/admin/claims", get(claims::queue_get))
        .route("/admin/claims/{id}/evidence", get(claims::evidence_get))
        .route("/admin/claims/{id}/decide", post(claims::decide_post))
        .route(
            "/admin/firmware",
            get(firmware::firmware_get).post(firmware::firmware_post),
        )
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
    Invitations,
    Claims,
    Devices,
    ClaimsQueue,
    Firmware,
    Search,
    Events,
    Alerts,
    Integrations,
    Statistics,
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
            " · "
            (link("/invitations", "Invitations", Here::Invitations))
            " · "
            (link("/claims", "Claims", Here::Claims))
            " · "
            (link("/events", "Events", Here::Events))
            " · "
            (link("/search", "Search", Here::Search))
            " · "
            (link("/alerts", "Alerts", Here::Alerts))
            " · "
            (link("/integrations", "Integrations", Here::Integrations))
            @if is_admin(user) {
                " · "
                (link("/admin/devices", "Devices", Here::Devices))
                " · "
                (link("/admin/claims", "Claims queue", Here::ClaimsQueue))
                " · "
                (link("/admin/firmware", "Firmware", Here::Firmware))
                " · "
                (link("/admin/statistics", "Statistics", Here::Statistics))
            }
        }
    }
}

fn is_admin(user: &PageUser) -> bool {
    user.0.account.role == Role::Admin
}

/// The 403 page for someone who is not an administrator, or one without
/// a second factor (A5); `what` names the page ("The device registry").
pub(crate) async fn not_admin(state: &AppState, user: &PageUser, what: &str) -> Option<Response> {
    if !is_admin(user) {
        return Some(message_page(
            user,
            StatusCode::FORBIDDEN,
            "Not allowed",
            &format!("{what} is for administrators."),
        ));
    }
    match state
        .accounts
        .require_staff_second_factor(&user.0.account)
        .await
    {
        Ok(()) => None,
        Err(e) => {
            let (status, text) = super::failure(e);
            Some(message_page(
                user,
                status,
                "Not allowed yet",
                &format!("{text}: turn on two-step sign-in on your account page."),
            ))
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
    number(raw, "camera").map(CameraId)
}

/// An id from the path or a form; anything unparsable is `what` not found.
fn number(raw: &str, what: &'static str) -> domain::Result<i64> {
    raw.trim()
        .parse::<i64>()
        .map_err(|_| domain::Error::NotFound(what))
}

/// What a page may confirm after a redirect (`?done=…`).
#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    #[serde(default)]
    done: Option<String>,
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
