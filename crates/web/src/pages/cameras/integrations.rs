//! The integrations page: the person's webhooks (add, remove, each one's
//! recent delivery attempts) and what the operator set up for MQTT.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use domain::events::webhooks::{Webhook, WebhookInput};
use domain::events::KNOWN_KINDS;
use maud::{html, Markup};

use super::{problem, subnav, Here};
use crate::error::ApiError;
use crate::extract::{AppForm, PageUser};
use crate::pages::layout::page;
use crate::state::AppState;
use crate::time_fmt::rfc3339;

/// Attempts shown per webhook.
const ATTEMPTS: i64 = 10;

fn webhook_card(
    user: &PageUser,
    h: &Webhook,
    names: &HashMap<i64, String>,
    attempts: Markup,
) -> Markup {
    let cameras: Vec<&str> = h
        .camera_ids
        .iter()
        .map(|c| {
            names
                .get(&c.0)
                .map_or("a camera no longer yours", String::as_str)
        })
        .collect();
    html! {
        li.webhook {
            p { strong { (h.url) } }
            p.muted {
                "Cameras: " @if cameras.is_empty() { "all" } @else { (cameras.join(", ")) }
                " · Types: " @if h.event_types.is_empty() { "all" } @else { (h.event_types.join(", ")) }
                " · Added " (rfc3339(h.created_at))
            }
            (attempts)
            form method="post" action="/integrations/webhooks/remove" {
                input type="hidden" name="csrf" value=(user.csrf());
                input type="hidden" name="id" value=(h.id);
                button.danger type="submit" { "Remove" }
            }
        }
    }
}

async fn attempts_of(state: &AppState, user: &PageUser, id: i64) -> domain::Result<Markup> {
    let attempts = state
        .webhooks
        .deliveries(user.0.account.id, id, ATTEMPTS)
        .await?;
    Ok(html! {
        @if attempts.is_empty() {
            p.muted { "No deliveries yet." }
        } @else {
            table.attempts {
                thead { tr { th { "When" } th { "Event" } th { "Try" } th { "Answer" } th { "State" } } }
                tbody {
                    @for a in &attempts {
                        tr {
                            td { (rfc3339(a.at)) }
                            td { (a.event_id) }
                            td { (a.attempt) }
                            td {
                                @if let Some(code) = a.status_code { "HTTP " (code) }
                                @else { (a.error.as_deref().unwrap_or("no answer")) }
                                " · " (a.duration_ms) " ms"
                            }
                            td { (a.state.as_str()) }
                        }
                    }
                }
            }
        }
    })
}

/// Renders the page, with a just-created webhook's secret when there is one.
async fn render(
    state: &AppState,
    user: &PageUser,
    status: StatusCode,
    note: Option<Markup>,
) -> Response {
    let who = user.0.account.id;
    let (hooks, cameras) = match (
        state.webhooks.list(who).await,
        state.cameras.list(who).await,
    ) {
        (Ok(h), Ok(c)) => (h, c),
        (Err(e), _) | (_, Err(e)) => return problem(user, e),
    };
    let names: HashMap<i64, String> = cameras
        .iter()
        .map(|(c, _)| (c.id.0, c.settings.name.clone()))
        .collect();
    let mut cards = Vec::with_capacity(hooks.len());
    for h in &hooks {
        match attempts_of(state, user, h.id).await {
            Ok(attempts) => cards.push(webhook_card(user, h, &names, attempts)),
            Err(e) => return problem(user, e),
        }
    }
    let mqtt = state.settings.mqtt.as_ref();
    let body = html! {
        (subnav(user, Here::Integrations))
        h1 { "Integrations" }
        @if let Some(n) = note { (n) }
        section.card #webhooks {
            h2 { "Webhooks" }
            p.muted { "camvault POSTs each matching event as JSON, signed with HMAC-SHA256 (header " code { "X-Camvault-Signature" } "), and retries with growing pauses when the receiver fails." }
            @if cards.is_empty() { p.muted { "No webhooks yet." } }
            ul.plain { @for c in &cards { (c) } }
        }
        form.card method="post" action="/integrations/webhooks" {
            h2 { "Add a webhook" }
            input type="hidden" name="csrf" value=(user.csrf());
            label { "URL" input name="url" type="url" required maxlength="2048" placeholder="https://example.com/hooks/camvault"; }
            fieldset {
                legend { "Cameras (none ticked: all, including cameras added later)" }
                @for (c, _) in &cameras {
                    label.check { input type="checkbox" name="camera" value=(c.id.0); (c.settings.name) }
                }
            }
            fieldset {
                legend { "Event types (none ticked: all)" }
                @for k in KNOWN_KINDS {
                    label.check { input type="checkbox" name="type" value=(k); (k) }
                }
            }
            button type="submit" { "Add webhook" }
        }
        section.card #mqtt {
            h2 { "MQTT and Home Assistant" }
            @match mqtt {
                Some(m) => {
                    p { "This server publishes to " code { (m.broker) } " under " code { (m.prefix) "/<camera id>/…" }
                        ", and announces each camera to Home Assistant under " code { (m.discovery_prefix) "/…" } "." }
                    p.muted { "The operator sets the broker in the server's configuration (" code { "mqtt_url" } ")." }
                }
                None => {
                    p { "MQTT is not set up on this server." }
                    p.muted { "The operator can point camvault at the household's broker with the " code { "mqtt_url" } " setting; events, camera state and snapshots then appear in Home Assistant by themselves." }
                }
            }
        }
    };
    (status, page("Integrations", Some(user), body)).into_response()
}

/// `GET /integrations`.
pub async fn integrations_get(State(state): State<AppState>, user: PageUser) -> Response {
    render(&state, &user, StatusCode::OK, None).await
}

/// `POST /integrations/webhooks`: `csrf`, `url`, repeated `camera` and `type`.
pub async fn webhook_add_post(
    State(state): State<AppState>,
    user: PageUser,
    AppForm(pairs): AppForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let all = |name: &str| -> Vec<String> {
        pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .collect()
    };
    user.check_csrf(all("csrf").first().map_or("", String::as_str))?;
    let cameras: Vec<i64> = all("camera")
        .iter()
        .filter_map(|c| c.parse().ok())
        .collect();
    let types = all("type");
    let input = WebhookInput {
        url: all("url").into_iter().next().unwrap_or_default(),
        camera_ids: (!cameras.is_empty()).then_some(cameras),
        event_types: (!types.is_empty()).then_some(types),
    };
    Ok(
        match state.webhooks.create(user.0.account.id, input).await {
            Ok((_, secret)) => {
                let note = html! {
                    section.card.notice role="status" {
                        p { "Webhook added. Its signing secret, shown only this once:" }
                        p { code #webhook-secret { (secret) } }
                        p.muted { "Keep it with the receiver to check the signature of each delivery." }
                    }
                };
                render(&state, &user, StatusCode::CREATED, Some(note)).await
            }
            Err(e) => {
                let (status, text) = super::failure(e);
                let note = crate::pages::layout::error_box(Some(&text));
                render(&state, &user, status, Some(note)).await
            }
        },
    )
}

/// `POST /integrations/webhooks/remove`: `csrf`, `id`.
pub async fn webhook_remove_post(
    State(state): State<AppState>,
    user: PageUser,
    AppForm(pairs): AppForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    };
    user.check_csrf(field("csrf"))?;
    let Ok(id) = field("id").trim().parse::<i64>() else {
        return Ok(problem(&user, domain::Error::NotFound("webhook")));
    };
    Ok(match state.webhooks.delete(user.0.account.id, id).await {
        Ok(()) => Redirect::to("/integrations").into_response(),
        Err(e) => problem(&user, e),
    })
}
