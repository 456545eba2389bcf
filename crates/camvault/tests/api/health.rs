//! Health, readiness and the API description.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::TestApp;

#[tokio::test]
async fn healthz_and_readyz_answer_ok() {
    let app = TestApp::spawn().await;
    let h: Value = app.get("/healthz").await.json().await.unwrap();
    assert_eq!(h["status"], "ok");
    let resp = app.get("/readyz").await;
    assert_eq!(resp.status(), StatusCode::OK);
    let r: Value = resp.json().await.unwrap();
    assert_eq!(r["database"], "ok");
    assert_eq!(r["blobs"], "ok");
}

#[tokio::test]
async fn readyz_fails_when_the_blob_store_is_unusable() {
    // The blob directory is what breaks here, so the blobs stay on disk.
    let app = TestApp::spawn_with(|c| c.blob_bucket = None).await;
    let blobs = app.config.data_dir.join("blobs");
    std::fs::remove_dir_all(&blobs).unwrap();
    // A file where the directory should be: nothing can be written.
    std::fs::write(&blobs, b"not a directory").unwrap();
    let resp = app.get("/readyz").await;
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    let r: Value = resp.json().await.unwrap();
    assert_eq!(r["blobs"], "unavailable");
    assert_eq!(r["database"], "ok");
}

#[tokio::test]
async fn the_openapi_document_describes_every_api_route() {
    let app = TestApp::spawn().await;
    let doc: Value = app.get("/api/openapi.json").await.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/v1/accounts",
        "/api/v1/me",
        "/api/v1/me/password",
        "/api/v1/me/contacts/{kind}",
        "/api/v1/me/contacts/{kind}/verify",
        "/api/v1/me/tokens",
        "/api/v1/sessions",
        "/api/v1/sessions/by-code",
        "/api/v1/login-codes",
        "/api/v1/setup",
        "/readyz",
    ] {
        assert!(paths.contains_key(p), "missing {p}");
    }
    let docs = app.get("/api/docs").await;
    assert_eq!(docs.status(), StatusCode::OK);
    let html = docs.text().await.unwrap();
    assert!(html.contains("/api/v1/sessions/by-code"));
    assert!(!html.contains("<script"), "the docs page needs no script");
}
