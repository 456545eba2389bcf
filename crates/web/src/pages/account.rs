//! Account settings: contacts, password, sessions and API tokens.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use domain::accounts::contact::ContactKind;
use domain::accounts::password::Password;
use domain::ids::{ApiTokenId, SessionId};
use maud::{html, Markup};
use serde::Deserialize;

use super::auth::CsrfForm;
use super::failure;
use super::layout::{error_box, notice_box, page};
use crate::error::ApiError;
use crate::extract::{AppForm, PageUser};
use crate::state::AppState;
use crate::time_fmt::rfc3339;

/// What to show besides the settings themselves.
#[derive(Default)]
struct Extras<'a> {
    error: Option<&'a str>,
    notice: Option<&'a str>,
    new_token: Option<&'a str>,
}

async fn account_page(
    state: &AppState,
    user: &PageUser,
    extras: Extras<'_>,
) -> Result<Markup, ApiError> {
    let id = user.0.account.id;
    let profile = state.accounts.profile(id).await?;
    let sessions = state.accounts.sessions(id).await?;
    let tokens = state.accounts.api_tokens(id).await?;
    let current = user.0.session_id();
    let csrf = user.csrf();
    let second_factor = state.accounts.has_second_factor(id).await?;
    let codes_left = state.accounts.recovery_codes_left(id).await?;
    let staff = profile.account.role != domain::ports::Role::User;
    let notices = state.breach.for_account(id).await?;
    let plan = state
        .billing
        .coverage(id)
        .await?
        .running
        .map(|(_, p)| p.terms.name);
    let external = state.accounts.external_identities(id).await?;
    let external_label = state
        .external_sign_in
        .as_ref()
        .map(|e| e.label().to_string());
    Ok(page(
        "Account",
        Some(user),
        html! {
            h1 { "Account" }
            (notice_box(extras.notice))
            (error_box(extras.error))
            @for n in &notices {
                section.card.breach-notice {
                    h2 { "Security notice: " (n.text.title) }
                    p.muted { "Sent " (rfc3339(n.sent_at.unwrap_or(n.created_at))) }
                    h3 { "What happened" } p { (n.text.what_happened) }
                    h3 { "Which of your data" } p { (n.text.data_affected) }
                    h3 { "What we have done" } p { (n.text.measures) }
                    h3 { "What you should do" } p { (n.text.advice) }
                    h3 { "Questions" } p { (n.text.contact) }
                }
            }
            section.card {
                h2 { "You" }
                p { "Signed in as " strong.username { (profile.account.username) }
                    " (" (profile.account.role.as_str()) ")" }
                p { a href="/privacy-center" { "Privacy center" } ": who accessed your data, and requests about it." }
                p #plan-link { "Storage: "
                    @match &plan { Some(name) => { "plan " strong { (name) } } None => { "free tier" } }
                    " · " a href="/plans" { "Plans" } " · " a href="/account/orders" { "Orders and invoices" }
                    " · " a href="/album" { "Album" }
                    @if profile.account.role == domain::ports::Role::Admin { " · " a href="/admin/billing" { "Billing (admin)" } } }
            }
            section.card {
                h2 { "Contacts" }
                ul.plain {
                    @for c in &profile.contacts {
                        li {
                            (c.address.kind().as_str()) ": " code { (c.address.masked()) } " "
                            @if c.state == domain::ports::ContactState::Pending {
                                span.badge { "replacement, awaiting code" } " "
                                a href={ "/verify?kind=" (c.address.kind().as_str()) } { "enter code" }
                            } @else if c.verified_at.is_some() {
                                span.badge.ok { "verified" }
                            } @else {
                                span.badge { "awaiting code" } " "
                                a href={ "/verify?kind=" (c.address.kind().as_str()) } { "enter code" }
                            }
                        }
                    }
                }
                form method="post" action="/account/contacts" {
                    input type="hidden" name="csrf" value=(csrf);
                    label { "Change or add"
                        select name="kind" { option value="email" { "email" } option value="phone" { "phone" } } }
                    label { "New address" input name="value" required; }
                    p.muted { "Your current address keeps working until you enter the code sent to the new one; then it is removed and receives nothing more." }
                    button type="submit" { "Send code" }
                }
            }
            section.card {
                h2 { "Password" }
                form method="post" action="/account/password" {
                    input type="hidden" name="csrf" value=(csrf);
                    label { "Current password" input type="password" name="current_password" required autocomplete="current-password"; }
                    label { "New password" input type="password" name="new_password" required minlength="10" autocomplete="new-password"; }
                    p.muted { "Changing it signs out all your other sessions." }
                    button type="submit" { "Change password" }
                }
            }
            (super::support::link(user))
            (super::second_factor::card(csrf, second_factor, codes_left, staff))
            @if external_label.is_some() || !external.is_empty() {
                (super::external::card(external_label.as_deref(), &external, csrf))
            }
            section.card {
                h2 { "Sessions" }
                ul.plain {
                    @for s in &sessions {
                        li {
                            (s.user_agent.as_deref().unwrap_or("unknown browser"))
                            br; small.muted { "since " (rfc3339(s.created_at)) ", last seen " (rfc3339(s.last_seen_at)) }
                            @if Some(s.id) == current {
                                " " span.badge.ok { "this session" }
                            } @else {
                                form.inline method="post" action={ "/account/sessions/" (s.id) "/revoke" } {
                                    input type="hidden" name="csrf" value=(csrf);
                                    button.link type="submit" { "Sign out" }
                                }
                            }
                        }
                    }
                }
            }
            section.card {
                h2 { "API tokens" }
                @if let Some(t) = extras.new_token {
                    p.notice { "Copy your new token now; it will not be shown again:" }
                    pre.token { (t) }
                }
                ul.plain {
                    @for t in &tokens {
                        li {
                            strong { (t.name) } " "
                            small.muted { "created " (rfc3339(t.created_at))
                                @if let Some(u) = t.last_used_at { ", last used " (rfc3339(u)) } }
                            form.inline method="post" action={ "/account/tokens/" (t.id) "/revoke" } {
                                input type="hidden" name="csrf" value=(csrf);
                                button.link type="submit" { "Revoke" }
                            }
                        }
                    }
                }
                form method="post" action="/account/tokens" {
                    input type="hidden" name="csrf" value=(csrf);
                    label { "Name" input name="name" required maxlength="64"; }
                    button type="submit" { "Create token" }
                }
            }
        },
    ))
}

/// `GET /account`.
pub async fn account_get(
    State(state): State<AppState>,
    user: PageUser,
) -> Result<Markup, ApiError> {
    account_page(&state, &user, Extras::default()).await
}

async fn after(
    state: &AppState,
    user: &PageUser,
    result: domain::Result<()>,
    notice: &str,
) -> Result<Response, ApiError> {
    match result {
        Ok(()) => Ok(account_page(
            state,
            user,
            Extras {
                notice: Some(notice),
                ..Extras::default()
            },
        )
        .await?
        .into_response()),
        Err(e) => {
            let (status, text) = failure(e);
            let page = account_page(
                state,
                user,
                Extras {
                    error: Some(&text),
                    ..Extras::default()
                },
            )
            .await?;
            Ok((status, page).into_response())
        }
    }
}

/// Contact change form fields.
#[derive(Debug, Deserialize)]
pub struct ContactForm {
    csrf: String,
    kind: String,
    value: String,
}

/// `POST /account/contacts`.
pub async fn contact_post(
    State(state): State<AppState>,
    user: PageUser,
    AppForm(form): AppForm<ContactForm>,
) -> Result<Response, ApiError> {
    user.check_csrf(&form.csrf)?;
    let kind = ContactKind::parse(&form.kind)?;
    match state
        .accounts
        .change_contact(user.0.account.id, kind, &form.value)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/verify?kind={}", kind.as_str())).into_response()),
        Err(e) => after(&state, &user, Err(e), "").await,
    }
}

/// Password change form fields.
#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    csrf: String,
    current_password: String,
    new_password: String,
}

/// `POST /account/password`.
pub async fn password_post(
    State(state): State<AppState>,
    user: PageUser,
    AppForm(form): AppForm<PasswordForm>,
) -> Result<Response, ApiError> {
    user.check_csrf(&form.csrf)?;
    let result = state
        .accounts
        .change_password(
            &user.0,
            &Password::new(form.current_password),
            &Password::new(form.new_password),
        )
        .await
        .map(|_| ());
    after(
        &state,
        &user,
        result,
        "Password changed; your other sessions are signed out.",
    )
    .await
}

/// `POST /account/sessions/{id}/revoke`.
pub async fn session_revoke_post(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    AppForm(form): AppForm<CsrfForm>,
) -> Result<Response, ApiError> {
    user.check_csrf(form.csrf())?;
    let result = state
        .accounts
        .revoke_session(user.0.account.id, SessionId(id))
        .await;
    after(&state, &user, result, "Session signed out.").await
}

/// Token creation form fields.
#[derive(Debug, Deserialize)]
pub struct TokenForm {
    csrf: String,
    name: String,
}

/// `POST /account/tokens`: shows the new token once.
pub async fn token_post(
    State(state): State<AppState>,
    user: PageUser,
    AppForm(form): AppForm<TokenForm>,
) -> Result<Response, ApiError> {
    user.check_csrf(&form.csrf)?;
    match state
        .accounts
        .create_api_token(user.0.account.id, &form.name)
        .await
    {
        Ok((_, token)) => Ok(account_page(
            &state,
            &user,
            Extras {
                new_token: Some(&token),
                ..Extras::default()
            },
        )
        .await?
        .into_response()),
        Err(e) => after(&state, &user, Err(e), "").await,
    }
}

/// `POST /account/tokens/{id}/revoke`.
pub async fn token_revoke_post(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    AppForm(form): AppForm<CsrfForm>,
) -> Result<Response, ApiError> {
    user.check_csrf(form.csrf())?;
    let result = state
        .accounts
        .revoke_api_token(user.0.account.id, ApiTokenId(id))
        .await;
    after(&state, &user, result, "Token revoked.").await
}
