//! The camera page's events: the last day's events with their snapshots
//! (new ones appear live through the alert stream) and the signed-in
//! person's alert switches for this camera.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use domain::cameras::Camera;
use domain::events::prefs::Preferences;
use domain::events::Event;
use maud::{html, Markup};
use serde::Deserialize;

use super::{camera_id, problem};
use crate::error::ApiError;
use crate::extract::{AppForm, PageUser};
use crate::state::AppState;
use crate::time_fmt::rfc3339;

/// Events shown on the camera page at most.
pub(super) const SHOWN: i64 = 50;

fn event_item(c: &Camera, e: &Event) -> Markup {
    html! {
        li.event data-at=(e.at.ms()) {
            @if e.snapshot_key.is_some() {
                img src={ "/api/v1/cameras/" (c.id) "/events/" (e.id) "/snapshot.jpg" }
                    alt={ (e.kind) " snapshot" } loading="lazy" width="160" height="90";
            }
            span.event-text {
                strong { (e.kind) } " "
                time datetime=(rfc3339(e.at)) { (rfc3339(e.at)) }
                @if !e.labels.is_empty() { " · " (e.labels.join(", ")) }
            }
            " "
            button.secondary type="button" data-play=(e.at.ms()) { "Play clip" }
        }
    }
}

/// The events list and the alert switches.
pub(super) fn section(
    user: &PageUser,
    c: &Camera,
    events: &[Event],
    prefs: &Preferences,
) -> Markup {
    let check = |name: &str, text: &str, on: bool| {
        html! {
            label.check { input type="checkbox" name=(name) value="on" checked[on]; (text) }
        }
    };
    html! {
        section.card #events data-camera=(c.id) {
            h2 { "Events" }
            @if events.is_empty() {
                p.muted #events-empty { "No events in the last 24 hours." }
            }
            ul.plain.events #event-list {
                @for e in events { (event_item(c, e)) }
            }
        }
        form.card method="post" action={ "/cameras/" (c.id) "/alerts" } {
            h2 { "Your alerts from this camera" }
            input type="hidden" name="csrf" value=(user.csrf());
            (check("all", "Alert me about this camera", prefs.all))
            (check("in_app", "In the app and on open pages", prefs.in_app))
            (check("email", "By email", prefs.email))
            (check("push", "Push notifications", prefs.push))
            p.muted { "Quiet hours and the cooldown between alerts apply to email and push." }
            button type="submit" { "Save alert choices" }
        }
    }
}

/// The alert switches form.
#[derive(Debug, Deserialize)]
pub struct AlertsForm {
    csrf: String,
    #[serde(default)]
    all: Option<String>,
    #[serde(default)]
    in_app: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    push: Option<String>,
}

/// `POST /cameras/{id}/alerts`: the person's own switches (anyone with access).
pub async fn alerts_post(
    State(state): State<AppState>,
    user: PageUser,
    Path(raw): Path<String>,
    AppForm(form): AppForm<AlertsForm>,
) -> Result<Response, ApiError> {
    user.check_csrf(&form.csrf)?;
    let id = match camera_id(&raw) {
        Ok(id) => id,
        Err(e) => return Ok(problem(&user, e)),
    };
    let who = user.0.account.id;
    for (channel, value) in [
        ("all", &form.all),
        ("in_app", &form.in_app),
        ("email", &form.email),
        ("push", &form.push),
    ] {
        if let Err(e) = state
            .events
            .set_preference(who, id, channel, value.is_some())
            .await
        {
            return Ok(problem(&user, e));
        }
    }
    Ok(Redirect::to(&format!("/cameras/{id}?done=alerts")).into_response())
}
