//! Sign-up, contact verification, sign-in (password or code) and sign-out.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use domain::accounts::contact::ContactKind;
use domain::accounts::password::Password;
use domain::accounts::{Registered, Registration};
use maud::{html, Markup};
use serde::Deserialize;

use super::failure;
use super::layout::{error_box, notice_box, page};
use crate::error::ApiError;
use crate::extract::{
    clear_session_cookie, public_base, session_cookie, AppForm, Client, PageUser,
};
use crate::state::AppState;

/// Sign-up form fields.
#[derive(Debug, Default, Deserialize)]
pub struct SignupForm {
    username: String,
    password: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    birth_date: String,
    #[serde(default)]
    guardian_email: String,
    #[serde(default)]
    region: String,
}

fn signup_page(state: &AppState, form: &SignupForm, error: Option<&str>) -> Markup {
    let minimum_age = state.accounts.config().minimum_age;
    page(
        "Sign up",
        None,
        html! {
            h1 { "Create your account" }
            (error_box(error))
            form.card method="post" action="/signup" {
                label { "Username" input name="username" required autocomplete="username" value=(form.username); }
                label { "Password " small { "(at least 10 characters)" }
                    input type="password" name="password" required minlength="10" autocomplete="new-password"; }
                label { "Email" input type="email" name="email" autocomplete="email" value=(form.email); }
                label { "Mobile phone " small { "(international form, e.g. +44 7700 900123)" }
                    input type="tel" name="phone" autocomplete="tel" value=(form.phone); }
                p.muted { "Give an email address, a phone number, or both. We send a code to confirm each." }
                @if state.accounts.config().regions.len() > 1 {
                    label { "Where your data is kept"
                        select name="region" {
                            @for r in &state.accounts.config().regions {
                                option value=(r) selected[*r == form.region] { (r) }
                            }
                        }
                    }
                }
                @if let Some(age) = minimum_age {
                    label { "Birth date " small { "(only compared with the minimum age, never kept)" }
                        input type="date" name="birth_date" required value=(form.birth_date); }
                    label { "Parent's or guardian's email " small { "(if you are under " (age) ": they confirm your account)" }
                        input type="email" name="guardian_email" value=(form.guardian_email); }
                }
                button type="submit" { "Sign up" }
            }
            p { "Already have an account? " a href="/signin" { "Sign in" } }
        },
    )
}

/// `GET /signup`.
pub async fn signup_get(State(state): State<AppState>) -> Markup {
    signup_page(&state, &SignupForm::default(), None)
}

/// `POST /signup`: registers, signs in and asks for the first code.
pub async fn signup_post(
    State(state): State<AppState>,
    client: Client,
    jar: CookieJar,
    headers: HeaderMap,
    AppForm(form): AppForm<SignupForm>,
) -> Response {
    let reg = Registration {
        username: form.username.clone(),
        password: Password::new(form.password.clone()),
        email: Some(form.email.clone()),
        phone: Some(form.phone.clone()),
        birth_date: Some(form.birth_date.clone()),
        guardian_email: Some(form.guardian_email.clone()),
        region: Some(form.region.clone()),
    };
    let base = public_base(&state, &headers);
    match state
        .accounts
        .register(reg, client.user_agent.as_deref(), &base)
        .await
    {
        Ok(Registered::AwaitingGuardian) => {
            let body = html! {
                h1 { "Almost there" }
                p { "We mailed your parent or guardian a link. Your account opens once they confirm it." }
            };
            (
                StatusCode::ACCEPTED,
                page("Waiting for your guardian", None, body),
            )
                .into_response()
        }
        Ok(Registered::SignedIn(signed_in)) => {
            let kind = if form.email.trim().is_empty() {
                "phone"
            } else {
                "email"
            };
            let jar = session_cookie(jar, &signed_in, &state);
            (jar, Redirect::to(&format!("/verify?kind={kind}"))).into_response()
        }
        Err(e) => {
            let (status, text) = failure(e);
            (status, signup_page(&state, &form, Some(&text))).into_response()
        }
    }
}

/// Which contact a verification page is about.
#[derive(Debug, Deserialize)]
pub struct KindQuery {
    #[serde(default = "default_kind")]
    kind: String,
}

fn default_kind() -> String {
    "email".to_string()
}

fn verify_page(user: &PageUser, kind: &str, error: Option<&str>, notice: Option<&str>) -> Markup {
    let what = if kind == "phone" { "phone" } else { "email" };
    page(
        "Confirm your contact",
        Some(user),
        html! {
            h1 { "Enter the code" }
            (notice_box(notice))
            (error_box(error))
            p { "We sent a six-digit code to your " (what) ". It works for 10 minutes." }
            form.card method="post" action="/verify" {
                input type="hidden" name="csrf" value=(user.csrf());
                input type="hidden" name="kind" value=(what);
                label { "Code" input name="code" inputmode="numeric" autocomplete="one-time-code"
                    pattern="[0-9]{6}" maxlength="6" required; }
                button type="submit" { "Confirm" }
            }
            form.inline method="post" action="/verify/resend" {
                input type="hidden" name="csrf" value=(user.csrf());
                input type="hidden" name="kind" value=(what);
                button.link type="submit" { "Send a new code" }
            }
        },
    )
}

/// `GET /verify?kind=email|phone`.
pub async fn verify_get(user: PageUser, Query(q): Query<KindQuery>) -> Markup {
    verify_page(&user, &q.kind, None, None)
}

/// Verification form fields.
#[derive(Debug, Deserialize)]
pub struct VerifyForm {
    csrf: String,
    kind: String,
    #[serde(default)]
    code: String,
}

/// `POST /verify`.
pub async fn verify_post(
    State(state): State<AppState>,
    user: PageUser,
    AppForm(form): AppForm<VerifyForm>,
) -> Result<Response, ApiError> {
    user.check_csrf(&form.csrf)?;
    let kind = ContactKind::parse(&form.kind)?;
    match state
        .accounts
        .verify_contact(user.0.account.id, kind, &form.code)
        .await
    {
        Ok(()) => Ok(Redirect::to("/account").into_response()),
        Err(e) => {
            let (status, text) = failure(e);
            Ok((status, verify_page(&user, &form.kind, Some(&text), None)).into_response())
        }
    }
}

/// `POST /verify/resend`.
pub async fn resend_post(
    State(state): State<AppState>,
    user: PageUser,
    AppForm(form): AppForm<VerifyForm>,
) -> Result<Response, ApiError> {
    user.check_csrf(&form.csrf)?;
    let kind = ContactKind::parse(&form.kind)?;
    Ok(
        match state
            .accounts
            .resend_verification(user.0.account.id, kind)
            .await
        {
            Ok(()) => verify_page(&user, &form.kind, None, Some("A new code is on its way."))
                .into_response(),
            Err(e) => {
                let (status, text) = failure(e);
                (status, verify_page(&user, &form.kind, Some(&text), None)).into_response()
            }
        },
    )
}

/// The sign-in page, with the external provider's button when one is set up.
pub(super) fn signin_page(
    state: &AppState,
    login: &str,
    error: Option<&str>,
    code_for: Option<&str>,
) -> Markup {
    let external = state
        .external_sign_in
        .as_ref()
        .map(|e| e.label().to_string());
    page(
        "Sign in",
        None,
        html! {
            h1 { "Sign in" }
            (error_box(error))
            @if let Some(contact) = code_for {
                (notice_box(Some("If that address belongs to an account, a code is on its way.")))
                form.card method="post" action="/signin/code" {
                    input type="hidden" name="contact" value=(contact);
                    label { "Code" input name="code" inputmode="numeric" autocomplete="one-time-code"
                        pattern="[0-9]{6}" maxlength="6" required; }
                    button type="submit" { "Sign in with code" }
                }
            }
            form.card method="post" action="/signin" {
                label { "Username, email or phone" input name="login" required autocomplete="username" value=(login); }
                label { "Password" input type="password" name="password" required autocomplete="current-password"; }
                button type="submit" { "Sign in" }
            }
            @if let Some(label) = &external {
                p.card #external-sign-in { a.button href="/auth/oidc/start" { "Sign in with " (label) } }
            }
            details {
                summary { "Sign in with a code instead" }
                form.card method="post" action="/signin/code-request" {
                    label { "Verified email or phone" input name="contact" required; }
                    button type="submit" { "Send me a code" }
                }
            }
            p { "New here? " a href="/signup" { "Create an account" } }
        },
    )
}

/// `GET /signin`.
pub async fn signin_get(State(state): State<AppState>) -> Markup {
    signin_page(&state, "", None, None)
}

/// Password sign-in form fields.
#[derive(Debug, Deserialize)]
pub struct SigninForm {
    login: String,
    password: String,
}

/// After sign-in: the account page, or first the privacy policy when a
/// major version came out since the person last accepted one (F10).
pub(super) async fn signed_in_redirect(
    state: &AppState,
    jar: CookieJar,
    s: &domain::accounts::SignedIn,
) -> Response {
    if s.second_factor_required {
        return (
            session_cookie(jar, s, state),
            Redirect::to("/signin/second-factor"),
        )
            .into_response();
    }
    let pending = state.consents.pending_policy(s.account.id).await;
    let to = match pending {
        Ok(Some(_)) => "/privacy-center/policy",
        Ok(None) => "/account",
        Err(e) => {
            // The check failing must not lock people out; they are asked next time.
            tracing::warn!(error = %e, "pending policy check failed");
            "/account"
        }
    };
    (session_cookie(jar, s, state), Redirect::to(to)).into_response()
}

/// `POST /signin`.
pub async fn signin_post(
    State(state): State<AppState>,
    client: Client,
    jar: CookieJar,
    AppForm(form): AppForm<SigninForm>,
) -> Response {
    let result = state
        .accounts
        .sign_in_with_password(
            &form.login,
            &Password::new(form.password),
            &client.ip,
            client.user_agent.as_deref(),
        )
        .await;
    match result {
        Ok(s) => signed_in_redirect(&state, jar, &s).await,
        Err(e) => {
            let (status, text) = failure(e);
            (status, signin_page(&state, &form.login, Some(&text), None)).into_response()
        }
    }
}

/// Code request form fields.
#[derive(Debug, Deserialize)]
pub struct CodeRequestForm {
    contact: String,
}

/// `POST /signin/code-request`.
pub async fn code_request_post(
    State(state): State<AppState>,
    client: Client,
    AppForm(form): AppForm<CodeRequestForm>,
) -> Response {
    match state
        .accounts
        .request_sign_in_code(&form.contact, &client.ip)
        .await
    {
        Ok(()) => signin_page(&state, "", None, Some(&form.contact)).into_response(),
        Err(e) => {
            let (status, text) = failure(e);
            (status, signin_page(&state, "", Some(&text), None)).into_response()
        }
    }
}

/// Code sign-in form fields.
#[derive(Debug, Deserialize)]
pub struct CodeForm {
    contact: String,
    code: String,
}

/// `POST /signin/code`.
pub async fn code_post(
    State(state): State<AppState>,
    client: Client,
    jar: CookieJar,
    AppForm(form): AppForm<CodeForm>,
) -> Response {
    let result = state
        .accounts
        .sign_in_with_code(
            &form.contact,
            &form.code,
            &client.ip,
            client.user_agent.as_deref(),
        )
        .await;
    match result {
        Ok(s) => signed_in_redirect(&state, jar, &s).await,
        Err(e) => {
            let (status, text) = failure(e);
            let text = if status == StatusCode::UNAUTHORIZED {
                "That code did not work. Ask for a new one.".to_string()
            } else {
                text
            };
            (
                status,
                signin_page(&state, "", Some(&text), Some(&form.contact)),
            )
                .into_response()
        }
    }
}

/// A form that carries only the CSRF token.
#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

impl CsrfForm {
    /// The submitted token.
    pub fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /signout`.
pub async fn signout_post(
    State(state): State<AppState>,
    user: PageUser,
    jar: CookieJar,
    AppForm(form): AppForm<CsrfForm>,
) -> Result<Response, ApiError> {
    user.check_csrf(&form.csrf)?;
    state.accounts.sign_out(&user.0).await?;
    Ok((clear_session_cookie(jar), Redirect::to("/signin")).into_response())
}

/// `GET /guardian/{token}`: the guardian's confirmation page. Opening it
/// changes nothing (mail scanners open links); the button does.
pub async fn guardian_get(
    State(state): State<AppState>,
    axum::extract::Path(token): axum::extract::Path<String>,
) -> Response {
    match state.accounts.guardian_link_open(&token).await {
        Ok(true) => page(
            "Confirm an account",
            None,
            html! {
                h1 { "Confirm an account for someone in your care" }
                form.card method="post" action=(format!("/guardian/{token}")) {
                    p { "Someone under the minimum age signed up to camvault and named you as their parent or guardian. Their account does nothing until you confirm." }
                    button type="submit" { "I confirm" }
                }
            },
        )
        .into_response(),
        Ok(false) => guardian_gone(),
        Err(e) => {
            let (status, text) = failure(e);
            (status, page("Confirm an account", None, error_box(Some(&text)))).into_response()
        }
    }
}

fn guardian_gone() -> Response {
    let body = error_box(Some("This link is not valid, or was already used."));
    (
        StatusCode::NOT_FOUND,
        page("Confirm an account", None, body),
    )
        .into_response()
}

/// `POST /guardian/{token}`: the guardian confirms; the token is the proof.
pub async fn guardian_post(
    State(state): State<AppState>,
    axum::extract::Path(token): axum::extract::Path<String>,
) -> Response {
    match state.accounts.confirm_guardian(&token).await {
        Ok(_) => page(
            "Account confirmed",
            None,
            html! {
                h1 { "Thank you" }
                p { "The account is confirmed and can be used from now on." }
            },
        )
        .into_response(),
        Err(domain::Error::NotFound(_)) => guardian_gone(),
        Err(e) => {
            let (status, text) = failure(e);
            (
                status,
                page("Confirm an account", None, error_box(Some(&text))),
            )
                .into_response()
        }
    }
}
