//! The rest of the authorization matrix: every endpoint outside the camera
//! matrix (`matrix.rs`) has an access class, and is called anonymously,
//! with a device token, and as a user, support staff and an administrator;
//! each answer must be what its class allows. The list is checked against
//! the OpenAPI document, so a new endpoint without a class fails the test.

use std::collections::BTreeSet;

use domain::ports::Role;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{Person, TestApp};

/// Who may call an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Anyone (sign-up, sign-in, health, public keys and policies).
    Public,
    /// Any signed-in person, for their own data.
    User,
    /// Support staff and administrators, with a second factor.
    Staff,
    /// The payment provider, by its signature only.
    Signed,
}

/// Every documented endpoint outside the camera matrix, with its class.
const ENDPOINTS: &[(&str, &str, Class)] = &[
    ("GET", "/healthz", Class::Public),
    ("GET", "/readyz", Class::Public),
    ("POST", "/api/v1/accounts", Class::Public),
    ("POST", "/api/v1/login-codes", Class::Public),
    ("POST", "/api/v1/sessions", Class::Public),
    ("POST", "/api/v1/sessions/by-code", Class::Public),
    ("POST", "/api/v1/setup", Class::Public),
    ("GET", "/api/v1/policies", Class::Public),
    ("GET", "/api/v1/push/vapid-public-key", Class::Public),
    ("POST", "/api/v1/payments/webhook", Class::Signed),
    ("POST", "/api/v1/sessions/second-factor", Class::User),
    ("GET", "/api/v1/sessions", Class::User),
    ("GET", "/api/v1/me", Class::User),
    ("GET", "/api/v1/me/access-log", Class::User),
    ("GET", "/api/v1/me/album", Class::User),
    ("POST", "/api/v1/me/album", Class::User),
    ("GET", "/api/v1/me/album/{id}", Class::User),
    ("GET", "/api/v1/me/album/{id}/thumbnail.jpg", Class::User),
    ("DELETE", "/api/v1/me/album/{id}", Class::User),
    ("POST", "/api/v1/me/album/uploads", Class::User),
    ("GET", "/api/v1/me/album/uploads/{id}", Class::User),
    ("PUT", "/api/v1/me/album/uploads/{id}", Class::User),
    ("GET", "/api/v1/me/activity", Class::User),
    ("GET", "/api/v1/me/alert-deliveries", Class::User),
    ("GET", "/api/v1/me/alert-settings", Class::User),
    ("PUT", "/api/v1/me/alert-settings", Class::User),
    ("GET", "/api/v1/me/alerts/stream", Class::User),
    ("POST", "/api/v1/me/cancel", Class::User),
    ("GET", "/api/v1/me/consents", Class::User),
    ("PUT", "/api/v1/me/consents", Class::User),
    ("POST", "/api/v1/me/consents/policy", Class::User),
    ("PUT", "/api/v1/me/contacts/{kind}", Class::User),
    ("POST", "/api/v1/me/contacts/{kind}/resend", Class::User),
    ("POST", "/api/v1/me/contacts/{kind}/verify", Class::User),
    ("GET", "/api/v1/me/data", Class::User),
    ("GET", "/api/v1/me/exports", Class::User),
    ("POST", "/api/v1/me/exports", Class::User),
    ("GET", "/api/v1/me/exports/{id}/download", Class::User),
    ("GET", "/api/v1/me/external-identities", Class::User),
    ("DELETE", "/api/v1/me/external-identities", Class::User),
    ("GET", "/api/v1/me/notices", Class::User),
    ("GET", "/api/v1/me/orders", Class::User),
    ("POST", "/api/v1/me/orders/{number}/cancel", Class::User),
    ("PUT", "/api/v1/me/password", Class::User),
    ("GET", "/api/v1/me/plan", Class::User),
    ("GET", "/api/v1/me/push-subscriptions", Class::User),
    ("POST", "/api/v1/me/push-subscriptions", Class::User),
    ("DELETE", "/api/v1/me/push-subscriptions/{id}", Class::User),
    ("GET", "/api/v1/me/region", Class::User),
    ("PUT", "/api/v1/me/region", Class::User),
    ("GET", "/api/v1/me/requests", Class::User),
    ("POST", "/api/v1/me/requests", Class::User),
    ("GET", "/api/v1/me/restriction", Class::User),
    ("PUT", "/api/v1/me/restriction", Class::User),
    ("PUT", "/api/v1/me/search-settings", Class::User),
    ("GET", "/api/v1/me/searches", Class::User),
    ("DELETE", "/api/v1/me/searches", Class::User),
    ("GET", "/api/v1/me/second-factor", Class::User),
    ("DELETE", "/api/v1/me/second-factor", Class::User),
    ("POST", "/api/v1/me/second-factor/totp", Class::User),
    ("POST", "/api/v1/me/second-factor/totp/confirm", Class::User),
    ("GET", "/api/v1/me/tokens", Class::User),
    ("POST", "/api/v1/me/tokens", Class::User),
    ("DELETE", "/api/v1/me/tokens/{id}", Class::User),
    ("GET", "/api/v1/me/webhooks", Class::User),
    ("POST", "/api/v1/me/webhooks", Class::User),
    ("DELETE", "/api/v1/me/webhooks/{id}", Class::User),
    ("GET", "/api/v1/me/webhooks/{id}/deliveries", Class::User),
    ("GET", "/api/v1/plans", Class::User),
    ("POST", "/api/v1/orders", Class::User),
    ("GET", "/api/v1/search", Class::User),
    ("GET", "/api/v1/support/search", Class::Staff),
    ("GET", "/api/v1/support/accounts/{id}", Class::Staff),
    ("POST", "/api/v1/support/accounts/{id}/unmask", Class::Staff),
    ("GET", "/api/v1/support/accounts/{id}/orders", Class::Staff),
    (
        "POST",
        "/api/v1/support/accounts/{id}/resend-verification",
        Class::Staff,
    ),
    (
        "GET",
        "/api/v1/support/accounts/{id}/cameras/{camera}/network",
        Class::Staff,
    ),
    (
        "POST",
        "/api/v1/support/accounts/{id}/requests",
        Class::Staff,
    ),
    // Last: they end the caller's sessions.
    ("DELETE", "/api/v1/sessions/{id}", Class::User),
    ("DELETE", "/api/v1/sessions/current", Class::User),
];

/// Prefixes the camera matrix covers.
const CAMERA_MATRIX: [&str; 5] = [
    "/api/v1/cameras",
    "/api/v1/device",
    "/api/v1/invitations",
    "/api/v1/admin",
    "/api/v1/claims",
];

fn concrete(path: &str) -> String {
    let p = path
        .replace("{kind}", "email")
        .replace("{number}", "CV-2026-999999")
        .replace("{camera}", "999")
        // No session, token, hook or export of anyone has this id.
        .replace("{id}", "999999");
    if p.ends_with("/support/search") {
        p + "?q=nobody%40example.com"
    } else if p.ends_with("/api/v1/search") {
        p + "?q=door"
    } else {
        p
    }
}

/// Calls `method path` as `who` (None: anonymous) or with `bearer`.
async fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    who: Option<&Person>,
    bearer: Option<&str>,
) -> StatusCode {
    let method = Method::from_bytes(method.as_bytes()).unwrap();
    let url = app.url(&concrete(path));
    let mut req = match who {
        Some(p) => p
            .client
            .request(method.clone(), url)
            .header("x-csrf-token", &p.csrf),
        None => reqwest::Client::new().request(method.clone(), url),
    };
    if let Some(token) = bearer {
        req = req.bearer_auth(token);
    }
    if method != Method::GET {
        req = req.json(&json!({}));
    }
    // The alert stream answers with its headers and then stays open.
    req.send().await.unwrap().status()
}

fn let_through(s: StatusCode) -> bool {
    s != StatusCode::UNAUTHORIZED && s != StatusCode::FORBIDDEN && !s.is_server_error()
}

// promise: G3
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_other_endpoint_lets_in_exactly_its_class() {
    let app = TestApp::spawn_with(|c| {
        c.rate_limit_per_minute = 0;
        c.auth_rate_limit_per_minute = 0;
        c.payment_webhook_secret = Some("matrix-secret".into());
        c.payment_methods = vec!["manual".into(), "webhook".into()];
        c.payment_webhook_checkout_url = Some("https://pay.example.test/".into());
    })
    .await;
    app.provision(1).await;
    let device = app.device_token(1).await;
    let user = app.person("matrix_user", Role::User).await;
    let support = app.person("matrix_support", Role::Support).await;
    let admin = app.person("matrix_admin", Role::Admin).await;

    // The list is exactly the documented endpoints outside the camera matrix.
    let doc: Value = app.get("/api/openapi.json").await.json().await.unwrap();
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        if CAMERA_MATRIX.iter().any(|p| path.starts_with(p)) {
            continue;
        }
        for method in item.as_object().unwrap().keys() {
            documented.insert(format!("{} {path}", method.to_uppercase()));
        }
    }
    let listed: BTreeSet<String> = ENDPOINTS
        .iter()
        .map(|(m, p, _)| format!("{m} {p}"))
        .collect();
    assert_eq!(documented, listed, "every endpoint needs an access class");

    let mut failures = Vec::new();
    let mut check = |what: String, ok: bool, got: StatusCode| {
        if !ok {
            failures.push(format!("{what}: got {}", got.as_u16()));
        }
    };
    for &(method, path, class) in ENDPOINTS {
        let anon = call(&app, method, path, None, None).await;
        let dev = call(&app, method, path, None, Some(&device)).await;
        match class {
            Class::Public => {
                check(
                    format!("{method} {path} anonymous"),
                    !anon.is_server_error(),
                    anon,
                );
                continue;
            }
            Class::Signed => {
                check(
                    format!("{method} {path} unsigned"),
                    anon == StatusCode::UNAUTHORIZED,
                    anon,
                );
                let as_user = call(&app, method, path, Some(&user), None).await;
                check(
                    format!("{method} {path} user"),
                    as_user == StatusCode::UNAUTHORIZED,
                    as_user,
                );
                continue;
            }
            Class::User | Class::Staff => {
                check(
                    format!("{method} {path} anonymous"),
                    anon == StatusCode::UNAUTHORIZED,
                    anon,
                );
                check(
                    format!("{method} {path} device token"),
                    dev == StatusCode::UNAUTHORIZED,
                    dev,
                );
            }
        }
        let as_user = call(&app, method, path, Some(&user), None).await;
        let as_support = call(&app, method, path, Some(&support), None).await;
        let as_admin = call(&app, method, path, Some(&admin), None).await;
        match class {
            Class::User => {
                check(
                    format!("{method} {path} user"),
                    let_through(as_user),
                    as_user,
                );
                check(
                    format!("{method} {path} support"),
                    let_through(as_support),
                    as_support,
                );
                check(
                    format!("{method} {path} admin"),
                    let_through(as_admin),
                    as_admin,
                );
            }
            Class::Staff => {
                check(
                    format!("{method} {path} user"),
                    as_user == StatusCode::FORBIDDEN,
                    as_user,
                );
                check(
                    format!("{method} {path} support"),
                    let_through(as_support),
                    as_support,
                );
                check(
                    format!("{method} {path} admin"),
                    let_through(as_admin),
                    as_admin,
                );
            }
            Class::Public | Class::Signed => {}
        }
    }
    assert!(
        failures.is_empty(),
        "cells that differ:\n{}",
        failures.join("\n")
    );
}
