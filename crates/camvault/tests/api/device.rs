//! The device API: tokens, heartbeats, settings.

use std::time::Duration;

use domain::ports::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_error, TestApp};

#[tokio::test]
async fn a_device_signs_in_with_its_secret_for_an_hour() {
    let app = TestApp::spawn().await;
    app.provision(1).await;
    let client = reqwest::Client::new();
    let wrong = client
        .post(app.url("/api/v1/device/token"))
        .json(&json!({"serial": "CAM-0001", "secret": "secret-secret-XXXX"}))
        .send()
        .await
        .unwrap();
    assert_error(wrong, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    let token = app.device_token(1).await;
    assert!(token.starts_with("cvd_"));
    let ok = client
        .get(app.url("/api/v1/device/settings"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    app.advance(Duration::from_secs(3601));
    let expired = client
        .get(app.url("/api/v1/device/settings"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_error(expired, StatusCode::UNAUTHORIZED, "unauthenticated").await;
}

#[tokio::test]
async fn wrong_device_secrets_are_throttled_per_serial() {
    let app = TestApp::spawn().await;
    app.provision(1).await;
    let client = reqwest::Client::new();
    for i in 0..10 {
        let resp = client
            .post(app.url("/api/v1/device/token"))
            .json(&json!({"serial": "CAM-0001", "secret": format!("secret-guess-{i:04}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    }
    let resp = client
        .post(app.url("/api/v1/device/token"))
        .json(&json!({"serial": "CAM-0001", "secret": "secret-secret-0001"}))
        .send()
        .await
        .unwrap();
    assert_error(resp, StatusCode::TOO_MANY_REQUESTS, "too_many_requests").await;
}

// promise: B2
#[tokio::test]
async fn a_heartbeat_keeps_only_the_listed_device_facts() {
    let app = TestApp::spawn().await;
    app.provision(1).await;
    let owner = app.person("tess", Role::User).await;
    let cam: Value = owner
        .post(
            "/api/v1/cameras",
            json!({"serial": "CAM-0001", "verification_code": "CODE0001"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(cam["online"], false);
    let token = app.device_token(1).await;
    let client = reqwest::Client::new();
    let beat = |body: Value| {
        client
            .post(app.url("/api/v1/device/heartbeat"))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    // Anything beyond the listed facts is refused, not silently stored.
    for extra in [
        json!({"gps": "52.52,13.40"}),
        json!({"wifi_ssid": "Home"}),
        json!({"owner_email": "x@example.com"}),
    ] {
        assert_error(
            beat(extra).await.unwrap(),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        )
        .await;
    }
    assert_error(
        beat(json!({"model": "Other"})).await.unwrap(),
        StatusCode::BAD_REQUEST,
        "invalid_input",
    )
    .await;
    let resp = beat(
        json!({"firmware_version": "2.1.0", "model": "Cube 2", "time_zone": "Europe/Berlin",
        "language": "de-DE", "uptime_secs": 3600, "signal_dbm": -61, "upload_kbps": 1800,
        "last_error": null}),
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["heartbeat_interval_secs"],
        60
    );

    let path = format!("/api/v1/cameras/{}", cam["id"]);
    let seen: Value = owner.get(&path).await.json().await.unwrap();
    assert_eq!(seen["online"], true);
    assert_eq!(seen["firmware_version"], "2.1.0");
    assert_eq!(seen["time_zone"], "Europe/Berlin");
    assert_eq!(seen["signal_dbm"], -61);
    app.advance(Duration::from_secs(121));
    let seen: Value = owner.get(&path).await.json().await.unwrap();
    assert_eq!(seen["online"], false, "offline after two missed heartbeats");
}

#[tokio::test]
async fn an_unbound_device_may_authenticate_and_heartbeat_but_is_told_it_is_unbound() {
    let app = TestApp::spawn().await;
    app.provision(1).await;
    let token = app.device_token(1).await;
    let client = reqwest::Client::new();
    let resp = client
        .post(app.url("/api/v1/device/heartbeat"))
        .bearer_auth(&token)
        .json(&json!({"firmware_version": "1.0.0"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let s: Value = client
        .get(app.url("/api/v1/device/settings"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(s["bound"], false);
}

#[tokio::test]
async fn people_tokens_do_not_open_the_device_api_and_device_tokens_do_not_open_people_endpoints() {
    let app = TestApp::spawn().await;
    app.provision(1).await;
    let device = app.device_token(1).await;
    let person = app.person("uwe", Role::User).await;
    let resp = person.get("/api/v1/device/settings").await;
    assert_error(resp, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    let resp = reqwest::Client::new()
        .get(app.url("/api/v1/cameras"))
        .bearer_auth(&device)
        .send()
        .await
        .unwrap();
    assert_error(resp, StatusCode::UNAUTHORIZED, "unauthenticated").await;
}
