//! The network check of a camera over the last 24 hours, for anyone who may
//! see the camera: figures and a plain table of the heartbeats' samples.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use domain::cameras::network::{NetworkReport, Sample};
use domain::recordings::uploads::UploadReport;
use maud::{html, Markup};

use super::{camera_id, online_badge, problem, subnav, Here};
use crate::extract::PageUser;
use crate::pages::layout::page;
use crate::state::AppState;
use crate::time_fmt::rfc3339;

fn or_none(v: Option<String>, none: &str) -> String {
    v.unwrap_or_else(|| none.to_string())
}

fn dbm(v: Option<i64>) -> String {
    or_none(v.map(|v| format!("{v} dBm")), "not reported")
}

fn kbps(v: Option<i64>) -> String {
    or_none(v.map(|v| format!("{v} kbit/s")), "not reported")
}

fn figures(r: &NetworkReport) -> Markup {
    html! {
        section.card {
            h2 { "Now" }
            dl.facts {
                dt { "Status" } dd { (online_badge(r.online)) }
                dt { "Last seen" } dd { (r.last_seen_at.map_or_else(|| "never".to_string(), rfc3339)) }
                dt { "Signal" } dd { (dbm(r.signal_dbm)) }
                dt { "Upload bitrate" } dd { (kbps(r.upload_kbps)) }
                dt { "Last error" } dd { (or_none(r.last_error.clone(), "none reported")) }
            }
        }
        section.card {
            h2 { "Last 24 hours" }
            dl.facts {
                dt { "Heartbeats" } dd { (r.heartbeats) }
                dt { "Missed heartbeats" } dd { (r.missed_heartbeats) }
                dt { "Average bitrate" } dd { (kbps(r.average_kbps)) }
                dt { "Weakest signal" } dd { (dbm(r.weakest_signal_dbm)) }
            }
            p.muted { "Missed heartbeats are the camera's dropouts: heartbeats that should have "
                "arrived since the first one in the last 24 hours but did not." }
        }
    }
}

fn upload_figures(u: &UploadReport) -> Markup {
    let t = &u.total;
    html! {
        section.card {
            h2 { "Uploads, last 24 hours" }
            dl.facts {
                dt { "Segments received" } dd { (t.uploads) }
                dt { "Failed" } dd { (t.failures) }
                dt { "Refused by settings" } dd { (t.refused) }
                dt { "Mean upload time" } dd { (or_none(t.mean_latency_ms().map(|v| format!("{v} ms")), "no uploads")) }
                dt { "Longest upload time" } dd { (or_none((t.uploads > 0).then(|| format!("{} ms", t.latency_ms_max)), "no uploads")) }
            }
            p.muted { "Upload time runs from the request's arrival to the answer, receiving the \
                video included. Refused uploads arrived while privacy mode, the schedule or \
                recording off said not to record." }
        }
    }
}

fn cell(v: Option<i64>) -> String {
    or_none(v.map(|v| v.to_string()), "–")
}

fn samples(samples: &[Sample]) -> Markup {
    html! {
        section.card {
            h2 { "Samples" }
            @if samples.is_empty() {
                p { "No heartbeats in the last 24 hours." }
            } @else {
                p.muted { (samples.len()) " heartbeats, newest first." }
                div.scroll {
                    table.samples {
                        thead {
                            tr {
                                th scope="col" { "Time (UTC)" }
                                th scope="col" { "Signal (dBm)" }
                                th scope="col" { "Upload (kbit/s)" }
                            }
                        }
                        tbody {
                            @for s in samples.iter().rev() {
                                tr {
                                    td { (rfc3339(s.at)) }
                                    td { (cell(s.signal_dbm)) }
                                    td { (cell(s.upload_kbps)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /cameras/{id}/network`: anyone with access.
pub async fn network_get(
    State(state): State<AppState>,
    user: PageUser,
    Path(raw): Path<String>,
) -> Response {
    let who = user.0.account.id;
    let result = async {
        let id = camera_id(&raw)?;
        let (camera, _) = state.cameras.access(who, id).await?;
        let report = state.cameras.network(who, id).await?;
        let uploads = state.recordings.upload_report(who, id).await?;
        Ok::<_, domain::Error>((camera, report, uploads))
    }
    .await;
    let (camera, report, uploads) = match result {
        Ok(both) => both,
        Err(e) => return problem(&user, e),
    };
    let title = format!("Network · {}", camera.settings.name);
    let body = html! {
        (subnav(&user, Here::Elsewhere))
        h1 { "Network of " (camera.settings.name) }
        p { a href={ "/cameras/" (camera.id) } { "← Back to the camera" } }
        (figures(&report))
        (upload_figures(&uploads))
        (samples(&report.samples))
    };
    page(&title, Some(&user), body).into_response()
}
