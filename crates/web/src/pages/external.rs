//! Sign-in through the external OpenID Connect provider (A3): the
//! redirect to it, the way back, and the account page's card.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use domain::accounts::external::{Finished, KEPT_CLAIMS, PENDING_TTL};
use domain::ports::ExternalIdentity;
use maud::{html, Markup};
use serde::Deserialize;

use super::failure;
use crate::error::ApiError;
use crate::extract::{public_base, AppForm, Client, PageUser, SESSION_COOKIE};
use crate::state::AppState;
use crate::time_fmt::rfc3339;

/// The cookie that ties the way back to the browser that left.
pub const STATE_COOKIE: &str = "camvault_oidc_state";

fn not_configured() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "external_sign_in_off",
        "sign-in through an external provider is not set up on this server",
    )
}

/// The account signed in on this browser, if any (and fully, second step
/// included).
async fn signed_in_account(state: &AppState, jar: &CookieJar) -> Option<domain::ids::AccountId> {
    let token = jar.get(SESSION_COOKIE)?.value().to_string();
    let who = state.accounts.authenticate_session(&token).await.ok()?;
    Some(who.account.id)
}

/// Query of the start: `link=1` from the account page.
#[derive(Debug, Deserialize)]
pub struct StartQuery {
    #[serde(default)]
    link: Option<String>,
}

/// `GET /auth/oidc/start`: to the provider, with a fresh state, nonce and
/// PKCE challenge.
pub async fn start_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    Query(q): Query<StartQuery>,
) -> Result<Response, ApiError> {
    let external = state.external_sign_in.as_ref().ok_or_else(not_configured)?;
    let link = match q.link.as_deref() {
        Some("1") | Some("true") => match signed_in_account(&state, &jar).await {
            Some(id) => Some(id),
            None => return Ok(Redirect::to("/signin").into_response()),
        },
        _ => None,
    };
    let started = external.start(link, &public_base(&state, &headers)).await?;
    // Lax, so it comes along on the provider's top-level redirect back.
    let cookie = Cookie::build((STATE_COOKIE, started.state))
        .path("/auth/oidc")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.settings.secure_cookies)
        .max_age(time::Duration::seconds(PENDING_TTL.as_secs() as i64))
        .build();
    Ok((jar.add(cookie), Redirect::to(&started.url)).into_response())
}

/// What the provider sends back.
#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

/// `GET /auth/oidc/callback`: redeems the code and signs in (or links).
pub async fn callback_get(
    State(state): State<AppState>,
    client: Client,
    jar: CookieJar,
    Query(q): Query<CallbackQuery>,
) -> Result<Response, ApiError> {
    let external = state.external_sign_in.as_ref().ok_or_else(not_configured)?;
    let cookie_state = jar.get(STATE_COOKIE).map(|c| c.value().to_string());
    let jar = jar.remove(Cookie::build(STATE_COOKIE).path("/auth/oidc").build());
    let result = match (q.error, q.code, q.state) {
        (Some(_), _, _) => Err(domain::Error::ExternalSignIn(
            "the provider did not sign you in".into(),
        )),
        (None, Some(code), Some(st)) => {
            let current = signed_in_account(&state, &jar).await;
            external
                .finish(
                    cookie_state.as_deref(),
                    &st,
                    &code,
                    current,
                    &client.ip,
                    client.user_agent.as_deref(),
                )
                .await
        }
        _ => Err(domain::Error::ExternalSignIn(
            "the provider's answer lacks its code or state".into(),
        )),
    };
    Ok(match result {
        Ok(Finished::SignedIn(s)) => super::auth::signed_in_redirect(&state, jar, &s).await,
        Ok(Finished::Linked) => (jar, Redirect::to("/account#external-sign-in")).into_response(),
        Err(e) => {
            let (status, text) = failure(e);
            let page = super::auth::signin_page(&state, "", Some(&text), None);
            (status, jar, page).into_response()
        }
    })
}

/// The account page's card: what the provider left here, and the buttons.
pub fn card(label: Option<&str>, linked: &[ExternalIdentity], csrf: &str) -> Markup {
    html! {
        section.card #external-sign-in {
            h2 { "Sign-in with another service" }
            @for i in linked {
                p { "Linked to " strong { (i.issuer) } " on " (rfc3339(i.linked_at)) "." }
                p { "Kept from it, and nothing else: your id there ("
                    code.external-subject { (i.subject) } ")"
                    @if let Some(e) = &i.email { " and your email address, which it verified (" (e) ")" }
                    ". Last used " (rfc3339(i.last_used_at)) "." }
                form method="post" action="/account/external/unlink" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="issuer" value=(i.issuer);
                    button type="submit" { "Unlink" }
                }
            }
            @if let Some(label) = label {
                @if linked.is_empty() {
                    p { "Sign in with " (label) " instead of a password. camvault keeps only "
                        (KEPT_CLAIMS.join(" and ")) " of what it says about you." }
                    a.button href="/auth/oidc/start?link=1" { "Link " (label) }
                }
            }
        }
    }
}

/// The unlink form.
#[derive(Debug, Deserialize)]
pub struct UnlinkForm {
    csrf: String,
    issuer: String,
}

/// `POST /account/external/unlink`.
pub async fn unlink_post(
    State(state): State<AppState>,
    user: PageUser,
    AppForm(form): AppForm<UnlinkForm>,
) -> Result<Response, ApiError> {
    user.check_csrf(&form.csrf)?;
    state
        .accounts
        .unlink_external(user.0.account.id, &form.issuer)
        .await?;
    Ok(Redirect::to("/account#external-sign-in").into_response())
}
