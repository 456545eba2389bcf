//! Two-step sign-in pages (A5): the second step after the password, and
//! setting up or removing an authenticator app from the account page.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use domain::accounts::password::Password;
use maud::{html, Markup, PreEscaped};
use serde::Deserialize;

use super::auth::CsrfForm;
use super::failure;
use super::layout::{error_box, page};
use crate::api::second_factor::qr_svg;
use crate::error::ApiError;
use crate::extract::{AppForm, Client, PageUser, SESSION_COOKIE};
use crate::state::AppState;

fn second_step_page(error: Option<&str>) -> Markup {
    page(
        "Second step",
        None,
        html! {
            h1 { "One more step" }
            (error_box(error))
            form.card #second-step method="post" action="/signin/second-factor" {
                label { "Code from your authenticator app, or a recovery code"
                    input name="code" required autocomplete="one-time-code" autofocus; }
                button type="submit" { "Continue" }
            }
        },
    )
}

/// `GET /signin/second-factor`.
pub async fn second_step_get() -> Markup {
    second_step_page(None)
}

/// A code form.
#[derive(Debug, Deserialize)]
pub struct CodeForm {
    code: String,
}

/// `POST /signin/second-factor`.
pub async fn second_step_post(
    State(state): State<AppState>,
    client: Client,
    jar: CookieJar,
    AppForm(form): AppForm<CodeForm>,
) -> Response {
    let Some(token) = jar.get(SESSION_COOKIE).map(|c| c.value().to_string()) else {
        return Redirect::to("/signin").into_response();
    };
    match state
        .accounts
        .complete_second_factor(&token, &form.code, &client.ip)
        .await
    {
        Ok(_) => Redirect::to("/account").into_response(),
        Err(domain::Error::Unauthenticated) => Redirect::to("/signin").into_response(),
        Err(e) => {
            let (status, text) = failure(e);
            (status, second_step_page(Some(&text))).into_response()
        }
    }
}

/// The account page's card.
pub fn card(csrf: &str, enabled: bool, codes_left: i64, staff: bool) -> Markup {
    html! {
        section.card #second-factor {
            h2 { "Two-step sign-in" }
            @if enabled {
                p { span.badge.ok { "on" } " Signing in asks for a code from your authenticator app. "
                    (codes_left) " recovery code(s) left." }
                form method="post" action="/account/second-factor/remove" {
                    input type="hidden" name="csrf" value=(csrf);
                    label { "Password" input type="password" name="password" required autocomplete="current-password"; }
                    button type="submit" { "Turn off" }
                }
            } @else {
                p { "Add an authenticator app so that a stolen password alone cannot open your account." }
                @if staff { p.error { "Your role needs it: administration stays closed to you until it is on." } }
                form method="post" action="/account/second-factor" {
                    input type="hidden" name="csrf" value=(csrf);
                    button type="submit" { "Set up" }
                }
            }
        }
    }
}

/// `POST /account/second-factor`: a new secret, its QR code and the form
/// to confirm it with a first code.
pub async fn setup_post(
    State(state): State<AppState>,
    user: PageUser,
    AppForm(form): AppForm<CsrfForm>,
) -> Result<Response, ApiError> {
    user.check_csrf(form.csrf())?;
    let e = state.accounts.begin_totp(&user.0.account).await?;
    Ok(page(
        "Set up two-step sign-in",
        Some(&user),
        html! {
            h1 { "Set up two-step sign-in" }
            section.card #totp-setup {
                p { "Scan this with your authenticator app, or type the key in." }
                div.qr { (PreEscaped(qr_svg(&e.otpauth_url))) }
                p { "Key: " code #totp-secret { (e.secret_base32) } }
                form method="post" action="/account/second-factor/confirm" {
                    input type="hidden" name="csrf" value=(user.csrf());
                    label { "The code the app shows now"
                        input name="code" inputmode="numeric" pattern="[0-9]{6}" maxlength="6" required autocomplete="one-time-code"; }
                    button type="submit" { "Turn on" }
                }
            }
        },
    )
    .into_response())
}

/// A code form from a signed-in page.
#[derive(Debug, Deserialize)]
pub struct ConfirmForm {
    csrf: String,
    code: String,
}

/// `POST /account/second-factor/confirm`: turns it on and shows the
/// recovery codes once.
pub async fn confirm_post(
    State(state): State<AppState>,
    user: PageUser,
    AppForm(form): AppForm<ConfirmForm>,
) -> Result<Response, ApiError> {
    user.check_csrf(&form.csrf)?;
    match state.accounts.confirm_totp(&user.0.account, &form.code).await {
        Ok(codes) => Ok(page(
            "Recovery codes",
            Some(&user),
            html! {
                h1 { "Two-step sign-in is on" }
                section.card #recovery-codes {
                    p { "Keep these recovery codes somewhere safe. Each works once, in place of a code from the app, if you lose it. They are not shown again." }
                    ul.plain { @for c in &codes { li { code { (c) } } } }
                    p { a href="/account" { "Back to your account" } }
                }
            },
        )
        .into_response()),
        Err(e) => {
            let (status, text) = failure(e);
            Ok((
                status,
                page(
                    "Set up two-step sign-in",
                    Some(&user),
                    html! { (error_box(Some(&text))) p { a href="/account" { "Back to your account" } } },
                ),
            )
                .into_response())
        }
    }
}

/// The password form that turns it off.
#[derive(Debug, Deserialize)]
pub struct RemoveForm {
    csrf: String,
    password: String,
}

/// `POST /account/second-factor/remove`.
pub async fn remove_post(
    State(state): State<AppState>,
    user: PageUser,
    AppForm(form): AppForm<RemoveForm>,
) -> Result<Response, ApiError> {
    user.check_csrf(&form.csrf)?;
    match state
        .accounts
        .remove_second_factor(&user.0.account, &Password::new(form.password))
        .await
    {
        Ok(()) => Ok(Redirect::to("/account").into_response()),
        Err(e) => {
            let (status, text) = failure(e);
            Ok((
                status,
                page(
                    "Two-step sign-in",
                    Some(&user),
                    html! { (error_box(Some(&text))) p { a href="/account" { "Back to your account" } } },
                ),
            )
                .into_response())
        }
    }
}
