//! The search page (C7): words, a day range and event types over every
//! camera the person may see; results link to the camera page, and the
//! person's recent searches are offered (or not, if they switched that off).

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use domain::clock::Timestamp;
use domain::events::search::SearchRequest;
use domain::events::KNOWN_KINDS;
use maud::{html, Markup};
use serde::Deserialize;

use super::{problem, subnav, Here};
use crate::error::ApiError;
use crate::extract::{AppForm, PageUser};
use crate::pages::auth::CsrfForm;
use crate::pages::layout::page;
use crate::state::AppState;
use crate::time_fmt::rfc3339;

const DAY_MS: i64 = 86_400_000;

/// The search form as submitted (GET).
#[derive(Debug, Default, Deserialize)]
pub struct SearchForm {
    #[serde(default)]
    q: Option<String>,
    /// Days back to search (1, 7, 30).
    #[serde(default)]
    days: Option<i64>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
}

fn form(f: &SearchForm, recent: &[String]) -> Markup {
    let days = f.days.unwrap_or(7);
    html! {
        form.card method="get" action="/search" role="search" {
            label { "Words (camera names, labels)"
                input name="q" value=[f.q.as_deref()] maxlength="100" list="recent-searches" autocomplete="off"; }
            datalist #recent-searches {
                @for r in recent { option value=(r) {} }
            }
            div.times {
                label { "Period"
                    select name="days" {
                        @for (d, text) in [(1, "Last 24 hours"), (7, "Last 7 days"), (30, "Last 30 days")] {
                            option value=(d) selected[d == days] { (text) }
                        }
                    }
                }
                label { "Type"
                    select name="type" {
                        option value="" { "Any" }
                        @for k in KNOWN_KINDS {
                            option value=(k) selected[f.kind.as_deref() == Some(k)] { (k) }
                        }
                    }
                }
            }
            button type="submit" { "Search" }
        }
    }
}

/// `GET /search`.
pub async fn search_get(
    State(state): State<AppState>,
    user: PageUser,
    Query(f): Query<SearchForm>,
) -> Response {
    let who = user.0.account.id;
    let history_on = match state.events.search_history_enabled(who).await {
        Ok(on) => on,
        Err(e) => return problem(&user, e),
    };
    let asked = f.q.is_some() || f.kind.is_some() || f.days.is_some();
    let results = if asked {
        let now = state.cameras.now().ms();
        let days = f.days.unwrap_or(7).clamp(1, 30);
        let kinds = f
            .kind
            .clone()
            .filter(|k| !k.is_empty())
            .into_iter()
            .collect();
        match state
            .events
            .search(
                who,
                SearchRequest {
                    text: f.q.clone(),
                    cameras: Vec::new(),
                    from: Timestamp(now - days * DAY_MS),
                    to: Timestamp(now + 60_000),
                    kinds,
                    label: None,
                    before: None,
                    limit: 100,
                },
            )
            .await
        {
            Ok(r) => Some(r),
            Err(e) => return problem(&user, e),
        }
    } else {
        None
    };
    let recent = if history_on {
        state.events.recent_searches(who).await.unwrap_or_default()
    } else {
        Vec::new()
    };
    let names: std::collections::HashMap<i64, String> = state
        .cameras
        .list(who)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|(c, _)| (c.id.0, c.settings.name))
        .collect();
    let body = html! {
        (subnav(&user, Here::Search))
        h1 { "Search" }
        (form(&f, &recent))
        @if let Some(r) = &results {
            section.card #search-results {
                h2 { "Events" }
                @if r.events.is_empty() {
                    p.muted { "No events match." }
                } @else {
                    ul.plain.events {
                        @for e in &r.events {
                            li.event {
                                @if e.snapshot_key.is_some() {
                                    img src={ "/api/v1/cameras/" (e.camera_id) "/events/" (e.id) "/snapshot.jpg" }
                                        alt={ (e.kind) " snapshot" } loading="lazy" width="160" height="90";
                                }
                                span.event-text {
                                    a href={ "/cameras/" (e.camera_id) } { (names.get(&e.camera_id.0).map_or("camera", String::as_str)) }
                                    " · " strong { (e.kind) } " " time datetime=(rfc3339(e.at)) { (rfc3339(e.at)) }
                                    @if !e.labels.is_empty() { " · " (e.labels.join(", ")) }
                                }
                            }
                        }
                    }
                    @if r.next.is_some() { p.muted { "Showing the newest 100; narrow the search to see older ones." } }
                }
                @if !r.recordings.is_empty() {
                    h2 { "Recordings" }
                    ul.plain {
                        @for c in &r.recordings {
                            li {
                                a href={ "/cameras/" (c.camera_id) } { (c.camera_name) }
                                " · " (c.spans.len()) " recorded stretch" @if c.spans.len() != 1 { "es" }
                            }
                        }
                    }
                }
            }
        }
        section.card {
            h2 { "Your search history" }
            @if history_on {
                p { "Your recent searches are kept only to offer them again in the box above." }
                form.inline method="post" action="/search/history/clear" {
                    input type="hidden" name="csrf" value=(user.csrf());
                    button.secondary type="submit" { "Clear history" }
                }
                " "
                form.inline method="post" action="/search/history/off" {
                    input type="hidden" name="csrf" value=(user.csrf());
                    button.secondary type="submit" { "Stop keeping history" }
                }
            } @else {
                p { "Your searches are not kept." }
                form.inline method="post" action="/search/history/on" {
                    input type="hidden" name="csrf" value=(user.csrf());
                    button.secondary type="submit" { "Keep recent searches" }
                }
            }
        }
    };
    page("Search", Some(&user), body).into_response()
}

fn back(user: &PageUser, result: domain::Result<()>) -> Response {
    match result {
        Ok(()) => Redirect::to("/search").into_response(),
        Err(e) => problem(user, e),
    }
}

/// `POST /search/history/clear`.
pub async fn history_clear_post(
    State(state): State<AppState>,
    user: PageUser,
    AppForm(form): AppForm<CsrfForm>,
) -> Result<Response, ApiError> {
    user.check_csrf(form.csrf())?;
    Ok(back(
        &user,
        state.events.clear_searches(user.0.account.id).await,
    ))
}

/// `POST /search/history/off`: forgets the history and keeps no more.
pub async fn history_off_post(
    State(state): State<AppState>,
    user: PageUser,
    AppForm(form): AppForm<CsrfForm>,
) -> Result<Response, ApiError> {
    user.check_csrf(form.csrf())?;
    let r = state
        .events
        .set_search_history(user.0.account.id, false)
        .await;
    Ok(back(&user, r))
}

/// `POST /search/history/on`.
pub async fn history_on_post(
    State(state): State<AppState>,
    user: PageUser,
    AppForm(form): AppForm<CsrfForm>,
) -> Result<Response, ApiError> {
    user.check_csrf(form.csrf())?;
    let r = state
        .events
        .set_search_history(user.0.account.id, true)
        .await;
    Ok(back(&user, r))
}
