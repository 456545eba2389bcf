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
    let cam = owner.bind_camera(1).await;
    assert_eq!(cam["online"], false);
    let token = app.device_token(1).await;
    let beat = |body: Value| app.heartbeat(&token, body);
    // Anything beyond the listed facts is refused, not silently stored.
    for extra in [
        json!({"gps": "52.52,13.40"}),
        json!({"wifi_ssid": "Home"}),
        json!({"owner_email": "x@example.com"}),
    ] {
        assert_error(beat(extra).await, StatusCode::BAD_REQUEST, "invalid_body").await;
    }
    assert_error(
        beat(json!({"model": "Other"})).await,
        StatusCode::BAD_REQUEST,
        "invalid_input",
    )
    .await;
    let resp = beat(
        json!({"firmware_version": "2.1.0", "model": "Cube 2", "time_zone": "Europe/Berlin",
        "language": "de-DE", "uptime_secs": 3600, "signal_dbm": -61, "upload_kbps": 1800,
        "last_error": null}),
    )
    .await;
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
    let resp = app
        .heartbeat(&token, json!({"firmware_version": "1.0.0"}))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let s: Value = reqwest::Client::new()
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

// promise: B5
#[tokio::test]
async fn the_network_view_shows_online_state_bitrate_and_dropouts_over_24_hours() {
    let app = TestApp::spawn().await;
    app.provision(1).await;
    let owner = app.person("vera", Role::User).await;
    let cam = owner.bind_camera(1).await;
    let path = format!("/api/v1/cameras/{}/network", cam["id"]);
    let token = app.device_token(1).await;
    // Ten heartbeats a minute apart, then silence for ten minutes.
    for i in 0..10 {
        let resp = app
            .heartbeat(
                &token,
                json!({"signal_dbm": -50 - i, "upload_kbps": 1000 + 100 * i}),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::OK);
        app.advance(Duration::from_secs(60));
    }
    let net: Value = owner.get(&path).await.json().await.unwrap();
    assert_eq!(net["online"], true);
    assert_eq!(net["heartbeats_24h"], 10);
    assert_eq!(net["missed_heartbeats_24h"], 0);
    assert_eq!(net["average_kbps_24h"], 1450);
    assert_eq!(net["weakest_signal_dbm_24h"], -59);
    assert_eq!(net["samples"].as_array().unwrap().len(), 10);

    app.advance(Duration::from_secs(10 * 60));
    let net: Value = owner.get(&path).await.json().await.unwrap();
    assert_eq!(net["online"], false);
    assert_eq!(net["missed_heartbeats_24h"], 10);

    // A day later the old samples are gone from the window.
    app.advance(Duration::from_secs(24 * 3600));
    let net: Value = owner.get(&path).await.json().await.unwrap();
    assert_eq!(net["heartbeats_24h"], 0);
    let stranger = app.person("walter", Role::User).await;
    assert_error(
        stranger.get(&path).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

// promise: B6
#[tokio::test]
async fn a_device_is_offered_the_newest_firmware_newer_than_its_own() {
    let app = TestApp::spawn().await;
    app.provision(1).await;
    let admin = app.person("fwadmin", Role::Admin).await;
    let manifest = |model: &str, version: &str| {
        json!({"model": model, "version": version, "url": format!("https://fw.example.com/{version}.bin"),
               "sha256": "ab".repeat(32), "notes": "fixes"})
    };
    for (model, version) in [
        ("Cube 2", "2.9.0"),
        ("Cube 2", "2.10.0"),
        ("Other", "9.0.0"),
    ] {
        let resp = admin
            .post("/api/v1/admin/firmware", manifest(model, version))
            .await;
        assert_eq!(resp.status(), StatusCode::CREATED);
    }
    let dup = admin
        .post("/api/v1/admin/firmware", manifest("Cube 2", "2.9.0"))
        .await;
    assert_error(dup, StatusCode::CONFLICT, "conflict").await;
    let bad = admin
        .post(
            "/api/v1/admin/firmware",
            json!({"model": "Cube 2", "version": "x", "url": "ftp://a", "sha256": "zz"}),
        )
        .await;
    assert_error(bad, StatusCode::BAD_REQUEST, "invalid_input").await;
    let user = app.person("nofw", Role::User).await;
    let resp = user
        .post("/api/v1/admin/firmware", manifest("Cube 2", "3.0.0"))
        .await;
    assert_error(resp, StatusCode::FORBIDDEN, "forbidden").await;

    let token = app.device_token(1).await;
    let client = reqwest::Client::new();
    let beat = |v: &str| app.heartbeat(&token, json!({"firmware_version": v}));
    let check = || {
        client
            .get(app.url("/api/v1/device/firmware"))
            .bearer_auth(&token)
            .send()
    };
    beat("2.1.0").await;
    let offer: Value = check().await.unwrap().json().await.unwrap();
    assert_eq!(offer["version"], "2.10.0", "2.10 is newer than 2.9");
    assert_eq!(offer["sha256"], "ab".repeat(32));
    beat("2.10.0").await;
    assert_eq!(check().await.unwrap().status(), StatusCode::NO_CONTENT);
}
