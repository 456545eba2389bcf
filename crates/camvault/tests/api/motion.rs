//! Motion detection the server runs for RTSP cameras, against GStreamer's
//! RTSP server on loopback: a moving picture raises motion events with a
//! snapshot and alerts the owner; a still one raises none; a masked zone and
//! the off switch silence it; bad settings are refused.

use std::time::Duration;

use domain::ports::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_error, Person, TestApp};

async fn add_camera(owner: &Person, name: &str, url: &str) -> i64 {
    let resp = owner
        .post("/api/v1/cameras/rtsp", json!({"name": name, "url": url}))
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let created: Vec<Value> = resp.json().await.unwrap();
    created[0]["id"].as_i64().unwrap()
}

async fn events_of(app: &TestApp, owner: &Person, id: i64) -> Vec<Value> {
    let now = app.now_ms();
    owner
        .get(&format!(
            "/api/v1/cameras/{id}/events?from={}&to={}",
            now - 3_600_000,
            now + 3_600_000
        ))
        .await
        .json()
        .await
        .unwrap()
}

async fn segment_count(app: &TestApp, owner: &Person, id: i64) -> usize {
    let now = app.now_ms();
    owner
        .text(&format!(
            "/api/v1/cameras/{id}/recordings.m3u8?from={}&to={}",
            now - 3_600_000,
            now + 3_600_000
        ))
        .await
        .matches("#EXTINF")
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_moving_picture_raises_motion_events_and_a_still_or_masked_one_does_not() {
    let Some(moving) = testkit::rtsp::start(&["--pattern", "ball"]) else {
        return;
    };
    let Some(masked) = testkit::rtsp::start(&["--pattern", "ball"]) else {
        return;
    };
    let Some(still) = testkit::rtsp::start(&["--pattern", "smpte"]) else {
        return;
    };
    let app = TestApp::spawn_with(|c| c.rtsp_rescan_secs = 1).await;
    let owner = app.person("watcher", Role::User).await;
    let moving_id = add_camera(&owner, "Drive", &moving.url).await;
    let masked_id = add_camera(&owner, "Street", &masked.url).await;
    let still_id = add_camera(&owner, "Attic", &still.url).await;
    // The whole picture of the street camera is masked.
    let resp = owner
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/cameras/{masked_id}/motion"),
            Some(json!({"enabled": true, "sensitivity": 100,
                        "masked_zones": [{"x": 0.0, "y": 0.0, "w": 1.0, "h": 1.0}]})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);

    let mut found = Vec::new();
    for _ in 0..400 {
        found = events_of(&app, &owner, moving_id).await;
        if !found.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let event = found
        .first()
        .expect("a motion event from the moving picture");
    assert_eq!(event["type"], "motion");
    let score = event["score"].as_f64().unwrap();
    assert!(score > 0.0 && score <= 1.0, "{event}");
    let r = &event["region"];
    for side in ["x", "y", "w", "h"] {
        let v = r[side].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&v), "{event}");
    }
    // The snapshot is a real picture of the camera's 640×360 stream, halved.
    let jpeg = owner.bytes(event["snapshot_url"].as_str().unwrap()).await;
    let size = imagesize::blob_size(&jpeg).unwrap();
    assert_eq!((size.width, size.height), (320, 180));

    // By now the other two sent as much video, and raised nothing.
    for _ in 0..200 {
        if segment_count(&app, &owner, still_id).await >= 4
            && segment_count(&app, &owner, masked_id).await >= 4
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(segment_count(&app, &owner, still_id).await >= 4);
    assert!(segment_count(&app, &owner, masked_id).await >= 4);
    assert_eq!(events_of(&app, &owner, still_id).await, Vec::<Value>::new());
    assert_eq!(
        events_of(&app, &owner, masked_id).await,
        Vec::<Value>::new()
    );

    // Switched off, the moving camera raises no more.
    let resp = owner
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/cameras/{moving_id}/motion"),
            Some(json!({"enabled": false, "sensitivity": 50})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    // Let a segment in flight finish, then count.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let before = events_of(&app, &owner, moving_id).await.len();
    let segments = segment_count(&app, &owner, moving_id).await;
    for _ in 0..200 {
        if segment_count(&app, &owner, moving_id).await >= segments + 6 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(segment_count(&app, &owner, moving_id).await >= segments + 6);
    assert_eq!(events_of(&app, &owner, moving_id).await.len(), before);
}

#[tokio::test]
async fn motion_settings_are_checked_and_kept() {
    let app = TestApp::spawn().await;
    let owner = app.person("tuner", Role::User).await;
    let id = add_camera(&owner, "Porch", "rtsp://127.0.0.1:9/cam").await;
    let path = format!("/api/v1/cameras/{id}/motion");
    let defaults: Value = owner.get(&path).await.json().await.unwrap();
    assert_eq!(
        defaults,
        json!({"enabled": true, "sensitivity": 50, "masked_zones": []})
    );
    let wanted = json!({"enabled": true, "sensitivity": 80,
                        "masked_zones": [{"x": 0.5, "y": 0.0, "w": 0.5, "h": 0.25}]});
    let resp = owner
        .call(reqwest::Method::PUT, &path, Some(wanted.clone()))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let kept: Value = owner.get(&path).await.json().await.unwrap();
    assert_eq!(kept, wanted);

    for bad in [
        json!({"enabled": true, "sensitivity": 0}),
        json!({"enabled": true, "sensitivity": 101}),
        json!({"enabled": true, "sensitivity": 50,
               "masked_zones": [{"x": 0.8, "y": 0.0, "w": 0.5, "h": 0.5}]}),
    ] {
        let resp = owner.call(reqwest::Method::PUT, &path, Some(bad)).await;
        assert_error(resp, StatusCode::BAD_REQUEST, "invalid_input").await;
    }
    let resp = owner
        .call(
            reqwest::Method::PUT,
            &path,
            Some(json!({"enabled": true, "sensitivity": 300})),
        )
        .await;
    assert_error(resp, StatusCode::BAD_REQUEST, "invalid_body").await;
    let resp = owner
        .call(reqwest::Method::PUT, &path, Some(json!({"enabled": "yes"})))
        .await;
    assert_error(resp, StatusCode::BAD_REQUEST, "invalid_body").await;
    // Nothing bad was kept.
    let kept_after: Value = owner.get(&path).await.json().await.unwrap();
    assert_eq!(kept_after, wanted);
}

#[tokio::test]
async fn the_camera_page_edits_motion_settings_for_rtsp_cameras_only() {
    let app = TestApp::spawn().await;
    let owner = app.person("pager", Role::User).await;
    let id = add_camera(&owner, "Yard", "rtsp://127.0.0.1:9/cam").await;
    let page = owner.text(&format!("/cameras/{id}")).await;
    assert!(page.contains("Motion detection"), "{page}");
    let action = format!("/cameras/{id}/motion");
    let resp = owner
        .submit_form(
            &page,
            &action,
            &[
                ("enabled", "on"),
                ("sensitivity", "65"),
                ("zones", "0 0 100 20\n50, 50, 25, 25%"),
            ],
        )
        .await;
    assert!(resp.status().is_redirection() || resp.status() == StatusCode::OK);
    let kept: Value = owner
        .get(&format!("/api/v1/cameras/{id}/motion"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        kept,
        json!({"enabled": true, "sensitivity": 65, "masked_zones": [
            {"x": 0.0, "y": 0.0, "w": 1.0, "h": 0.2},
            {"x": 0.5, "y": 0.5, "w": 0.25, "h": 0.25}]})
    );
    let page = owner.text(&format!("/cameras/{id}")).await;
    assert!(page.contains("0 0 100 20"), "{page}");

    // A zone that is not four numbers is refused with a message; nothing changes.
    let resp = owner
        .submit_form(
            &page,
            &action,
            &[("sensitivity", "65"), ("zones", "top left corner")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(resp.text().await.unwrap().contains("left top width height"));
    let after: Value = owner
        .get(&format!("/api/v1/cameras/{id}/motion"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(after, kept);

    // A pushing camera sends its own events: no such form.
    app.provision(1).await;
    let cloud = owner.bind(1).await;
    let page = owner.text(&format!("/cameras/{cloud}")).await;
    assert!(!page.contains("Motion detection"));
}
