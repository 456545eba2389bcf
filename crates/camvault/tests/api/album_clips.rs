//! Long clips in the album (C5, C4): put together from their pieces and
//! sealed a window at a time, never held whole; the place is removed
//! wherever the `moov` box lies, served back whole or by byte range.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_error, Person, TestApp};

const PLACE: &str = "+48.8577+002.2950/";

fn has_place(b: &[u8]) -> bool {
    b.windows(PLACE.len()).any(|w| w == PLACE.as_bytes())
}

/// A progressive MP4 with its `moov` (holding a `©xyz` place) after a
/// `mdat` of `media` bytes, as phones write a recording: the place lies
/// past every window but the last. Also returns where the `moov` starts.
fn clip_with_moov_at_end(media: usize) -> (Vec<u8>, usize) {
    let (init, _) = media::demo::demo_segments().unwrap();
    let tagged = media::fmp4::with_location(&init, PLACE).unwrap();
    let ftyp_len = u32::from_be_bytes(tagged[..4].try_into().unwrap()) as usize;
    let mut clip = tagged[..ftyp_len].to_vec();
    clip.extend_from_slice(&((media + 8) as u32).to_be_bytes());
    clip.extend_from_slice(b"mdat");
    clip.extend((0..media).map(|i| (i * 7 % 251) as u8));
    let moov_at = clip.len();
    clip.extend_from_slice(&tagged[ftyp_len..]);
    (clip, moov_at)
}

/// Starts an upload of a clip of `size` bytes; its id.
async fn start_upload(p: &Person, size: usize) -> String {
    let started: Value = p
        .post(
            "/api/v1/me/album/uploads",
            json!({"media_type": "video/mp4", "size": size}),
        )
        .await
        .json()
        .await
        .unwrap();
    started["id"].as_str().unwrap().to_string()
}

/// Sends `file` in pieces of `piece` bytes; the last answer.
async fn upload_in_pieces(p: &Person, file: &[u8], piece: usize) -> reqwest::Response {
    let started: Value = p
        .post(
            "/api/v1/me/album/uploads",
            json!({"media_type": "video/mp4", "size": file.len(), "name": "long.mp4"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let id = started["id"].as_str().unwrap().to_string();
    let mut offset = 0;
    loop {
        let end = (offset + piece).min(file.len());
        let resp = p
            .client
            .put(format!(
                "{}/api/v1/me/album/uploads/{id}?offset={offset}",
                p.base
            ))
            .header("x-csrf-token", &p.csrf)
            .body(file[offset..end].to_vec())
            .send()
            .await
            .unwrap();
        if end == file.len() || !resp.status().is_success() {
            return resp;
        }
        offset = end;
    }
}

// promise: C5
// promise: C4
#[tokio::test]
async fn a_long_clip_in_pieces_loses_its_place_wherever_its_moov_lies() {
    let app = TestApp::spawn().await;
    let ann = app.verified_person("ann", "ann@example.com").await;
    // 9 MiB of media: three pieces and several sealing windows.
    let (clip, moov_at) = clip_with_moov_at_end(9 * 1024 * 1024);
    assert!(has_place(&clip));
    let resp = upload_in_pieces(&ann, &clip, 4 * 1024 * 1024).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let item = resp.json::<Value>().await.unwrap()["item"].clone();
    assert_eq!(item["media_type"], "video/mp4");
    assert_eq!(item["location_kept"], false);
    assert_eq!(item["bytes"], clip.len());
    let id = item["id"].as_i64().unwrap();

    // Read back: the same length, the place gone, and every byte outside
    // the box that held it as sent.
    let stored = ann.bytes(&format!("/api/v1/me/album/{id}")).await;
    assert_eq!(stored.len(), clip.len());
    assert!(!has_place(&stored), "the place was stored");
    let differing: Vec<usize> = (0..clip.len()).filter(|&i| clip[i] != stored[i]).collect();
    assert!(!differing.is_empty());
    assert!(
        differing.iter().all(|&i| i >= moov_at),
        "bytes before the moov changed"
    );
    // As stored the clip is sealed; no piece is left behind.
    let sealed = app.blobs_under("album").await;
    assert_eq!(sealed.len(), 1, "a clip has no thumbnail");
    assert!(!sealed[0].windows(64).any(|w| w == &clip[100..164]));
    assert!(app.blob_keys("album-uploads").await.is_empty());

    // A byte range, as a video element seeking asks for it.
    let part = ann
        .client
        .get(format!("{}/api/v1/me/album/{id}", ann.base))
        .header("range", "bytes=5000000-5200009")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        part.headers()["content-range"],
        format!("bytes 5000000-5200009/{}", clip.len()).as_str()
    );
    assert_eq!(part.bytes().await.unwrap(), &stored[5_000_000..5_200_010]);
    let tail = ann
        .client
        .get(format!("{}/api/v1/me/album/{id}", ann.base))
        .header("range", "bytes=-100")
        .send()
        .await
        .unwrap();
    assert_eq!(tail.bytes().await.unwrap(), &stored[stored.len() - 100..]);
    let beyond = ann
        .client
        .get(format!("{}/api/v1/me/album/{id}", ann.base))
        .header("range", format!("bytes={}-", clip.len()))
        .send()
        .await
        .unwrap();
    assert_error(
        beyond,
        StatusCode::RANGE_NOT_SATISFIABLE,
        "range_not_satisfiable",
    )
    .await;

    // With the consent the clip is kept exactly as it came.
    ann.consent("location_tags", true).await;
    let resp = upload_in_pieces(&ann, &clip, 5 * 1024 * 1024).await;
    let item = resp.json::<Value>().await.unwrap()["item"].clone();
    assert_eq!(item["location_kept"], true);
    let kept = ann.bytes(&format!("/api/v1/me/album/{}", item["id"])).await;
    assert!(kept == clip, "the clip with consent was changed");
}

#[tokio::test]
async fn a_damaged_or_mislabelled_clip_in_pieces_is_refused_and_nothing_stays() {
    let app = TestApp::spawn().await;
    let ann = app.verified_person("ann", "ann@example.com").await;
    // The mdat claims more bytes than the file has.
    let (mut clip, moov_at) = clip_with_moov_at_end(3 * 1024 * 1024);
    let mdat_at = moov_at - 3 * 1024 * 1024 - 8;
    clip[mdat_at..mdat_at + 4].copy_from_slice(&u32::MAX.to_be_bytes());
    let resp = upload_in_pieces(&ann, &clip, 1024 * 1024).await;
    assert_error(resp, StatusCode::UNPROCESSABLE_ENTITY, "invalid_media").await;
    // A photo sent as a clip.
    let photo = include_bytes!("data/snapshot.jpg").to_vec();
    let resp = upload_in_pieces(&ann, &photo, 4096).await;
    assert_error(resp, StatusCode::UNPROCESSABLE_ENTITY, "invalid_media").await;
    assert!(app.blob_keys("album").await.is_empty());
    assert!(app.blob_keys("album-uploads").await.is_empty());
    let list: Vec<Value> = ann.get("/api/v1/me/album").await.json().await.unwrap();
    assert!(list.is_empty());
}

#[tokio::test]
async fn an_abandoned_upload_goes_after_a_day_and_erasure_takes_pieces_under_way() {
    let app = TestApp::spawn().await;
    let ann = app.verified_person("ann", "ann@example.com").await;
    let (clip, _) = clip_with_moov_at_end(64 * 1024);
    let send = |p: &Person, id: &str, offset: usize, body: Vec<u8>| {
        p.client
            .put(format!(
                "{}/api/v1/me/album/uploads/{id}?offset={offset}",
                p.base
            ))
            .header("x-csrf-token", &p.csrf)
            .body(body)
            .send()
    };
    let pieces = || async { app.blob_keys("album-uploads").await.len() };
    let id = start_upload(&ann, clip.len()).await;
    assert!(send(&ann, &id, 0, clip[..1000].to_vec())
        .await
        .unwrap()
        .status()
        .is_success());
    assert_eq!(pieces().await, 1);

    // Idle for less than a day it stays; past a day the round drops it.
    app.clock.advance(std::time::Duration::from_secs(23 * 3600));
    camvault::jobs::purge_round(&app.core).await;
    assert_eq!(pieces().await, 1);
    app.clock.advance(std::time::Duration::from_secs(2 * 3600));
    camvault::jobs::purge_round(&app.core).await;
    assert_eq!(pieces().await, 0);
    let resp = ann.get(&format!("/api/v1/me/album/uploads/{id}")).await;
    assert_error(resp, StatusCode::NOT_FOUND, "not_found").await;
    // A late piece finds nothing and leaves nothing.
    let late = send(&ann, &id, 1000, clip[1000..2000].to_vec())
        .await
        .unwrap();
    assert_error(late, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(pieces().await, 0);

    // Erasing the account takes the pieces of an upload under way too.
    let id = start_upload(&ann, clip.len()).await;
    send(&ann, &id, 0, clip[..1000].to_vec()).await.unwrap();
    assert_eq!(pieces().await, 1);
    let me: Value = ann.get("/api/v1/me").await.json().await.unwrap();
    let account = domain::ids::AccountId(me["id"].as_i64().unwrap());
    app.core.closures.erase(account).await.unwrap();
    assert_eq!(pieces().await, 0);
}
