//! Keeping only what may be kept: retention, events mode, quotas,
//! reconciliation after a crash, and crypto-shredding.

use std::time::Duration;

use domain::ids::AccountId;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::recordings::{demo, put_segment, recording_camera, upload_demo, upload_demo_spans, Cam};

const DAY: Duration = Duration::from_secs(86_400);

/// Key and size of every stored media blob.
async fn media_files(app: &TestApp) -> Vec<(String, u64)> {
    app.blob_sizes("media").await
}

async fn spans(cam: &Cam, from: i64, to: i64) -> Vec<Value> {
    let tl: Value = cam
        .owner
        .get(&cam.path(&format!("/recordings/timeline?from={from}&to={to}")))
        .await
        .json()
        .await
        .unwrap();
    tl["spans"].as_array().unwrap().clone()
}

async fn playlist_segments(cam: &Cam, from: i64, to: i64) -> usize {
    cam.owner
        .text(&cam.path(&format!("/recordings.m3u8?from={from}&to={to}")))
        .await
        .matches("#EXTINF")
        .count()
}

// promise: G2
#[tokio::test]
async fn recordings_past_retention_are_purged_with_their_day_keys() {
    // Sessions outlive the month this test skips over.
    let app = TestApp::spawn_with(|c| c.session_idle_days = 365).await;
    let cam = recording_camera(&app).await;
    let (from, to) = upload_demo(&app, &cam, "old").await;
    assert_eq!(media_files(&app).await.len(), 7);
    // Read once, so the day's segments are held in memory.
    assert_eq!(spans(&cam, from, to).await.len(), 1);

    app.advance(29 * DAY);
    let report = app.recordings.purge().await.unwrap();
    assert_eq!(report.expired, 0, "within the default 30 days");

    app.advance(2 * DAY);
    let report = app.recordings.purge().await.unwrap();
    assert_eq!(report.expired, 6);
    assert_eq!(report.keys_destroyed, 1, "the day's media key");
    assert_eq!(media_files(&app).await.len(), 1, "only the init remains");
    assert!(spans(&cam, from, to).await.is_empty());
    // Purging again finds nothing: it is idempotent.
    assert_eq!(app.recordings.purge().await.unwrap(), Default::default());
}

#[tokio::test]
async fn a_cameras_own_retention_wins_over_the_default() {
    let app = TestApp::spawn().await;
    let cam = recording_camera(&app).await;
    let (from, to) = upload_demo(&app, &cam, "r").await;
    let resp = cam
        .owner
        .call(
            reqwest::Method::PUT,
            &cam.path("/retention"),
            Some(json!({"days": 1})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let resp = cam
        .owner
        .call(
            reqwest::Method::PUT,
            &cam.path("/retention"),
            Some(json!({"days": 0})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    app.advance(DAY + Duration::from_secs(60));
    assert_eq!(app.recordings.purge().await.unwrap().expired, 6);
    assert!(spans(&cam, from, to).await.is_empty());
}

#[tokio::test]
async fn events_mode_keeps_only_the_windows_around_events() {
    // No pre- or post-roll: the window is the event's instant, so exactly
    // the segment holding it is kept.
    let app = TestApp::spawn_with(|c| {
        c.pre_roll_secs = 0;
        c.post_roll_secs = 0;
    })
    .await;
    let cam = recording_camera(&app).await;
    let resp = cam
        .owner
        .patch(&cam.path(""), json!({"recording_mode": "events"}))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let spans_up = upload_demo_spans(&app, &cam, "ev").await;
    let (from, to) = (spans_up[0].0, spans_up[5].1);
    let at = (spans_up[2].0 + spans_up[2].1) / 2;
    let resp = cam
        .owner
        .post(&cam.path("/event-windows"), json!({"at_ms": at}))
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let w: Value = resp.json().await.unwrap();
    assert_eq!(w["start_ms"], at);

    // Young segments wait for late events.
    assert_eq!(app.recordings.purge().await.unwrap().outside_events, 0);
    app.advance(Duration::from_secs(120));
    let report = app.recordings.purge().await.unwrap();
    assert_eq!(report.outside_events, 5, "{report:?}");
    let left = spans(&cam, from, to).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["start_ms"], spans_up[2].0);
    assert_eq!(left[0]["end_ms"], spans_up[2].1);
}

#[tokio::test]
async fn an_account_over_quota_loses_its_oldest_recordings() {
    let app = TestApp::spawn_with(|c| c.account_quota_mb = 1).await;
    let cam = recording_camera(&app).await;
    let (from, to) = upload_demo(&app, &cam, "q").await;
    let before = playlist_segments(&cam, from, to).await;
    let report = app.recordings.purge().await.unwrap();
    assert!(report.over_quota > 0);
    let after = playlist_segments(&cam, from, to).await;
    assert_eq!(after as u64, before as u64 - report.over_quota);
    let kept: u64 = media_files(&app)
        .await
        .iter()
        .filter(|(key, _)| key.contains(".m4s"))
        .map(|(_, size)| size)
        .sum();
    assert!(kept <= 1024 * 1024, "{kept}");
    // The newest survive.
    let left = spans(&cam, from, to).await;
    assert_eq!(left.last().unwrap()["end_ms"], to);
}

#[tokio::test]
async fn reconciliation_deletes_orphan_blobs_and_flags_lost_ones() {
    let app = TestApp::spawn().await;
    let cam = recording_camera(&app).await;
    let (from, to) = upload_demo(&app, &cam, "c").await;
    // A crash between blob write and index insert leaves an orphan.
    let orphan = "media/1/orphan.m4s.cvb";
    app.core
        .blobs
        .put(orphan, b"CVB1 leftover".to_vec())
        .await
        .unwrap();
    // A storage problem loses a segment's blob.
    let (lost, _) = media_files(&app)
        .await
        .into_iter()
        .find(|(key, _)| key.ends_with(".m4s.cvb") && key != orphan)
        .unwrap();
    app.core.blobs.delete(&lost).await.unwrap();
    // Read once, so the day's segments are held in memory.
    assert_eq!(playlist_segments(&cam, from, to).await, 6);

    let report = app.recordings.reconcile().await.unwrap();
    assert_eq!(report.orphan_blobs, 1);
    assert_eq!(report.missing_blobs, 1);
    assert!(app.find_blob(orphan).await.is_none());
    assert_eq!(
        playlist_segments(&cam, from, to).await,
        5,
        "the lost one is skipped"
    );
    assert_eq!(
        app.recordings.reconcile().await.unwrap(),
        Default::default()
    );
}

#[tokio::test]
async fn a_late_segment_joins_a_day_already_read() {
    let app = TestApp::spawn().await;
    let cam = recording_camera(&app).await;
    let (from, to) = upload_demo(&app, &cam, "now").await;
    assert_eq!(playlist_segments(&cam, from - 60_000, to).await, 6);
    // The camera was offline a minute ago and uploads its backlog now.
    let (_, segments) = crate::recordings::demo();
    let resp = crate::recordings::put_segment(
        &app,
        &cam.token,
        "backlog-1",
        cam.init_id,
        from - 30_000,
        &segments[0],
    )
    .await;
    assert_eq!(resp.status(), reqwest::StatusCode::CREATED);
    assert_eq!(playlist_segments(&cam, from - 60_000, to).await, 7);
    assert_eq!(spans(&cam, from - 60_000, to).await.len(), 2);
}

// promise: G2
#[tokio::test]
async fn destroying_the_account_key_makes_every_recording_unreadable() {
    let app = TestApp::spawn().await;
    let cam = recording_camera(&app).await;
    let (_, segments) = demo();
    let start = app.now_ms();
    let resp = put_segment(&app, &cam.token, "k", cam.init_id, start, &segments[0]).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let playlist = cam
        .owner
        .text(&cam.path(&format!(
            "/recordings.m3u8?from={start}&to={}",
            start + 2_000
        )))
        .await;
    let seg = cam.path(&format!(
        "/{}",
        playlist.lines().find(|l| l.ends_with(".m4s")).unwrap()
    ));
    assert_eq!(cam.owner.get(&seg).await.status(), StatusCode::OK);
    let copies = app.blobs_under("media").await;

    let me: Value = cam.owner.get("/api/v1/me").await.json().await.unwrap();
    let owner = AccountId(me["id"].as_i64().unwrap());
    app.recordings
        .keys()
        .destroy_account_key(owner)
        .await
        .unwrap();

    // The blobs are still stored (as in any backup) but nothing opens them.
    assert_eq!(media_files(&app).await.len(), copies.len());
    assert_eq!(cam.owner.get(&seg).await.status(), StatusCode::NOT_FOUND);
    // A new account key is a different key: old blobs stay closed.
    let fresh = app.recordings.keys().account_key(owner).await.unwrap();
    for copy in &copies {
        assert!(crypto::blob::open_blob(&fresh, copy).is_err());
    }
}
