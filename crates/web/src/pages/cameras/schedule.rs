//! The weekly schedule section of a camera page: windows listed with a
//! remove button each, and a form to add one.

use axum::extract::{Path, State};
use axum::response::Response;
use domain::cameras::control::SettingsChange;
use domain::cameras::{Camera, ScheduleWindow};
use domain::ids::CameraId;
use maud::{html, Markup};
use serde::Deserialize;

use super::settings::{refused, saved};
use super::{camera_id, problem};
use crate::error::ApiError;
use crate::extract::{AppForm, PageUser};
use crate::state::AppState;

/// Days as the domain names them, with their labels, in week order.
const DAYS: [(&str, &str); 7] = [
    ("mon", "Mon"),
    ("tue", "Tue"),
    ("wed", "Wed"),
    ("thu", "Thu"),
    ("fri", "Fri"),
    ("sat", "Sat"),
    ("sun", "Sun"),
];

fn day_position(day: &str) -> usize {
    DAYS.iter()
        .position(|(d, _)| *d == day)
        .unwrap_or(DAYS.len())
}

fn days_text(days: &[String]) -> String {
    days.iter()
        .map(|d| {
            DAYS.iter()
                .find(|(k, _)| k == d)
                .map_or(d.as_str(), |(_, label)| label)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Identifies a window in a remove form, so a schedule changed meanwhile
/// (another tab, another person) never loses the wrong window.
fn window_key(w: &ScheduleWindow) -> String {
    format!("{} {}-{}", w.days.join(","), w.start, w.end)
}

/// The schedule card; forms only if `editable`.
pub(super) fn schedule(user: &PageUser, c: &Camera, editable: bool) -> Markup {
    let csrf = user.csrf();
    let windows = &c.settings.schedule;
    html! {
        section.card {
            h2 { "Schedule" }
            p.muted { "Weekly windows when the camera may record, in the camera's time zone ("
                (c.facts.time_zone.as_deref().unwrap_or("not reported yet")) "). "
                "With no windows it may record at all times." }
            @if windows.is_empty() {
                p { "No windows: recording is allowed at all times." }
            } @else {
                ul.plain {
                    @for (i, w) in windows.iter().enumerate() {
                        li {
                            strong { (days_text(&w.days)) } " " (w.start) "–" (w.end)
                            @if editable {
                                " "
                                form.inline method="post" action={ "/cameras/" (c.id) "/schedule/remove" } {
                                    input type="hidden" name="csrf" value=(csrf);
                                    input type="hidden" name="index" value=(i);
                                    input type="hidden" name="window" value=(window_key(w));
                                    button.link type="submit"
                                        aria-label={ "Remove " (days_text(&w.days)) " " (w.start) "–" (w.end) } { "Remove" }
                                }
                            }
                        }
                    }
                }
            }
            @if editable {
                form method="post" action={ "/cameras/" (c.id) "/schedule/add" } {
                    input type="hidden" name="csrf" value=(csrf);
                    fieldset.days {
                        legend { "Days" }
                        @for (value, text) in DAYS {
                            label.check { input type="checkbox" name="day" value=(value); " " (text) }
                        }
                    }
                    div.times {
                        label { "From" input type="time" name="start" required; }
                        label { "Until" input type="time" name="end" required; }
                    }
                    p.muted { "An end time of 00:00 means midnight at the end of the day." }
                    button type="submit" { "Add window" }
                }
            }
        }
    }
}

/// `HH:MM` from a time input (some browsers add `:SS`); `00:00` as an end
/// is midnight at the end of the day.
fn time_of(raw: &str, is_end: bool) -> String {
    let t = raw.trim();
    let t = match t.strip_suffix(":00") {
        Some(hm) if t.len() == 8 => hm,
        _ => t,
    };
    if is_end && t == "00:00" {
        "24:00".to_string()
    } else {
        t.to_string()
    }
}

/// Changes the schedule with `edit`, then saves it as a whole.
async fn edit_schedule(
    state: &AppState,
    user: &PageUser,
    id: CameraId,
    edit: impl FnOnce(&mut Vec<ScheduleWindow>) -> domain::Result<()>,
) -> Response {
    let who = user.0.account.id;
    let result = async {
        let (camera, _) = state.cameras.access(who, id).await?;
        let mut windows = camera.settings.schedule;
        edit(&mut windows)?;
        let change = SettingsChange {
            schedule: Some(windows),
            ..SettingsChange::default()
        };
        state
            .cameras
            .change_settings(who, id, change)
            .await
            .map(|_| ())
    }
    .await;
    match result {
        Ok(_) => saved(id, "schedule"),
        Err(e) => refused(state, user, id, e).await,
    }
}

/// `POST /cameras/{id}/schedule/add`: `csrf`, one `day` per checked day,
/// `start`, `end`. Read as pairs because the days repeat one key.
pub async fn schedule_add_post(
    State(state): State<AppState>,
    user: PageUser,
    Path(raw): Path<String>,
    AppForm(pairs): AppForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    };
    user.check_csrf(field("csrf"))?;
    let id = match camera_id(&raw) {
        Ok(id) => id,
        Err(e) => return Ok(problem(&user, e)),
    };
    let mut days: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "day")
        .map(|(_, v)| v.trim().to_ascii_lowercase())
        .collect();
    days.sort_by_key(|d| day_position(d));
    days.dedup();
    let window = ScheduleWindow {
        days,
        start: time_of(field("start"), false),
        end: time_of(field("end"), true),
    };
    Ok(edit_schedule(&state, &user, id, |windows| {
        if window.days.is_empty() {
            return Err(domain::Error::invalid("schedule", "pick at least one day"));
        }
        windows.push(window);
        Ok(())
    })
    .await)
}

/// Remove form fields: the window's position and, to be sure it is still
/// the same window, its key.
#[derive(Debug, Deserialize)]
pub struct RemoveForm {
    csrf: String,
    index: usize,
    #[serde(default)]
    window: Option<String>,
}

/// `POST /cameras/{id}/schedule/remove`.
pub async fn schedule_remove_post(
    State(state): State<AppState>,
    user: PageUser,
    Path(raw): Path<String>,
    AppForm(form): AppForm<RemoveForm>,
) -> Result<Response, ApiError> {
    user.check_csrf(&form.csrf)?;
    let id = match camera_id(&raw) {
        Ok(id) => id,
        Err(e) => return Ok(problem(&user, e)),
    };
    Ok(edit_schedule(&state, &user, id, |windows| {
        let same = windows.get(form.index).is_some_and(|w| {
            form.window
                .as_deref()
                .is_none_or(|key| key == window_key(w))
        });
        if !same {
            return Err(domain::Error::invalid(
                "schedule",
                "that window changed or is gone; check the schedule and try again",
            ));
        }
        windows.remove(form.index);
        Ok(())
    })
    .await)
}
