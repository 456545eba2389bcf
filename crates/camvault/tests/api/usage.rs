//! Usage statistics (F14) count page views only with consent, never when
//! the browser sends Do Not Track or Global Privacy Control (F12), and the
//! report names no one.

use domain::ports::Role;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{Person, TestApp};

/// Opens a page, with extra headers.
async fn open(p: &Person, path: &str, headers: &[(&str, &str)]) {
    let mut req = p.client.get(format!("{}{path}", p.base));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    assert_eq!(req.send().await.unwrap().status(), StatusCode::OK, "{path}");
}

fn count(report: &Value, feature: &str) -> i64 {
    report["counts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["feature"] == feature)
        .map(|c| c["count"].as_i64().unwrap())
        .sum()
}

// promise: F12
// promise: F14
#[tokio::test]
async fn page_views_count_only_with_consent_and_never_under_dnt_or_gpc() {
    let app = TestApp::spawn().await;
    let ann = app.person("annwithconsent", Role::User).await;
    let bob = app.person("bobwithout", Role::User).await;
    ann.consent("usage_statistics", true).await;

    open(&ann, "/account", &[]).await;
    open(&ann, "/account", &[]).await;
    open(&ann, "/privacy-center", &[]).await;
    open(&ann, "/account", &[("DNT", "1")]).await;
    open(&ann, "/account", &[("Sec-GPC", "1")]).await;
    open(&bob, "/account", &[]).await;
    open(&bob, "/privacy-center", &[]).await;

    let admin = app.person("admin", Role::Admin).await;
    let report: Value = admin.get("/api/v1/admin/usage").await.json().await.unwrap();
    assert_eq!(count(&report, "/account"), 2, "{report}");
    assert_eq!(count(&report, "/privacy-center"), 1, "{report}");
    let id = report["installation_id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 36, "a random UUID: {id}");
    // Nothing that names a person, and the id stays the same.
    let text = report.to_string();
    for name in ["annwithconsent", "bobwithout", "admin"] {
        assert!(!text.contains(name), "{text}");
    }
    let again: Value = admin.get("/api/v1/admin/usage").await.json().await.unwrap();
    assert_eq!(again["installation_id"], id.as_str());

    // Withdrawing stops the counting at the next page.
    ann.consent("usage_statistics", false).await;
    open(&ann, "/account", &[]).await;
    let report: Value = admin.get("/api/v1/admin/usage").await.json().await.unwrap();
    assert_eq!(count(&report, "/account"), 2, "{report}");
}
