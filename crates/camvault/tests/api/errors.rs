//! Bad input of every class gets its exact status and stable error code.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_error, TestApp, PASSWORD};

#[tokio::test]
async fn malformed_json_is_400() {
    let app = TestApp::spawn().await;
    let resp = app
        .client
        .post(app.url("/api/v1/accounts"))
        .header("content-type", "application/json")
        .body("{\"username\": ")
        .send()
        .await
        .unwrap();
    assert_error(resp, StatusCode::BAD_REQUEST, "malformed_json").await;
}

#[tokio::test]
async fn json_of_the_wrong_shape_is_400() {
    let app = TestApp::spawn().await;
    let resp = app
        .post("/api/v1/accounts", json!({"username": 5, "password": []}))
        .await;
    assert_error(resp, StatusCode::BAD_REQUEST, "invalid_body").await;
}

#[tokio::test]
async fn a_body_without_json_content_type_is_415() {
    let app = TestApp::spawn().await;
    let resp = app
        .client
        .post(app.url("/api/v1/sessions"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_error(
        resp,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
}

#[tokio::test]
async fn a_body_over_the_limit_is_413_and_nothing_is_stored() {
    let app = TestApp::spawn_with(|c| c.body_limit_bytes = 4096).await;
    let resp = app
        .post(
            "/api/v1/accounts",
            json!({"username": "yuri", "password": PASSWORD, "email": "yuri@example.com",
                   "padding": "x".repeat(10_000)}),
        )
        .await;
    assert_error(resp, StatusCode::PAYLOAD_TOO_LARGE, "body_too_large").await;
    let (status, _) = app.sign_in("yuri", PASSWORD).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn no_credentials_is_401_and_unknown_routes_are_404() {
    let app = TestApp::spawn().await;
    assert_error(
        app.get("/api/v1/me").await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    assert_error(
        app.get("/api/v1/nothing-here").await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let resp = app
        .client
        .get(app.url("/api/v1/me"))
        .header("cookie", "camvault_session=forged")
        .send()
        .await
        .unwrap();
    assert_error(resp, StatusCode::UNAUTHORIZED, "unauthenticated").await;
}

#[tokio::test]
async fn a_wrong_setup_token_is_403() {
    let app = TestApp::spawn().await;
    let resp = app
        .post(
            "/api/v1/setup",
            json!({"token": "wrong", "username": "root", "password": PASSWORD}),
        )
        .await;
    assert_error(resp, StatusCode::FORBIDDEN, "forbidden").await;
}

#[tokio::test]
async fn a_bad_contact_kind_in_the_path_is_400() {
    let app = TestApp::spawn().await;
    app.register("zack", "zack@example.com").await;
    let resp = app
        .put("/api/v1/me/contacts/fax", json!({"value": "+123456789"}))
        .await;
    assert_error(resp, StatusCode::BAD_REQUEST, "invalid_input").await;
}

#[tokio::test]
async fn a_path_id_that_is_not_a_number_is_400_in_the_error_format() {
    let app = TestApp::spawn().await;
    let p = app.person("pathy", domain::ports::Role::User).await;
    for path in [
        "/api/v1/cameras/not-a-number",
        "/api/v1/cameras/9223372036854775808/shares",
        "/api/v1/me/tokens/1.5",
    ] {
        let resp = p
            .call(
                if path.contains("tokens") {
                    reqwest::Method::DELETE
                } else {
                    reqwest::Method::GET
                },
                path,
                None,
            )
            .await;
        assert_eq!(
            resp.headers()["content-type"].to_str().unwrap(),
            "application/json",
            "{path}"
        );
        assert_error(resp, StatusCode::BAD_REQUEST, "invalid_path").await;
    }
}

#[tokio::test]
async fn text_with_nul_characters_is_never_a_server_error_on_any_database() {
    let app = TestApp::spawn().await;
    for (path, body) in [
        ("/api/v1/login-codes", json!({"contact": "a\u{0}b"})),
        (
            "/api/v1/sessions",
            json!({"login": "x\u{0}", "password": "y"}),
        ),
    ] {
        let resp = app.post(path, body).await;
        // The answer a wrong name gets (202, 401): never a server error.
        let status = resp.status();
        assert!(
            status.is_success() || status.is_client_error(),
            "{path}: {status}"
        );
    }
}
