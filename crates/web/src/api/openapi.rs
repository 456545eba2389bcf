//! The OpenAPI document (generated from the handlers by utoipa) and a
//! server-rendered page that browses it without any script.

use axum::Json;
use maud::{html, Markup};
use utoipa::openapi::path::Operation;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use super::{
    accounts, admin, album, billing, cameras, claims, device, events, health, ingest, live,
    recordings, search, sessions, setup, sharing, tokens, webhooks,
};
use super::{
    breach, closures, consents, exports, external_identities, held, marketing, motion, push,
    requests, residency, second_factor, service_log, support, support_console, usage,
};
use crate::error::{ErrorBody, ErrorDetail};
use crate::pages::layout;

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(title = "camvault API", description = "Accounts, sessions, tokens, cameras, the device API and sharing of a camvault server. \
        Errors are {\"error\":{\"code\",\"message\"}}; cookie-authenticated state-changing calls need X-CSRF-Token."),
    paths(
        health::healthz, health::readyz,
        accounts::register, accounts::me, accounts::change_password,
        accounts::change_contact, accounts::verify_contact, accounts::resend_code,
        sessions::sign_in, sessions::request_code, sessions::sign_in_with_code,
        sessions::list, sessions::sign_out, sessions::revoke,
        breach::preview, breach::create, breach::get_one, breach::send, breach::mine,
        support::look_up, support::unmask,
        support_console::search, support_console::orders, support_console::resend_verification,
        support_console::network, support_console::open_request,
        second_factor::complete, second_factor::status, second_factor::begin,
        second_factor::confirm, second_factor::remove,
        external_identities::list, external_identities::unlink,
        album::add, album::list, album::get_one, album::thumbnail, album::delete, album::start_upload,
        album::upload_status, album::put_piece,
        billing::offered, billing::place, billing::mine, billing::cancel, billing::my_plan,
        billing::webhook, billing::all_plans, billing::create_plan, billing::set_offered,
        billing::all_orders, billing::mark_paid, billing::refund, billing::flags,
        tokens::create, tokens::list, tokens::revoke,
        setup::complete,
        cameras::bind, cameras::list, cameras::get_one, cameras::change, cameras::unbind,
        cameras::network, cameras::add_rtsp, cameras::change_rtsp, cameras::test_connection,
        device::token, device::heartbeat, device::settings, device::firmware,
        ingest::upload_init, ingest::upload_segment,
        recordings::timeline, recordings::playlist, recordings::init, recordings::segment,
        recordings::download, recordings::mark_event, recordings::set_retention,
        recordings::access_log, live::live,
        events::report, events::list, events::snapshot, events::stream, events::preferences,
        events::set_preferences, motion::get, motion::put, events::settings, events::save_settings, events::deliveries,
        push::vapid_public_key, push::subscribe, push::list, push::remove,
        webhooks::create, webhooks::list, webhooks::delete, webhooks::deliveries,
        search::search, search::history, search::clear, search::settings,
        admin::import, admin::devices, admin::publish_firmware, admin::firmware, admin::statistics,
        requests::create, requests::mine, requests::queue, requests::advance,
        exports::create, exports::mine, exports::download,
        closures::cancel, closures::erase_sooner, closures::restriction, closures::set_restriction,
        marketing::send, usage::report, service_log::activity, service_log::dry_run, held::mine,
        residency::get, residency::put,
        consents::mine, consents::change, consents::accept_policy, consents::policies, consents::publish,
        sharing::invite, sharing::cancel, sharing::shares, sharing::revoke,
        sharing::incoming, sharing::accept, sharing::decline,
        claims::file, claims::mine, claims::queue, claims::evidence, claims::decide,
    ),
    components(schemas(ErrorBody, ErrorDetail)),
    modifiers(&ErrorsEverywhere),
    tags(
        (name = "accounts", description = "Registration, profile, contacts, password"),
        (name = "sessions", description = "Sign-in by password or one-time code, sessions"),
        (name = "tokens", description = "Personal API tokens for scripts"),
        (name = "setup", description = "First administrator"),
        (name = "cameras", description = "Binding and controlling cameras"),
        (name = "device", description = "What cameras call, with their device token"),
        (name = "admin", description = "Device registry and firmware"),
        (name = "sharing", description = "Sharing cameras with family and friends"),
        (name = "claims", description = "Ownership claims for cameras bound to someone else"),
        (name = "events", description = "Events, snapshots, the in-app alert stream, alert preferences and Web Push subscriptions"),
        (name = "webhooks", description = "Signed JSON POSTs of your cameras' events to your URLs, with retries and a delivery log"),
        (name = "recordings", description = "Timeline, playback, download and the access log"),
        (name = "health", description = "Liveness and readiness"),
        (name = "billing", description = "Storage plans, orders, payment and invoices"),
        (name = "album", description = "Photos and clips uploaded from the phone or browser, whole or in pieces"),
    )
)]
pub struct ApiDoc;

/// Every operation can answer with an error in the one error format (bad
/// input, no or wrong credentials, the rate limit, a full disk…): that is
/// its `default` response, beside the statuses each operation names.
struct ErrorsEverywhere;

impl Modify for ErrorsEverywhere {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let error = ResponseBuilder::new()
            .description("an error: `{\"error\":{\"code\",\"message\"}}`; the code says which")
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build();
        for item in openapi.paths.paths.values_mut() {
            let ops = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.delete,
                &mut item.patch,
            ];
            for op in ops.into_iter().flatten() {
                op.responses
                    .responses
                    .entry("default".into())
                    .or_insert_with(|| RefOr::T(error.clone()));
            }
        }
    }
}

/// `GET /api/openapi.json`.
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// `GET /api/docs`: every operation with its summary, body and answers.
pub async fn docs_page() -> Markup {
    let doc = ApiDoc::openapi();
    let mut ops: Vec<(String, &'static str, Operation)> = Vec::new();
    for (path, item) in doc.paths.paths {
        let methods = [
            ("GET", item.get),
            ("POST", item.post),
            ("PUT", item.put),
            ("DELETE", item.delete),
            ("PATCH", item.patch),
        ];
        for (method, op) in methods {
            if let Some(op) = op {
                ops.push((path.clone(), method, op));
            }
        }
    }
    layout::page(
        "API reference",
        None,
        html! {
            h1 { "camvault API" }
            p { "Machine-readable: " a href="/api/openapi.json" { "/api/openapi.json" } " (OpenAPI 3.1)." }
            p { "Errors look like " code { "{\"error\":{\"code\":\"…\",\"message\":\"…\"}}" }
                ". Calls signed in by cookie that change state send the session's CSRF token in "
                code { "X-CSRF-Token" } "; scripts use " code { "Authorization: Bearer cvt_…" } "." }
            @for (path, method, op) in &ops {
                section.op {
                    h2 { span.method { (method) } " " code { (path) } }
                    @if let Some(s) = &op.summary { p { (s) } }
                    @if let Some(d) = &op.description { p.muted { (d) } }
                    ul {
                        @for (status, _) in &op.responses.responses {
                            li { code { (status) } }
                        }
                    }
                }
            }
        },
    )
}
