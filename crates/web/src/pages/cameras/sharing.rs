//! The owner's sharing page of a camera: who has access (each with a revoke
//! button), pending invitations (each with a withdraw button) and the invite
//! form; and leaving a camera someone shared with you.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use domain::cameras::sharing::{Invitation, Share};
use domain::cameras::{Access, Camera};
use domain::ids::{AccountId, CameraId};
use maud::{html, Markup};
use serde::Deserialize;

use super::settings::{render, Extras};
use super::{camera_id, message_page, number, problem, subnav, DoneQuery, Here};
use crate::error::ApiError;
use crate::extract::{AppForm, PageUser};
use crate::pages::auth::CsrfForm;
use crate::pages::failure;
use crate::pages::layout::{error_box, notice_box, page};
use crate::state::AppState;
use crate::time_fmt::rfc3339;

/// The roles an invitation may offer, with their descriptions.
const ROLES: [(&str, &str); 2] = [
    ("viewer", "Viewer: watches live and recordings"),
    ("operator", "Operator: also changes settings"),
];

/// What the invite form shows again after a refusal.
#[derive(Default)]
struct InviteState<'a> {
    contact: &'a str,
    role: &'a str,
    notice: Option<&'a str>,
    error: Option<&'a str>,
}

fn people(user: &PageUser, c: &Camera, shares: &[Share]) -> Markup {
    html! {
        section.card {
            h2 { "People with access" }
            @if shares.is_empty() {
                p { "Nobody else has access to this camera." }
            } @else {
                ul.plain {
                    @for s in shares {
                        li {
                            strong { (s.username) } " " span.badge { (s.role.as_str()) }
                            " "
                            form.inline method="post" action={ "/cameras/" (c.id) "/sharing/revoke" } {
                                input type="hidden" name="csrf" value=(user.csrf());
                                input type="hidden" name="account_id" value=(s.account_id.0);
                                button.link type="submit" aria-label={ "Revoke " (s.username) } { "Revoke" }
                            }
                            br;
                            small.muted { "since " (rfc3339(s.since)) }
                        }
                    }
                }
                p.muted { "Revoking takes effect with the person's very next request." }
            }
        }
    }
}

fn pending(user: &PageUser, c: &Camera, invitations: &[Invitation]) -> Markup {
    html! {
        section.card {
            h2 { "Pending invitations" }
            @if invitations.is_empty() {
                p { "No invitations are waiting for an answer." }
            } @else {
                ul.plain {
                    @for i in invitations {
                        li {
                            strong { (i.address.masked()) } " " span.badge { (i.role.as_str()) }
                            " "
                            form.inline method="post" action={ "/cameras/" (c.id) "/sharing/withdraw" } {
                                input type="hidden" name="csrf" value=(user.csrf());
                                input type="hidden" name="invitation_id" value=(i.id);
                                button.link type="submit"
                                    aria-label={ "Withdraw the invitation to " (i.address.masked()) } { "Withdraw" }
                            }
                            br;
                            small.muted { "expires " (rfc3339(i.expires_at)) }
                        }
                    }
                }
            }
        }
    }
}

fn invite_form(user: &PageUser, c: &Camera, form: &InviteState<'_>) -> Markup {
    let chosen = if form.role.is_empty() {
        "viewer"
    } else {
        form.role
    };
    html! {
        form.card method="post" action={ "/cameras/" (c.id) "/sharing/invite" } {
            h2 { "Invite someone" }
            input type="hidden" name="csrf" value=(user.csrf());
            label { "Email address or mobile phone " small { "(international form, e.g. +44 7700 900123)" }
                input name="contact" required autocomplete="off" spellcheck="false" maxlength="254"
                    value=(form.contact); }
            label { "Role"
                select name="role" {
                    @for (value, text) in ROLES {
                        option value=(value) selected[value == chosen] { (text) }
                    }
                }
            }
            p.muted { "They get a message, and accept under Invitations after signing in with "
                "this address (verified) within 7 days." }
            button type="submit" { "Send invitation" }
        }
    }
}

/// The sharing page of a camera the caller owns, or the refusal.
async fn render_sharing(
    state: &AppState,
    user: &PageUser,
    id: CameraId,
    status: StatusCode,
    form: InviteState<'_>,
) -> Response {
    let who = user.0.account.id;
    let camera = match state.cameras.access(who, id).await {
        Ok((c, Access::Owner)) => c,
        Ok(_) => {
            return message_page(
                user,
                StatusCode::FORBIDDEN,
                "Not allowed",
                "Only the camera's owner can see and change who it is shared with.",
            )
        }
        Err(e) => return problem(user, e),
    };
    let (shares, invitations) = match state.cameras.shares(who, id).await {
        Ok(both) => both,
        Err(e) => return problem(user, e),
    };
    let title = format!("Sharing · {}", camera.settings.name);
    let body = html! {
        (subnav(user, Here::Elsewhere))
        h1 { "Sharing " (camera.settings.name) }
        p { a href={ "/cameras/" (camera.id) } { "← Back to the camera" } }
        (notice_box(form.notice))
        (error_box(form.error))
        (people(user, &camera, &shares))
        (pending(user, &camera, &invitations))
        (invite_form(user, &camera, &form))
    };
    (status, page(&title, Some(user), body)).into_response()
}

/// `GET /cameras/{id}/sharing`: the owner's sharing page.
pub async fn sharing_get(
    State(state): State<AppState>,
    user: PageUser,
    Path(raw): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Response {
    let id = match camera_id(&raw) {
        Ok(id) => id,
        Err(e) => return problem(&user, e),
    };
    let notice = match q.done.as_deref() {
        Some("invited") => Some("Invitation sent."),
        Some("revoked") => Some("Access revoked."),
        Some("withdrawn") => Some("Invitation withdrawn."),
        _ => None,
    };
    let form = InviteState {
        notice,
        ..InviteState::default()
    };
    render_sharing(&state, &user, id, StatusCode::OK, form).await
}

fn done(id: CameraId, what: &str) -> Response {
    Redirect::to(&format!("/cameras/{id}/sharing?done={what}")).into_response()
}

/// The sharing page again with the error, or the refusal page.
async fn refused(state: &AppState, user: &PageUser, id: CameraId, e: domain::Error) -> Response {
    match e {
        domain::Error::NotFound("camera") | domain::Error::Forbidden => problem(user, e),
        e => {
            let (status, text) = failure(e);
            let form = InviteState {
                error: Some(&text),
                ..InviteState::default()
            };
            render_sharing(state, user, id, status, form).await
        }
    }
}

/// Invite form fields.
#[derive(Debug, Deserialize)]
pub struct InviteForm {
    csrf: String,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    role: String,
}

/// `POST /cameras/{id}/sharing/invite`: `contact` (email or +phone), `role`.
pub async fn invite_post(
    State(state): State<AppState>,
    user: PageUser,
    Path(raw): Path<String>,
    AppForm(form): AppForm<InviteForm>,
) -> Result<Response, ApiError> {
    user.check_csrf(&form.csrf)?;
    let id = match camera_id(&raw) {
        Ok(id) => id,
        Err(e) => return Ok(problem(&user, e)),
    };
    let result = state
        .cameras
        .invite(user.0.account.id, id, &form.contact, &form.role)
        .await;
    Ok(match result {
        Ok(_) => done(id, "invited"),
        Err(e @ (domain::Error::NotFound("camera") | domain::Error::Forbidden)) => {
            problem(&user, e)
        }
        Err(e) => {
            let (status, text) = failure(e);
            let again = InviteState {
                contact: &form.contact,
                role: &form.role,
                notice: None,
                error: Some(&text),
            };
            render_sharing(&state, &user, id, status, again).await
        }
    })
}

/// Revoke form fields: whose access ends.
#[derive(Debug, Deserialize)]
pub struct RevokeForm {
    csrf: String,
    #[serde(default)]
    account_id: String,
}

/// `POST /cameras/{id}/sharing/revoke`: the owner ends `account_id`'s access.
pub async fn revoke_post(
    State(state): State<AppState>,
    user: PageUser,
    Path(raw): Path<String>,
    AppForm(form): AppForm<RevokeForm>,
) -> Result<Response, ApiError> {
    user.check_csrf(&form.csrf)?;
    let id = match camera_id(&raw) {
        Ok(id) => id,
        Err(e) => return Ok(problem(&user, e)),
    };
    let who = user.0.account.id;
    let result = async {
        let person = AccountId(number(&form.account_id, "share")?);
        // Ending one's own share is "leave", which has its own button.
        if person == who {
            return Err(domain::Error::NotFound("share"));
        }
        state.cameras.revoke_share(who, id, person).await
    }
    .await;
    Ok(match result {
        Ok(()) => done(id, "revoked"),
        Err(e) => refused(&state, &user, id, e).await,
    })
}

/// Withdraw form fields: which invitation.
#[derive(Debug, Deserialize)]
pub struct WithdrawForm {
    csrf: String,
    #[serde(default)]
    invitation_id: String,
}

/// `POST /cameras/{id}/sharing/withdraw`: the owner cancels an invitation.
pub async fn withdraw_post(
    State(state): State<AppState>,
    user: PageUser,
    Path(raw): Path<String>,
    AppForm(form): AppForm<WithdrawForm>,
) -> Result<Response, ApiError> {
    user.check_csrf(&form.csrf)?;
    let id = match camera_id(&raw) {
        Ok(id) => id,
        Err(e) => return Ok(problem(&user, e)),
    };
    let result = async {
        let invitation = number(&form.invitation_id, "invitation")?;
        state
            .cameras
            .cancel_invitation(user.0.account.id, id, invitation)
            .await
    }
    .await;
    Ok(match result {
        Ok(()) => done(id, "withdrawn"),
        Err(e) => refused(&state, &user, id, e).await,
    })
}

/// `POST /cameras/{id}/sharing/leave`: someone the camera is shared with
/// ends their own access.
pub async fn leave_post(
    State(state): State<AppState>,
    user: PageUser,
    Path(raw): Path<String>,
    AppForm(form): AppForm<CsrfForm>,
) -> Result<Response, ApiError> {
    user.check_csrf(form.csrf())?;
    let id = match camera_id(&raw) {
        Ok(id) => id,
        Err(e) => return Ok(problem(&user, e)),
    };
    let who = user.0.account.id;
    match state.cameras.access(who, id).await {
        Ok((_, Access::Owner)) => {
            let extras = Extras {
                error: Some("You own this camera. To let it go, unbind it."),
                ..Extras::default()
            };
            return Ok(render(&state, &user, id, StatusCode::BAD_REQUEST, extras).await);
        }
        Ok(_) => {}
        Err(e) => return Ok(problem(&user, e)),
    }
    Ok(match state.cameras.revoke_share(who, id, who).await {
        Ok(()) => Redirect::to("/cameras?done=left").into_response(),
        Err(e) => problem(&user, e),
    })
}
