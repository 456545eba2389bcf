//! Two instances on one database, one master key, one key vault and one
//! blob store, as a provider runs them behind a load balancer: a camera
//! uploads to one, and people whose sessions landed on the other still
//! watch it live, get its alerts, and lose live view when a share ends.

use std::time::{Duration, Instant};

use domain::ids::CameraId;
use domain::ports::ClusterStore;
use reqwest::StatusCode;
use serde_json::Value;

use crate::events::{motion, report, Stream};
use crate::helpers::{Person, TestApp};
use crate::live::{connect, expect_segment, next};
use crate::recordings::{demo, put_segment, recording_camera, share_with_grandma};

/// A second instance sharing everything with `first`.
pub async fn second_instance(first: &TestApp) -> TestApp {
    second_instance_with(first, |_| {}).await
}

/// Like [`second_instance`], after `adjust` changed its configuration.
pub async fn second_instance_with(
    first: &TestApp,
    adjust: impl FnOnce(&mut camvault::config::Config),
) -> TestApp {
    let (db, key, vault, blobs) = (
        first.config.database_url(),
        first.config.master_key_file(),
        first.config.key_vault_dir(),
        first.config.blob_dir(),
    );
    let (bucket, endpoint) = (
        first.config.blob_bucket.clone(),
        first.config.s3_endpoint.clone(),
    );
    let (key_id, secret) = (
        first.config.s3_access_key_id.clone(),
        first.config.s3_secret_access_key.clone(),
    );
    let (region, path_style, http) = (
        first.config.s3_region.clone(),
        first.config.s3_path_style,
        first.config.s3_allow_http,
    );
    TestApp::spawn_with(move |c| {
        c.database_url = Some(db);
        c.master_key_file = Some(key);
        c.key_vault_dir = Some(vault);
        c.blob_dir = Some(blobs);
        c.blob_bucket = bucket;
        c.s3_endpoint = endpoint;
        c.s3_access_key_id = key_id;
        c.s3_secret_access_key = secret;
        c.s3_region = region;
        c.s3_path_style = path_style;
        c.s3_allow_http = http;
        adjust(c);
    })
    .await
}

/// `n` instances sharing a database, master key, key vault and blob store
/// that all live in the returned directory, so that any of them can stop
/// (and drop its own directory) while the others go on.
pub async fn shared_instances(
    n: usize,
    adjust: impl Fn(&mut camvault::config::Config),
) -> (tempfile::TempDir, Vec<TestApp>) {
    let shared = tempfile::tempdir().unwrap();
    let db = testkit::test_database_url(shared.path()).await;
    let root = shared.path().to_path_buf();
    let first = TestApp::spawn_with(|c| {
        c.database_url = Some(db);
        c.master_key_file = Some(root.join("master.key"));
        c.key_vault_dir = Some(root.join("keys"));
        c.blob_dir = Some(root.join("blobs"));
        adjust(c);
    })
    .await;
    let mut apps = vec![];
    for _ in 1..n {
        apps.push(second_instance_with(&first, &adjust).await);
    }
    apps.insert(0, first);
    (shared, apps)
}

/// The same signed-in session, talking to `app`.
fn on(app: &TestApp, p: &Person) -> Person {
    Person {
        client: p.client.clone(),
        csrf: p.csrf.clone(),
        base: app.base.clone(),
    }
}

/// Waits until `app` knows another instance watches `camera` live.
async fn until_watched(app: &TestApp, camera: i64) {
    for _ in 0..100 {
        if app.core.cluster.watched_elsewhere(CameraId(camera)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the uploading instance never heard of the remote viewer");
}

#[tokio::test]
async fn a_viewer_on_one_instance_watches_a_camera_uploading_to_another() {
    let first = TestApp::spawn().await;
    let second = second_instance(&first).await;
    let cam = recording_camera(&first).await;
    let (_, segments) = demo();
    let token = cam.owner.api_token("live").await;
    let now = first.now_ms();
    let resp = put_segment(&first, &cam.token, "r0", cam.init_id, now, &segments[0]).await;
    assert_eq!(resp.status(), StatusCode::CREATED);

    // Joining on the other instance starts at the newest stored segment…
    let mut socket = connect(&second, &cam, &token, None).await.unwrap();
    assert_eq!(expect_segment(&mut socket, true).await, segments[0]);
    // …and every later one reaches it through the shared stores.
    until_watched(&first, cam.id).await;
    for (i, seg) in segments.iter().enumerate().skip(1).take(3) {
        let sent = Instant::now();
        let resp = put_segment(
            &first,
            &cam.token,
            &format!("r{i}"),
            cam.init_id,
            now + 2_000 * i as i64,
            seg,
        )
        .await;
        assert_eq!(resp.status(), StatusCode::CREATED);
        assert_eq!(&expect_segment(&mut socket, false).await, seg);
        println!("segment {i} relayed in {:?}", sent.elapsed());
    }
    // Nobody watches on the first instance: it holds no segment itself.
    assert_eq!(first.core.recordings.live().viewers(CameraId(cam.id)), 0);
}

#[tokio::test]
async fn ending_a_share_on_one_instance_closes_live_view_on_another() {
    let first = TestApp::spawn().await;
    let second = second_instance(&first).await;
    let cam = recording_camera(&first).await;
    let grandma = share_with_grandma(&first, &cam).await;
    let token = grandma.api_token("live").await;
    let resp = put_segment(
        &first,
        &cam.token,
        "s0",
        cam.init_id,
        first.now_ms(),
        &demo().1[0],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let mut socket = connect(&second, &cam, &token, None).await.unwrap();
    expect_segment(&mut socket, true).await;

    let me: Value = grandma.get("/api/v1/me").await.json().await.unwrap();
    let revoked = Instant::now();
    let resp = cam
        .owner
        .delete(&cam.path(&format!("/shares/{}", me["id"])))
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    match next(&mut socket).await {
        tokio_tungstenite::tungstenite::Message::Close(Some(frame)) => {
            assert_eq!(u16::from(frame.code), 4403)
        }
        other => panic!("expected a close, got {other:?}"),
    }
    println!("closed {:?} after the share ended", revoked.elapsed());
}

// promise: D1
#[tokio::test]
async fn an_alert_reaches_the_owners_stream_on_another_instance() {
    let first = TestApp::spawn().await;
    let second = second_instance(&first).await;
    let cam = recording_camera(&first).await;
    let mut elsewhere = Stream::open(&on(&second, &cam.owner)).await;
    let mut here = Stream::open(&cam.owner).await;

    let sent = Instant::now();
    let resp = report(&first, &cam.token, motion(&first), None).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let event: Value = resp.json().await.unwrap();
    let alert = elsewhere
        .next(Duration::from_secs(5))
        .await
        .expect("an alert on the other instance");
    println!("alert crossed instances in {:?}", sent.elapsed());
    assert_eq!(alert["event_id"], event["id"]);
    assert_eq!(alert["camera_id"], cam.id);
    // Exactly once on each instance: the local stream is not sent it again.
    let local = here
        .next(Duration::from_secs(5))
        .await
        .expect("local alert");
    assert_eq!(local["event_id"], event["id"]);
    assert!(here.next(Duration::from_millis(600)).await.is_none());
    assert!(elsewhere.next(Duration::from_millis(600)).await.is_none());

    // The request's id travels with the message, into the other
    // instance's logs.
    let resp = reqwest::Client::new()
        .post(first.url("/api/v1/device/events"))
        .bearer_auth(&cam.token)
        .header("x-request-id", "trace-7f3a")
        .json(&motion(&first))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert_eq!(resp.headers()["x-request-id"], "trace-7f3a");
    elsewhere
        .next(Duration::from_secs(5))
        .await
        .expect("an alert");
    let sent = first.core.store.messages_after(0, 1000).await.unwrap();
    let carried = sent
        .iter()
        .filter(|m| m.body.contains("\"request_id\":\"trace-7f3a\""))
        .count();
    assert_eq!(carried, 1, "{sent:?}");
}
