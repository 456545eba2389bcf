//! Data export (F13): everything held about a person in one ZIP, made in
//! the background, sealed at rest, downloadable until its link expires.

use std::io::Read;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::events::{motion, report, SNAPSHOT};
use crate::helpers::{assert_error, Person, TestApp};
use crate::recordings::{recording_camera, upload_demo};

/// Asks for an export and waits until it is ready; returns its view.
pub async fn ready_export(who: &Person) -> Value {
    let resp = who.post("/api/v1/me/exports", json!({})).await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    let id = resp.json::<Value>().await.unwrap()["id"].clone();
    for _ in 0..600 {
        let list: Vec<Value> = who.get("/api/v1/me/exports").await.json().await.unwrap();
        let export = list.into_iter().find(|e| e["id"] == id).unwrap();
        match export["state"].as_str().unwrap() {
            "ready" => return export,
            "failed" => panic!("export failed: {export}"),
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    panic!("export not ready within 30 s");
}

fn entry(archive: &mut zip::ZipArchive<std::io::Cursor<Vec<u8>>>, name: &str) -> Vec<u8> {
    let mut file = archive.by_name(name).unwrap_or_else(|_| panic!("{name}"));
    let mut out = Vec::new();
    file.read_to_end(&mut out).unwrap();
    out
}

fn json_entry(archive: &mut zip::ZipArchive<std::io::Cursor<Vec<u8>>>, name: &str) -> Value {
    serde_json::from_slice(&entry(archive, name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

// promise: F13
#[tokio::test]
async fn an_export_holds_everything_about_the_person_and_its_video_plays() {
    let app = TestApp::spawn().await;
    let cam = recording_camera(&app).await;
    upload_demo(&app, &cam, "a").await;
    // A pause longer than the gap tolerance: a second video file.
    app.advance(Duration::from_secs(60));
    upload_demo(&app, &cam, "b").await;
    let resp = report(&app, &cam.token, motion(&app), Some(SNAPSHOT)).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let owner = &cam.owner;
    let resp = owner
        .post(
            "/api/v1/me/requests",
            json!({"kind": "access", "details": "What do you hold about me?"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    owner.consent("usage_statistics", true).await;

    let export = ready_export(owner).await;
    assert_eq!(export["media_files"], 2);
    // Sealed at rest: no stored part of the archive is readable.
    let parts = app.blob_keys("exports").await;
    assert!(!parts.is_empty());
    for part in &parts {
        let raw = app.blob(part).await;
        for needle in [&b"account.json"[..], b"ftyp", b"owner@"] {
            assert!(
                !raw.windows(needle.len()).any(|w| w == needle),
                "plaintext in {part}"
            );
        }
    }

    let resp = owner.get(export["download_url"].as_str().unwrap()).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "application/zip");
    let bytes = resp.bytes().await.unwrap().to_vec();
    assert_eq!(bytes.len() as i64, export["bytes"].as_i64().unwrap());
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();

    let account = json_entry(&mut zip, "account.json");
    assert_eq!(account["format"], "camvault-export/1");
    assert_eq!(account["username"], "owner");
    assert!(!account["sessions"].as_array().unwrap().is_empty());
    let cameras = json_entry(&mut zip, "cameras.json");
    assert_eq!(cameras[0]["id"], cam.id);
    assert_eq!(cameras[0]["access"], "owner");
    let events = json_entry(&mut zip, "events.json");
    assert_eq!(events.as_array().unwrap().len(), 1);
    assert_eq!(events[0]["kind"], "motion");
    assert_eq!(events[0]["labels"], json!(["hallway"]));
    let snapshot = events[0]["snapshot"].as_str().unwrap().to_string();
    assert_eq!(entry(&mut zip, &snapshot), SNAPSHOT);
    let consents = json_entry(&mut zip, "consents.json");
    assert_eq!(consents["history"][0]["purpose"], "usage_statistics");
    let requests = json_entry(&mut zip, "requests.json");
    assert_eq!(requests[0]["details"], "What do you hold about me?");
    let log = json_entry(&mut zip, "access-log.json");
    assert!(log
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "privacy.export"));
    let manifest = json_entry(&mut zip, "manifest.json");
    let media = manifest["media"].as_array().unwrap();
    assert_eq!(media.len(), 2);

    for m in media {
        let path = m["path"].as_str().unwrap();
        let mp4 = entry(&mut zip, path);
        assert_eq!(mp4.len() as u64, m["bytes"].as_u64().unwrap());
        assert_eq!(&mp4[4..8], b"ftyp");
        crate::recordings::assert_plays_as_the_demo(path, &mp4);
    }

    let log: Vec<Value> = owner
        .get("/api/v1/me/access-log")
        .await
        .json()
        .await
        .unwrap();
    assert!(log.iter().any(|e| e["action"] == "privacy.export.download"));
}

// promise: F13
#[tokio::test]
async fn an_export_is_only_for_its_owner_and_its_link_expires() {
    let app = TestApp::spawn().await;
    let cam = recording_camera(&app).await;
    upload_demo(&app, &cam, "a").await;
    let export = ready_export(&cam.owner).await;
    let url = export["download_url"].as_str().unwrap();

    let other = app.person("other", domain::ports::Role::User).await;
    assert_error(other.get(url).await, StatusCode::NOT_FOUND, "not_found").await;
    let anonymous = reqwest::get(app.url(url)).await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    // Asking again while one is being made returns the same export.
    let again = cam.owner.post("/api/v1/me/exports", json!({})).await;
    let again: Value = again.json().await.unwrap();
    assert_ne!(again["id"], export["id"], "a finished export is not reused");
    let twice: Value = cam
        .owner
        .post("/api/v1/me/exports", json!({}))
        .await
        .json()
        .await
        .unwrap();
    if twice["state"] == "pending" || twice["state"] == "running" {
        assert_eq!(twice["id"], again["id"]);
    }

    ready_export(&cam.owner).await; // returns the open one, once done

    app.advance(Duration::from_secs(73 * 3600));
    assert_error(cam.owner.get(url).await, StatusCode::GONE, "export_expired").await;
    // The next round of the export job deletes the expired archive.
    let id = export["id"].as_str().unwrap();
    let parts_of_first = || async { app.blob_keys(&format!("exports/{id}")).await.len() };
    ready_export(&cam.owner).await;
    for _ in 0..100 {
        if parts_of_first().await == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(parts_of_first().await, 0);
    let list: Vec<Value> = cam
        .owner
        .get("/api/v1/me/exports")
        .await
        .json()
        .await
        .unwrap();
    let first = list.iter().find(|e| e["id"] == export["id"]).unwrap();
    assert_eq!(first["state"], "expired");
    assert_eq!(first["download_url"], Value::Null);
}

#[tokio::test]
async fn the_privacy_center_prepares_an_export_and_links_to_it() {
    let app = TestApp::spawn().await;
    let dana = app.person("dana", domain::ports::Role::User).await;
    let page = dana.text("/privacy-center").await;
    assert!(page.contains("Prepare a copy of my data"));
    crate::helpers::assert_no_inline_script("privacy center", &page);
    let resp = dana
        .submit_form(&page, "/privacy-center/exports", &[])
        .await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    assert!(resp.text().await.unwrap().contains("being prepared"));
    let export = ready_export(&dana).await;
    let page = dana.text("/privacy-center").await;
    let link = format!(
        "/api/v1/me/exports/{}/download",
        export["id"].as_str().unwrap()
    );
    assert!(page.contains(&link), "{page}");
    let zip = dana.bytes(&link).await;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    assert_eq!(json_entry(&mut zip, "account.json")["username"], "dana");
    // Nothing recorded: no media, and the archive says so.
    assert_eq!(json_entry(&mut zip, "manifest.json")["media"], json!([]));
    assert_eq!(json_entry(&mut zip, "events.json"), json!([]));
    // A form with a wrong CSRF token is refused.
    let resp = dana
        .post_form("/privacy-center/exports", &[("csrf", "forged")])
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}
