//! The support desk (E3): accounts seen masked; unmasking a part needs a
//! reason, lasts 15 minutes and shows in the person's access log.

use axum::extract::State;
use axum::Json;
use domain::ids::AccountId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AppJson, AppPath, SupportUser};
use crate::state::AppState;
use crate::time_fmt::rfc3339;

/// A contact.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactLineView {
    /// `email` or `phone`.
    pub kind: String,
    /// Masked unless unmasked.
    pub value: String,
    /// Proved with a code.
    pub verified: bool,
}

/// A camera the account owns.
#[derive(Debug, Serialize, ToSchema)]
pub struct CameraLineView {
    /// Camera id.
    pub id: i64,
    /// Serial number.
    pub serial: String,
    /// Model.
    pub model: String,
    /// Name, masked unless unmasked.
    pub name: String,
    /// Last heard from (RFC 3339).
    pub last_seen: Option<String>,
}

/// A part shown in full.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnmaskedView {
    /// `username`, `contacts` or `camera_names`.
    pub field: String,
    /// Until (RFC 3339).
    pub until: String,
}

/// An account as support sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountCardView {
    /// Account id.
    pub id: i64,
    /// Masked unless unmasked.
    pub username: String,
    /// `user`, `support` or `admin`.
    pub role: String,
    /// Created (RFC 3339).
    pub created_at: String,
    /// Contacts.
    pub contacts: Vec<ContactLineView>,
    /// Cameras it owns.
    pub cameras: Vec<CameraLineView>,
    /// What is shown in full now.
    pub unmasked: Vec<UnmaskedView>,
}

/// Which part to see in full, and why.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnmaskBody {
    /// `username`, `contacts` or `camera_names`.
    pub field: String,
    /// Why (10–500 characters); the person reads it in their access log.
    pub reason: String,
}

/// A granted unmasking.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnmaskView {
    /// The part.
    pub field: String,
    /// Shown in full until (RFC 3339).
    pub until: String,
}

/// An account, masked (support staff; the look-up is in the person's access log).
#[utoipa::path(get, path = "/api/v1/support/accounts/{id}", tag = "privacy",
    params(("id" = i64, Path, description = "Account id")),
    responses((status = 200, body = AccountCardView), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn look_up(
    State(state): State<AppState>,
    SupportUser(staff): SupportUser,
    AppPath(id): AppPath<i64>,
) -> ApiResult<Json<AccountCardView>> {
    let c = state
        .support
        .look_up(staff.account.id, AccountId(id))
        .await?;
    Ok(Json(AccountCardView {
        id: c.id.0,
        username: c.username,
        role: c.role.as_str().to_string(),
        created_at: rfc3339(c.created_at),
        contacts: c
            .contacts
            .into_iter()
            .map(|l| ContactLineView {
                kind: l.kind,
                value: l.value,
                verified: l.verified,
            })
            .collect(),
        cameras: c
            .cameras
            .into_iter()
            .map(|l| CameraLineView {
                id: l.id,
                serial: l.serial,
                model: l.model,
                name: l.name,
                last_seen: l.last_seen.map(rfc3339),
            })
            .collect(),
        unmasked: c
            .unmasked
            .into_iter()
            .map(|(field, until)| UnmaskedView {
                field,
                until: rfc3339(until),
            })
            .collect(),
    }))
}

/// Shows one part of an account in full for 15 minutes (support staff).
#[utoipa::path(post, path = "/api/v1/support/accounts/{id}/unmask", tag = "privacy",
    params(("id" = i64, Path, description = "Account id")), request_body = UnmaskBody,
    responses((status = 200, body = UnmaskView), (status = 400, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn unmask(
    State(state): State<AppState>,
    SupportUser(staff): SupportUser,
    AppPath(id): AppPath<i64>,
    AppJson(b): AppJson<UnmaskBody>,
) -> ApiResult<Json<UnmaskView>> {
    let until = state
        .support
        .unmask(staff.account.id, AccountId(id), &b.field, &b.reason)
        .await?;
    Ok(Json(UnmaskView {
        field: b.field,
        until: rfc3339(until),
    }))
}
