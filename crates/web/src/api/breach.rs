//! Breach notices (G6): administrators tell the people a personal-data
//! breach affected; each person sees the notices they received.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use domain::privacy::breach::{Audience, BreachNotice, NoticeText};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AdminUser, AppJson, AppPath, CurrentUser};
use crate::state::AppState;
use crate::time_fmt::rfc3339;

/// Who a notice is for.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum AudienceBody {
    /// Every account.
    Everyone,
    /// Owners of a camera of this model.
    CameraModel {
        /// The model, as provisioned.
        model: String,
    },
    /// These accounts.
    Accounts {
        /// Their ids.
        ids: Vec<i64>,
    },
}

impl From<AudienceBody> for Audience {
    fn from(a: AudienceBody) -> Audience {
        match a {
            AudienceBody::Everyone => Audience::Everyone,
            AudienceBody::CameraModel { model } => Audience::CameraModel { model },
            AudienceBody::Accounts { ids } => Audience::Accounts { ids },
        }
    }
}

impl From<Audience> for AudienceBody {
    fn from(a: Audience) -> AudienceBody {
        match a {
            Audience::Everyone => AudienceBody::Everyone,
            Audience::CameraModel { model } => AudienceBody::CameraModel { model },
            Audience::Accounts { ids } => AudienceBody::Accounts { ids },
        }
    }
}

/// An audience to count.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewBody {
    /// Who.
    pub audience: AudienceBody,
}

/// How many a notice would reach.
#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewView {
    /// Accounts the audience names now.
    pub accounts: u64,
    /// Of those, with a verified email (the rest get it in the app only).
    pub with_email: u64,
}

/// A notice to write: every part is required.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoticeBody {
    /// A short title (1–200 characters).
    pub title: String,
    /// What happened, and when.
    pub what_happened: String,
    /// Which personal data was concerned.
    pub data_affected: String,
    /// What was done about it.
    pub measures: String,
    /// What people should do now.
    pub advice: String,
    /// Whom to contact.
    pub contact: String,
    /// Who it is for.
    pub audience: AudienceBody,
}

/// A notice.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoticeView {
    /// Its id.
    pub id: i64,
    /// Title.
    pub title: String,
    /// What happened.
    pub what_happened: String,
    /// Which data.
    pub data_affected: String,
    /// What was done.
    pub measures: String,
    /// What to do.
    pub advice: String,
    /// Whom to contact.
    pub contact: String,
    /// Who it is for.
    pub audience: AudienceBody,
    /// Written (RFC 3339).
    pub created_at: String,
    /// First sent (RFC 3339), if it was.
    pub sent_at: Option<String>,
}

impl From<BreachNotice> for NoticeView {
    fn from(n: BreachNotice) -> Self {
        NoticeView {
            id: n.id,
            title: n.text.title,
            what_happened: n.text.what_happened,
            data_affected: n.text.data_affected,
            measures: n.text.measures,
            advice: n.text.advice,
            contact: n.text.contact,
            audience: n.audience.into(),
            created_at: rfc3339(n.created_at),
            sent_at: n.sent_at.map(rfc3339),
        }
    }
}

/// One delivery.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoticeDeliveryView {
    /// To whom.
    pub account_id: i64,
    /// `email` or `in_app`.
    pub channel: String,
    /// `sent`, `failed` or `no_address`.
    pub status: String,
    /// When (RFC 3339).
    pub at: String,
}

/// A notice with its deliveries.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoticeDeliveries {
    /// The notice.
    pub notice: NoticeView,
    /// Each delivery.
    pub deliveries: Vec<NoticeDeliveryView>,
}

/// What a send did.
#[derive(Debug, Serialize, ToSchema)]
pub struct SendView {
    /// Accounts the audience names now.
    pub accounts: u64,
    /// New in-app deliveries.
    pub in_app: u64,
    /// Emails sent now.
    pub emailed: u64,
    /// Accounts without a verified email.
    pub no_address: u64,
    /// Emails the mail service refused (sending again retries them).
    pub failed: u64,
}

/// Counts whom an audience would reach (administrators).
#[utoipa::path(post, path = "/api/v1/admin/breach-notices/preview", tag = "privacy",
    request_body = PreviewBody,
    responses((status = 200, body = PreviewView), (status = 400, body = ErrorBody),
              (status = 403, body = ErrorBody)))]
pub async fn preview(
    State(state): State<AppState>,
    _admin: AdminUser,
    AppJson(body): AppJson<PreviewBody>,
) -> ApiResult<Json<PreviewView>> {
    let (accounts, with_email) = state.breach.preview(&body.audience.into()).await?;
    Ok(Json(PreviewView {
        accounts,
        with_email,
    }))
}

/// Writes a notice; it is sent by `…/{id}/send` (administrators).
#[utoipa::path(post, path = "/api/v1/admin/breach-notices", tag = "privacy",
    request_body = NoticeBody,
    responses((status = 201, body = NoticeView), (status = 400, body = ErrorBody),
              (status = 403, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    AppJson(b): AppJson<NoticeBody>,
) -> ApiResult<(StatusCode, Json<NoticeView>)> {
    let text = NoticeText {
        title: b.title,
        what_happened: b.what_happened,
        data_affected: b.data_affected,
        measures: b.measures,
        advice: b.advice,
        contact: b.contact,
    };
    let n = state
        .breach
        .create(admin.account.id, &text, &b.audience.into())
        .await?;
    Ok((StatusCode::CREATED, Json(n.into())))
}

/// A notice and its deliveries (administrators).
#[utoipa::path(get, path = "/api/v1/admin/breach-notices/{id}", tag = "privacy",
    params(("id" = i64, Path, description = "Notice id")),
    responses((status = 200, body = NoticeDeliveries), (status = 404, body = ErrorBody),
              (status = 403, body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    _admin: AdminUser,
    AppPath(id): AppPath<i64>,
) -> ApiResult<Json<NoticeDeliveries>> {
    let (n, deliveries) = state.breach.get(id).await?;
    Ok(Json(NoticeDeliveries {
        notice: n.into(),
        deliveries: deliveries
            .into_iter()
            .map(|d| NoticeDeliveryView {
                account_id: d.account.0,
                channel: d.channel,
                status: d.status,
                at: rfc3339(d.at),
            })
            .collect(),
    }))
}

/// Sends a notice by email and in the app to everyone its audience names;
/// sending again reaches only those missed (administrators).
#[utoipa::path(post, path = "/api/v1/admin/breach-notices/{id}/send", tag = "privacy",
    params(("id" = i64, Path, description = "Notice id")),
    responses((status = 200, body = SendView), (status = 404, body = ErrorBody),
              (status = 403, body = ErrorBody)))]
pub async fn send(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    AppPath(id): AppPath<i64>,
) -> ApiResult<Json<SendView>> {
    let r = state.breach.send(admin.account.id, id).await?;
    Ok(Json(SendView {
        accounts: r.accounts,
        in_app: r.in_app,
        emailed: r.emailed,
        no_address: r.no_address,
        failed: r.failed,
    }))
}

/// The breach notices the caller received.
#[utoipa::path(get, path = "/api/v1/me/notices", tag = "privacy",
    responses((status = 200, body = [NoticeView]), (status = 401, body = ErrorBody)))]
pub async fn mine(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
) -> ApiResult<Json<Vec<NoticeView>>> {
    let notices = state.breach.for_account(who.account.id).await?;
    Ok(Json(notices.into_iter().map(NoticeView::from).collect()))
}
