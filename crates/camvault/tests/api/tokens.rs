//! Personal API tokens for scripts.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_error, TestApp};

#[tokio::test]
async fn a_token_is_shown_once_works_as_bearer_and_dies_when_revoked() {
    let app = TestApp::spawn().await;
    app.register_verified("xena", "xena@example.com").await;
    let resp = app
        .post("/api/v1/me/tokens", json!({"name": "home-assistant"}))
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let created: Value = resp.json().await.unwrap();
    let token = created["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("cvt_"));

    let script = reqwest::Client::new();
    let me = script
        .get(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    assert_eq!(me.json::<Value>().await.unwrap()["username"], "xena");
    // Bearer calls need no CSRF token.
    let resp = script
        .post(app.url("/api/v1/me/tokens"))
        .bearer_auth(&token)
        .json(&json!({"name": "second"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);

    let list: Vec<Value> = app.get("/api/v1/me/tokens").await.json().await.unwrap();
    assert_eq!(list.len(), 2);
    assert!(
        list.iter().all(|t| t.get("token").is_none()),
        "values never listed"
    );

    let id = created["id"].as_i64().unwrap();
    assert_eq!(
        app.delete(&format!("/api/v1/me/tokens/{id}"))
            .await
            .status(),
        204
    );
    let resp = script
        .get(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_error(resp, StatusCode::UNAUTHORIZED, "unauthenticated").await;
}

#[tokio::test]
async fn made_up_tokens_are_401() {
    let app = TestApp::spawn().await;
    for token in ["cvt_nope", "garbage", ""] {
        let resp = reqwest::Client::new()
            .get(app.url("/api/v1/me"))
            .header("authorization", format!("Bearer {token}"))
            .send()
            .await
            .unwrap();
        assert_error(resp, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    }
}
