//! Data residency (F11): an account's data lives in its region's store;
//! moving it needs the person's consent and is recorded.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::events::{motion, report, SNAPSHOT};
use crate::helpers::{assert_error, region_bucket, TestApp};
use crate::recordings::{put_segment, recording_camera, upload_demo};

/// How many blobs `region`'s own store holds under `prefix`, as the
/// server's store lists them: the home store's keys plain, another
/// region's as `regions/<name>/<key>`.
async fn count(app: &TestApp, region: &str, prefix: &str) -> usize {
    let keys = app.blob_keys(prefix).await;
    let tag = format!("regions/{region}/");
    keys.iter()
        .filter(|k| match region {
            "home" => !k.starts_with("regions/"),
            _ => k.starts_with(&tag),
        })
        .count()
}

// promise: F11
#[tokio::test]
async fn moving_to_another_region_needs_consent_and_takes_every_file_along() {
    // The EU region's blobs go to a directory of their own, or with blobs
    // in S3 to a bucket of their own.
    let eu_bucket = region_bucket().await;
    let app = TestApp::spawn_with(|c| {
        let eu = eu_bucket.unwrap_or_else(|| c.data_dir.join("eu-blobs"));
        c.regions.insert("eu".into(), eu);
    })
    .await;
    let cam = recording_camera(&app).await;
    let (from, to) = upload_demo(&app, &cam, "a").await;
    let resp = report(&app, &cam.token, motion(&app), Some(SNAPSHOT)).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let owner = &cam.owner;
    let here: Value = owner.get("/api/v1/me/region").await.json().await.unwrap();
    assert_eq!(here, json!({"region": "home", "regions": ["home", "eu"]}));
    let at_home = count(&app, "home", "media").await;
    assert!(at_home > 0 && count(&app, "home", "events").await == 1);

    // No consent, or an unknown region: refused, nothing moves.
    let change = |body: Value| owner.call(reqwest::Method::PUT, "/api/v1/me/region", Some(body));
    assert_error(
        change(json!({"region": "eu"})).await,
        StatusCode::BAD_REQUEST,
        "invalid_input",
    )
    .await;
    assert_error(
        change(json!({"region": "moon", "consent": true})).await,
        StatusCode::BAD_REQUEST,
        "invalid_input",
    )
    .await;
    assert_eq!(count(&app, "home", "media").await, at_home);

    let resp = change(json!({"region": "eu", "consent": true})).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.json::<Value>().await.unwrap()["region"], "eu");
    // Every file went along, and still plays from there.
    assert_eq!(count(&app, "home", "media").await, 0);
    assert_eq!(count(&app, "home", "events").await, 0);
    assert_eq!(count(&app, "eu", "media").await, at_home);
    assert_eq!(count(&app, "eu", "events").await, 1);
    let resp = owner
        .get(&cam.path(&format!("/recordings/download.mp4?from={from}&to={to}")))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.bytes().await.unwrap().len() > 1000);
    let events: Value = owner
        .get(&cam.path(&format!(
            "/events?from={}&to={}",
            from - 60_000,
            app.now_ms() + 60_000
        )))
        .await
        .json()
        .await
        .unwrap();
    let snapshot = events[0]["snapshot_url"].as_str().unwrap();
    assert_eq!(owner.bytes(snapshot).await, SNAPSHOT);

    // New recordings go straight to the new region.
    let seg = crate::recordings::demo().1[0].clone();
    let resp = put_segment(
        &app,
        &cam.token,
        "after",
        cam.init_id,
        app.now_ms() + 60_000,
        &seg,
    )
    .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert_eq!(count(&app, "home", "media").await, 0);
    assert_eq!(count(&app, "eu", "media").await, at_home + 1);

    let log: Vec<Value> = owner
        .get("/api/v1/me/access-log")
        .await
        .json()
        .await
        .unwrap();
    let moved = log
        .iter()
        .find(|e| e["action"] == "residency.move")
        .expect("recorded");
    assert!(
        moved["object"].as_str().unwrap().contains("home -> eu"),
        "{moved}"
    );
}
