//! Changing an email address or phone number.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_error, browser, TestApp, PASSWORD};

// promise: A4
#[tokio::test]
async fn after_a_change_the_old_address_receives_nothing_and_cannot_sign_in() {
    let app = TestApp::spawn().await;
    app.register_verified("tina", "old@example.com").await;

    let resp = app
        .put(
            "/api/v1/me/contacts/email",
            json!({"value": "new@example.com"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["sent_to"],
        "n***@example.com"
    );
    // Until the new address is proven, the old one still works.
    let (status, _) = app.sign_in("old@example.com", PASSWORD).await;
    assert_eq!(status, StatusCode::CREATED);

    let code = app.outbox.last_code("new@example.com").unwrap();
    let resp = app
        .post("/api/v1/me/contacts/email/verify", json!({"code": code}))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let me: Value = resp.json().await.unwrap();
    let emails: Vec<&Value> = me["contacts"].as_array().unwrap().iter().collect();
    assert_eq!(emails.len(), 1);
    assert_eq!(emails[0]["address"], "n***@example.com");
    assert_eq!(emails[0]["verified"], true);

    // From now on the old address gets nothing, whatever is asked.
    let old_count = app.outbox.to("old@example.com").len();
    app.advance(Duration::from_secs(60));
    let stranger = browser();
    let resp = stranger
        .post(app.url("/api/v1/login-codes"))
        .json(&json!({"contact": "old@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    assert_eq!(app.outbox.to("old@example.com").len(), old_count);
    let resp = stranger
        .post(app.url("/api/v1/sessions"))
        .json(&json!({"login": "old@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_error(resp, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    // ...and the new one works.
    let resp = stranger
        .post(app.url("/api/v1/login-codes"))
        .json(&json!({"contact": "new@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    assert_eq!(app.outbox.to("new@example.com").len(), 2);
}

// promise: A4
#[tokio::test]
async fn a_phone_can_be_added_and_replaced() {
    let app = TestApp::spawn().await;
    app.register_verified("uma", "uma@example.com").await;
    let resp = app
        .put(
            "/api/v1/me/contacts/phone",
            json!({"value": "+44 7700 900123"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    let code = app.outbox.last_code("+447700900123").unwrap();
    let resp = app
        .post("/api/v1/me/contacts/phone/verify", json!({"code": code}))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let (status, _) = app.sign_in("+447700900123", PASSWORD).await;
    assert_eq!(status, StatusCode::CREATED);

    let resp = app
        .put(
            "/api/v1/me/contacts/phone",
            json!({"value": "+44 7700 900456"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    let code = app.outbox.last_code("+447700900456").unwrap();
    app.post("/api/v1/me/contacts/phone/verify", json!({"code": code}))
        .await;
    let (status, _) = app.sign_in("+447700900123", PASSWORD).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the replaced number no longer signs in"
    );
}

#[tokio::test]
async fn someone_elses_verified_address_cannot_be_claimed() {
    let app = TestApp::spawn().await;
    app.register_verified("vic", "vic@example.com").await;
    let second = browser();
    let resp = second
        .post(app.url("/api/v1/accounts"))
        .json(&json!({"username": "walt", "password": PASSWORD, "email": "walt@example.com"}))
        .send()
        .await
        .unwrap();
    let csrf = resp.json::<Value>().await.unwrap()["csrf_token"]
        .as_str()
        .unwrap()
        .to_string();
    let resp = second
        .put(app.url("/api/v1/me/contacts/email"))
        .header("x-csrf-token", csrf)
        .json(&json!({"value": "vic@example.com"}))
        .send()
        .await
        .unwrap();
    assert_error(resp, StatusCode::CONFLICT, "contact_taken").await;
}
