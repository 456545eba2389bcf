//! Sharing cameras: invitations, the share list, revocation (C6).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use domain::cameras::sharing::Invitation;
use domain::cameras::Access;
use domain::ids::{AccountId, CameraId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::cameras::CameraView;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AppJson, AppPath, CurrentUser};
use crate::state::AppState;
use crate::time_fmt::rfc3339;

/// Invitation input.
#[derive(Debug, Deserialize, ToSchema)]
pub struct InviteRequest {
    /// Email address or phone number (`+…`) of the person.
    pub contact: String,
    /// `viewer` or `operator`.
    pub role: String,
}

/// A pending invitation as the owner sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationView {
    /// Invitation id.
    pub id: i64,
    /// Invited address, masked.
    pub contact: String,
    /// Offered role.
    pub role: &'static str,
    /// Expiry (RFC 3339).
    pub expires_at: String,
}

impl From<&Invitation> for InvitationView {
    fn from(i: &Invitation) -> Self {
        InvitationView {
            id: i.id,
            contact: i.address.masked(),
            role: i.role.as_str(),
            expires_at: rfc3339(i.expires_at),
        }
    }
}

/// Invites someone to a camera (owner only); they get a message.
#[utoipa::path(post, path = "/api/v1/cameras/{id}/invitations", tag = "sharing",
    params(("id" = i64, Path, description = "camera id")),
    request_body = InviteRequest,
    responses((status = 201, body = InvitationView), (status = 400, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn invite(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppPath(id): AppPath<i64>,
    AppJson(req): AppJson<InviteRequest>,
) -> ApiResult<(StatusCode, Json<InvitationView>)> {
    let inv = state
        .cameras
        .invite(who.account.id, CameraId(id), &req.contact, &req.role)
        .await?;
    Ok((StatusCode::CREATED, Json(InvitationView::from(&inv))))
}

/// A person with access.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShareView {
    /// Their account id.
    pub account_id: i64,
    /// Their username.
    pub username: String,
    /// `viewer` or `operator`.
    pub role: &'static str,
    /// Since (RFC 3339).
    pub since: String,
}

/// Everyone with access, and pending invitations.
#[derive(Debug, Serialize, ToSchema)]
pub struct SharesView {
    /// Granted shares.
    pub shares: Vec<ShareView>,
    /// Pending invitations.
    pub invitations: Vec<InvitationView>,
}

/// Who has access to a camera (owner only).
#[utoipa::path(get, path = "/api/v1/cameras/{id}/shares", tag = "sharing",
    params(("id" = i64, Path, description = "camera id")),
    responses((status = 200, body = SharesView), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn shares(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppPath(id): AppPath<i64>,
) -> ApiResult<Json<SharesView>> {
    let (shares, invitations) = state.cameras.shares(who.account.id, CameraId(id)).await?;
    Ok(Json(SharesView {
        shares: shares
            .iter()
            .map(|s| ShareView {
                account_id: s.account_id.0,
                username: s.username.clone(),
                role: s.role.as_str(),
                since: rfc3339(s.since),
            })
            .collect(),
        invitations: invitations.iter().map(InvitationView::from).collect(),
    }))
}

/// Revokes a person's access at once (owner), or leaves a shared camera (the person).
#[utoipa::path(delete, path = "/api/v1/cameras/{id}/shares/{account_id}", tag = "sharing",
    params(("id" = i64, Path, description = "camera id"), ("account_id" = i64, Path, description = "person")),
    responses((status = 204, description = "revoked"), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn revoke(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppPath((id, person)): AppPath<(i64, i64)>,
) -> ApiResult<StatusCode> {
    state
        .cameras
        .revoke_share(who.account.id, CameraId(id), AccountId(person))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Withdraws a pending invitation (owner).
#[utoipa::path(delete, path = "/api/v1/cameras/{id}/invitations/{invitation_id}", tag = "sharing",
    params(("id" = i64, Path, description = "camera id"), ("invitation_id" = i64, Path, description = "invitation")),
    responses((status = 204, description = "withdrawn"), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn cancel(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppPath((id, invitation)): AppPath<(i64, i64)>,
) -> ApiResult<StatusCode> {
    state
        .cameras
        .cancel_invitation(who.account.id, CameraId(id), invitation)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An invitation as the invitee sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncomingInvitation {
    /// Invitation id.
    pub id: i64,
    /// The camera's name.
    pub camera_name: String,
    /// Offered role.
    pub role: &'static str,
    /// Expiry (RFC 3339).
    pub expires_at: String,
}

/// Invitations addressed to the caller's verified contacts.
#[utoipa::path(get, path = "/api/v1/invitations", tag = "sharing",
    responses((status = 200, body = [IncomingInvitation]), (status = 401, body = ErrorBody)))]
pub async fn incoming(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
) -> ApiResult<Json<Vec<IncomingInvitation>>> {
    let list = state.cameras.invitations(who.account.id).await?;
    Ok(Json(
        list.iter()
            .map(|(inv, cam)| IncomingInvitation {
                id: inv.id,
                camera_name: cam.settings.name.clone(),
                role: inv.role.as_str(),
                expires_at: rfc3339(inv.expires_at),
            })
            .collect(),
    ))
}

/// Accepts an invitation addressed to one of the caller's verified contacts.
#[utoipa::path(post, path = "/api/v1/invitations/{id}/accept", tag = "sharing",
    params(("id" = i64, Path, description = "invitation id")),
    responses((status = 200, body = CameraView), (status = 404, body = ErrorBody)))]
pub async fn accept(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppPath(id): AppPath<i64>,
) -> ApiResult<Json<CameraView>> {
    let camera = state.cameras.accept_invitation(who.account.id, id).await?;
    let (camera, access) = state.cameras.access(who.account.id, camera.id).await?;
    debug_assert!(access <= Access::Operator);
    Ok(Json(CameraView::new(
        &camera,
        access,
        state.cameras.is_online(&camera),
    )))
}

/// Declines an invitation.
#[utoipa::path(delete, path = "/api/v1/invitations/{id}", tag = "sharing",
    params(("id" = i64, Path, description = "invitation id")),
    responses((status = 204, description = "declined"), (status = 404, body = ErrorBody)))]
pub async fn decline(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppPath(id): AppPath<i64>,
) -> ApiResult<StatusCode> {
    state.cameras.decline_invitation(who.account.id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
