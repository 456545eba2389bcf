//! Observability. Prometheus metrics at `/metrics`: off without a token, refused without
//! it, and counting requests by route pattern (never the raw path),
//! segment uploads, live viewers, job runs and database connections. And a
//! request id on every answer.

use futures_util::StreamExt;
use reqwest::StatusCode;

use crate::helpers::TestApp;
use crate::recordings::{recording_camera, upload_demo};

const TOKEN: &str = "scrape-me-0123456789";

async fn scrape(app: &TestApp) -> String {
    let resp = reqwest::Client::new()
        .get(app.url("/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/openmetrics-text"));
    resp.text().await.unwrap()
}

/// The value of the sample line starting with `prefix`.
fn value(text: &str, prefix: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test]
async fn metrics_are_off_without_a_token() {
    let app = TestApp::spawn().await;
    let resp = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_scraper_with_the_token_sees_requests_ingest_viewers_jobs_and_pools() {
    let app = TestApp::spawn_with(|c| c.metrics_token = Some(TOKEN.into())).await;
    for auth in [None, Some("wrong")] {
        let mut req = reqwest::Client::new().get(app.url("/metrics"));
        if let Some(t) = auth {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    }

    let cam = recording_camera(&app).await;
    upload_demo(&app, &cam, "m").await;
    let segments = crate::recordings::demo().1;
    let bytes: usize = segments.iter().map(Vec::len).sum();
    // A request for a camera by id is counted under its route pattern.
    cam.owner.get(&cam.path("")).await;

    // A live viewer is counted while its socket is open.
    let token = cam.owner.api_token("metrics").await;
    let mut socket = crate::live::connect(&app, &cam, &token, None)
        .await
        .unwrap();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), socket.next()).await;
    let runs = |t: &str| value(t, "camvault_job_runs_total{job=\"recording_purge\"}");
    let before = runs(&scrape(&app).await).unwrap_or(0.0);
    camvault::jobs::purge_round(&app.core).await;

    let text = scrape(&app).await;
    assert_eq!(
        value(&text, "camvault_ingest_segments_total{outcome=\"stored\"}"),
        Some(segments.len() as f64),
        "{text}"
    );
    assert_eq!(
        value(&text, "camvault_ingest_bytes_total"),
        Some(bytes as f64)
    );
    assert_eq!(value(&text, "camvault_live_viewers "), Some(1.0), "{text}");
    assert!(
        text.contains(
            r#"camvault_http_requests_total{route="/api/v1/cameras/{id}",method="GET",status="200"}"#
        ),
        "{text}"
    );
    assert!(!text.contains(&format!("/api/v1/cameras/{}\"", cam.id)));
    assert!(text.contains("camvault_http_request_duration_seconds_bucket{"));
    assert_eq!(runs(&text), Some(before + 1.0));
    assert!(text.contains("camvault_db_connections{pool="), "{text}");
    assert!(!text.contains(TOKEN));

    drop(socket);
    for _ in 0..50 {
        if value(&scrape(&app).await, "camvault_live_viewers ") == Some(0.0) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the closed live socket is still counted");
}

#[tokio::test]
async fn every_answer_carries_a_request_id_kept_from_the_caller() {
    let app = TestApp::spawn().await;
    let made = app.client.get(app.url("/healthz")).send().await.unwrap();
    let id = made.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(id.len(), 36, "{id}");
    let other = app.client.get(app.url("/nowhere")).send().await.unwrap();
    assert_ne!(other.headers()["x-request-id"].to_str().unwrap(), id);
    // A proxy's (or another instance's) id goes on with the request.
    let kept = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "lb-7f3a-0042")
        .send()
        .await
        .unwrap();
    assert_eq!(kept.headers()["x-request-id"], "lb-7f3a-0042");
}
