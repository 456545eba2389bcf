//! Signing in by password and by one-time code, and throttling.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_error, browser, TestApp, PASSWORD};

// promise: A2
#[tokio::test]
async fn password_sign_in_works_with_username_or_verified_email() {
    let app = TestApp::spawn().await;
    app.register_verified("ivan", "ivan@example.com").await;
    for login in ["ivan", "IVAN", "ivan@example.com"] {
        let (status, body) = app.sign_in(login, PASSWORD).await;
        assert_eq!(status, StatusCode::CREATED, "{login}");
        assert_eq!(body["account"]["username"], "ivan");
        assert!(body["csrf_token"].as_str().unwrap().len() >= 32);
    }
}

// promise: A2
#[tokio::test]
async fn one_time_code_sign_in_through_a_verified_contact() {
    let app = TestApp::spawn().await;
    app.register_verified("judy", "judy@example.com").await;
    let phone_app = browser();
    let resp = phone_app
        .post(app.url("/api/v1/login-codes"))
        .json(&json!({"contact": "judy@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    let code = app.outbox.last_code("judy@example.com").unwrap();
    let wrong = phone_app
        .post(app.url("/api/v1/sessions/by-code"))
        .json(&json!({"contact": "judy@example.com", "code": "12345x"}))
        .send()
        .await
        .unwrap();
    assert_error(wrong, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    let resp = phone_app
        .post(app.url("/api/v1/sessions/by-code"))
        .json(&json!({"contact": "judy@example.com", "code": code}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let me = phone_app.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    // The code is single-use.
    let again = phone_app
        .post(app.url("/api/v1/sessions/by-code"))
        .json(&json!({"contact": "judy@example.com", "code": code}))
        .send()
        .await
        .unwrap();
    assert_error(again, StatusCode::UNAUTHORIZED, "unauthenticated").await;
}

#[tokio::test]
async fn unknown_users_and_wrong_passwords_get_the_same_answer() {
    let app = TestApp::spawn().await;
    app.register_verified("kate", "kate@example.com").await;
    let (s1, b1) = app.sign_in("kate", "wrong password here").await;
    let (s2, b2) = app.sign_in("nobody-at-all", "wrong password here").await;
    assert_eq!(s1, StatusCode::UNAUTHORIZED);
    assert_eq!((s1, b1), (s2, b2));
}

// promise: G7
#[tokio::test]
async fn repeated_failures_lock_the_account_with_exponential_back_off() {
    let app = TestApp::spawn().await;
    app.register_verified("liam", "liam@example.com").await;
    for _ in 0..5 {
        let (status, _) = app.sign_in("liam", "not the password").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    // Locked now: even the right password is refused, with Retry-After.
    let resp = app
        .post(
            "/api/v1/sessions",
            json!({"login": "liam", "password": PASSWORD}),
        )
        .await;
    assert_eq!(resp.headers()["retry-after"], "30");
    assert_error(resp, StatusCode::TOO_MANY_REQUESTS, "too_many_requests").await;

    app.advance(Duration::from_secs(31));
    let (status, _) = app.sign_in("liam", "not the password").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let resp = app
        .post(
            "/api/v1/sessions",
            json!({"login": "liam", "password": PASSWORD}),
        )
        .await;
    assert_eq!(resp.headers()["retry-after"], "60", "the lockout doubled");
    assert_error(resp, StatusCode::TOO_MANY_REQUESTS, "too_many_requests").await;

    app.advance(Duration::from_secs(61));
    let (status, _) = app.sign_in("liam", PASSWORD).await;
    assert_eq!(status, StatusCode::CREATED);
}

// promise: G7
#[tokio::test]
async fn one_address_trying_many_names_is_throttled_too() {
    let app = TestApp::spawn().await;
    for i in 0..20 {
        let (status, _) = app.sign_in(&format!("guess{i}"), "some password").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let resp = app
        .post(
            "/api/v1/sessions",
            json!({"login": "fresh-name", "password": "x"}),
        )
        .await;
    assert_error(resp, StatusCode::TOO_MANY_REQUESTS, "too_many_requests").await;
}
