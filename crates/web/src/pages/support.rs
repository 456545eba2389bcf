//! The support console (E3): find the account a caller speaks of, see it
//! masked with its orders and cameras, unmask one part with a written
//! reason for 15 minutes, resend verification codes, check a camera's
//! network, and open a rights request on the person's behalf. Every step
//! is in the person's access log.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use domain::ids::{AccountId, CameraId};
use domain::ports::Role;
use maud::{html, Markup};
use serde::Deserialize;

use super::failure;
use super::layout::{error_box, notice_box, page};
use crate::error::ApiError;
use crate::extract::{AppForm, AppPath, PageUser};
use crate::state::AppState;
use crate::time_fmt::rfc3339;

/// Staff with a second factor, or the page that says why not.
async fn staff_only(state: &AppState, user: &PageUser) -> Option<Response> {
    let refuse = |status: StatusCode, text: String| {
        let body = page(
            "Not allowed",
            Some(user),
            html! { h1 { "Not allowed" } p.error { (text) } },
        );
        Some((status, body).into_response())
    };
    if !matches!(user.0.account.role, Role::Support | Role::Admin) {
        return refuse(
            StatusCode::FORBIDDEN,
            "The support console is for support staff.".into(),
        );
    }
    if let Err(e) = state
        .accounts
        .require_staff_second_factor(&user.0.account)
        .await
    {
        let (status, text) = failure(e);
        return refuse(
            status,
            format!("{text}: turn on two-step sign-in on your account page."),
        );
    }
    None
}

/// A staff form's checks: its CSRF token, then the caller's role; the
/// refusal page when they are not staff.
async fn staff_form(
    state: &AppState,
    user: &PageUser,
    csrf: &str,
) -> Result<Option<Response>, ApiError> {
    user.check_csrf(csrf)?;
    Ok(staff_only(state, user).await)
}

/// The search box.
#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: Option<String>,
}

/// `GET /support`: the search; with `q`, to the account found.
pub async fn search_get(
    State(state): State<AppState>,
    user: PageUser,
    Query(query): Query<SearchQuery>,
) -> Response {
    if let Some(refused) = staff_only(&state, &user).await {
        return refused;
    }
    let mut error = None;
    if let Some(q) = query.q.as_deref().filter(|q| !q.trim().is_empty()) {
        match state.support.find(user.0.account.id, q).await {
            Ok(id) => return Redirect::to(&format!("/support/accounts/{id}")).into_response(),
            Err(e) => error = Some(failure(e)),
        }
    }
    let status = error.as_ref().map_or(StatusCode::OK, |(s, _)| *s);
    let body = page(
        "Support",
        Some(&user),
        html! {
            h1 { "Support console" }
            (error_box(error.as_ref().map(|(_, t)| t.as_str())))
            form.card #support-search method="get" action="/support" {
                label { "Order number, or the caller's email address or phone number"
                    input name="q" required autofocus; }
                button type="submit" { "Find" }
            }
            p.muted { "Every look-up is in that person's access log." }
        },
    );
    (status, body).into_response()
}

/// `GET /support/accounts/{id}`: the account, masked.
pub async fn account_get(
    State(state): State<AppState>,
    user: PageUser,
    AppPath(id): AppPath<i64>,
) -> Result<Response, ApiError> {
    account_page(&state, &user, id, None, None).await
}

async fn account_page(
    state: &AppState,
    user: &PageUser,
    id: i64,
    error: Option<&str>,
    notice: Option<&str>,
) -> Result<Response, ApiError> {
    if let Some(refused) = staff_only(state, user).await {
        return Ok(refused);
    }
    let staff = user.0.account.id;
    let card = state.support.look_up(staff, AccountId(id)).await?;
    let orders = state.support.orders(staff, AccountId(id)).await?;
    let csrf = user.csrf();
    let action = |what: &str| format!("/support/accounts/{id}/{what}");
    let body = page(
        "Support: account",
        Some(user),
        html! {
            h1 { "Account " (id) }
            (error_box(error))
            (notice_box(notice))
            section.card #support-account {
                p { "Username: " strong.masked { (card.username) } " · role " (card.role.as_str())
                    " · since " (rfc3339(card.created_at)) }
                ul { @for c in &card.contacts {
                    li { (c.kind) ": " span.masked { (c.value) }
                        @if !c.verified { " (not verified)" } }
                } }
                @for (field, until) in &card.unmasked {
                    p.notice { (field) " shown in full until " (rfc3339(*until)) }
                }
                form method="post" action=(action("unmask")) {
                    input type="hidden" name="csrf" value=(csrf);
                    label { "Show in full" select name="field" {
                        option value="contacts" { "contacts" }
                        option value="username" { "username" }
                        option value="camera_names" { "camera names" } } }
                    label { "Why (the person will read this)"
                        input name="reason" required minlength="10" maxlength="500"; }
                    button type="submit" { "Show for 15 minutes" }
                }
                form method="post" action=(action("resend-verification")) {
                    input type="hidden" name="csrf" value=(csrf);
                    button type="submit" { "Send verification codes again" }
                }
            }
            section.card #support-orders {
                h2 { "Orders" }
                @if orders.is_empty() { p { "None." } }
                ul { @for o in &orders {
                    li { (o.number) ": " (o.amount_text()) ", " (o.status.as_str()) " (" (o.method) ")" }
                } }
            }
            section.card #support-cameras {
                h2 { "Cameras" }
                ul { @for c in &card.cameras {
                    li { (c.serial) " · " (c.model) " · " span.masked { (c.name) } " · "
                        a href=(format!("/support/accounts/{id}/cameras/{}/network", c.id)) { "network check" } }
                } }
            }
            section.card #support-request {
                h2 { "Open a request for this person" }
                form method="post" action=(action("requests")) {
                    input type="hidden" name="csrf" value=(csrf);
                    label { "Kind" select name="kind" {
                        @for k in ["access", "rectification", "erasure", "restriction", "portability", "objection"] {
                            option value=(k) { (k) } } } }
                    label { "What they asked, in their words" textarea name="details" required maxlength="2000" {} }
                    button type="submit" { "Open request" }
                }
            }
        },
    );
    Ok(body.into_response())
}

/// The unmask form.
#[derive(Debug, Deserialize)]
pub struct UnmaskForm {
    csrf: String,
    field: String,
    reason: String,
}

/// `POST /support/accounts/{id}/unmask`.
pub async fn unmask_post(
    State(state): State<AppState>,
    user: PageUser,
    AppPath(id): AppPath<i64>,
    AppForm(f): AppForm<UnmaskForm>,
) -> Result<Response, ApiError> {
    if let Some(refused) = staff_form(&state, &user, &f.csrf).await? {
        return Ok(refused);
    }
    let result = state
        .support
        .unmask(user.0.account.id, AccountId(id), &f.field, &f.reason)
        .await;
    outcome(
        &state,
        &user,
        id,
        result.map(|_| "Shown for 15 minutes.".to_string()),
    )
    .await
}

/// A form with only its CSRF token.
#[derive(Debug, Deserialize)]
pub struct CsrfOnly {
    csrf: String,
}

/// `POST /support/accounts/{id}/resend-verification`.
pub async fn resend_post(
    State(state): State<AppState>,
    user: PageUser,
    AppPath(id): AppPath<i64>,
    AppForm(f): AppForm<CsrfOnly>,
) -> Result<Response, ApiError> {
    if let Some(refused) = staff_form(&state, &user, &f.csrf).await? {
        return Ok(refused);
    }
    let result = state
        .support
        .resend_verification(user.0.account.id, AccountId(id))
        .await
        .map(|n| format!("{n} code(s) sent."));
    outcome(&state, &user, id, result).await
}

/// The request form.
#[derive(Debug, Deserialize)]
pub struct RequestForm {
    csrf: String,
    kind: String,
    details: String,
}

/// `POST /support/accounts/{id}/requests`.
pub async fn request_post(
    State(state): State<AppState>,
    user: PageUser,
    AppPath(id): AppPath<i64>,
    AppForm(f): AppForm<RequestForm>,
) -> Result<Response, ApiError> {
    if let Some(refused) = staff_form(&state, &user, &f.csrf).await? {
        return Ok(refused);
    }
    let result = state
        .support
        .open_request(user.0.account.id, AccountId(id), &f.kind, &f.details)
        .await
        .map(|r| format!("Request {} opened; it is due {}.", r.id, rfc3339(r.due_at)));
    outcome(&state, &user, id, result).await
}

async fn outcome(
    state: &AppState,
    user: &PageUser,
    id: i64,
    result: domain::Result<String>,
) -> Result<Response, ApiError> {
    match result {
        Ok(text) => account_page(state, user, id, None, Some(&text)).await,
        Err(e) => {
            let (status, text) = failure(e);
            let mut resp = account_page(state, user, id, Some(&text), None).await?;
            *resp.status_mut() = status;
            Ok(resp)
        }
    }
}

/// `GET /support/accounts/{id}/cameras/{camera}/network`.
pub async fn network_get(
    State(state): State<AppState>,
    user: PageUser,
    AppPath((id, camera)): AppPath<(i64, i64)>,
) -> Result<Response, ApiError> {
    if let Some(refused) = staff_only(&state, &user).await {
        return Ok(refused);
    }
    let r = state
        .support
        .network(user.0.account.id, AccountId(id), CameraId(camera))
        .await?;
    Ok(page(
        "Support: network",
        Some(&user),
        html! {
            h1 { "Camera " (camera) ": network" }
            dl #support-network {
                dt { "Online" } dd { (if r.online { "yes" } else { "no" }) }
                dt { "Last heard from" } dd { (r.last_seen_at.map(rfc3339).unwrap_or_else(|| "never".into())) }
                dt { "Signal" } dd { (r.signal_dbm.map(|s| format!("{s} dBm")).unwrap_or_default()) }
                dt { "Upload" } dd { (r.upload_kbps.map(|k| format!("{k} kbit/s")).unwrap_or_default()) }
                dt { "Heartbeats, 24 h" } dd { (r.heartbeats) " (" (r.missed_heartbeats) " missed)" }
                dt { "Last error" } dd { (r.last_error.clone().unwrap_or_default()) }
            }
            p { a href=(format!("/support/accounts/{id}")) { "Back to the account" } }
        },
    )
    .into_response())
}

/// Support's link on the account page.
pub fn link(user: &PageUser) -> Markup {
    html! {
        @if matches!(user.0.account.role, Role::Support | Role::Admin) {
            p { a href="/support" { "Support console" } }
        }
    }
}
