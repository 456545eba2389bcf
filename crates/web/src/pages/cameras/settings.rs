//! One camera: device facts, settings and unbinding (the schedule section
//! is in `schedule`), with links to its network check and, for the owner,
//! its sharing page; people it is shared with may leave it.
//!
//! Owners and operators get forms; viewers see the same facts read-only.
//! Every form posts the whole state it shows, so an unchecked checkbox
//! (absent from the body) means "off".

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use domain::cameras::control::SettingsChange;
use domain::cameras::{Access, Camera, RecordingMode};
use domain::ids::CameraId;
use maud::{html, Markup};
use serde::Deserialize;

use super::schedule::schedule;
use super::{access_str, camera_id, online_badge, problem, subnav, DoneQuery, Here};
use crate::error::ApiError;
use crate::extract::{AppForm, PageUser};
use crate::pages::auth::CsrfForm;
use crate::pages::failure;
use crate::pages::layout::{error_box, notice_box, page};
use crate::state::AppState;
use crate::time_fmt::rfc3339;

const DAY: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

const MODES: [(RecordingMode, &str); 3] = [
    (RecordingMode::Off, "Off"),
    (RecordingMode::Events, "Only around events"),
    (RecordingMode::Continuous, "Continuous"),
];

/// What to show besides the camera itself.
#[derive(Default)]
pub(super) struct Extras<'a> {
    /// An error above the camera.
    pub(super) error: Option<&'a str>,
    /// A confirmation above the camera.
    pub(super) notice: Option<&'a str>,
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "on"
    } else {
        "off"
    }
}

fn or_unknown(v: Option<String>) -> String {
    v.unwrap_or_else(|| "not reported".to_string())
}

fn facts(state: &AppState, c: &Camera, access: Access) -> Markup {
    let f = &c.facts;
    html! {
        section.card {
            h2 { "Device" }
            dl.facts {
                dt { "Status" } dd { (online_badge(state.cameras.is_online(c))) }
                dt { "Last seen" } dd { (f.last_seen_at.map_or_else(|| "never".to_string(), rfc3339)) }
                dt { "Model" } dd { (c.model) }
                dt { "Serial" } dd { code { (c.serial) } }
                dt { "Firmware" } dd { (or_unknown(f.firmware_version.clone())) }
                dt { "Time zone" } dd { (or_unknown(f.time_zone.clone())) }
                dt { "Signal" } dd { (or_unknown(f.signal_dbm.map(|v| format!("{v} dBm")))) }
                dt { "Upload" } dd { (or_unknown(f.upload_kbps.map(|v| format!("{v} kbit/s")))) }
                dt { "Your access" } dd { (access_str(access)) }
            }
        }
    }
}

fn settings_form(user: &PageUser, c: &Camera) -> Markup {
    let s = &c.settings;
    let check = |name: &str, text: &str, on: bool, hint: &str| {
        html! {
            label.check {
                input type="checkbox" name=(name) value="on" checked[on];
                " " (text)
                @if !hint.is_empty() { br; small.muted { (hint) } }
            }
        }
    };
    html! {
        form.card method="post" action={ "/cameras/" (c.id) "/settings" } {
            h2 { "Settings" }
            input type="hidden" name="csrf" value=(user.csrf());
            label { "Name" input name="name" required maxlength="64" value=(s.name); }
            label { "Recording"
                select name="recording_mode" {
                    @for (mode, text) in MODES {
                        option value=(mode.as_str()) selected[mode == s.recording_mode] { (text) }
                    }
                }
            }
            (check("audio", "Record audio", s.audio, ""))
            (check("alerts", "Send alerts", s.alerts, ""))
            (check("privacy", "Privacy mode", s.privacy, "While on, the camera records nothing."))
            button type="submit" { "Save settings" }
        }
    }
}

fn settings_read_only(c: &Camera) -> Markup {
    let s = &c.settings;
    let mode = MODES
        .iter()
        .find(|(m, _)| *m == s.recording_mode)
        .map_or("", |(_, t)| t);
    html! {
        section.card {
            h2 { "Settings" }
            p.muted { "You can view this camera; only its owner or an operator can change it." }
            dl.facts {
                dt { "Name" } dd { (s.name) }
                dt { "Recording" } dd { (mode) }
                dt { "Audio" } dd { (yes_no(s.audio)) }
                dt { "Alerts" } dd { (yes_no(s.alerts)) }
                dt { "Privacy mode" } dd { (yes_no(s.privacy)) }
            }
        }
    }
}

fn unbind_form(user: &PageUser, c: &Camera) -> Markup {
    html! {
        form.card method="post" action={ "/cameras/" (c.id) "/unbind" } {
            h2 { "Unbind camera" }
            input type="hidden" name="csrf" value=(user.csrf());
            p { "The camera leaves your account and can be added to another one. "
                "Recordings already stored stay in your account under your plan's retention." }
            button.danger type="submit" { "Unbind camera" }
        }
    }
}

/// Links to the camera's other pages.
fn links(c: &Camera, access: Access) -> Markup {
    html! {
        nav.card.links aria-label="This camera" {
            a href={ "/cameras/" (c.id) "/network" } { "Network status" }
            @if access == Access::Owner {
                a href={ "/cameras/" (c.id) "/sharing" } { "Sharing" }
            }
        }
    }
}

/// For people the camera is shared with: ending their own access.
fn leave_form(user: &PageUser, c: &Camera) -> Markup {
    html! {
        form.card method="post" action={ "/cameras/" (c.id) "/sharing/leave" } {
            h2 { "Leave this camera" }
            input type="hidden" name="csrf" value=(user.csrf());
            p { "You stop seeing this camera at once. Its owner can invite you again." }
            button.danger type="submit" { "Leave this camera" }
        }
    }
}

fn camera_page(
    state: &AppState,
    user: &PageUser,
    c: &Camera,
    access: Access,
    codec: Option<&str>,
    events: Markup,
    extras: Extras<'_>,
) -> Markup {
    let editable = access >= Access::Operator;
    page(
        &c.settings.name,
        Some(user),
        html! {
            (subnav(user, Here::Elsewhere))
            h1 { (c.settings.name) }
            (notice_box(extras.notice))
            (error_box(extras.error))
            @if c.settings.privacy {
                section.card { p { "Privacy mode is on: the camera records nothing and live view is off." } }
            } @else {
                (super::viewer::viewer(c, codec))
            }
            (events)
            (facts(state, c, access))
            @if editable && c.kind == domain::cameras::CameraKind::Rtsp { (super::ip::source_section(user, c)) }
            (links(c, access))
            @if editable { (settings_form(user, c)) } @else { (settings_read_only(c)) }
            (schedule(user, c, editable))
            @if access == Access::Owner { (unbind_form(user, c)) } @else { (leave_form(user, c)) }
            (super::viewer::scripts())
        },
    )
}

/// Renders the camera page with `status`, or the not-found page.
pub(super) async fn render(
    state: &AppState,
    user: &PageUser,
    id: CameraId,
    status: StatusCode,
    extras: Extras<'_>,
) -> Response {
    match state.cameras.access(user.0.account.id, id).await {
        Ok((c, access)) => {
            let who = user.0.account.id;
            // The codec only tunes a message; the page works without it.
            let codec = state.recordings.latest_codec(who, id).await.ok().flatten();
            let now = state.cameras.now();
            let events = state
                .events
                .list(who, id, now.minus(DAY), now.plus(DAY), super::events::SHOWN)
                .await;
            let prefs = state.events.preferences(who, id).await;
            let (events, prefs) = match (events, prefs) {
                (Ok(e), Ok(p)) => (e, p),
                (Err(e), _) | (_, Err(e)) => return problem(user, e),
            };
            let mut events_markup = super::events::section(user, &c, &events, &prefs);
            if c.kind == domain::cameras::CameraKind::Rtsp && access >= Access::Operator {
                match state.events.motion_settings(who, id).await {
                    Ok(m) => {
                        let form = super::motion::section(user, &c, &m);
                        events_markup = html! { (events_markup) (form) };
                    }
                    Err(e) => return problem(user, e),
                }
            }
            (
                status,
                camera_page(
                    state,
                    user,
                    &c,
                    access,
                    codec.as_deref(),
                    events_markup,
                    extras,
                ),
            )
                .into_response()
        }
        Err(e) => problem(user, e),
    }
}

/// The camera page again with the error, or the not-found page.
pub(super) async fn refused(
    state: &AppState,
    user: &PageUser,
    id: CameraId,
    e: domain::Error,
) -> Response {
    let (status, text) = match e {
        domain::Error::NotFound(_) => return problem(user, e),
        domain::Error::Forbidden => (
            StatusCode::FORBIDDEN,
            "Only the camera's owner or an operator can change it.".to_string(),
        ),
        e => failure(e),
    };
    let extras = Extras {
        error: Some(&text),
        ..Extras::default()
    };
    render(state, user, id, status, extras).await
}

/// `GET /cameras/{id}`.
pub async fn camera_get(
    State(state): State<AppState>,
    user: PageUser,
    Path(raw): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Response {
    let id = match camera_id(&raw) {
        Ok(id) => id,
        Err(e) => return problem(&user, e),
    };
    let notice = match q.done.as_deref() {
        Some("settings") => Some("Settings saved. The camera picks them up within seconds."),
        Some("schedule") => Some("Schedule saved. The camera picks it up within seconds."),
        Some("source") => Some("Stream source saved."),
        Some("alerts") => Some("Your alert choices for this camera are saved."),
        Some("motion") => Some("Motion settings saved; they apply from the next segment."),
        _ => None,
    };
    let extras = Extras {
        notice,
        ..Extras::default()
    };
    render(&state, &user, id, StatusCode::OK, extras).await
}

pub(super) fn saved(id: CameraId, what: &str) -> Response {
    Redirect::to(&format!("/cameras/{id}?done={what}")).into_response()
}

/// Settings form fields. Checkboxes are absent when unchecked: absent is off.
#[derive(Debug, Deserialize)]
pub struct SettingsForm {
    csrf: String,
    name: String,
    recording_mode: String,
    #[serde(default)]
    audio: Option<String>,
    #[serde(default)]
    alerts: Option<String>,
    #[serde(default)]
    privacy: Option<String>,
}

/// `POST /cameras/{id}/settings`: everything but the schedule.
pub async fn settings_post(
    State(state): State<AppState>,
    user: PageUser,
    Path(raw): Path<String>,
    AppForm(form): AppForm<SettingsForm>,
) -> Result<Response, ApiError> {
    user.check_csrf(&form.csrf)?;
    let id = match camera_id(&raw) {
        Ok(id) => id,
        Err(e) => return Ok(problem(&user, e)),
    };
    let mode = match RecordingMode::parse(&form.recording_mode) {
        Ok(mode) => mode,
        Err(e) => return Ok(refused(&state, &user, id, e).await),
    };
    let change = SettingsChange {
        name: Some(form.name),
        recording_mode: Some(mode),
        audio: Some(form.audio.is_some()),
        alerts: Some(form.alerts.is_some()),
        privacy: Some(form.privacy.is_some()),
        schedule: None,
    };
    Ok(
        match state
            .cameras
            .change_settings(user.0.account.id, id, change)
            .await
        {
            Ok(_) => saved(id, "settings"),
            Err(e) => refused(&state, &user, id, e).await,
        },
    )
}

/// `POST /cameras/{id}/unbind`: the owner lets the camera go.
pub async fn unbind_post(
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
    Ok(match state.cameras.unbind(user.0.account.id, id).await {
        Ok(()) => Redirect::to("/cameras").into_response(),
        Err(domain::Error::Forbidden) => {
            let extras = Extras {
                error: Some("Only the camera's owner can unbind it."),
                ..Extras::default()
            };
            render(&state, &user, id, StatusCode::FORBIDDEN, extras).await
        }
        Err(e) => refused(&state, &user, id, e).await,
    })
}
