//! Push ingest refusals and bad input: whatever is refused stores nothing
//! and answers a stable code.

use domain::ports::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_error, TestApp};
use crate::recordings::{demo, put_init, put_segment, recording_camera, Cam};

/// Number of index rows and media blobs: together they say what was stored.
async fn stored(app: &TestApp, cam: &Cam) -> (usize, usize) {
    let now = app.now_ms();
    let tl: Value = cam
        .owner
        .get(&cam.path(&format!(
            "/recordings/timeline?from={}&to={}",
            now - 86_400_000,
            now + 86_400_000
        )))
        .await
        .json()
        .await
        .unwrap();
    let files = app.blob_keys("media").await.len();
    (tl["spans"].as_array().unwrap().len(), files)
}

// promise: C3
#[tokio::test]
async fn an_unbound_camera_is_refused_and_nothing_is_kept() {
    let app = TestApp::spawn().await;
    app.provision(1).await;
    let token = app.device_token(1).await;
    let (init, segments) = demo();
    assert_error(
        put_init(&app, &token, &init).await,
        StatusCode::FORBIDDEN,
        "camera_unbound",
    )
    .await;
    let resp = put_segment(&app, &token, "x", 1, app.now_ms(), &segments[0]).await;
    assert_error(resp, StatusCode::FORBIDDEN, "camera_unbound").await;
    assert_eq!(app.blob_keys("media").await.len(), 0);
}

// promise: C3
#[tokio::test]
async fn privacy_mode_recording_off_and_the_schedule_refuse_uploads() {
    let app = TestApp::spawn().await;
    let cam = recording_camera(&app).await;
    let (init, segments) = demo();
    let before = stored(&app, &cam).await;
    assert_eq!(before, (0, 1), "just the init");

    let cases = [
        (json!({"privacy": true}), "privacy_mode", true),
        (
            json!({"privacy": false, "recording_mode": "off"}),
            "recording_off",
            true,
        ),
        // The test clock reads Monday 14:13 UTC; the camera reports no zone.
        (
            json!({"recording_mode": "continuous",
                   "schedule": [{"days": ["tue"], "start": "00:00", "end": "24:00"},
                                {"days": ["mon"], "start": "15:00", "end": "18:00"}]}),
            "outside_schedule",
            false,
        ),
    ];
    for (i, (change, code, init_refused)) in cases.into_iter().enumerate() {
        let resp = cam.owner.patch(&cam.path(""), change).await;
        assert_eq!(resp.status(), StatusCode::OK, "{code}");
        let resp = put_segment(
            &app,
            &cam.token,
            &format!("s{i}"),
            cam.init_id,
            app.now_ms(),
            &segments[0],
        )
        .await;
        assert_error(resp, StatusCode::CONFLICT, code).await;
        let resp = put_init(&app, &cam.token, &init).await;
        if init_refused {
            assert_error(resp, StatusCode::CONFLICT, code).await;
        } else {
            assert_eq!(resp.status(), StatusCode::OK, "the init is not a recording");
        }
        assert_eq!(stored(&app, &cam).await, before, "{code}: nothing stored");
    }

    // Inside the schedule (14:00–15:00 Monday in Berlin is 13:00–14:00 UTC,
    // so use the camera's UTC default) the same segment is taken.
    let resp = cam
        .owner
        .patch(
            &cam.path(""),
            json!({"schedule": [{"days": ["mon"], "start": "14:00", "end": "15:00"}]}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = put_segment(
        &app,
        &cam.token,
        "in",
        cam.init_id,
        app.now_ms(),
        &segments[0],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert_eq!(stored(&app, &cam).await, (1, 2));
}

// promise: C3
#[tokio::test]
async fn with_audio_off_the_stored_segment_has_no_audio() {
    let app = TestApp::spawn().await;
    let cam = recording_camera(&app).await;
    let resp = cam
        .owner
        .patch(&cam.path(""), json!({"audio": false}))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let (_, segments) = demo();
    let start = app.now_ms();
    let resp = put_segment(&app, &cam.token, "quiet", cam.init_id, start, &segments[0]).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let end = resp.json::<Value>().await.unwrap()["end_ms"]
        .as_i64()
        .unwrap();

    let playlist = cam
        .owner
        .text(&cam.path(&format!("/recordings.m3u8?from={start}&to={end}")))
        .await;
    let init_uri = format!("recordings/inits/{}-noaudio.mp4", cam.init_id);
    assert!(playlist.contains(&init_uri), "{playlist}");
    let seg_uri = playlist.lines().find(|l| l.ends_with(".m4s")).unwrap();
    let init = cam.owner.bytes(&cam.path(&format!("/{init_uri}"))).await;
    let seg = cam.owner.bytes(&cam.path(&format!("/{seg_uri}"))).await;
    let init = media::fmp4::parse_init(&init).unwrap();
    assert_eq!(init.tracks.len(), 1);
    assert_eq!(init.tracks[0].kind, media::fmp4::TrackKind::Video);
    let parsed = media::fmp4::parse_media(&seg, &init).unwrap();
    assert_eq!(parsed.tracks.len(), 1, "only video is stored");
    assert!(seg.len() < segments[0].len());
}

#[tokio::test]
async fn bad_uploads_get_stable_codes_and_change_nothing() {
    let app = TestApp::spawn().await;
    let cam = recording_camera(&app).await;
    let (init, segments) = demo();
    let now = app.now_ms();
    let ok = put_segment(&app, &cam.token, "kept", cam.init_id, now, &segments[0]).await;
    assert_eq!(ok.status(), StatusCode::CREATED);
    let before = stored(&app, &cam).await;

    // Wrong content type.
    let resp = reqwest::Client::new()
        .put(app.url("/api/v1/device/init"))
        .bearer_auth(&cam.token)
        .header("content-type", "application/json")
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
    // Not MP4 at all, and a truncated init.
    assert_error(
        put_init(&app, &cam.token, b"hello, not a video").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_media",
    )
    .await;
    assert_error(
        put_init(&app, &cam.token, &init[..init.len() / 2]).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_media",
    )
    .await;
    // A truncated segment, and an init handed in as a segment.
    let half = &segments[1][..segments[1].len() / 2];
    assert_error(
        put_segment(&app, &cam.token, "half", cam.init_id, now, half).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_media",
    )
    .await;
    assert_error(
        put_segment(&app, &cam.token, "init", cam.init_id, now, &init).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_media",
    )
    .await;
    // Two segments glued together last 4 s: fine. Six glued: 12 s, too long.
    let long: Vec<u8> = segments.concat();
    assert_error(
        put_segment(&app, &cam.token, "long", cam.init_id, now, &long).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_media",
    )
    .await;
    // Unknown init, bad ids, clocks far off, missing parameters.
    assert_error(
        put_segment(&app, &cam.token, "u", 999, now, &segments[1]).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_error(
        put_segment(&app, &cam.token, "a%20b", cam.init_id, now, &segments[1]).await,
        StatusCode::BAD_REQUEST,
        "invalid_input",
    )
    .await;
    let long_id = "x".repeat(65);
    assert_error(
        put_segment(&app, &cam.token, &long_id, cam.init_id, now, &segments[1]).await,
        StatusCode::BAD_REQUEST,
        "invalid_input",
    )
    .await;
    assert_error(
        put_segment(
            &app,
            &cam.token,
            "f",
            cam.init_id,
            now + 3_600_000,
            &segments[1],
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_input",
    )
    .await;
    assert_error(
        put_segment(
            &app,
            &cam.token,
            "p",
            cam.init_id,
            now - 8 * 86_400_000,
            &segments[1],
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_input",
    )
    .await;
    let resp = reqwest::Client::new()
        .put(app.url("/api/v1/device/segments/q?init_id=x"))
        .bearer_auth(&cam.token)
        .header("content-type", "video/iso.segment")
        .body(segments[1].clone())
        .send()
        .await
        .unwrap();
    assert_error(resp, StatusCode::BAD_REQUEST, "invalid_query").await;
    // Bodies over the limits.
    let huge = vec![0u8; 17 * 1024 * 1024];
    assert_error(
        put_segment(&app, &cam.token, "big", cam.init_id, now, &huge).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
    )
    .await;
    assert_error(
        put_init(&app, &cam.token, &huge[..300 * 1024]).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
    )
    .await;
    // No token, or an expired one.
    let resp = reqwest::Client::new()
        .put(app.url("/api/v1/device/init"))
        .header("content-type", "video/mp4")
        .body(init.clone())
        .send()
        .await
        .unwrap();
    assert_error(resp, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    app.advance(std::time::Duration::from_secs(3601));
    assert_error(
        put_init(&app, &cam.token, &init).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;

    assert_eq!(stored(&app, &cam).await, before, "nothing changed");
}

#[tokio::test]
async fn one_cameras_init_cannot_be_used_by_another() {
    let app = TestApp::spawn().await;
    app.provision(2).await;
    let owner = app.person("owner", Role::User).await;
    let other = app.person("other", Role::User).await;
    owner.bind(1).await;
    other.bind(2).await;
    let (init, segments) = demo();
    let token1 = app.device_token(1).await;
    let resp = put_init(&app, &token1, &init).await;
    let init_id = resp.json::<Value>().await.unwrap()["init_id"]
        .as_i64()
        .unwrap();
    let token2 = app.device_token(2).await;
    let resp = put_segment(&app, &token2, "steal", init_id, app.now_ms(), &segments[0]).await;
    assert_error(resp, StatusCode::NOT_FOUND, "not_found").await;
}

// promise: B5
#[tokio::test]
async fn the_network_view_counts_uploads_failures_and_refusals() {
    let app = TestApp::spawn().await;
    let cam = recording_camera(&app).await;
    let (_, segments) = demo();
    let now = app.now_ms();
    let ok = put_segment(&app, &cam.token, "n0", cam.init_id, now, &segments[0]).await;
    assert_eq!(ok.status(), StatusCode::CREATED);
    let bad = put_segment(&app, &cam.token, "n1", cam.init_id, now, b"not video").await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    cam.owner
        .patch(&cam.path(""), json!({"privacy": true}))
        .await;
    let refused = put_segment(&app, &cam.token, "n2", cam.init_id, now, &segments[1]).await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);

    let check = |v: Value| {
        assert_eq!(v["uploads_24h"], 3, "{v}");
        assert_eq!(v["failed_uploads_24h"], 1, "{v}");
        assert_eq!(v["refused_uploads_24h"], 1, "{v}");
        assert!(v["upload_latency_ms_avg_24h"].as_i64().is_some(), "{v}");
        assert!(
            v["upload_latency_ms_max_24h"].as_i64().unwrap()
                >= v["upload_latency_ms_avg_24h"].as_i64().unwrap()
        );
    };
    // Counted at once, and the same after the figures are written out.
    check(
        cam.owner
            .get(&cam.path("/network"))
            .await
            .json()
            .await
            .unwrap(),
    );
    app.recordings.flush_upload_stats().await.unwrap();
    check(
        cam.owner
            .get(&cam.path("/network"))
            .await
            .json()
            .await
            .unwrap(),
    );
    let page = cam
        .owner
        .text(&format!("/cameras/{}/network", cam.id))
        .await;
    assert!(page.contains("Uploads, last 24 hours"));
    assert!(
        page.contains("<dt>Refused by settings</dt><dd>1</dd>"),
        "{page}"
    );

    // A day later the figures have aged out.
    app.advance(std::time::Duration::from_secs(26 * 3600));
    app.recordings.flush_upload_stats().await.unwrap();
    let v: Value = cam
        .owner
        .get(&cam.path("/network"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["uploads_24h"], 0, "{v}");
}
