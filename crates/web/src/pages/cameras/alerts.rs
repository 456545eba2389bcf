//! The alert settings page: quiet hours (no email or push then), whether
//! alert mails carry the snapshot, the browsers that get push
//! notifications, and the latest alert deliveries.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use domain::events::prefs::AlertSettings;
use maud::{html, Markup};
use serde::Deserialize;

use super::{problem, subnav, DoneQuery, Here};
use crate::error::ApiError;
use crate::extract::{AppForm, PageUser};
use crate::pages::failure;
use crate::pages::layout::{error_box, notice_box, page};
use crate::state::AppState;
use crate::time_fmt::rfc3339;

async fn render(
    state: &AppState,
    user: &PageUser,
    settings: &AlertSettings,
    status: StatusCode,
    error: Option<&str>,
    notice: Option<&str>,
) -> Response {
    let deliveries = match state.events.deliveries(user.0.account.id, 20).await {
        Ok(d) => d,
        Err(e) => return problem(user, e),
    };
    let browsers = match state.events.push_subscriptions(user.0.account.id).await {
        Ok(s) => s,
        Err(e) => return problem(user, e),
    };
    let quiet_on = settings.quiet_start.is_some();
    let body = html! {
        (subnav(user, Here::Alerts))
        h1 { "Alerts" }
        (notice_box(notice))
        (error_box(error))
        form.card method="post" action="/alerts" {
            input type="hidden" name="csrf" value=(user.csrf());
            h2 { "Quiet hours" }
            p.muted { "No email or push alerts during these hours; events still appear in the app. "
                "Which cameras alert you, and how, is set on each camera's page." }
            label.check { input type="checkbox" name="quiet" value="on" checked[quiet_on]; "Use quiet hours" }
            div.times {
                label { "From" input type="time" name="quiet_start" value=(settings.quiet_start.as_deref().unwrap_or("22:00")); }
                label { "To" input type="time" name="quiet_end" value=(settings.quiet_end.as_deref().unwrap_or("07:00")); }
            }
            label { "Time zone (e.g. Europe/Berlin)"
                input name="time_zone" value=(settings.time_zone.as_deref().unwrap_or("UTC")) maxlength="64"; }
            h2 { "Alert mails" }
            label.check { input type="checkbox" name="snapshot_in_email" value="on" checked[settings.snapshot_in_email];
                "Attach the snapshot to alert mails" }
            button type="submit" { "Save" }
        }
        (push_section(&browsers))
        (recent(&deliveries))
    };
    (status, page("Alerts", Some(user), body)).into_response()
}

/// Web Push: the button that subscribes this browser (`assets/push.js`
/// shows it where the browser can do push) and the subscribed browsers.
fn push_section(browsers: &[domain::events::push::PushSubscription]) -> Markup {
    html! {
        section.card #push {
            h2 { "Push notifications" }
            p.muted { "Alerts as notifications from this browser, even when no camvault page is open. "
                "Quiet hours apply, and cameras whose alerts or push you turned off send none." }
            button type="button" id="push-enable" hidden { "Turn on push notifications in this browser" }
            p.muted id="push-status" role="status" { "Needs JavaScript and a browser that supports push." }
            @if !browsers.is_empty() {
                h3 { "Browsers that get them" }
                ul {
                    @for b in browsers {
                        li {
                            code { (b.masked_endpoint()) } " since " (rfc3339(b.created_at)) " "
                            button.link type="button" data-push-remove=(b.id) hidden { "Remove" }
                        }
                    }
                }
            }
        }
        script src="/assets/push.js" defer {}
    }
}

fn recent(deliveries: &[domain::events::prefs::Delivery]) -> Markup {
    html! {
        section.card {
            h2 { "Latest alert deliveries" }
            @if deliveries.is_empty() {
                p.muted { "None yet." }
            } @else {
                div.scroll {
                    table.samples {
                        thead { tr { th { "Time (UTC)" } th { "Channel" } th { "Outcome" } } }
                        tbody {
                            @for d in deliveries {
                                tr { td { (rfc3339(d.at)) } td { (d.channel) } td { (d.status.replace('_', " ")) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /alerts`.
pub async fn alerts_get(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<DoneQuery>,
) -> Response {
    let settings = match state.events.alert_settings(user.0.account.id).await {
        Ok(s) => s,
        Err(e) => return problem(&user, e),
    };
    let notice = match q.done.as_deref() {
        Some("saved") => Some("Alert settings saved."),
        Some("push") => Some("Push notifications are on in this browser."),
        Some("push-removed") => Some("That browser gets no more push notifications."),
        _ => None,
    };
    render(&state, &user, &settings, StatusCode::OK, None, notice).await
}

/// The alert settings form.
#[derive(Debug, Deserialize)]
pub struct AlertsSettingsForm {
    csrf: String,
    #[serde(default)]
    quiet: Option<String>,
    #[serde(default)]
    quiet_start: String,
    #[serde(default)]
    quiet_end: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    snapshot_in_email: Option<String>,
}

/// `POST /alerts`.
pub async fn alerts_post(
    State(state): State<AppState>,
    user: PageUser,
    AppForm(form): AppForm<AlertsSettingsForm>,
) -> Result<Response, ApiError> {
    user.check_csrf(&form.csrf)?;
    let quiet = form.quiet.is_some();
    let settings = AlertSettings {
        quiet_start: quiet.then(|| form.quiet_start.trim().to_string()),
        quiet_end: quiet.then(|| form.quiet_end.trim().to_string()),
        time_zone: Some(form.time_zone.trim().to_string()).filter(|t| !t.is_empty()),
        snapshot_in_email: form.snapshot_in_email.is_some(),
    };
    match state
        .events
        .save_alert_settings(user.0.account.id, settings.clone())
        .await
    {
        Ok(()) => Ok(Redirect::to("/alerts?done=saved").into_response()),
        Err(e) => {
            let (status, text) = failure(e);
            Ok(render(&state, &user, &settings, status, Some(&text), None).await)
        }
    }
}
