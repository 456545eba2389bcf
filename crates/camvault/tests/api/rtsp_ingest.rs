//! RTSP pull ingest against GStreamer's RTSP server on loopback: the server
//! pulls, segments, encrypts and indexes an IP camera's stream like pushed
//! video, and stops storing in privacy mode.

use std::time::Duration;

use domain::ports::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{Person, TestApp};

const PASSWORD: &str = "rtsp-Pa55word-x9";

async fn segment_count(app: &TestApp, owner: &Person, id: i64) -> usize {
    let now = app.now_ms();
    let playlist = owner
        .text(&format!(
            "/api/v1/cameras/{id}/recordings.m3u8?from={}&to={}",
            now - 3_600_000,
            now + 3_600_000
        ))
        .await;
    playlist.matches("#EXTINF").count()
}

// promise: B7
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ip_camera_is_pulled_recorded_and_played_back() {
    let Some(cam) = testkit::rtsp::start(&["--user", "admin", "--password", PASSWORD]) else {
        return;
    };
    let app = TestApp::spawn_with(|c| c.rtsp_rescan_secs = 1).await;
    let owner = app.person("ipowner", Role::User).await;
    let resp = owner
        .post(
            "/api/v1/cameras/rtsp",
            json!({"name": "Garage", "url": cam.url, "username": "admin", "password": PASSWORD}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let created: Vec<Value> = resp.json().await.unwrap();
    let id = created[0]["id"].as_i64().unwrap();

    let mut n = 0;
    for _ in 0..300 {
        n = segment_count(&app, &owner, id).await;
        if n >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(n >= 3, "pulled segments appear in the playlist ({n})");
    let camera: Value = owner
        .get(&format!("/api/v1/cameras/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(camera["online"], true, "{camera}");

    if testkit::ffprobe::available("rtsp playback") {
        let token: Value = owner
            .post("/api/v1/me/tokens", json!({"name": "probe"}))
            .await
            .json()
            .await
            .unwrap();
        let now = app.now_ms();
        let url = app.url(&format!(
            "/api/v1/cameras/{id}/recordings.m3u8?from={}&to={}",
            now - 3_600_000,
            now + 3_600_000
        ));
        let auth = format!("Authorization: Bearer {}", token["token"].as_str().unwrap());
        let probe = tokio::task::spawn_blocking(move || testkit::ffprobe::probe(&url, &[&auth]))
            .await
            .unwrap();
        assert!(probe.success && probe.errors.is_empty(), "{}", probe.errors);
        assert_eq!(probe.json["streams"][0]["codec_name"], "h264");
    }

    // Privacy mode: the camera is no longer pulled and nothing more is stored.
    let resp = owner
        .patch(&format!("/api/v1/cameras/{id}"), json!({"privacy": true}))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let frozen = segment_count(&app, &owner, id).await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(segment_count(&app, &owner, id).await, frozen);
}
