//! The server on an S3-compatible bucket (`blob_bucket`) instead of a
//! local directory: recording, playback, the album and readiness go through
//! the bucket, and nothing lands in the blob directory. Needs
//! `CAMVAULT_TEST_S3_ENDPOINT` (the test command starts `moto`); required
//! with `CI=true`, skipped with a reason elsewhere.

use domain::ports::BlobStore;
use reqwest::StatusCode;
use serde_json::Value;
use store::ObjectBlobStore;

use crate::helpers::{files_under, s3_settings, use_bucket, TestApp};
use crate::recordings::{demo, recording_camera, upload_demo};

// promise: C1
#[tokio::test]
async fn recordings_and_the_album_live_in_the_bucket_sealed() {
    let Some((endpoint, name)) = testkit::s3::fresh_bucket("camvault").await else {
        return;
    };
    let app = TestApp::spawn_with(|c| use_bucket(c, &endpoint, &name)).await;
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);

    // Record, then play back a segment whole and by range.
    let cam = recording_camera(&app).await;
    let (from, to) = upload_demo(&app, &cam, "s3").await;
    let playlist = cam
        .owner
        .text(&cam.path(&format!("/recordings.m3u8?from={from}&to={to}")))
        .await;
    let first = playlist.lines().find(|l| l.ends_with(".m4s")).unwrap();
    let url = cam.path(&format!("/{first}"));
    let whole = cam.owner.bytes(&url).await;
    assert_eq!(whole, demo().1[0]);
    let part = cam
        .owner
        .client
        .get(app.url(&url))
        .header("range", "bytes=70000-140000")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.bytes().await.unwrap(), &whole[70_000..140_001]);

    // An album photo goes to the bucket too.
    let photo = include_bytes!("data/snapshot.jpg").to_vec();
    let item: Value = cam
        .owner
        .client
        .post(app.url("/api/v1/me/album"))
        .header("x-csrf-token", &cam.owner.csrf)
        .header("content-type", "image/jpeg")
        .body(photo.clone())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let stored = cam
        .owner
        .bytes(&format!("/api/v1/me/album/{}", item["id"]))
        .await;
    assert_eq!(stored, photo);

    // The bucket holds them, sealed; the blob directory holds nothing.
    assert!(files_under(&app.config.blob_dir()).is_empty());
    let store = ObjectBlobStore::s3(&s3_settings(&endpoint), &name).unwrap();
    let media = store.list("media/").await.unwrap();
    assert!(media.len() > demo().1.len(), "{media:?}");
    let album = store.list("album/").await.unwrap();
    assert_eq!(album.len(), 2, "the photo and its thumbnail");
    for (key, _) in media.iter().chain(&album) {
        let sealed = store.get(key).await.unwrap().unwrap();
        assert!(sealed.starts_with(b"CVB1"), "{key} is not sealed");
        assert!(!sealed.windows(64).any(|w| w == &whole[1000..1064]));
        assert!(!sealed.windows(64).any(|w| w == &photo[1000..1064]));
    }
}
