//! The events feed: every event of every camera the person may see, newest
//! first, with thumbnails, filters by camera and type, and older pages
//! behind a link that `feed.js` follows by itself as it scrolls into view
//! (infinite scroll; without script it is an ordinary link).

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use domain::clock::Timestamp;
use domain::events::search::SearchRequest;
use domain::events::{Event, KNOWN_KINDS};
use domain::ids::CameraId;
use maud::{html, Markup};
use serde::Deserialize;

use super::{problem, subnav, Here};
use crate::extract::PageUser;
use crate::pages::layout::page;
use crate::state::AppState;
use crate::time_fmt::rfc3339;

/// How far back the feed reaches.
const FEED_DAYS: i64 = 90;
/// Events per page.
const PAGE: i64 = 30;
const DAY_MS: i64 = 86_400_000;

/// The feed's filters and position (GET).
#[derive(Debug, Default, Deserialize)]
pub struct FeedQuery {
    #[serde(default)]
    camera: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    /// `at:id` of the last event of the previous page.
    #[serde(default)]
    before: Option<String>,
}

fn cursor(raw: Option<&str>) -> Option<(i64, i64)> {
    let (at, id) = raw?.split_once(':')?;
    Some((at.parse().ok()?, id.parse().ok()?))
}

fn item(e: &Event, names: &HashMap<i64, String>) -> Markup {
    let camera = e.camera_id.0;
    html! {
        li.event data-at=(e.at.ms()) {
            @if e.snapshot_key.is_some() {
                img src={ "/api/v1/cameras/" (camera) "/events/" (e.id) "/snapshot.jpg" }
                    alt={ (e.kind) " snapshot" } loading="lazy" width="160" height="90";
            }
            span.event-text {
                strong { (e.kind) } " · "
                (names.get(&camera).map_or("camera", String::as_str)) " · "
                time datetime=(rfc3339(e.at)) { (rfc3339(e.at)) }
                @if !e.labels.is_empty() { " · " (e.labels.join(", ")) }
            }
            " "
            a.button.secondary href={ "/cameras/" (camera) "?play=" (e.at.ms()) } { "Play clip" }
        }
    }
}

/// `GET /events`.
pub async fn feed_get(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<FeedQuery>,
) -> Response {
    let who = user.0.account.id;
    let cameras = match state.cameras.list(who).await {
        Ok(c) => c,
        Err(e) => return problem(&user, e),
    };
    let names: HashMap<i64, String> = cameras
        .iter()
        .map(|(c, _)| (c.id.0, c.settings.name.clone()))
        .collect();
    let chosen = q
        .camera
        .as_deref()
        .and_then(|c| c.parse::<i64>().ok())
        .filter(|c| names.contains_key(c));
    let kind = q.kind.clone().filter(|k| KNOWN_KINDS.contains(&k.as_str()));
    let now = state.cameras.now().ms();
    let results = state
        .events
        .search(
            who,
            SearchRequest {
                text: None,
                cameras: chosen.map(CameraId).into_iter().collect(),
                from: Timestamp(now - FEED_DAYS * DAY_MS),
                to: Timestamp(now + 60_000),
                kinds: kind.clone().into_iter().collect(),
                label: None,
                before: cursor(q.before.as_deref()),
                limit: PAGE,
            },
        )
        .await;
    let results = match results {
        Ok(r) => r,
        Err(e) => return problem(&user, e),
    };
    let more = results.next.map(|(at, id)| {
        let mut href = format!("/events?before={at}:{id}");
        if let Some(c) = chosen {
            href.push_str(&format!("&camera={c}"));
        }
        if let Some(k) = &kind {
            href.push_str(&format!("&type={k}"));
        }
        href
    });
    let body = html! {
        (subnav(&user, Here::Events))
        h1 { "Events" }
        form.card.filters method="get" action="/events" {
            label { "Camera"
                select name="camera" {
                    option value="" { "All cameras" }
                    @for (c, _) in &cameras {
                        option value=(c.id.0) selected[chosen == Some(c.id.0)] { (c.settings.name) }
                    }
                }
            }
            label { "Type"
                select name="type" {
                    option value="" { "Any" }
                    @for k in KNOWN_KINDS {
                        option value=(k) selected[kind.as_deref() == Some(k)] { (k) }
                    }
                }
            }
            button type="submit" { "Show" }
        }
        section.card {
            @if results.events.is_empty() {
                p.muted { "No events in the last " (FEED_DAYS) " days." }
            }
            ul.plain.events #feed {
                @for e in &results.events { (item(e, &names)) }
            }
            @if let Some(href) = &more {
                p { a #feed-more href=(href) { "Older events" } }
            }
        }
        script src="/assets/feed.js" defer {}
    };
    page("Events", Some(&user), body).into_response()
}
