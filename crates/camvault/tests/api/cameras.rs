//! Binding cameras, controlling them, unbinding.

use std::time::Duration;

use domain::ports::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_error, TestApp};

// promise: B1
#[tokio::test]
async fn a_camera_binds_with_its_label_code_and_has_one_owner() {
    let app = TestApp::spawn().await;
    app.provision(2).await;
    let alice = app.person("alice", Role::User).await;
    let resp = alice
        .post(
            "/api/v1/cameras",
            json!({"serial": "cam-0001", "verification_code": "code-0001"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let cam: Value = resp.json().await.unwrap();
    assert_eq!(cam["serial"], "CAM-0001");
    assert_eq!(cam["access"], "owner");
    assert_eq!(cam["name"], "Cube 2 0001");

    let bob = app.person("bob", Role::User).await;
    let resp = bob
        .post(
            "/api/v1/cameras",
            json!({"serial": "CAM-0001", "verification_code": "CODE0001"}),
        )
        .await;
    let body = assert_error(resp, StatusCode::CONFLICT, "camera_already_bound").await;
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("/api/v1/claims"));
    let list: Vec<Value> = bob.get("/api/v1/cameras").await.json().await.unwrap();
    assert!(list.is_empty());
    let list: Vec<Value> = alice.get("/api/v1/cameras").await.json().await.unwrap();
    assert_eq!(list.len(), 1);
}

// promise: B1
#[tokio::test]
async fn wrong_codes_and_unknown_serials_get_the_same_answer() {
    let app = TestApp::spawn().await;
    app.provision(1).await;
    let eve = app.person("eve", Role::User).await;
    let wrong = eve
        .post(
            "/api/v1/cameras",
            json!({"serial": "CAM-0001", "verification_code": "WRONG1"}),
        )
        .await;
    let unknown = eve
        .post(
            "/api/v1/cameras",
            json!({"serial": "CAM-9999", "verification_code": "WRONG1"}),
        )
        .await;
    assert_eq!(wrong.status(), unknown.status());
    let a = assert_error(wrong, StatusCode::BAD_REQUEST, "serial_or_code_wrong").await;
    let b = assert_error(unknown, StatusCode::BAD_REQUEST, "serial_or_code_wrong").await;
    assert_eq!(a, b);
}

// promise: B1
#[tokio::test]
async fn guessing_is_throttled_per_person_and_per_serial() {
    let app = TestApp::spawn().await;
    app.provision(2).await;
    let mallory = app.person("mallory", Role::User).await;
    for i in 0..5 {
        let resp = mallory
            .post(
                "/api/v1/cameras",
                json!({"serial": "CAM-0001", "verification_code": format!("GUESS{i}")}),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    }
    // Locked: even the right code for another serial is refused.
    let resp = mallory
        .post(
            "/api/v1/cameras",
            json!({"serial": "CAM-0002", "verification_code": "CODE0002"}),
        )
        .await;
    assert!(resp.headers().get("retry-after").is_some());
    assert_error(resp, StatusCode::TOO_MANY_REQUESTS, "too_many_requests").await;
    // The serial is locked for everyone, so spreading guesses over accounts fails too.
    let owner = app.person("owner", Role::User).await;
    let resp = owner
        .post(
            "/api/v1/cameras",
            json!({"serial": "CAM-0001", "verification_code": "CODE0001"}),
        )
        .await;
    assert_error(resp, StatusCode::TOO_MANY_REQUESTS, "too_many_requests").await;
    app.advance(Duration::from_secs(15 * 60 + 1));
    let resp = owner
        .post(
            "/api/v1/cameras",
            json!({"serial": "CAM-0001", "verification_code": "CODE0001"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
}

// promise: B3
#[tokio::test]
async fn the_owner_controls_the_camera_and_the_device_hears_at_once() {
    let app = TestApp::spawn().await;
    app.provision(1).await;
    let owner = app.person("olga", Role::User).await;
    let cam = owner.bind_camera(1).await;
    let id = cam["id"].as_i64().unwrap();
    let version = cam["settings_version"].as_i64().unwrap();
    let token = app.device_token(1).await;

    // The device waits for a change...
    let url = app.url(&format!(
        "/api/v1/device/settings?known_version={version}&wait=25"
    ));
    let waiting = tokio::spawn(async move {
        reqwest::Client::new()
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    // ...the owner changes everything B3 lists...
    let resp = owner
        .patch(
            &format!("/api/v1/cameras/{id}"),
            json!({"name": "Front door", "recording_mode": "events", "audio": false,
                   "alerts": false, "privacy": true,
                   "schedule": [{"days": ["mon", "fri"], "start": "08:00", "end": "18:30"}]}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let changed: Value = resp.json().await.unwrap();
    assert_eq!(changed["name"], "Front door");
    assert_eq!(changed["privacy"], true);
    // ...and the waiting device gets the new settings (a guard, not a benchmark).
    let settings = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("the long-poll returned on the change")
        .unwrap();
    assert!(settings["version"].as_i64().unwrap() > version);
    assert_eq!(settings["recording_mode"], "events");
    assert_eq!(settings["audio"], false);
    assert_eq!(settings["alerts"], false);
    assert_eq!(settings["privacy"], true);
    assert_eq!(settings["schedule"][0]["end"], "18:30");
}

#[tokio::test]
async fn bad_settings_are_refused_with_their_field() {
    let app = TestApp::spawn().await;
    app.provision(1).await;
    let owner = app.person("paul", Role::User).await;
    owner.bind(1).await;
    let cams: Vec<Value> = owner.get("/api/v1/cameras").await.json().await.unwrap();
    let path = format!("/api/v1/cameras/{}", cams[0]["id"]);
    for (body, code) in [
        (json!({"recording_mode": "sometimes"}), "invalid_body"),
        (json!({"gps": true}), "invalid_body"),
        (json!({"name": ""}), "invalid_input"),
        (
            json!({"schedule": [{"days": ["funday"], "start": "08:00", "end": "09:00"}]}),
            "invalid_input",
        ),
        (
            json!({"schedule": [{"days": ["mon"], "start": "18:00", "end": "08:00"}]}),
            "invalid_input",
        ),
        (
            json!({"schedule": [{"days": ["mon"], "start": "8am", "end": "09:00"}]}),
            "invalid_input",
        ),
    ] {
        let resp = owner.patch(&path, body.clone()).await;
        assert_error(resp, StatusCode::BAD_REQUEST, code).await;
    }
}

#[tokio::test]
async fn other_people_cannot_see_or_change_a_camera() {
    let app = TestApp::spawn().await;
    app.provision(1).await;
    let owner = app.person("quinn", Role::User).await;
    let cam = owner.bind_camera(1).await;
    let path = format!("/api/v1/cameras/{}", cam["id"]);
    let stranger = app.person("stranger", Role::User).await;
    assert_error(
        stranger.get(&path).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_error(
        stranger.patch(&path, json!({"privacy": false})).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_error(
        stranger.delete(&path).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_eq!(owner.get(&path).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn unbinding_frees_the_camera_with_factory_settings() {
    let app = TestApp::spawn().await;
    app.provision(1).await;
    let first = app.person("rita", Role::User).await;
    let cam = first.bind_camera(1).await;
    let path = format!("/api/v1/cameras/{}", cam["id"]);
    first
        .patch(&path, json!({"privacy": true, "name": "Kids room"}))
        .await;
    assert_eq!(first.delete(&path).await.status(), StatusCode::NO_CONTENT);
    assert_error(first.get(&path).await, StatusCode::NOT_FOUND, "not_found").await;

    let token = app.device_token(1).await;
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
    assert_eq!(s["privacy"], false);

    let second = app.person("sven", Role::User).await;
    let cam = second.bind_camera(1).await;
    assert_ne!(
        cam["name"], "Kids room",
        "no trace of the previous owner's settings"
    );
}
