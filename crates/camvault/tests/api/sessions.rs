//! Sessions: cookie attributes, the session list, revocation, idle expiry,
//! password change and CSRF.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_error, browser, TestApp, PASSWORD};

// promise: A6
#[tokio::test]
async fn the_session_cookie_is_httponly_and_samesite() {
    let app = TestApp::spawn().await;
    let resp = app
        .post(
            "/api/v1/accounts",
            json!({"username": "mona", "password": PASSWORD, "email": "mona@example.com"}),
        )
        .await;
    // The session cookie is the only one: nothing optional without opt-in.
    assert_eq!(resp.headers().get_all("set-cookie").iter().count(), 1);
    let cookie = resp.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("camvault_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain-HTTP instance: {cookie}");
    let token = cookie.split(';').next().unwrap().split('=').nth(1).unwrap();
    assert!(token.len() >= 43, "256-bit token");
    for path in ["/signin", "/signup", "/api/v1/me", "/healthz"] {
        let resp = app.get(path).await;
        assert!(
            resp.headers().get("set-cookie").is_none(),
            "{path} set a cookie"
        );
    }
}

// promise: A6
#[tokio::test]
async fn an_https_public_url_makes_the_cookie_secure() {
    let app = TestApp::spawn_with(|c| c.public_url = Some("https://cams.example.com".into())).await;
    let resp = app
        .post(
            "/api/v1/accounts",
            json!({"username": "nora", "password": PASSWORD, "email": "nora@example.com"}),
        )
        .await;
    let cookie = resp.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.contains("Secure"), "{cookie}");
}

#[tokio::test]
async fn sessions_are_listed_and_another_one_can_be_revoked() {
    let app = TestApp::spawn().await;
    app.register_verified("omar", "omar@example.com").await;
    let laptop = browser();
    let resp = laptop
        .post(app.url("/api/v1/sessions"))
        .json(&json!({"login": "omar", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let laptop_session = resp.json::<Value>().await.unwrap()["session_id"]
        .as_i64()
        .unwrap();

    let list: Vec<Value> = app.get("/api/v1/sessions").await.json().await.unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list.iter().filter(|s| s["current"] == true).count(), 1);

    let resp = app
        .delete(&format!("/api/v1/sessions/{laptop_session}"))
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let resp = laptop.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_error(resp, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    // Revoking a session that is not yours (or gone) is 404.
    let resp = app
        .delete(&format!("/api/v1/sessions/{laptop_session}"))
        .await;
    assert_error(resp, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn signing_out_ends_the_session() {
    let app = TestApp::spawn().await;
    app.register("pia", "pia@example.com").await;
    assert_eq!(app.delete("/api/v1/sessions/current").await.status(), 204);
    let resp = app.get("/api/v1/me").await;
    assert_error(resp, StatusCode::UNAUTHORIZED, "unauthenticated").await;
}

#[tokio::test]
async fn an_idle_session_expires_after_thirty_days() {
    let app = TestApp::spawn().await;
    app.register("quinn", "quinn@example.com").await;
    app.advance(Duration::from_secs(29 * 24 * 3600));
    assert_eq!(
        app.get("/api/v1/me").await.status(),
        StatusCode::OK,
        "used: idle clock restarts"
    );
    app.advance(Duration::from_secs(29 * 24 * 3600));
    assert_eq!(app.get("/api/v1/me").await.status(), StatusCode::OK);
    app.advance(Duration::from_secs(31 * 24 * 3600));
    let resp = app.get("/api/v1/me").await;
    assert_error(resp, StatusCode::UNAUTHORIZED, "unauthenticated").await;
}

#[tokio::test]
async fn changing_the_password_signs_out_other_sessions_only() {
    let app = TestApp::spawn().await;
    app.register_verified("rosa", "rosa@example.com").await;
    let tablet = browser();
    tablet
        .post(app.url("/api/v1/sessions"))
        .json(&json!({"login": "rosa", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let new_password = "a different long passphrase";
    let resp = app
        .put(
            "/api/v1/me/password",
            json!({"current_password": "wrong current one", "new_password": new_password}),
        )
        .await;
    assert_error(resp, StatusCode::BAD_REQUEST, "invalid_input").await;
    let resp = app
        .put(
            "/api/v1/me/password",
            json!({"current_password": PASSWORD, "new_password": new_password}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["other_sessions_revoked"],
        1
    );
    assert_eq!(app.get("/api/v1/me").await.status(), StatusCode::OK);
    let resp = tablet.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_error(resp, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    let (status, _) = app.sign_in("rosa", PASSWORD).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app.sign_in("rosa", new_password).await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn cookie_requests_that_change_state_need_the_csrf_token() {
    let app = TestApp::spawn().await;
    app.register("sam", "sam@example.com").await;
    let resp = app
        .client
        .delete(app.url("/api/v1/sessions/current"))
        .send()
        .await
        .unwrap();
    assert_error(resp, StatusCode::FORBIDDEN, "csrf_failed").await;
    let resp = app
        .client
        .delete(app.url("/api/v1/sessions/current"))
        .header("x-csrf-token", "0".repeat(64))
        .send()
        .await
        .unwrap();
    assert_error(resp, StatusCode::FORBIDDEN, "csrf_failed").await;
    // Reads need no token; the session is still alive.
    assert_eq!(app.get("/api/v1/me").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn cross_site_posts_are_refused() {
    let app = TestApp::spawn().await;
    let resp = app
        .client
        .post(app.url("/api/v1/sessions"))
        .header("origin", "https://evil.example")
        .json(&json!({"login": "x", "password": "y"}))
        .send()
        .await
        .unwrap();
    assert_error(resp, StatusCode::FORBIDDEN, "csrf_failed").await;
}
