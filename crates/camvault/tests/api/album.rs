//! The album (C5): photos and clips stored encrypted like camera media,
//! listed, downloaded, deleted; uploaded whole or in pieces that survive a
//! dropped connection. Where a photo was taken is removed before it is
//! sealed unless the person consents to location tags (C4), and the stored
//! bytes are read back to prove it.

use media::album::{heic_with_gps_exif, holds_sample_latitude, with_gps_exif};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_error, Person, TestApp};

fn photo() -> Vec<u8> {
    with_gps_exif(include_bytes!("data/snapshot.jpg"))
}

async fn upload(p: &Person, media_type: &str, body: Vec<u8>) -> reqwest::Response {
    p.client
        .post(format!("{}/api/v1/me/album?name=IMG_0001.JPG", p.base))
        .header("x-csrf-token", &p.csrf)
        .header("content-type", media_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

/// The album's stored blobs, as sealed.
async fn sealed_files(app: &TestApp) -> Vec<Vec<u8>> {
    app.blobs_under("album").await
}

// promise: C5
// promise: C4
#[tokio::test]
async fn photos_are_stored_sealed_and_lose_their_place_without_consent() {
    let app = TestApp::spawn().await;
    let ann = app.verified_person("ann", "ann@example.com").await;
    assert!(holds_sample_latitude(&photo()));

    // Without the location-tags consent the place goes before sealing.
    let resp = upload(&ann, "image/jpeg", photo()).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let item: Value = resp.json().await.unwrap();
    assert_eq!(item["media_type"], "image/jpeg");
    assert_eq!(item["name"], "IMG_0001.JPG");
    assert_eq!(item["location_kept"], false);
    let id = item["id"].as_i64().unwrap();
    let stored = ann.bytes(&format!("/api/v1/me/album/{id}")).await;
    assert!(!holds_sample_latitude(&stored), "the place was stored");
    assert!(stored.starts_with(&[0xFF, 0xD8, 0xFF]) && stored.len() == photo().len());
    // As stored the file is sealed: neither the photo nor its Exif shows.
    // A thumbnail of the pixels only: small, and without any Exif.
    assert_eq!(item["has_thumbnail"], true);
    let thumb = ann
        .bytes(&format!("/api/v1/me/album/{id}/thumbnail.jpg"))
        .await;
    let size = imagesize::blob_size(&thumb).unwrap();
    assert!(size.width <= 320 && size.height <= 320, "{size:?}");
    assert!(!thumb.windows(4).any(|w| w == b"Exif"));
    let files = sealed_files(&app).await;
    assert_eq!(files.len(), 2, "the photo and its thumbnail");
    assert!(!files[0].windows(4).any(|w| w == b"Exif"));
    assert!(!files[0]
        .windows(stored.len().min(64))
        .any(|w| w == &stored[..64]));

    // With the consent, it is kept as it came.
    ann.consent("location_tags", true).await;
    let item: Value = upload(&ann, "image/jpeg", photo())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(item["location_kept"], true);
    let kept = ann.bytes(&format!("/api/v1/me/album/{}", item["id"])).await;
    assert_eq!(kept, photo());

    // Listed newest first; someone else sees none of it; deleting removes the file.
    let list: Vec<Value> = ann.get("/api/v1/me/album").await.json().await.unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["id"], item["id"]);
    let bob = app.verified_person("bob", "bob@example.com").await;
    let resp = bob.get(&format!("/api/v1/me/album/{id}")).await;
    assert_error(resp, StatusCode::NOT_FOUND, "not_found").await;
    let resp = bob.delete(&format!("/api/v1/me/album/{id}")).await;
    assert_error(resp, StatusCode::NOT_FOUND, "not_found").await;
    let resp = ann.delete(&format!("/api/v1/me/album/{id}")).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        sealed_files(&app).await.len(),
        2,
        "the other photo and its thumbnail"
    );
}

// promise: C5
#[tokio::test]
async fn bad_files_are_refused_and_nothing_is_half_stored() {
    let app = TestApp::spawn().await;
    let ann = app.verified_person("ann", "ann@example.com").await;
    // Text sent as a JPEG, a PNG sent as a JPEG, an empty file, no type.
    let resp = upload(&ann, "image/jpeg", b"not a photo at all".to_vec()).await;
    assert_error(resp, StatusCode::UNPROCESSABLE_ENTITY, "invalid_media").await;
    let resp = upload(&ann, "image/jpeg", b"\x89PNG\r\n\x1a\n0000".to_vec()).await;
    assert_error(resp, StatusCode::UNPROCESSABLE_ENTITY, "invalid_media").await;
    let resp = upload(&ann, "image/jpeg", Vec::new()).await;
    assert_error(resp, StatusCode::BAD_REQUEST, "invalid_input").await;
    let resp = ann
        .client
        .post(format!("{}/api/v1/me/album", ann.base))
        .header("x-csrf-token", &ann.csrf)
        .body(photo())
        .send()
        .await
        .unwrap();
    assert_error(
        resp,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    // A HEIC file without a `meta` box holds no picture: damaged.
    let heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic".to_vec();
    let resp = upload(&ann, "image/heic", heic).await;
    let body = assert_error(resp, StatusCode::UNPROCESSABLE_ENTITY, "invalid_media").await;
    assert!(body["error"]["message"].as_str().unwrap().contains("HEIC"));
    // Larger than a whole upload may be: 413; a piece upload larger than a photo may be: 413.
    let resp = upload(&ann, "image/jpeg", vec![0xFF; 65 * 1024 * 1024]).await;
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let resp = ann
        .post(
            "/api/v1/me/album/uploads",
            json!({"media_type": "image/jpeg", "size": 60 * 1024 * 1024}),
        )
        .await;
    assert_error(resp, StatusCode::PAYLOAD_TOO_LARGE, "body_too_large").await;
    assert!(
        sealed_files(&app).await.is_empty(),
        "nothing refused was stored"
    );
    let list: Vec<Value> = ann.get("/api/v1/me/album").await.json().await.unwrap();
    assert!(list.is_empty());
}

// promise: C5
// promise: C4
#[tokio::test]
async fn a_heic_photo_loses_its_place_without_consent_and_keeps_it_with() {
    let app = TestApp::spawn().await;
    let ann = app.verified_person("ann", "ann@example.com").await;
    let heic = heic_with_gps_exif();
    assert!(holds_sample_latitude(&heic));

    // Without the consent the Exif item's GPS directory is emptied in place.
    let resp = upload(&ann, "image/heic", heic.clone()).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let item: Value = resp.json().await.unwrap();
    assert_eq!(item["media_type"], "image/heic");
    assert_eq!(item["location_kept"], false);
    assert_eq!(item["has_thumbnail"], false);
    let stored = ann.bytes(&format!("/api/v1/me/album/{}", item["id"])).await;
    assert!(!holds_sample_latitude(&stored), "the place was stored");
    assert_eq!(stored.len(), heic.len(), "an offset would have moved");
    assert_eq!(stored[..24], heic[..24], "no longer the same HEIC");

    // With the consent, it is kept as it came.
    ann.consent("location_tags", true).await;
    let item: Value = upload(&ann, "image/heic", heic.clone())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(item["location_kept"], true);
    let kept = ann.bytes(&format!("/api/v1/me/album/{}", item["id"])).await;
    assert_eq!(kept, heic);
}

// promise: C5
#[tokio::test]
async fn a_large_file_comes_in_pieces_and_resumes_after_a_dropped_connection() {
    let app = TestApp::spawn().await;
    let ann = app.verified_person("ann", "ann@example.com").await;
    let file = photo();
    let started: Value = ann
        .post(
            "/api/v1/me/album/uploads",
            json!({"media_type": "image/jpeg", "size": file.len(), "name": "big.jpg"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let id = started["id"].as_str().unwrap().to_string();
    assert_eq!(started["offset"], 0);
    let put = |offset: usize, body: reqwest::Body| {
        ann.client
            .put(format!(
                "{}/api/v1/me/album/uploads/{id}?offset={offset}",
                ann.base
            ))
            .header("x-csrf-token", &ann.csrf)
            .body(body)
            .send()
    };
    let half = file.len() / 2;
    let resp = put(0, file[..half].to_vec().into()).await.unwrap();
    assert_eq!(resp.json::<Value>().await.unwrap()["offset"], half);

    // The connection drops in the middle of the second piece: nothing of
    // it counts, and the upload still stands at the first piece's end.
    let rest = file[half..].to_vec();
    let broken = futures_util::stream::iter(vec![
        Ok::<_, std::io::Error>(rest[..10].to_vec()),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "dropped",
        )),
    ]);
    assert!(put(half, reqwest::Body::wrap_stream(broken)).await.is_err());
    let status: Value = ann
        .get(&format!("/api/v1/me/album/uploads/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status["offset"], half);

    // A piece at another offset is refused, and changes nothing.
    let resp = put(half + 10, rest[10..].to_vec().into()).await.unwrap();
    assert_error(resp, StatusCode::CONFLICT, "upload_offset_mismatch").await;
    let resp = put(0, file[..half].to_vec().into()).await.unwrap();
    assert_error(resp, StatusCode::CONFLICT, "upload_offset_mismatch").await;

    // Resumed from where it stood, the last piece completes the photo,
    // which goes through the same checks (its place removed).
    let done: Value = put(half, rest.into()).await.unwrap().json().await.unwrap();
    let item = &done["item"];
    assert_eq!(item["name"], "big.jpg");
    assert_eq!(item["location_kept"], false);
    let stored = ann.bytes(&format!("/api/v1/me/album/{}", item["id"])).await;
    assert_eq!(stored.len(), file.len());
    assert!(!holds_sample_latitude(&stored));
    // The pieces are gone; the upload is finished.
    assert!(app.blob_keys("album-uploads").await.is_empty());
    let resp = ann.get(&format!("/api/v1/me/album/uploads/{id}")).await;
    assert_error(resp, StatusCode::NOT_FOUND, "not_found").await;
}

// promise: C5
#[tokio::test]
async fn the_album_pages_upload_without_script_show_view_and_delete() {
    let app = TestApp::spawn().await;
    let ann = app.verified_person("ann", "ann@example.com").await;
    let page = ann.text("/album").await;
    assert!(page.contains("Nothing here yet."));
    crate::helpers::assert_no_inline_script("album", &page);
    let csrf = crate::helpers::csrf_in(&page);
    let form = reqwest::multipart::Form::new().text("csrf", csrf).part(
        "file",
        reqwest::multipart::Part::bytes(photo())
            .file_name("beach.jpg")
            .mime_str("image/jpeg")
            .unwrap(),
    );
    let resp = ann
        .client
        .post(format!("{}/album/upload", ann.base))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let list: Vec<Value> = ann.get("/api/v1/me/album").await.json().await.unwrap();
    let id = list[0]["id"].as_i64().unwrap();
    assert_eq!(list[0]["name"], "beach.jpg");
    let page = ann.text("/album").await;
    assert!(
        page.contains(&format!("src=\"/api/v1/me/album/{id}/thumbnail.jpg\"")),
        "{page}"
    );
    let viewer = ann.text(&format!("/album/{id}")).await;
    assert!(viewer.contains("beach.jpg") && viewer.contains("Download"));
    let resp = ann
        .submit_form(&viewer, &format!("/album/{id}/delete"), &[])
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        ann.get(&format!("/album/{id}")).await.status(),
        StatusCode::NOT_FOUND
    );
}

// promise: C5
#[tokio::test]
async fn the_album_is_in_the_data_export_as_stored() {
    use std::io::Read;
    let app = TestApp::spawn().await;
    let ann = app.verified_person("ann", "ann@example.com").await;
    let item: Value = upload(&ann, "image/jpeg", photo())
        .await
        .json()
        .await
        .unwrap();
    let id = item["id"].as_i64().unwrap();
    let stored = ann.bytes(&format!("/api/v1/me/album/{id}")).await;

    let export = crate::exports::ready_export(&ann).await;
    let zip = ann.bytes(export["download_url"].as_str().unwrap()).await;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let mut file = Vec::new();
    archive
        .by_name(&format!("album/{id}.jpg"))
        .unwrap()
        .read_to_end(&mut file)
        .unwrap();
    assert_eq!(file, stored, "the export holds the photo as stored");
    assert!(!holds_sample_latitude(&file));
    let mut manifest = Vec::new();
    archive
        .by_name("manifest.json")
        .unwrap()
        .read_to_end(&mut manifest)
        .unwrap();
    let manifest: Value = serde_json::from_slice(&manifest).unwrap();
    assert_eq!(manifest["album"][0]["path"], format!("album/{id}.jpg"));
    assert_eq!(manifest["album"][0]["name"], "IMG_0001.JPG");
    assert_eq!(manifest["album"][0]["location_kept"], false);
}
