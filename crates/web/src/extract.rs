//! Request extractors: typed JSON bodies with our errors, the authenticated
//! caller (cookie or bearer token, with CSRF checks), and client facts.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use domain::accounts::{Authenticated, Credential, SignedIn};
use domain::cameras::Camera;
use domain::ports::Role;

use crate::error::ApiError;
use crate::state::AppState;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "camvault_session";
/// The header that carries the CSRF token on cookie-authenticated API calls.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A JSON body whose rejections become our error format.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct AppJson<T>(pub T);

/// A form body whose rejections become our error format.
#[derive(FromRequest)]
#[from_request(via(axum::Form), rejection(ApiError))]
pub struct AppForm<T>(pub T);

/// Path parameters whose rejections (an id that is not a number…) become
/// our error format.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct AppPath<T>(pub T);

/// A query string whose rejections become our error format.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct AppQuery<T>(pub T);

/// Who is calling, resolved from `Authorization: Bearer` or the session
/// cookie. Cookie-authenticated state-changing calls must carry the
/// session's CSRF token in `X-CSRF-Token`.
#[derive(Debug, Clone)]
pub struct CurrentUser(pub Authenticated);

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

async fn authenticate(parts: &Parts, state: &AppState) -> Result<Authenticated, ApiError> {
    if let Some(token) = bearer(&parts.headers) {
        return Ok(state.accounts.authenticate_api_token(token).await?);
    }
    let jar = CookieJar::from_headers(&parts.headers);
    let token = jar
        .get(SESSION_COOKIE)
        .map(|c| c.value().to_string())
        .ok_or_else(ApiError::unauthenticated)?;
    Ok(state.accounts.authenticate_session(&token).await?)
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let who = authenticate(parts, state).await?;
        if let Credential::Session { csrf_token, .. } = &who.credential {
            if !is_safe(&parts.method) {
                let given = parts
                    .headers
                    .get(CSRF_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                if !domain::accounts::secrets::same_hash(given, csrf_token) {
                    return Err(ApiError::csrf());
                }
            }
        }
        Ok(CurrentUser(who))
    }
}

/// The signed-in user of a page; anyone else is sent to the sign-in page.
/// Page forms check the CSRF token themselves with [`PageUser::check_csrf`].
#[derive(Debug, Clone)]
pub struct PageUser(pub Authenticated);

impl PageUser {
    /// The CSRF token to embed in this user's forms.
    pub fn csrf(&self) -> &str {
        match &self.0.credential {
            Credential::Session { csrf_token, .. } => csrf_token,
            Credential::ApiToken(_) => "",
        }
    }

    /// Refuses a form whose CSRF field does not match the session's.
    pub fn check_csrf(&self, given: &str) -> Result<(), ApiError> {
        let expected = self.csrf();
        if expected.is_empty() || !domain::accounts::secrets::same_hash(given, expected) {
            return Err(ApiError::csrf());
        }
        Ok(())
    }
}

impl FromRequestParts<AppState> for PageUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let jar = CookieJar::from_headers(&parts.headers);
        let Some(token) = jar.get(SESSION_COOKIE).map(|c| c.value().to_string()) else {
            return Err(Redirect::to("/signin").into_response());
        };
        match state.accounts.authenticate_session(&token).await {
            Ok(who) => {
                count_page_view(parts, state, &who).await;
                Ok(PageUser(who))
            }
            Err(domain::Error::Unauthenticated) => Err(Redirect::to("/signin").into_response()),
            Err(domain::Error::SecondFactorRequired) => {
                Err(Redirect::to("/signin/second-factor").into_response())
            }
            Err(e) => Err(ApiError::from(e).into_response()),
        }
    }
}

/// Counts a signed-in page view for usage statistics (F14) — which only
/// counts with the person's consent and never when the request carries
/// `DNT: 1` or `Sec-GPC: 1` (F12). A failure to count never fails the page.
async fn count_page_view(parts: &Parts, state: &AppState, who: &Authenticated) {
    if parts.method != Method::GET {
        return;
    }
    let Some(route) = parts.extensions.get::<axum::extract::MatchedPath>() else {
        return;
    };
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let no_tracking = domain::privacy::usage::do_not_track(header("dnt"), header("sec-gpc"));
    if let Err(e) = state
        .usage
        .record(who.account.id, route.as_str(), no_tracking)
        .await
    {
        tracing::warn!(error = %e, "page view not counted");
    }
}

/// Facts about the client used for throttling and the session list.
#[derive(Debug, Clone)]
pub struct Client {
    /// The peer address, or the client's as a trusted proxy reports it.
    pub ip: String,
    /// The `User-Agent` header, if any.
    pub user_agent: Option<String>,
}

impl FromRequestParts<AppState> for Client {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ci| ci.0.ip());
        // `X-Forwarded-For` only reaches here from a trusted proxy (see
        // `router::forwarded_headers`); its last entry that is not one of
        // our proxies is the client.
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|s| s.trim().parse::<std::net::IpAddr>().ok())
            .rev()
            .find(|ip| !state.settings.trusted_proxies.contains(ip));
        let ip = forwarded
            .or(peer)
            .map_or_else(|| "unknown".to_string(), |ip| ip.to_string());
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        Ok(Client { ip, user_agent })
    }
}

/// The `Set-Cookie` jar that starts a session.
pub fn session_cookie(jar: CookieJar, signed_in: &SignedIn, state: &AppState) -> CookieJar {
    let cookie = Cookie::build((SESSION_COOKIE, signed_in.token.clone()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.settings.secure_cookies)
        .max_age(time::Duration::seconds(state.settings.session_max_age_secs))
        .build();
    jar.add(cookie)
}

/// The `Set-Cookie` jar that ends a session in the browser.
pub fn clear_session_cookie(jar: CookieJar) -> CookieJar {
    jar.remove(Cookie::build(SESSION_COOKIE).path("/").build())
}

/// A signed-in administrator (same checks as [`CurrentUser`], plus the role).
#[derive(Debug, Clone)]
pub struct AdminUser(pub Authenticated);

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let CurrentUser(who) = CurrentUser::from_request_parts(parts, state).await?;
        if who.account.role != Role::Admin {
            return Err(domain::Error::Forbidden.into());
        }
        // Administrators act only with a second factor set up (A5).
        state
            .accounts
            .require_staff_second_factor(&who.account)
            .await?;
        Ok(AdminUser(who))
    }
}

/// Support staff (or an administrator), signed in, with a second factor.
#[derive(Debug, Clone)]
pub struct SupportUser(pub Authenticated);

impl FromRequestParts<AppState> for SupportUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let CurrentUser(who) = CurrentUser::from_request_parts(parts, state).await?;
        if !matches!(who.account.role, Role::Support | Role::Admin) {
            return Err(domain::Error::Forbidden.into());
        }
        state
            .accounts
            .require_staff_second_factor(&who.account)
            .await?;
        Ok(SupportUser(who))
    }
}

/// A camera calling the device API with its `cvd_` bearer token.
#[derive(Debug, Clone)]
pub struct DeviceCaller(pub Camera);

impl FromRequestParts<AppState> for DeviceCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(&parts.headers).ok_or_else(ApiError::unauthenticated)?;
        Ok(DeviceCaller(
            state.cameras.authenticate_device(token).await?,
        ))
    }
}

/// Reads a request body into one buffer sized from `Content-Length`.
///
/// axum's `Bytes` extractor gathers the body's chunks and then copies them
/// into one buffer, so a segment briefly takes twice its size; with every
/// camera uploading at once that doubles the server's memory. Here each
/// chunk is copied once, into a buffer allocated once.
pub async fn read_body(
    body: axum::body::Body,
    headers: &HeaderMap,
    limit: usize,
) -> Result<Vec<u8>, ApiError> {
    use http_body_util::BodyExt;
    let too_large = || {
        ApiError::new(
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("request body is larger than {limit} bytes"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let mut out = Vec::with_capacity(declared.unwrap_or(0));
    let mut body = body;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            ApiError::new(
                axum::http::StatusCode::BAD_REQUEST,
                "body_unreadable",
                format!("could not read the request body: {e}"),
            )
        })?;
        if let Ok(data) = frame.into_data() {
            if out.len() + data.len() > limit {
                return Err(too_large());
            }
            out.extend_from_slice(&data);
        }
    }
    Ok(out)
}

/// The address people reach this server at: `public_url` when set, else
/// the host this request came to.
pub fn public_base(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(url) = &state.settings.public_url {
        return url.as_str().trim_end_matches('/').to_string();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    // Only a trusted proxy's `X-Forwarded-Proto` is left on the request.
    let proxied_https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"));
    let scheme = if state.settings.hsts || proxied_https {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}")
}
