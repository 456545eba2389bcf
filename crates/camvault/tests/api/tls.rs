//! TLS (G1): HTTPS with a self-signed certificate made and kept by the
//! server, HSTS, Secure cookies (A6), a plain-HTTP listener that only
//! redirects, and `X-Forwarded-*` believed only from configured proxies.

use std::sync::Arc;

use camvault::app::{App, Deps};
use camvault::config::Config;
use domain::clock::{ManualClock, Timestamp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use testkit::MemorySender;

use crate::helpers::{TestApp, PASSWORD};

// promise: G1
// promise: A6
#[tokio::test]
async fn self_signed_https_with_hsts_secure_cookies_and_a_redirecting_http_port() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        listen: "127.0.0.1:0".into(),
        data_dir: dir.path().to_path_buf(),
        database_url: Some(testkit::test_database_url(dir.path()).await),
        key_vault_dir: Some(dir.path().join("keys")),
        tls_self_signed: true,
        http_redirect_listen: Some("127.0.0.1:0".into()),
        ..Config::default()
    };
    let outbox = Arc::new(MemorySender::default());
    let app = App::build(
        &config,
        Deps {
            clock: Arc::new(ManualClock::new(Timestamp(1_790_000_000_000))),
            email: Some(outbox.clone()),
            sms: Some(outbox.clone()),
            recordings_audit: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(app.scheme(), "https");
    let (port, redirect) = (app.local_addr().port(), app.redirect_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run(async {
        let _ = stopped.await;
    }));

    // The certificate was made and kept in the data directory.
    let (cert, key) = camvault::tls::self_signed_paths(dir.path());
    let pem = std::fs::read(&cert).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o077,
        0
    );
    let https = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let base = format!("https://127.0.0.1:{port}");

    let resp = https.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let hsts = resp.headers()["strict-transport-security"]
        .to_str()
        .unwrap();
    assert!(hsts.starts_with("max-age=31536000"), "{hsts}");

    // Real TLS: a client that does not trust the certificate is refused,
    // and plain HTTP on the same port gets no page.
    assert!(reqwest::get(format!("{base}/healthz")).await.is_err());
    let plain = reqwest::get(format!("http://127.0.0.1:{port}/healthz")).await;
    assert!(plain.map_or(true, |r| r.status() != StatusCode::OK));

    // The session cookie is Secure, HttpOnly and SameSite.
    let resp = https
        .post(format!("{base}/api/v1/accounts"))
        .json(&json!({"username": "tess", "password": PASSWORD, "email": "tess@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let cookie = resp.headers()["set-cookie"].to_str().unwrap().to_string();
    for attribute in ["Secure", "HttpOnly", "SameSite=Lax"] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }

    // The plain-HTTP port only redirects, path and query kept.
    let resp = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("http://{redirect}/account?tab=sessions"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(
        resp.headers()["location"],
        format!("https://127.0.0.1:{port}/account?tab=sessions").as_str()
    );

    let _ = stop.send(());
    server.await.unwrap().unwrap();
}

/// Signs up `name`, claiming to come from `forwarded`; returns the address
/// the server noted for the sign-in.
async fn noted_address(app: &TestApp, name: &str, forwarded: &str) -> String {
    let client = crate::helpers::browser();
    let resp = client
        .post(app.url("/api/v1/accounts"))
        .json(&json!({"username": name, "password": PASSWORD, "email": format!("{name}@example.com")}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let resp = client
        .post(app.url("/api/v1/sessions"))
        .header("x-forwarded-for", forwarded)
        .json(&json!({"login": name, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let csrf = resp.json::<Value>().await.unwrap()["csrf_token"]
        .as_str()
        .unwrap()
        .to_string();
    let activity: Vec<Value> = client
        .get(app.url("/api/v1/me/activity"))
        .header("x-csrf-token", csrf)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    activity[0]["ip"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn forwarded_for_counts_only_from_a_configured_proxy() {
    // Nobody configured: a client cannot claim another address.
    let app = TestApp::spawn().await;
    assert_eq!(
        noted_address(&app, "idaho", "203.0.113.9").await,
        "127.0.0.1"
    );

    // Behind a proxy on 127.0.0.1: its report is believed, the last
    // address before our proxies being the client's.
    let app = TestApp::spawn_with(|c| c.trusted_proxies = vec!["127.0.0.1".into()]).await;
    assert_eq!(
        noted_address(&app, "jordan", "198.51.100.1, 203.0.113.9").await,
        "203.0.113.9"
    );
    assert_eq!(
        noted_address(&app, "kimberly", "203.0.113.7, 127.0.0.1").await,
        "203.0.113.7"
    );
}

#[tokio::test]
async fn too_many_requests_from_one_address_are_refused_with_retry_after() {
    let app = TestApp::spawn_with(|c| {
        c.auth_rate_limit_per_minute = 3;
        c.rate_limit_per_minute = 40;
    })
    .await;
    let ask = || async {
        reqwest::Client::new()
            .post(app.url("/api/v1/login-codes"))
            .json(&json!({"contact": "nobody@example.com"}))
            .send()
            .await
            .unwrap()
    };
    for _ in 0..3 {
        assert_eq!(ask().await.status(), StatusCode::ACCEPTED);
    }
    let refused = ask().await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait));
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "too_many_requests");

    // Everything else has its own, larger allowance; health checks none.
    let mut statuses = Vec::new();
    for _ in 0..40 {
        statuses.push(
            reqwest::get(app.url("/privacy.json"))
                .await
                .unwrap()
                .status(),
        );
    }
    assert!(statuses.contains(&StatusCode::OK));
    assert_eq!(statuses.last(), Some(&StatusCode::TOO_MANY_REQUESTS));
    for _ in 0..50 {
        assert_eq!(
            reqwest::get(app.url("/healthz")).await.unwrap().status(),
            StatusCode::OK
        );
    }
}
