//! The privacy center (`/privacy-center`): who accessed my data, and my
//! formal requests with a form to make one; and the administrators' queue
//! of open requests (`/admin/requests`) with deadlines and the next steps.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use domain::ports::Role;
use domain::privacy::requests::{RequestKind, RequestState, RightsRequest};
use maud::{html, Markup};
use serde::Deserialize;

use crate::error::ApiError;
use crate::extract::{AppForm, PageUser};
use crate::pages::failure;
use crate::pages::layout::{error_box, notice_box, page};
use crate::state::AppState;
use crate::time_fmt::rfc3339;

const KINDS: [(&str, &str); 7] = [
    ("access", "Tell me what you hold about me"),
    ("correction", "Correct something I cannot change myself"),
    ("erasure", "Erase some of my data"),
    ("portability", "Give me my data to take elsewhere"),
    ("restriction", "Stop processing some of my data"),
    ("objection", "I object to a use of my data"),
    ("other", "Something else about my data"),
];

fn state_text(s: RequestState) -> &'static str {
    match s {
        RequestState::Received => "received",
        RequestState::Verified => "identity checked",
        RequestState::InProgress => "in progress",
        RequestState::Completed => "completed",
        RequestState::Refused => "refused",
    }
}

fn request_item(state: &AppState, r: &RightsRequest) -> Markup {
    html! {
        li.request {
            p {
                strong { "#" (r.id) " · " (r.kind.as_str()) } " · " (state_text(r.state))
                @if state.requests.is_overdue(r) { " · " strong.overdue { "overdue" } }
                @else if !r.state.is_final() { " · answer due by " (rfc3339(r.due_at)) }
            }
            p { (r.details) }
            @if let Some(of) = r.repeat_of { p.muted { "This repeats request #" (of) "." } }
            @if let Some(reason) = &r.reason { p { "Reason: " (reason) } }
        }
    }
}

pub(super) async fn center(
    state: &AppState,
    user: &PageUser,
    status: StatusCode,
    notice: Option<&str>,
    error: Option<&str>,
) -> Response {
    let who = user.0.account.id;
    let loaded = (
        state.requests.mine(who).await,
        state.recordings.access_log(who, 50).await,
        state.consents.choices(who).await,
        state.consents.history(who).await,
    );
    let (requests, log, choices, history) = match loaded {
        (Ok(r), Ok(l), Ok(c), Ok(h)) => (r, l, c, h),
        (Err(e), _, _, _) | (_, Err(e), _, _) | (_, _, Err(e), _) | (_, _, _, Err(e)) => {
            let (status, text) = failure(e);
            return (
                status,
                page("Privacy center", Some(user), error_box(Some(&text))),
            )
                .into_response();
        }
    };
    // The export card is not worth failing the page for.
    let exports = state.exports.mine(who).await.unwrap_or_default();
    let held = state.holdings.about(who).await.unwrap_or_default();
    let restricted = state
        .closures
        .restricted_since(who)
        .await
        .unwrap_or_default();
    let body = html! {
        h1 { "Privacy center" }
        (notice_box(notice))
        (error_box(error))
        p { "What this server keeps and why: " a href="/privacy" { "the privacy page" } "." }
        section.card #my-data {
            h2 { "Everything we hold about you" }
            ul.plain {
                @for h in &held {
                    li { strong { (h.table.holds) } " — " (h.rows) (if h.rows == 1 { " entry" } else { " entries" })
                        br; span.muted { "Kept " (h.table.retention) "." } }
                }
            }
            p.muted { "Recordings and snapshots are counted in the recording and event entries; download a copy below to get them." }
        }
        form.card #consents method="post" action="/privacy-center/consents" {
            h2 { "Your consents" }
            p.muted { "Using camvault itself rests on your agreement to the service; these are optional and off until you turn them on. A change applies from your next action." }
            input type="hidden" name="csrf" value=(user.csrf());
            @for c in &choices {
                label.check { input type="checkbox" name=(c.purpose) value="on" checked[c.granted]; (c.description) }
            }
            button type="submit" { "Save consents" }
            @if !history.is_empty() {
                details {
                    summary { "History" }
                    ul {
                        @for r in &history {
                            li { (rfc3339(r.at)) " · " (r.purpose) " · " (if r.granted { "granted" } else { "withdrawn" })
                                 " · policy " (r.policy_version) " · " (r.channel) }
                        }
                    }
                }
            }
        }
        (super::leaving::restriction_card(user, restricted))
        (super::leaving::card(user, &exports))
        section.card #access-log {
            h2 { "Who accessed your data" }
            @if log.is_empty() { p.muted { "Nobody yet." } }
            ul.plain {
                @for e in &log {
                    li { (rfc3339(e.at)) " · " (e.action) " · " (e.role) " · " (e.object)
                        @if let Some(r) = &e.reason { " · " (r) } }
                }
            }
        }
        section.card #requests {
            h2 { "Your requests" }
            @if requests.is_empty() { p.muted { "None yet." } }
            ul.plain { @for r in &requests { (request_item(state, r)) } }
        }
        form.card method="post" action="/privacy-center/requests" {
            h2 { "Make a request" }
            p.muted { "For what you cannot do yourself in your settings. We answer within " (state.requests.config().deadline.as_secs() / 86_400) " days." }
            input type="hidden" name="csrf" value=(user.csrf());
            label { "What for"
                select name="kind" { @for (k, text) in KINDS { option value=(k) { (text) } } }
            }
            label { "Details" textarea name="details" rows="4" maxlength="4000" required {} }
            button type="submit" { "Send request" }
        }
        (super::leaving::cancel_card(state, user))
    };
    (status, page("Privacy center", Some(user), body)).into_response()
}

/// `GET /privacy-center`.
pub async fn center_get(State(state): State<AppState>, user: PageUser) -> Response {
    center(&state, &user, StatusCode::OK, None, None).await
}

/// The request form.
#[derive(Debug, Deserialize)]
pub struct RequestForm {
    csrf: String,
    kind: String,
    details: String,
}

/// `POST /privacy-center/requests`.
pub async fn request_post(
    State(state): State<AppState>,
    user: PageUser,
    AppForm(form): AppForm<RequestForm>,
) -> Result<Response, ApiError> {
    user.check_csrf(&form.csrf)?;
    let made = match RequestKind::parse(&form.kind) {
        Ok(kind) => {
            state
                .requests
                .submit(user.0.account.id, kind, &form.details)
                .await
        }
        Err(e) => Err(e),
    };
    Ok(match made {
        Ok(r) => {
            let text = format!(
                "Request #{} received; the answer is due by {}.",
                r.id,
                rfc3339(r.due_at)
            );
            center(&state, &user, StatusCode::CREATED, Some(&text), None).await
        }
        Err(e) => {
            let (status, text) = failure(e);
            center(&state, &user, status, None, Some(&text)).await
        }
    })
}

fn is_admin(user: &PageUser) -> bool {
    user.0.account.role == Role::Admin
}

fn next_steps(r: &RightsRequest) -> Vec<(RequestState, &'static str)> {
    [
        (RequestState::Verified, "Identity checked"),
        (RequestState::InProgress, "Start work"),
        (RequestState::Completed, "Complete"),
    ]
    .into_iter()
    .filter(|(s, _)| r.state.may_become(*s))
    .collect()
}

/// `GET /admin/requests`: open requests, soonest due first.
pub async fn queue_get(State(state): State<AppState>, user: PageUser) -> Response {
    queue(&state, &user, StatusCode::OK, None).await
}

async fn queue(
    state: &AppState,
    user: &PageUser,
    status: StatusCode,
    error: Option<&str>,
) -> Response {
    if !is_admin(user) {
        let body = error_box(Some("The requests queue is for administrators."));
        return (StatusCode::FORBIDDEN, page("Not allowed", Some(user), body)).into_response();
    }
    if let Err(e) = state
        .accounts
        .require_staff_second_factor(&user.0.account)
        .await
    {
        let (status, text) = failure(e);
        let body = error_box(Some(&format!(
            "{text}: turn on two-step sign-in on your account page."
        )));
        return (status, page("Not allowed yet", Some(user), body)).into_response();
    }
    let open = match state.requests.queue().await {
        Ok(q) => q,
        Err(e) => {
            let (status, text) = failure(e);
            return (status, page("Requests", Some(user), error_box(Some(&text)))).into_response();
        }
    };
    let body = html! {
        h1 { "Rights requests" }
        (error_box(error))
        @if open.is_empty() { p.muted { "No open requests." } }
        ul.plain {
            @for r in &open {
                li.card.request {
                    (request_item(state, r))
                    @if state.requests.is_due_soon(r) && !state.requests.is_overdue(r) { p { strong { "Due within a week." } } }
                    p.muted { "Account " (r.account_id.0) " · made " (rfc3339(r.created_at)) }
                    @for (to, text) in next_steps(r) {
                        form.inline method="post" action={ "/admin/requests/" (r.id) "/state" } {
                            input type="hidden" name="csrf" value=(user.csrf());
                            input type="hidden" name="state" value=(to.as_str());
                            button type="submit" { (text) }
                        }
                    }
                    form method="post" action={ "/admin/requests/" (r.id) "/state" } {
                        input type="hidden" name="csrf" value=(user.csrf());
                        input type="hidden" name="state" value="refused";
                        label { "Reason for refusing" input name="reason" maxlength="2000" required; }
                        button.danger type="submit" { "Refuse" }
                    }
                }
            }
        }
    };
    (status, page("Rights requests", Some(user), body)).into_response()
}

/// A step form.
#[derive(Debug, Deserialize)]
pub struct StepForm {
    csrf: String,
    state: String,
    #[serde(default)]
    reason: Option<String>,
}

/// `POST /admin/requests/{id}/state`.
pub async fn step_post(
    State(state): State<AppState>,
    user: PageUser,
    Path(raw): Path<String>,
    AppForm(form): AppForm<StepForm>,
) -> Result<Response, ApiError> {
    user.check_csrf(&form.csrf)?;
    let ready = state
        .accounts
        .require_staff_second_factor(&user.0.account)
        .await
        .is_ok();
    if !is_admin(&user) || !ready {
        return Ok(queue(&state, &user, StatusCode::FORBIDDEN, None).await);
    }
    // An id that is not a number names no request.
    let id = raw.trim().parse::<i64>().unwrap_or(0);
    let moved = match RequestState::parse(&form.state) {
        Ok(to) => {
            state
                .requests
                .advance(user.0.account.id, id, to, form.reason.as_deref())
                .await
        }
        Err(e) => Err(e),
    };
    Ok(match moved {
        Ok(_) => Redirect::to("/admin/requests").into_response(),
        Err(e) => {
            let (status, text) = failure(e);
            queue(&state, &user, status, Some(&text)).await
        }
    })
}

/// `POST /privacy-center/consents`: one checkbox per optional purpose.
pub async fn consents_post(
    State(state): State<AppState>,
    user: PageUser,
    AppForm(pairs): AppForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    user.check_csrf(field("csrf").unwrap_or(""))?;
    let who = user.0.account.id;
    let current = match state.consents.choices(who).await {
        Ok(c) => c,
        Err(e) => {
            let (status, text) = failure(e);
            return Ok(center(&state, &user, status, None, Some(&text)).await);
        }
    };
    // Only changes are recorded, so the history says what the person did.
    for c in current {
        let wanted = field(c.purpose).is_some();
        if wanted != c.granted {
            if let Err(e) = state.consents.set(who, c.purpose, wanted, "settings").await {
                let (status, text) = failure(e);
                return Ok(center(&state, &user, status, None, Some(&text)).await);
            }
        }
    }
    Ok(center(
        &state,
        &user,
        StatusCode::OK,
        Some("Your consents are saved."),
        None,
    )
    .await)
}

/// `GET /privacy-center/policy`: the policy to accept after a major change.
pub async fn policy_get(State(state): State<AppState>, user: PageUser) -> Response {
    let pending = match state.consents.pending_policy(user.0.account.id).await {
        Ok(p) => p,
        Err(e) => {
            let (status, text) = failure(e);
            return (
                status,
                page("Privacy policy", Some(&user), error_box(Some(&text))),
            )
                .into_response();
        }
    };
    let Some(p) = pending else {
        return Redirect::to("/account").into_response();
    };
    let body = html! {
        h1 { "Our privacy policy changed" }
        section.card {
            h2 { "Version " (p.version) }
            p { (p.summary) }
            p { "What this server keeps, why and for how long: " a href="/privacy" { "the privacy page" } "." }
            form method="post" action="/privacy-center/policy" {
                input type="hidden" name="csrf" value=(user.csrf());
                button type="submit" { "I accept" }
            }
            p.muted { "If you do not accept it, you can cancel your account instead." }
        }
    };
    page("Privacy policy", Some(&user), body).into_response()
}

/// A form carrying only the CSRF token.
#[derive(Debug, Deserialize)]
pub struct CsrfOnly {
    csrf: String,
}

/// `POST /privacy-center/policy`: accepts the policy in force.
pub async fn policy_post(
    State(state): State<AppState>,
    user: PageUser,
    AppForm(form): AppForm<CsrfOnly>,
) -> Result<Response, ApiError> {
    user.check_csrf(&form.csrf)?;
    state
        .consents
        .accept_policy(user.0.account.id, "policy_update")
        .await?;
    Ok(Redirect::to("/account").into_response())
}
