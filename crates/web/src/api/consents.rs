//! Consents and privacy policy versions (F1, F8, F10).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use domain::privacy::consent::{Choice, ConsentRecord, PolicyVersion};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AdminUser, AppJson, CurrentUser};
use crate::state::AppState;
use crate::time_fmt::rfc3339;

/// A policy version.
#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyView {
    /// Its name.
    pub version: String,
    /// Whether everyone must accept it again.
    pub major: bool,
    /// What changed.
    pub summary: String,
    /// When it was published (RFC 3339).
    pub published_at: String,
}

fn policy(p: PolicyVersion) -> PolicyView {
    PolicyView {
        version: p.version,
        major: p.major,
        summary: p.summary,
        published_at: rfc3339(p.published_at),
    }
}

/// One optional purpose and the caller's choice.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChoiceView {
    /// `marketing`, `usage_statistics` or `location_tags`.
    pub purpose: &'static str,
    /// What it allows.
    pub description: &'static str,
    /// Currently granted.
    pub granted: bool,
    /// Since when (RFC 3339), if ever set.
    pub since: Option<String>,
}

fn choice(c: Choice) -> ChoiceView {
    ChoiceView {
        purpose: c.purpose,
        description: c.description,
        granted: c.granted,
        since: c.since.map(rfc3339),
    }
}

/// One record of the caller's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordView {
    /// The purpose (`service` is accepting the policy).
    pub purpose: String,
    /// Granted or withdrawn.
    pub granted: bool,
    /// The policy version then in force.
    pub policy_version: String,
    /// How.
    pub channel: String,
    /// When (RFC 3339).
    pub at: String,
}

fn record(r: ConsentRecord) -> RecordView {
    RecordView {
        purpose: r.purpose,
        granted: r.granted,
        policy_version: r.policy_version,
        channel: r.channel,
        at: rfc3339(r.at),
    }
}

/// The caller's consents.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentsView {
    /// The optional purposes and their choices.
    pub choices: Vec<ChoiceView>,
    /// Every grant and withdrawal, oldest first.
    pub history: Vec<RecordView>,
    /// The policy in force.
    pub policy: Option<PolicyView>,
    /// A major version the caller has yet to accept.
    pub pending_policy: Option<PolicyView>,
}

async fn consents_of(state: &AppState, who: domain::ids::AccountId) -> ApiResult<ConsentsView> {
    Ok(ConsentsView {
        choices: state
            .consents
            .choices(who)
            .await?
            .into_iter()
            .map(choice)
            .collect(),
        history: state
            .consents
            .history(who)
            .await?
            .into_iter()
            .map(record)
            .collect(),
        policy: state.consents.current_policy().await?.map(policy),
        pending_policy: state.consents.pending_policy(who).await?.map(policy),
    })
}

/// The caller's consents, their history and the policy in force.
#[utoipa::path(get, path = "/api/v1/me/consents", tag = "privacy",
    responses((status = 200, body = ConsentsView), (status = 401, body = ErrorBody)))]
pub async fn mine(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
) -> ApiResult<Json<ConsentsView>> {
    Ok(Json(consents_of(&state, who.account.id).await?))
}

/// A grant or withdrawal.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentChange {
    /// `marketing`, `usage_statistics` or `location_tags`.
    pub purpose: String,
    /// Grant (true) or withdraw (false).
    pub granted: bool,
}

/// Grants or withdraws an optional purpose; takes effect at once.
#[utoipa::path(put, path = "/api/v1/me/consents", tag = "privacy", request_body = ConsentChange,
    responses((status = 200, body = ConsentsView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody)))]
pub async fn change(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppJson(c): AppJson<ConsentChange>,
) -> ApiResult<Json<ConsentsView>> {
    state
        .consents
        .set(who.account.id, &c.purpose, c.granted, "api")
        .await?;
    Ok(Json(consents_of(&state, who.account.id).await?))
}

/// Accepts the privacy policy in force.
#[utoipa::path(post, path = "/api/v1/me/consents/policy", tag = "privacy",
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn accept_policy(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
) -> ApiResult<StatusCode> {
    state.consents.accept_policy(who.account.id, "api").await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every published policy version, newest first (public).
#[utoipa::path(get, path = "/api/v1/policies", tag = "privacy",
    responses((status = 200, body = Vec<PolicyView>)))]
pub async fn policies(State(state): State<AppState>) -> ApiResult<Json<Vec<PolicyView>>> {
    Ok(Json(
        state
            .consents
            .policies()
            .await?
            .into_iter()
            .map(policy)
            .collect(),
    ))
}

/// A version to publish.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPolicy {
    /// Its name, e.g. `2026-11`.
    pub version: String,
    /// Whether everyone must accept it again (they are also told by email).
    pub major: bool,
    /// What changed.
    pub summary: String,
}

/// Publishes a policy version (administrators).
#[utoipa::path(post, path = "/api/v1/admin/policies", tag = "privacy", request_body = NewPolicy,
    responses((status = 201, body = PolicyView), (status = 400, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn publish(
    State(state): State<AppState>,
    _admin: AdminUser,
    AppJson(p): AppJson<NewPolicy>,
) -> ApiResult<(StatusCode, Json<PolicyView>)> {
    let published = state
        .consents
        .publish(&p.version, p.major, &p.summary)
        .await?;
    Ok((StatusCode::CREATED, Json(policy(published))))
}
