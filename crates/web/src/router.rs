//! Every route in one table, read top to bottom, and the layers around them.

use axum::extract::{DefaultBodyLimit, FromRequestParts, MatchedPath, Request};
use axum::http::{header, HeaderName, HeaderValue, Method};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{delete, get, post, put};
use axum::Router;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::api::{
    accounts, admin, album, billing, cameras, claims, device, events, health, ingest, live,
    openapi, recordings, search, sessions, setup, sharing, tokens, webhooks,
};
use crate::api::{
    breach, closures, consents, exports, external_identities, held, marketing, motion, push,
    requests, residency, second_factor, service_log, support, support_console, usage,
};
use crate::error::ApiError;
use crate::pages;
use crate::state::AppState;

/// Device imports list a whole production batch.
const IMPORT_LIMIT: usize = 16 * 1024 * 1024;

/// Claim evidence is at most 5 MiB; the form around it adds a little.
const EVIDENCE_LIMIT: usize = 6 * 1024 * 1024;

/// An event with its snapshot (at most 2 MiB) and the multipart around it.
const EVENT_LIMIT: usize = 3 * 1024 * 1024;

/// Init segments are small: codec setup only.
const INIT_LIMIT: usize = 256 * 1024;

const STYLE_CSS: &str = include_str!("../assets/style.css");
const PLAYER_JS: &str = include_str!("../assets/player.js");
const PUSH_JS: &str = include_str!("../assets/push.js");
const FEED_JS: &str = include_str!("../assets/feed.js");
const ALBUM_JS: &str = include_str!("../assets/album.js");
const SERVICE_WORKER_JS: &str = include_str!("../assets/sw.js");
const HLS_JS: &str = include_str!("../assets/vendor/hls.js/hls.light.min.js");
const HLS_LICENSE: &str = include_str!("../assets/vendor/hls.js/LICENSE");

/// Builds the whole HTTP application.
pub fn router(state: AppState) -> Router {
    let body_limit = state.settings.body_limit;
    let hsts = state.settings.hsts;
    let segment_limit = state.recordings.config().max_segment_bytes;
    let api = Router::new()
        .route("/accounts", post(accounts::register))
        .route("/me", get(accounts::me))
        .route("/me/password", put(accounts::change_password))
        .route("/me/contacts/{kind}", put(accounts::change_contact))
        .route("/me/contacts/{kind}/verify", post(accounts::verify_contact))
        .route("/me/contacts/{kind}/resend", post(accounts::resend_code))
        .route("/me/tokens", post(tokens::create).get(tokens::list))
        .route("/me/tokens/{id}", delete(tokens::revoke))
        .route("/sessions", post(sessions::sign_in).get(sessions::list))
        .route("/sessions/by-code", post(sessions::sign_in_with_code))
        .route("/sessions/second-factor", post(second_factor::complete))
        .route(
            "/me/second-factor",
            get(second_factor::status).delete(second_factor::remove),
        )
        .route("/me/second-factor/totp", post(second_factor::begin))
        .route(
            "/me/second-factor/totp/confirm",
            post(second_factor::confirm),
        )
        .route(
            "/me/external-identities",
            get(external_identities::list).delete(external_identities::unlink),
        )
        .route(
            "/me/album",
            post(album::add)
                .get(album::list)
                .layer(DefaultBodyLimit::max(album::BODY_LIMIT)),
        )
        .route("/me/album/{id}", get(album::get_one).delete(album::delete))
        .route("/me/album/{id}/thumbnail.jpg", get(album::thumbnail))
        .route("/me/album/uploads", post(album::start_upload))
        .route(
            "/me/album/uploads/{id}",
            get(album::upload_status)
                .put(album::put_piece)
                .layer(DefaultBodyLimit::max(album::BODY_LIMIT)),
        )
        .route("/plans", get(billing::offered))
        .route("/orders", post(billing::place))
        .route("/me/orders", get(billing::mine))
        .route("/me/orders/{number}/cancel", post(billing::cancel))
        .route("/me/plan", get(billing::my_plan))
        .route("/payments/webhook", post(billing::webhook))
        .route(
            "/admin/plans",
            get(billing::all_plans).post(billing::create_plan),
        )
        .route("/admin/plans/{id}/offered", put(billing::set_offered))
        .route("/admin/orders", get(billing::all_orders))
        .route("/admin/orders/{number}/paid", post(billing::mark_paid))
        .route("/admin/orders/{number}/refund", post(billing::refund))
        .route("/admin/billing-flags", get(billing::flags))
        .route("/sessions/current", delete(sessions::sign_out))
        .route("/sessions/{id}", delete(sessions::revoke))
        .route("/login-codes", post(sessions::request_code))
        .route("/setup", post(setup::complete))
        .route("/cameras", post(cameras::bind).get(cameras::list))
        .route(
            "/cameras/{id}",
            get(cameras::get_one)
                .patch(cameras::change)
                .delete(cameras::unbind),
        )
        .route("/device/token", post(device::token))
        .route("/device/heartbeat", post(device::heartbeat))
        .route("/device/settings", get(device::settings))
        .route("/device/firmware", get(device::firmware))
        .route(
            "/device/init",
            put(ingest::upload_init).layer(DefaultBodyLimit::max(INIT_LIMIT)),
        )
        .route(
            "/device/segments/{segment_id}",
            put(ingest::upload_segment)
                .layer(DefaultBodyLimit::max(segment_limit))
                .layer(middleware::from_fn(ingest::stamp_start)),
        )
        .route("/cameras/{id}/recordings.m3u8", get(recordings::playlist))
        .route(
            "/cameras/{id}/recordings/timeline",
            get(recordings::timeline),
        )
        .route(
            "/cameras/{id}/recordings/download.mp4",
            get(recordings::download),
        )
        .route(
            "/cameras/{id}/recordings/inits/{name}",
            get(recordings::init),
        )
        .route(
            "/cameras/{id}/recordings/segments/{name}",
            get(recordings::segment),
        )
        .route("/cameras/{id}/event-windows", post(recordings::mark_event))
        .route("/cameras/{id}/retention", put(recordings::set_retention))
        .route("/me/access-log", get(recordings::access_log))
        .route("/cameras/{id}/live", get(live::live))
        .route(
            "/device/events",
            post(events::report).layer(DefaultBodyLimit::max(EVENT_LIMIT)),
        )
        .route("/cameras/{id}/events", get(events::list))
        .route(
            "/cameras/{id}/events/{event_id}/snapshot.jpg",
            get(events::snapshot),
        )
        .route(
            "/cameras/{id}/alert-preferences",
            get(events::preferences).put(events::set_preferences),
        )
        .route("/cameras/{id}/motion", get(motion::get).put(motion::put))
        .route("/me/alerts/stream", get(events::stream))
        .route("/push/vapid-public-key", get(push::vapid_public_key))
        .route(
            "/me/push-subscriptions",
            post(push::subscribe).get(push::list),
        )
        .route("/me/push-subscriptions/{id}", delete(push::remove))
        .route(
            "/me/alert-settings",
            get(events::settings).put(events::save_settings),
        )
        .route("/me/alert-deliveries", get(events::deliveries))
        .route("/me/webhooks", post(webhooks::create).get(webhooks::list))
        .route("/me/webhooks/{id}", delete(webhooks::delete))
        .route("/me/webhooks/{id}/deliveries", get(webhooks::deliveries))
        .route("/search", get(search::search))
        .route("/me/searches", get(search::history).delete(search::clear))
        .route("/me/search-settings", put(search::settings))
        .route("/cameras/{id}/network", get(cameras::network))
        .route("/cameras/rtsp", post(cameras::add_rtsp))
        .route("/cameras/{id}/rtsp", put(cameras::change_rtsp))
        .route(
            "/cameras/{id}/test-connection",
            post(cameras::test_connection),
        )
        .route("/cameras/{id}/invitations", post(sharing::invite))
        .route(
            "/cameras/{id}/invitations/{invitation_id}",
            delete(sharing::cancel),
        )
        .route("/cameras/{id}/shares", get(sharing::shares))
        .route("/cameras/{id}/shares/{account_id}", delete(sharing::revoke))
        .route(
            "/claims",
            post(claims::file)
                .get(claims::mine)
                .layer(DefaultBodyLimit::max(EVIDENCE_LIMIT)),
        )
        .route("/admin/claims", get(claims::queue))
        .route("/admin/claims/{id}/evidence", get(claims::evidence))
        .route("/admin/claims/{id}/decision", post(claims::decide))
        .route("/invitations", get(sharing::incoming))
        .route("/invitations/{id}", delete(sharing::decline))
        .route("/invitations/{id}/accept", post(sharing::accept))
        .route(
            "/admin/firmware",
            get(admin::firmware).post(admin::publish_firmware),
        )
        .route("/admin/statistics", get(admin::statistics))
        .route("/admin/requests", get(requests::queue))
        .route("/admin/requests/{id}/state", post(requests::advance))
        .route("/me/requests", post(requests::create).get(requests::mine))
        .route("/me/exports", post(exports::create).get(exports::mine))
        .route("/me/cancel", post(closures::cancel))
        .route(
            "/me/restriction",
            get(closures::restriction).put(closures::set_restriction),
        )
        .route("/admin/marketing", post(marketing::send))
        .route("/admin/breach-notices", post(breach::create))
        .route("/admin/breach-notices/preview", post(breach::preview))
        .route("/admin/breach-notices/{id}", get(breach::get_one))
        .route("/admin/breach-notices/{id}/send", post(breach::send))
        .route("/me/notices", get(breach::mine))
        .route("/support/accounts/{id}", get(support::look_up))
        .route("/support/accounts/{id}/unmask", post(support::unmask))
        .route("/support/search", get(support_console::search))
        .route(
            "/support/accounts/{id}/orders",
            get(support_console::orders),
        )
        .route(
            "/support/accounts/{id}/resend-verification",
            post(support_console::resend_verification),
        )
        .route(
            "/support/accounts/{id}/cameras/{camera}/network",
            get(support_console::network),
        )
        .route(
            "/support/accounts/{id}/requests",
            post(support_console::open_request),
        )
        .route("/admin/usage", get(usage::report))
        .route("/admin/retention", get(service_log::dry_run))
        .route("/me/activity", get(service_log::activity))
        .route("/me/data", get(held::mine))
        .route("/me/region", get(residency::get).put(residency::put))
        .route("/admin/accounts/{id}/erasure", post(closures::erase_sooner))
        .route("/me/exports/{id}/download", get(exports::download))
        .route("/me/consents", get(consents::mine).put(consents::change))
        .route("/me/consents/policy", post(consents::accept_policy))
        .route("/policies", get(consents::policies))
        .route("/admin/policies", post(consents::publish))
        .route(
            "/admin/devices",
            get(admin::devices)
                .post(admin::import)
                .layer(DefaultBodyLimit::max(IMPORT_LIMIT)),
        );

    let pages = Router::new()
        .route("/", get(|| async { Redirect::to("/account") }))
        .route("/privacy", get(pages::privacy::privacy_get))
        .route("/privacy.json", get(pages::privacy::privacy_json))
        .route("/privacy-center", get(pages::rights::center_get))
        .route(
            "/privacy-center/consents",
            post(pages::rights::consents_post),
        )
        .route(
            "/privacy-center/policy",
            get(pages::rights::policy_get).post(pages::rights::policy_post),
        )
        .route(
            "/privacy-center/requests",
            post(pages::rights::request_post),
        )
        .route("/privacy-center/exports", post(pages::leaving::export_post))
        .route("/privacy-center/cancel", post(pages::leaving::cancel_post))
        .route(
            "/privacy-center/restriction",
            post(pages::leaving::restriction_post),
        )
        .route(
            "/guardian/{token}",
            get(pages::auth::guardian_get).post(pages::auth::guardian_post),
        )
        .route(
            "/unsubscribe/{token}",
            get(pages::unsubscribe::unsubscribe_get).post(pages::unsubscribe::unsubscribe_post),
        )
        .route("/admin/requests", get(pages::rights::queue_get))
        .route("/admin/requests/{id}/state", post(pages::rights::step_post))
        .route(
            "/signup",
            get(pages::auth::signup_get).post(pages::auth::signup_post),
        )
        .route(
            "/verify",
            get(pages::auth::verify_get).post(pages::auth::verify_post),
        )
        .route("/verify/resend", post(pages::auth::resend_post))
        .route(
            "/signin",
            get(pages::auth::signin_get).post(pages::auth::signin_post),
        )
        .route("/signin/code-request", post(pages::auth::code_request_post))
        .route("/signin/code", post(pages::auth::code_post))
        .route(
            "/signin/second-factor",
            get(pages::second_factor::second_step_get).post(pages::second_factor::second_step_post),
        )
        .route(
            "/account/second-factor",
            post(pages::second_factor::setup_post),
        )
        .route(
            "/account/second-factor/confirm",
            post(pages::second_factor::confirm_post),
        )
        .route(
            "/account/second-factor/remove",
            post(pages::second_factor::remove_post),
        )
        .route("/auth/oidc/start", get(pages::external::start_get))
        .route("/auth/oidc/callback", get(pages::external::callback_get))
        .route(
            "/account/external/unlink",
            post(pages::external::unlink_post),
        )
        .route("/album", get(pages::album::album_get))
        .route(
            "/album/upload",
            post(pages::album::upload_post)
                .layer(DefaultBodyLimit::max(crate::api::album::BODY_LIMIT)),
        )
        .route("/album/{id}", get(pages::album::item_get))
        .route("/album/{id}/delete", post(pages::album::delete_post))
        .route("/plans", get(pages::billing::plans_get))
        .route("/plans/order", post(pages::billing::order_post))
        .route("/account/orders", get(pages::billing::orders_get))
        .route("/account/orders/{number}", get(pages::billing::order_get))
        .route(
            "/account/orders/{number}/cancel",
            post(pages::billing::cancel_post),
        )
        .route("/orders/{number}/invoice", get(pages::billing::invoice_get))
        .route("/support", get(pages::support::search_get))
        .route("/support/accounts/{id}", get(pages::support::account_get))
        .route(
            "/support/accounts/{id}/unmask",
            post(pages::support::unmask_post),
        )
        .route(
            "/support/accounts/{id}/resend-verification",
            post(pages::support::resend_post),
        )
        .route(
            "/support/accounts/{id}/requests",
            post(pages::support::request_post),
        )
        .route(
            "/support/accounts/{id}/cameras/{camera}/network",
            get(pages::support::network_get),
        )
        .route("/admin/billing", get(pages::billing::admin_get))
        .route(
            "/admin/billing/plans",
            post(pages::billing::admin_plan_post),
        )
        .route(
            "/admin/billing/orders/{number}/paid",
            post(pages::billing::admin_paid_post),
        )
        .route(
            "/admin/billing/orders/{number}/refund",
            post(pages::billing::admin_refund_post),
        )
        .route("/signout", post(pages::auth::signout_post))
        .route("/account", get(pages::account::account_get))
        .route("/account/contacts", post(pages::account::contact_post))
        .route("/account/password", post(pages::account::password_post))
        .route(
            "/account/sessions/{id}/revoke",
            post(pages::account::session_revoke_post),
        )
        .route("/account/tokens", post(pages::account::token_post))
        .route(
            "/account/tokens/{id}/revoke",
            post(pages::account::token_revoke_post),
        )
        .route(
            "/setup",
            get(pages::setup::setup_get).post(pages::setup::setup_post),
        );

    let app = Router::new()
        .nest("/api/v1", api)
        .merge(pages)
        .merge(pages::cameras::routes())
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(crate::metrics::serve))
        .route("/api/openapi.json", get(openapi::openapi_json))
        .route("/api/docs", get(openapi::docs_page))
        .route("/assets/style.css", get(style_css))
        .route("/assets/player.js", get(|| script(PLAYER_JS)))
        .route("/assets/push.js", get(|| script(PUSH_JS)))
        .route("/assets/feed.js", get(|| script(FEED_JS)))
        .route("/assets/album.js", get(|| script(ALBUM_JS)))
        .route("/sw.js", get(service_worker))
        .route("/assets/vendor/hls.light.min.js", get(|| script(HLS_JS)))
        .route(
            "/assets/vendor/hls.js.LICENSE.txt",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                    HLS_LICENSE,
                )
            }),
        )
        .fallback(|| async { ApiError::route_not_found() })
        .layer(middleware::from_fn_with_state(state.clone(), audit_admin))
        .layer(middleware::from_fn_with_state(state.clone(), rate_limit))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            forwarded_headers,
        ))
        .layer(middleware::from_fn(same_origin))
        .layer(middleware::from_fn(carry_request_id))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::metrics::track,
        ))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            // The matched route, never the raw URI: query strings may hold tokens.
            let route = req
                .extensions()
                .get::<MatchedPath>()
                .map(|m| m.as_str().to_string())
                .unwrap_or_else(|| "unmatched".to_string());
            // Set by the layer below from the caller's header or a new UUID,
            // so one id follows a request through proxies and logs.
            let id = req
                .headers()
                .get(REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-")
                .to_string();
            tracing::info_span!("http", method = %req.method(), route = %route, request_id = %id)
        }))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state);
    with_security_headers(app, hsts)
}

/// The header carrying a request's id, taken from the caller (a proxy or
/// another instance) or made here, and returned with the response.
const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Serves the request with its id in [`domain::cluster::REQUEST_ID`], so a
/// message it sends to other instances carries it into their logs.
async fn carry_request_id(req: Request, next: Next) -> Response {
    let id: String = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .chars()
        .take(64)
        .collect();
    domain::cluster::REQUEST_ID.scope(id, next.run(req)).await
}

async fn script(body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
}

/// The Web Push service worker. It lives at the root so that its scope
/// is the whole site (`Service-Worker-Allowed` says so explicitly), and is
/// revalidated on every load so a fix reaches browsers at once.
async fn service_worker() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
            (HeaderName::from_static("service-worker-allowed"), "/"),
        ],
        SERVICE_WORKER_JS,
    )
}

async fn style_css() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        STYLE_CSS,
    )
}

/// Headers every response carries: a strict CSP (no inline script), no
/// framing, no MIME sniffing, and referrers kept within the site (a stricter
/// `no-referrer` makes browsers send `Origin: null` on form posts).
fn with_security_headers(router: Router, hsts: bool) -> Router {
    let set =
        |name, value| SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value));
    let router = if hsts {
        router.layer(set(
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        ))
    } else {
        router
    };
    router
        .layer(set(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             media-src 'self' blob:; \
             frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ))
        .layer(set(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(set(header::REFERRER_POLICY, "same-origin"))
}

/// Refuses state-changing requests whose `Origin` is another site (or
/// `null`, which browsers send from sandboxed or privacy-stripped contexts): with
/// SameSite=Lax cookies and per-session CSRF tokens this closes login CSRF
/// too, where no session exists yet.
async fn same_origin(req: Request, next: Next) -> Response {
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if unsafe_method && !origin_is_host(req.headers()) {
        return ApiError::csrf().into_response();
    }
    next.run(req).await
}

/// True when the request has no `Origin` or one naming this host: what a
/// browser sends for same-site requests. WebSocket upgrades (GETs that
/// carry cookies) check it too, against cross-site socket hijacking.
pub(crate) fn origin_is_host(headers: &axum::http::HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin_host = origin
        .to_str()
        .ok()
        .and_then(|o| url::Url::parse(o).ok())
        .map(|u| match u.port() {
            Some(p) => format!("{}:{p}", u.host_str().unwrap_or("")),
            None => u.host_str().unwrap_or("").to_string(),
        });
    let same = origin_host.is_some() && origin_host.as_deref() == host;
    if !same {
        tracing::info!(origin = ?origin, host = ?host, "cross-origin request refused");
    }
    same
}

/// Every request an administrator makes under `/api/v1/admin/` or `/admin/`
/// is an audit entry (G4), written once it succeeded: one place, so that no
/// administrative route can be added without leaving a trace. Requests by
/// anyone else pass untouched (the route refuses them).
async fn audit_admin(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_string();
    if !(path.starts_with("/api/v1/admin/") || path.starts_with("/admin/")) {
        return next.run(req).await;
    }
    let method = req.method().to_string();
    let (mut parts, body) = req.into_parts();
    let admin = crate::extract::AdminUser::from_request_parts(&mut parts, &state)
        .await
        .ok();
    let resp = next.run(Request::from_parts(parts, body)).await;
    let done = resp.status().is_success() || resp.status().is_redirection();
    if let (Some(crate::extract::AdminUser(who)), true) = (admin, done) {
        if let Err(e) = state
            .audit
            .admin_request(who.account.id, &method, &path)
            .await
        {
            tracing::error!(error = %e, "an administrator's request was not audited");
        }
    }
    resp
}

/// Drops `X-Forwarded-*` and `Forwarded` from requests that did not come
/// from a configured proxy, so that nothing after this can be fooled by a
/// client claiming another address or scheme.
async fn forwarded_headers(
    axum::extract::State(state): axum::extract::State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let peer = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    if !peer.is_some_and(|ip| state.settings.trusted_proxies.contains(&ip)) {
        for name in [
            "x-forwarded-for",
            "x-forwarded-proto",
            "x-forwarded-host",
            "forwarded",
        ] {
            req.headers_mut().remove(name);
        }
    }
    next.run(req).await
}

/// Refuses requests over the client address's rate limits (see
/// `limits.rs`); health checks are never limited.
async fn rate_limit(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_string();
    if path == "/healthz" || path == "/readyz" {
        return next.run(req).await;
    }
    let method = req.method().clone();
    let (mut parts, body) = req.into_parts();
    let ip = crate::extract::Client::from_request_parts(&mut parts, &state)
        .await
        .ok()
        .and_then(|c| c.ip.parse::<std::net::IpAddr>().ok());
    let wait = match ip {
        Some(ip) => state.settings.limits.check(ip, &method, &path).await,
        None => None,
    };
    if let Some(wait) = wait {
        return ApiError::from(domain::Error::Throttled {
            retry_after_secs: wait,
        })
        .into_response();
    }
    next.run(Request::from_parts(parts, body)).await
}
