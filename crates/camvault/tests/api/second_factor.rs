//! Two-step sign-in (A5): an authenticator app and recovery codes; staff
//! cannot act without one.

use std::time::Duration;

use domain::ports::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_error, browser, Person, TestApp, PASSWORD};

/// Signs `username` in with the password in a fresh browser.
async fn sign_in(app: &TestApp, username: &str) -> (Person, Value) {
    let client = browser();
    let resp = client
        .post(app.url("/api/v1/sessions"))
        .json(&json!({"login": username, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let body: Value = resp.json().await.unwrap();
    let p = Person {
        client,
        csrf: body["csrf_token"].as_str().unwrap().to_string(),
        base: app.base.clone(),
    };
    (p, body)
}

async fn second_step(p: &Person, code: &str) -> reqwest::Response {
    p.post("/api/v1/sessions/second-factor", json!({ "code": code }))
        .await
}

// promise: A5
#[tokio::test]
async fn with_an_authenticator_the_password_alone_opens_nothing() {
    let app = TestApp::spawn().await;
    let erin = app.verified_person("erin", "erin@example.com").await;
    let (secret, recovery) = app.enroll_second_factor(&erin).await;
    assert_eq!(recovery.len(), 10);
    let status: Value = erin
        .get("/api/v1/me/second-factor")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status, json!({"enabled": true, "recovery_codes_left": 10}));

    // The password alone: a session that grants nothing yet.
    let (p, body) = sign_in(&app, "erin").await;
    assert_eq!(body["second_factor_required"], true);
    assert_error(
        p.get("/api/v1/me").await,
        StatusCode::UNAUTHORIZED,
        "second_factor_required",
    )
    .await;
    assert_error(
        second_step(&p, "000000").await,
        StatusCode::BAD_REQUEST,
        "wrong_code",
    )
    .await;
    // The code that confirmed the app was used: it does not work twice.
    assert_error(
        second_step(&p, &app.totp_code(&secret)).await,
        StatusCode::BAD_REQUEST,
        "wrong_code",
    )
    .await;

    // Thirty seconds on, the app shows a new code, good once.
    app.advance(Duration::from_secs(30));
    let code = app.totp_code(&secret);
    assert_eq!(second_step(&p, &code).await.status(), StatusCode::OK);
    assert_eq!(p.get("/api/v1/me").await.status(), StatusCode::OK);
    let (q, _) = sign_in(&app, "erin").await;
    assert_error(
        second_step(&q, &code).await,
        StatusCode::BAD_REQUEST,
        "wrong_code",
    )
    .await;

    // A recovery code works once, however it is typed.
    let typed = recovery[3].to_uppercase().replace('-', " ");
    assert_eq!(second_step(&q, &typed).await.status(), StatusCode::OK);
    let (r, _) = sign_in(&app, "erin").await;
    assert_error(
        second_step(&r, &recovery[3]).await,
        StatusCode::BAD_REQUEST,
        "wrong_code",
    )
    .await;
    let status: Value = q
        .get("/api/v1/me/second-factor")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status["recovery_codes_left"], 9);

    // Turning it off needs the password; then the password is enough again.
    let resp = q
        .call(
            reqwest::Method::DELETE,
            "/api/v1/me/second-factor",
            Some(json!({"password": "not it"})),
        )
        .await;
    assert_error(resp, StatusCode::BAD_REQUEST, "invalid_input").await;
    let resp = q
        .call(
            reqwest::Method::DELETE,
            "/api/v1/me/second-factor",
            Some(json!({ "password": PASSWORD })),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let (s, body) = sign_in(&app, "erin").await;
    assert_eq!(body["second_factor_required"], false);
    assert_eq!(s.get("/api/v1/me").await.status(), StatusCode::OK);
}

// promise: A5
#[tokio::test]
async fn wrong_second_steps_are_throttled_and_the_secret_is_stored_sealed() {
    let app = TestApp::spawn().await;
    let erin = app.verified_person("erin", "erin@example.com").await;
    let (secret, _) = app.enroll_second_factor(&erin).await;
    let (p, _) = sign_in(&app, "erin").await;
    let mut throttled = false;
    for _ in 0..30 {
        let resp = second_step(&p, "123456").await;
        if resp.status() == StatusCode::TOO_MANY_REQUESTS {
            throttled = true;
            break;
        }
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    }
    assert!(throttled, "guessing codes must be slowed down");

    // What the database holds is sealed: neither the raw secret nor its
    // base32 form appear in the database file.
    if app.config.database_url().starts_with("sqlite:") {
        app.core.store.checkpoint().await.unwrap();
        let db = std::fs::read(app.config.data_dir.join("camvault.db")).unwrap();
        let b32 = totp_rs::Secret::Raw(secret.clone())
            .to_encoded()
            .to_string();
        for needle in [
            secret.as_slice(),
            b32.as_bytes(),
            hex_of(&secret).as_bytes(),
        ] {
            assert!(!db.windows(needle.len()).any(|w| w == needle));
        }
    }
}

fn hex_of(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

// promise: A5
#[tokio::test]
async fn administrators_cannot_act_until_they_have_a_second_factor() {
    let app = TestApp::spawn().await;
    // An administrator made from the command line, without a second factor.
    app.accounts
        .create_user(
            "root",
            &domain::accounts::password::Password::new(PASSWORD),
            None,
            Role::Admin,
        )
        .await
        .unwrap();
    let (root, body) = sign_in(&app, "root").await;
    assert_eq!(body["second_factor_required"], false);
    assert_error(
        root.get("/api/v1/admin/statistics").await,
        StatusCode::FORBIDDEN,
        "second_factor_enrollment_required",
    )
    .await;
    let page = root.get("/admin/requests").await;
    assert_eq!(page.status(), StatusCode::FORBIDDEN);
    assert!(page.text().await.unwrap().contains("two-step sign-in"));
    let page = root.get("/admin/devices").await;
    assert_eq!(page.status(), StatusCode::FORBIDDEN);

    // The account page offers the set-up, with a QR code.
    let account = root.get("/account").await.text().await.unwrap();
    assert!(account.contains("Your role needs it"));
    let setup = root
        .client
        .post(app.url("/account/second-factor"))
        .form(&[("csrf", root.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(setup.status(), StatusCode::OK);
    let html = setup.text().await.unwrap();
    assert!(
        html.contains("<svg") && html.contains("id=\"totp-secret\""),
        "{html}"
    );

    app.enroll_second_factor(&root).await;
    assert_eq!(
        root.get("/api/v1/admin/statistics").await.status(),
        StatusCode::OK
    );
    assert_eq!(root.get("/admin/requests").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_sign_in_page_asks_for_the_second_step() {
    let app = TestApp::spawn().await;
    let erin = app.verified_person("erin", "erin@example.com").await;
    let (secret, _) = app.enroll_second_factor(&erin).await;
    let client = browser();
    let resp = client
        .post(app.url("/signin"))
        .form(&[("login", "erin"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()["location"], "/signin/second-factor");
    // Any signed-in page sends the half-signed-in browser back there.
    let resp = client.get(app.url("/account")).send().await.unwrap();
    assert_eq!(resp.headers()["location"], "/signin/second-factor");
    let resp = client
        .post(app.url("/signin/second-factor"))
        .form(&[("code", "111111")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    app.advance(Duration::from_secs(30));
    let resp = client
        .post(app.url("/signin/second-factor"))
        .form(&[("code", app.totp_code(&secret).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()["location"], "/account");
    let resp = client.get(app.url("/account")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
}
