//! The invitee's side of sharing: invitations addressed to the signed-in
//! person's verified email or phone, each accepted or declined.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use domain::cameras::sharing::Invitation;
use domain::cameras::Camera;
use maud::{html, Markup};

use super::{number, problem, subnav, DoneQuery, Here};
use crate::error::ApiError;
use crate::extract::{AppForm, PageUser};
use crate::pages::auth::CsrfForm;
use crate::pages::failure;
use crate::pages::layout::{error_box, notice_box, page};
use crate::state::AppState;
use crate::time_fmt::rfc3339;

/// "You have N invitations", linked to the invitations page; nothing for none.
pub(super) fn invitations_banner(count: usize) -> Markup {
    html! {
        @if count > 0 {
            p.notice role="status" {
                a href="/invitations" {
                    @if count == 1 { "You have 1 invitation" } @else { "You have " (count) " invitations" }
                }
                " to see someone else's camera."
            }
        }
    }
}

fn list(user: &PageUser, invitations: &[(Invitation, Camera)]) -> Markup {
    html! {
        section.card {
            @if invitations.is_empty() {
                p { "No invitations are waiting for you." }
                p.muted { "Invitations reach you at your verified email address or phone number. "
                    "Add or verify them on " a href="/account" { "your account page" } "." }
            } @else {
                ul.plain {
                    @for (inv, cam) in invitations {
                        li {
                            strong { (cam.settings.name) } " " span.badge { (inv.role.as_str()) }
                            br;
                            small.muted { "expires " (rfc3339(inv.expires_at)) }
                            div.actions {
                                form.inline method="post" action={ "/invitations/" (inv.id) "/accept" } {
                                    input type="hidden" name="csrf" value=(user.csrf());
                                    button type="submit" aria-label={ "Accept " (cam.settings.name) } { "Accept" }
                                }
                                " "
                                form.inline method="post" action={ "/invitations/" (inv.id) "/decline" } {
                                    input type="hidden" name="csrf" value=(user.csrf());
                                    button.secondary type="submit" aria-label={ "Decline " (cam.settings.name) } { "Decline" }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The invitations page with `status`, a notice or an error.
async fn render(
    state: &AppState,
    user: &PageUser,
    status: StatusCode,
    notice: Option<&str>,
    error: Option<&str>,
) -> Response {
    let invitations = match state.cameras.invitations(user.0.account.id).await {
        Ok(list) => list,
        Err(e) => return problem(user, e),
    };
    let body = html! {
        (subnav(user, Here::Invitations))
        h1 { "Invitations" }
        (notice_box(notice))
        (error_box(error))
        (list(user, &invitations))
    };
    (status, page("Invitations", Some(user), body)).into_response()
}

/// `GET /invitations`.
pub async fn invitations_get(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<DoneQuery>,
) -> Response {
    let notice = match q.done.as_deref() {
        Some("declined") => Some("Invitation declined."),
        _ => None,
    };
    render(&state, &user, StatusCode::OK, notice, None).await
}

/// The invitations page again with the error.
async fn refused(state: &AppState, user: &PageUser, e: domain::Error) -> Response {
    let (status, text) = match e {
        domain::Error::NotFound(_) => (
            StatusCode::NOT_FOUND,
            "That invitation is gone: it was withdrawn, answered or has expired.".to_string(),
        ),
        e => failure(e),
    };
    render(state, user, status, None, Some(&text)).await
}

/// `POST /invitations/{id}/accept`: the camera joins the person's list.
pub async fn accept_post(
    State(state): State<AppState>,
    user: PageUser,
    Path(raw): Path<String>,
    AppForm(form): AppForm<CsrfForm>,
) -> Result<Response, ApiError> {
    user.check_csrf(form.csrf())?;
    let result = async {
        let id = number(&raw, "invitation")?;
        state.cameras.accept_invitation(user.0.account.id, id).await
    }
    .await;
    Ok(match result {
        Ok(camera) => Redirect::to(&format!("/cameras/{}", camera.id)).into_response(),
        Err(e) => refused(&state, &user, e).await,
    })
}

/// `POST /invitations/{id}/decline`.
pub async fn decline_post(
    State(state): State<AppState>,
    user: PageUser,
    Path(raw): Path<String>,
    AppForm(form): AppForm<CsrfForm>,
) -> Result<Response, ApiError> {
    user.check_csrf(form.csrf())?;
    let result = async {
        let id = number(&raw, "invitation")?;
        state
            .cameras
            .decline_invitation(user.0.account.id, id)
            .await
    }
    .await;
    Ok(match result {
        Ok(()) => Redirect::to("/invitations?done=declined").into_response(),
        Err(e) => refused(&state, &user, e).await,
    })
}
