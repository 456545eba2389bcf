//! Registration and contact verification.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_error, TestApp, PASSWORD};

// promise: A1
#[tokio::test]
async fn registration_signs_in_sends_codes_and_shows_contacts_masked() {
    let app = TestApp::spawn().await;
    let body = app
        .post(
            "/api/v1/accounts",
            json!({"username": "Alice", "password": PASSWORD,
                   "email": "alice@example.com", "phone": "+86 138 1234 5678"}),
        )
        .await;
    assert_eq!(body.status(), StatusCode::CREATED);
    let body: Value = body.json().await.unwrap();
    assert_eq!(body["account"]["username"], "alice");
    let contacts = body["account"]["contacts"].as_array().unwrap();
    assert_eq!(contacts.len(), 2);
    assert!(contacts.iter().all(|c| c["verified"] == false));
    let shown: Vec<&str> = contacts
        .iter()
        .map(|c| c["address"].as_str().unwrap())
        .collect();
    assert!(shown.contains(&"a***@example.com"), "{shown:?}");
    assert!(shown.contains(&"+86138****5678"), "{shown:?}");
    assert!(app.outbox.last_code("alice@example.com").is_some());
    assert!(app.outbox.last_code("+8613812345678").is_some());
}

// promise: A1
#[tokio::test]
async fn a_contact_becomes_verified_with_its_code() {
    let app = TestApp::spawn().await;
    let me = app.register_verified("bob", "bob@example.com").await;
    assert_eq!(me["contacts"][0]["verified"], true);
}

// promise: A1
#[tokio::test]
async fn an_unverified_contact_can_neither_sign_in_nor_receive_codes() {
    let app = TestApp::spawn().await;
    app.register("carol", "carol@example.com").await;
    let sent_before = app.outbox.to("carol@example.com").len();
    assert_eq!(app.delete("/api/v1/sessions/current").await.status(), 204);
    app.forget_csrf();

    let (status, _) = app.sign_in("carol@example.com", PASSWORD).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "unverified email must not sign in"
    );
    let resp = app
        .post(
            "/api/v1/login-codes",
            json!({"contact": "carol@example.com"}),
        )
        .await;
    assert_eq!(
        resp.status(),
        StatusCode::ACCEPTED,
        "same answer as for strangers"
    );
    assert_eq!(
        app.outbox.to("carol@example.com").len(),
        sent_before,
        "an unverified contact receives no sign-in code"
    );
    let (status, _) = app.sign_in("carol", PASSWORD).await;
    assert_eq!(status, StatusCode::CREATED, "the username still works");
}

#[tokio::test]
async fn taken_username_and_taken_verified_contact_are_409() {
    let app = TestApp::spawn().await;
    app.register_verified("dave", "dave@example.com").await;
    let other = crate::helpers::browser();
    let resp = other
        .post(app.url("/api/v1/accounts"))
        .json(&json!({"username": "DAVE", "password": PASSWORD, "email": "d2@example.com"}))
        .send()
        .await
        .unwrap();
    assert_error(resp, StatusCode::CONFLICT, "username_taken").await;
    let resp = other
        .post(app.url("/api/v1/accounts"))
        .json(&json!({"username": "dave2", "password": PASSWORD, "email": "Dave@Example.com"}))
        .send()
        .await
        .unwrap();
    assert_error(resp, StatusCode::CONFLICT, "contact_taken").await;
}

// promise: G7
#[tokio::test]
async fn short_common_and_username_passwords_are_refused() {
    let app = TestApp::spawn().await;
    for password in ["short", "1234567890", "qwertyuiop", "erin-is-the-best"] {
        let resp = app
            .post(
                "/api/v1/accounts",
                json!({"username": "erin", "password": password, "email": "erin@example.com"}),
            )
            .await;
        assert_error(resp, StatusCode::BAD_REQUEST, "weak_password").await;
    }
}

#[tokio::test]
async fn registration_needs_a_contact_and_valid_fields() {
    let app = TestApp::spawn().await;
    for body in [
        json!({"username": "frank", "password": PASSWORD}),
        json!({"username": "frank", "password": PASSWORD, "email": "not-an-email"}),
        json!({"username": "frank", "password": PASSWORD, "phone": "12345"}),
        json!({"username": "f", "password": PASSWORD, "email": "f@example.com"}),
    ] {
        let resp = app.post("/api/v1/accounts", body).await;
        assert_error(resp, StatusCode::BAD_REQUEST, "invalid_input").await;
    }
}

#[tokio::test]
async fn a_code_dies_after_five_wrong_tries_and_after_ten_minutes() {
    let app = TestApp::spawn().await;
    app.register("gina", "gina@example.com").await;
    let code = app.outbox.last_code("gina@example.com").unwrap();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..4 {
        let resp = app
            .post("/api/v1/me/contacts/email/verify", json!({"code": wrong}))
            .await;
        assert_error(resp, StatusCode::BAD_REQUEST, "wrong_code").await;
    }
    let resp = app
        .post("/api/v1/me/contacts/email/verify", json!({"code": wrong}))
        .await;
    assert_error(resp, StatusCode::BAD_REQUEST, "code_attempts_exhausted").await;
    let resp = app
        .post("/api/v1/me/contacts/email/verify", json!({"code": code}))
        .await;
    assert_error(resp, StatusCode::BAD_REQUEST, "code_attempts_exhausted").await;

    // A fresh code (after the resend interval) works, but not after 10 minutes.
    app.advance(std::time::Duration::from_secs(31));
    assert_eq!(
        app.post("/api/v1/me/contacts/email/resend", json!({}))
            .await
            .status(),
        202
    );
    let code = app.outbox.last_code("gina@example.com").unwrap();
    app.advance(std::time::Duration::from_secs(10 * 60));
    let resp = app
        .post("/api/v1/me/contacts/email/verify", json!({"code": code}))
        .await;
    assert_error(resp, StatusCode::BAD_REQUEST, "code_expired").await;
}

#[tokio::test]
async fn resending_too_soon_is_throttled() {
    let app = TestApp::spawn().await;
    app.register("hank", "hank@example.com").await;
    let resp = app
        .post("/api/v1/me/contacts/email/resend", json!({}))
        .await;
    let resp_headers = resp.headers().clone();
    assert_error(resp, StatusCode::TOO_MANY_REQUESTS, "too_many_requests").await;
    assert!(resp_headers.get("retry-after").is_some());
}
