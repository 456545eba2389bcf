//! The administrators' statistics page (F3): counts only, small groups
//! suppressed, from the same report as `/api/v1/admin/statistics`.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use domain::privacy::statistics::Grouped;
use maud::{html, Markup};

use super::{not_admin, problem, subnav, Here};
use crate::extract::PageUser;
use crate::pages::layout::page;
use crate::state::AppState;

const WHAT: &str = "The statistics page";

fn grouped(title: &str, g: &Grouped, k: u64) -> Markup {
    html! {
        section.card {
            h2 { (title) }
            @if g.groups.is_empty() && g.other.is_none() {
                p.muted { "No group reaches " (k) " yet." }
            }
            table {
                tbody {
                    @for line in &g.groups { tr { td { (line.label) } td { (line.count) } } }
                    @if let Some(n) = g.other { tr { td { "other (groups under " (k) ")" } td { (n) } } }
                }
            }
            @if g.suppressed_groups > 0 {
                p.muted { (g.suppressed_groups) " group(s) under " (k) " not shown." }
            }
        }
    }
}

/// `GET /admin/statistics`.
pub async fn statistics_get(State(state): State<AppState>, user: PageUser) -> Response {
    if let Some(refusal) = not_admin(&state, &user, WHAT).await {
        return refusal;
    }
    let r = match state.statistics.report().await {
        Ok(r) => r,
        Err(e) => return problem(&user, e),
    };
    let or_few = |n: Option<u64>| n.map_or(format!("fewer than {}", r.k), |n| n.to_string());
    let body = html! {
        (subnav(&user, Here::Statistics))
        h1 { "Statistics" }
        p.muted { "Counts only, with no names, serials or ids; any group smaller than " (r.k) " is left out so nobody can be singled out." }
        section.card {
            dl {
                dt { "Accounts" } dd { (or_few(r.accounts)) }
                dt { "Bound cameras" } dd { (or_few(r.bound_cameras)) }
                dt { "Recordings stored" }
                dd { @match r.stored_bytes { Some(b) => { (format!("{:.1} GB", b as f64 / 1e9)) } None => { "not shown below " (r.k) " accounts" } } }
            }
        }
        (grouped("Cameras by model", &r.cameras_by_model, r.k))
        (grouped("Cameras by model and firmware", &r.cameras_by_firmware, r.k))
        (grouped("Events per day (last 14 days)", &r.events_per_day, r.k))
    };
    page("Statistics", Some(&user), body).into_response()
}
