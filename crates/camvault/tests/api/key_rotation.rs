//! Master-key rotation (`camvault admin rotate-keys`): recordings made
//! before it still play after it, the key file's master key line is kept
//! (sessions and every other derived secret go on working), and the old
//! wrapping key no longer opens anyone's video.

use camvault::config::Config;
use reqwest::StatusCode;

use crate::helpers::{Person, TestApp};
use crate::recordings::{demo, recording_camera, upload_demo};

/// A server on `saved`'s database, keys and blobs (its own data directory).
async fn restart(saved: &Config, key_file: std::path::PathBuf) -> TestApp {
    let saved = saved.clone();
    TestApp::spawn_with(move |c| {
        c.database_url = saved.database_url.clone();
        c.key_vault_dir = saved.key_vault_dir.clone();
        c.blob_dir = saved.blob_dir.clone();
        c.blob_bucket = saved.blob_bucket.clone();
        c.s3_endpoint = saved.s3_endpoint.clone();
        c.s3_region = saved.s3_region.clone();
        c.s3_access_key_id = saved.s3_access_key_id.clone();
        c.s3_secret_access_key = saved.s3_secret_access_key.clone();
        c.s3_path_style = saved.s3_path_style;
        c.s3_allow_http = saved.s3_allow_http;
        c.master_key_file = Some(key_file);
    })
    .await
}

// promise: G2
#[tokio::test]
async fn rotating_the_master_key_rewraps_account_keys_and_keeps_every_recording() {
    let shared = tempfile::tempdir().unwrap();
    let db = testkit::test_database_url(shared.path()).await;
    let root = shared.path().to_path_buf();
    let key_file = root.join("master.key");
    let first = TestApp::spawn_with(|c| {
        c.database_url = Some(db);
        c.master_key_file = Some(key_file.clone());
        c.key_vault_dir = Some(root.join("keys"));
        c.blob_dir = Some(root.join("blobs"));
    })
    .await;
    let cam = recording_camera(&first).await;
    let (from, to) = upload_demo(&first, &cam, "rot").await;
    let playlist_path = cam.path(&format!("/recordings.m3u8?from={from}&to={to}"));
    let playlist = cam.owner.text(&playlist_path).await;
    let segment = playlist.lines().find(|l| l.ends_with(".m4s")).unwrap();
    let segment_path = cam.path(&format!("/{segment}"));
    assert_eq!(cam.owner.bytes(&segment_path).await, demo().1[0]);
    let saved = first.config.clone();
    let (client, csrf) = (cam.owner.client.clone(), cam.owner.csrf.clone());
    drop(first);

    let before = std::fs::read_to_string(&key_file).unwrap();
    let old_copy = root.join("old.key");
    std::fs::copy(&key_file, &old_copy).unwrap();
    let done = camvault::rotate::rotate_account_keys(&saved).await.unwrap();
    assert_eq!(done.rewrapped, 1, "the owner's account key");
    let after = std::fs::read_to_string(&key_file).unwrap();
    let lines: Vec<&str> = after.lines().collect();
    assert_eq!(lines.len(), 2, "the master key and one wrapping key");
    assert_eq!(lines[0], before.trim(), "the master key itself is kept");
    assert!(lines[1].starts_with("wrapping "));

    // The same session (derived secrets unchanged) plays the same video.
    let app = restart(&saved, key_file.clone()).await;
    let owner = Person {
        client: client.clone(),
        csrf: csrf.clone(),
        base: app.base.clone(),
    };
    assert_eq!(owner.bytes(&segment_path).await, demo().1[0]);
    drop(app);

    // A second rotation replaces the wrapping key again.
    let again = camvault::rotate::rotate_account_keys(&saved).await.unwrap();
    assert_eq!(again.rewrapped, 1);
    let third = std::fs::read_to_string(&key_file).unwrap();
    assert_eq!(third.lines().count(), 2);
    assert_ne!(third.lines().nth(1), Some(lines[1]));

    // The key file from before the rotation no longer opens the video.
    let stale = restart(&saved, old_copy).await;
    let owner = Person {
        client,
        csrf,
        base: stale.base.clone(),
    };
    let resp = owner
        .client
        .get(stale.url(&segment_path))
        .send()
        .await
        .unwrap();
    assert_ne!(resp.status(), StatusCode::OK);
}
