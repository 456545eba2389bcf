//! Ownership claims: the claim form (a multipart upload of the evidence),
//! the claimant's list of claims, and the administrators' queue with the
//! evidence download and the decision form.

use axum::extract::multipart::{MultipartError, MultipartRejection};
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use domain::cameras::claims::{Claim, ClaimRequest, ClaimStatus};
use maud::{html, Markup};
use serde::Deserialize;

use super::{not_admin, number, problem, subnav, DoneQuery, Here};
use crate::error::ApiError;
use crate::extract::{AppForm, PageUser};
use crate::pages::failure;
use crate::pages::layout::{error_box, notice_box, page};
use crate::state::AppState;
use crate::time_fmt::rfc3339;

const QUEUE: &str = "The claims queue";

fn status_badge(status: ClaimStatus) -> Markup {
    html! {
        @match status {
            ClaimStatus::Pending => span.badge { "pending" },
            ClaimStatus::Approved => span.badge.ok { "approved" },
            ClaimStatus::Refused => span.badge.off { "refused" },
        }
    }
}

/// What the claim form shows again after a refusal (never the code or file).
#[derive(Default)]
struct ClaimDraft<'a> {
    serial: &'a str,
    note: &'a str,
}

fn new_page(user: &PageUser, draft: &ClaimDraft<'_>, error: Option<&str>) -> Markup {
    page(
        "File an ownership claim",
        Some(user),
        html! {
            (subnav(user, Here::Claims))
            h1 { "File an ownership claim" }
            (error_box(error))
            form.card method="post" action="/claims/new" enctype="multipart/form-data" {
                input type="hidden" name="csrf" value=(user.csrf());
                p { "For a camera in your hands that is still bound to someone else's account, "
                    "for example one bought second-hand and never released. An administrator "
                    "checks your evidence and decides; you get a message with the reason." }
                label { "Serial number"
                    input name="serial" required autocomplete="off" autocapitalize="characters"
                        spellcheck="false" maxlength="32" value=(draft.serial); }
                label { "Verification code"
                    input name="verification_code" required autocomplete="off"
                        autocapitalize="characters" spellcheck="false" maxlength="32"; }
                p.muted { "Both are printed on the label on the camera and on its box." }
                label { "What happened"
                    textarea name="note" rows="5" maxlength="2000" { (draft.note) } }
                label { "Evidence"
                    input type="file" name="evidence" required accept=".jpg,.jpeg,.png,.pdf"; }
                p.muted { "A photo of the label or a receipt: JPEG, PNG or PDF, at most 5 MiB. "
                    "It is stored encrypted and erased as soon as the claim is decided." }
                button type="submit" { "File claim" }
            }
        },
    )
}

/// The serial carried over from the add-camera page.
#[derive(Debug, Default, Deserialize)]
pub struct NewQuery {
    #[serde(default)]
    serial: String,
}

/// `GET /claims/new`.
pub async fn new_get(user: PageUser, Query(q): Query<NewQuery>) -> Markup {
    let draft = ClaimDraft {
        serial: &q.serial,
        ..ClaimDraft::default()
    };
    new_page(&user, &draft, None)
}

/// The fields of the claim form as submitted.
#[derive(Default)]
struct ClaimFields {
    csrf: String,
    serial: String,
    verification_code: String,
    note: String,
    evidence: Vec<u8>,
    declared_type: Option<String>,
}

fn upload_failure(e: MultipartError) -> (StatusCode, String) {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            "The evidence file is too large: at most 5 MiB.".to_string(),
        )
    } else {
        (
            StatusCode::BAD_REQUEST,
            "The form could not be read; please try again.".to_string(),
        )
    }
}

/// Reads every field: the CSRF token may come anywhere in the body.
async fn read_fields(mut form: Multipart) -> Result<ClaimFields, MultipartError> {
    let mut f = ClaimFields::default();
    while let Some(field) = form.next_field().await? {
        match field.name().unwrap_or("") {
            "csrf" => f.csrf = field.text().await?,
            "serial" => f.serial = field.text().await?,
            "verification_code" => f.verification_code = field.text().await?,
            "note" => f.note = field.text().await?,
            "evidence" => {
                f.declared_type = field.content_type().map(str::to_string);
                f.evidence = field.bytes().await?.to_vec();
            }
            _ => {}
        }
    }
    Ok(f)
}

/// `POST /claims/new`: multipart `csrf`, `serial`, `verification_code`,
/// `note` and the `evidence` file.
pub async fn new_post(
    State(state): State<AppState>,
    user: PageUser,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    let again = |status: StatusCode, draft: &ClaimDraft<'_>, text: &str| {
        (status, new_page(&user, draft, Some(text))).into_response()
    };
    let form = match form {
        Ok(form) => form,
        Err(_) => {
            return Ok(again(
                StatusCode::BAD_REQUEST,
                &ClaimDraft::default(),
                "The form could not be read; please try again.",
            ))
        }
    };
    let fields = match read_fields(form).await {
        Ok(fields) => fields,
        Err(e) => {
            let (status, text) = upload_failure(e);
            return Ok(again(status, &ClaimDraft::default(), &text));
        }
    };
    user.check_csrf(&fields.csrf)?;
    let request = ClaimRequest {
        serial: &fields.serial,
        verification_code: &fields.verification_code,
        note: &fields.note,
        evidence: &fields.evidence,
        declared_type: fields.declared_type.as_deref(),
    };
    Ok(
        match state.cameras.file_claim(user.0.account.id, request).await {
            Ok(_) => Redirect::to("/claims?done=filed").into_response(),
            Err(e) => {
                let (status, text) = failure(e);
                let draft = ClaimDraft {
                    serial: &fields.serial,
                    note: &fields.note,
                };
                again(status, &draft, &text)
            }
        },
    )
}

/// `GET /claims`: the signed-in person's claims, newest first.
pub async fn claims_get(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<DoneQuery>,
) -> Response {
    let claims = match state.cameras.my_claims(user.0.account.id).await {
        Ok(claims) => claims,
        Err(e) => return problem(&user, e),
    };
    let notice = match q.done.as_deref() {
        Some("filed") => Some(
            "Claim filed. An administrator will decide it; you get a message with the decision.",
        ),
        _ => None,
    };
    let body = html! {
        (subnav(&user, Here::Claims))
        h1 { "Your ownership claims" }
        (notice_box(notice))
        section.card {
            @if claims.is_empty() {
                p { "You have filed no ownership claims." }
            } @else {
                ul.plain {
                    @for c in &claims {
                        li {
                            strong { "Claim " (c.id) } " " (status_badge(c.status))
                            br;
                            small.muted {
                                "filed " (rfc3339(c.created_at))
                                @if let Some(at) = c.decided_at { " · decided " (rfc3339(at)) }
                            }
                            @if let Some(reason) = &c.reason {
                                p.reason { strong { "Reason: " } (reason) }
                            }
                            @if !c.note.is_empty() {
                                p.muted { "Your note: " (c.note) }
                            }
                        }
                    }
                }
            }
            p { a href="/claims/new" { "File an ownership claim" } }
        }
    };
    page("Claims", Some(&user), body).into_response()
}

/// A decision form refused, shown again on its claim.
struct DecisionDraft<'a> {
    claim: i64,
    decision: &'a str,
    reason: &'a str,
}

fn file_name(claim: i64, kind: &str) -> String {
    let ext = match kind {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "application/pdf" => "pdf",
        _ => "bin",
    };
    format!("claim-{claim}-evidence.{ext}")
}

fn decision_form(user: &PageUser, c: &Claim, draft: Option<&DecisionDraft<'_>>) -> Markup {
    let draft = draft.filter(|d| d.claim == c.id);
    let decision = draft.map_or("", |d| d.decision);
    let reason = draft.map_or("", |d| d.reason);
    html! {
        form method="post" action={ "/admin/claims/" (c.id) "/decide" } {
            input type="hidden" name="csrf" value=(user.csrf());
            fieldset.choice {
                legend { "Decision" }
                label.check {
                    input type="radio" name="decision" value="approve" required checked[decision == "approve"];
                    " Approve: move the camera to the claimant"
                }
                label.check {
                    input type="radio" name="decision" value="refuse" checked[decision == "refuse"];
                    " Refuse: the camera stays with its owner"
                }
            }
            label { "Reason " small { "(shown to the claimant)" }
                textarea name="reason" rows="3" required maxlength="2000" { (reason) } }
            button type="submit" { "Record decision" }
        }
    }
}

async fn render_queue(
    state: &AppState,
    user: &PageUser,
    status: StatusCode,
    notice: Option<&str>,
    error: Option<&str>,
    draft: Option<&DecisionDraft<'_>>,
) -> Response {
    let claims = match state.cameras.pending_claims().await {
        Ok(claims) => claims,
        Err(e) => return problem(user, e),
    };
    let body = html! {
        (subnav(user, Here::ClaimsQueue))
        h1 { "Claims queue" }
        (notice_box(notice))
        (error_box(error))
        @if claims.is_empty() {
            section.card { p { "No claims are waiting for a decision." } }
        } @else {
            p.muted { (claims.len()) " pending, oldest first. Evidence is erased once a claim is decided." }
            @for c in &claims {
                section.card {
                    h2 { "Claim " (c.id) }
                    dl.facts {
                        dt { "Camera" } dd { "id " (c.camera_id) }
                        dt { "Filed" } dd { (rfc3339(c.created_at)) }
                        dt { "Note" } dd { @if c.note.is_empty() { "none" } @else { (c.note) } }
                        dt { "Evidence" } dd {
                            @if c.evidence_key.is_some() {
                                a href={ "/admin/claims/" (c.id) "/evidence" }
                                    download=(file_name(c.id, c.evidence_type)) {
                                    "Download evidence"
                                }
                                " (" (c.evidence_type) ")"
                            } @else {
                                "not held (" (c.evidence_type) ")"
                            }
                        }
                    }
                    (decision_form(user, c, draft))
                }
            }
        }
    };
    (status, page("Claims queue", Some(user), body)).into_response()
}

/// `GET /admin/claims`: pending claims, administrators only.
pub async fn queue_get(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<DoneQuery>,
) -> Response {
    if let Some(refusal) = not_admin(&state, &user, QUEUE).await {
        return refusal;
    }
    let notice = match q.done.as_deref() {
        Some("approved") => Some("Claim approved: the camera moved to the claimant."),
        Some("refused") => Some("Claim refused: the camera stays with its owner."),
        _ => None,
    };
    render_queue(&state, &user, StatusCode::OK, notice, None, None).await
}

/// `GET /admin/claims/{id}/evidence`: the decrypted file, as a download.
pub async fn evidence_get(
    State(state): State<AppState>,
    user: PageUser,
    Path(raw): Path<String>,
) -> Response {
    if let Some(refusal) = not_admin(&state, &user, QUEUE).await {
        return refusal;
    }
    let result = async {
        let id = number(&raw, "claim")?;
        let (kind, bytes) = state.cameras.claim_evidence(id).await?;
        Ok::<_, domain::Error>((id, kind, bytes))
    }
    .await;
    match result {
        Ok((id, kind, bytes)) => (
            [
                (header::CONTENT_TYPE, kind.to_string()),
                (header::CACHE_CONTROL, "no-store".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{}\"", file_name(id, kind)),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => problem(&user, e),
    }
}

/// Decision form fields.
#[derive(Debug, Deserialize)]
pub struct DecideForm {
    csrf: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
}

/// `POST /admin/claims/{id}/decide`: `decision` (approve or refuse) and a
/// written `reason`.
pub async fn decide_post(
    State(state): State<AppState>,
    user: PageUser,
    Path(raw): Path<String>,
    AppForm(form): AppForm<DecideForm>,
) -> Result<Response, ApiError> {
    user.check_csrf(&form.csrf)?;
    if let Some(refusal) = not_admin(&state, &user, QUEUE).await {
        return Ok(refusal);
    }
    let id = match number(&raw, "claim") {
        Ok(id) => id,
        Err(e) => return Ok(problem(&user, e)),
    };
    let result = async {
        let approve = match form.decision.as_str() {
            "approve" => true,
            "refuse" => false,
            _ => {
                return Err(domain::Error::invalid(
                    "decision",
                    "choose approve or refuse",
                ))
            }
        };
        state
            .cameras
            .decide_claim(user.0.account.id, id, approve, &form.reason)
            .await
    }
    .await;
    Ok(match result {
        Ok(claim) => {
            Redirect::to(&format!("/admin/claims?done={}", claim.status.as_str())).into_response()
        }
        Err(e) => {
            let (status, text) = failure(e);
            let text = format!("Claim {id}: {text}");
            let draft = DecisionDraft {
                claim: id,
                decision: &form.decision,
                reason: &form.reason,
            };
            render_queue(&state, &user, status, None, Some(&text), Some(&draft)).await
        }
    })
}
