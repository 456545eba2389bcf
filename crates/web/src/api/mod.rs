//! JSON handlers under `/api/v1`, one file per area, and the OpenAPI document.

pub mod accounts;
pub mod admin;
pub mod album;
pub mod billing;
pub mod breach;
pub mod cameras;
pub mod claims;
pub mod closures;
pub mod consents;
pub mod device;
pub mod events;
pub mod exports;
pub mod external_identities;
pub mod health;
pub mod held;
pub mod ingest;
pub mod live;
pub mod marketing;
pub mod motion;
pub mod openapi;
pub mod push;
pub mod recordings;
pub mod requests;
pub mod residency;
pub mod search;
pub mod second_factor;
pub mod service_log;
pub mod sessions;
pub mod setup;
pub mod sharing;
pub mod support;
pub mod support_console;
pub mod tokens;
pub mod usage;
pub mod webhooks;

use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiResult;
use crate::extract::session_cookie;
use crate::state::AppState;
use crate::time_fmt::rfc3339;
use axum::http::StatusCode;
use axum::Json;
use axum_extra::extract::cookie::CookieJar;
use domain::accounts::Profile;
use domain::accounts::SignedIn;
use domain::ports::ContactState;

/// A contact as its owner sees it (masked, F4).
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactView {
    /// `email` or `phone`.
    pub kind: &'static str,
    /// Masked address, e.g. `j***@example.com`.
    pub address: String,
    /// Whether its code has been entered.
    pub verified: bool,
    /// True for a replacement waiting for its code.
    pub pending: bool,
}

/// The signed-in account.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeView {
    /// Account id.
    pub id: i64,
    /// Username.
    pub username: String,
    /// `user`, `support` or `admin`.
    pub role: &'static str,
    /// When the account was created (RFC 3339).
    pub created_at: String,
    /// Contacts, masked.
    pub contacts: Vec<ContactView>,
}

impl From<&Profile> for MeView {
    fn from(p: &Profile) -> Self {
        MeView {
            id: p.account.id.0,
            username: p.account.username.clone(),
            role: p.account.role.as_str(),
            created_at: rfc3339(p.account.created_at),
            contacts: p
                .contacts
                .iter()
                .map(|c| ContactView {
                    kind: c.address.kind().as_str(),
                    address: c.address.masked(),
                    verified: c.verified_at.is_some(),
                    pending: c.state == ContactState::Pending,
                })
                .collect(),
        }
    }
}

/// Answer to a successful sign-in or registration; the session itself is
/// in the `camvault_session` cookie.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignedInView {
    /// The account.
    pub account: MeView,
    /// Send this in `X-CSRF-Token` with every state-changing cookie request.
    pub csrf_token: String,
    /// The new session's id.
    pub session_id: i64,
    /// The session grants nothing until the second step:
    /// `POST /api/v1/sessions/second-factor` with a code.
    pub second_factor_required: bool,
}

/// Sets the session cookie and answers 201 with the signed-in account.
pub(crate) async fn signed_in_response(
    state: &AppState,
    jar: CookieJar,
    signed_in: SignedIn,
) -> ApiResult<(StatusCode, CookieJar, Json<SignedInView>)> {
    let profile = state.accounts.profile(signed_in.account.id).await?;
    let jar = session_cookie(jar, &signed_in, state);
    Ok((
        StatusCode::CREATED,
        jar,
        Json(SignedInView {
            account: MeView::from(&profile),
            csrf_token: signed_in.csrf_token,
            session_id: signed_in.session_id.0,
            second_factor_required: signed_in.second_factor_required,
        }),
    ))
}
