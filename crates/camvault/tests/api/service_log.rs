//! The service log and the retention engine (F15, F9): sign-ins are logged
//! with their address, which loses its host part after a few days; old
//! entries, idle throttles and long-finished requests go; a dry run only
//! counts.

use std::time::Duration;

use domain::ports::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{TestApp, PASSWORD};

fn count(items: &[domain::privacy::retention::RetentionItem], class: &str, rule: &str) -> u64 {
    items
        .iter()
        .find(|i| i.class == class && i.rule.contains(rule))
        .unwrap_or_else(|| panic!("{class} {rule} in {items:?}"))
        .count
}

// promise: F15
#[tokio::test]
async fn sign_ins_are_logged_and_their_addresses_truncated_then_deleted() {
    let app = TestApp::spawn().await;
    let ann = app.person("ann", Role::User).await;
    let (status, _) = app.sign_in("ann", "wrong password").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let activity: Vec<Value> = ann.get("/api/v1/me/activity").await.json().await.unwrap();
    let kinds: Vec<&str> = activity
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["sign_in_failed", "sign_in"]);
    assert!(activity.iter().all(|e| e["ip"] == "127.0.0.1"));

    let admin = app.person("admin", Role::Admin).await;
    let dry: Vec<Value> = admin
        .get("/api/v1/admin/retention")
        .await
        .json()
        .await
        .unwrap();
    assert!(dry.iter().all(|i| i["count"] == 0), "{dry:?}");

    // A week on: the dry run lists the addresses and changes nothing.
    app.advance(Duration::from_secs(8 * 86_400));
    let items = app.core.retention.run(true).await.unwrap();
    assert!(count(&items, "service_log", "truncated") >= 3, "{items:?}");
    assert!(count(&items, "throttles", "untouched") >= 1, "{items:?}");
    let activity: Vec<Value> = ann.get("/api/v1/me/activity").await.json().await.unwrap();
    assert!(activity.iter().all(|e| e["ip"] == "127.0.0.1"));

    let done = app.core.retention.run(false).await.unwrap();
    assert_eq!(
        count(&done, "service_log", "truncated"),
        count(&items, "service_log", "truncated")
    );
    let activity: Vec<Value> = ann.get("/api/v1/me/activity").await.json().await.unwrap();
    assert_eq!(activity.len(), 2);
    assert!(
        activity.iter().all(|e| e["ip"] == "127.0.0.0"),
        "{activity:?}"
    );
    let again = app.core.retention.run(true).await.unwrap();
    assert_eq!(count(&again, "service_log", "truncated"), 0);
    assert_eq!(count(&again, "throttles", "untouched"), 0);

    // A month on: the entries are gone.
    app.advance(Duration::from_secs(31 * 86_400));
    let done = app.core.retention.run(false).await.unwrap();
    assert!(
        count(&done, "service_log", "deleted after") >= 3,
        "{done:?}"
    );
    let (status, _) = app.sign_in("ann", PASSWORD).await;
    assert_eq!(status, StatusCode::CREATED);
    let again = app.core.retention.run(true).await.unwrap();
    assert_eq!(count(&again, "service_log", "deleted after"), 0);
}

// promise: F9
#[tokio::test]
async fn finished_requests_are_deleted_three_years_after_their_answer() {
    let app = TestApp::spawn().await;
    let ann = app.person("ann", Role::User).await;
    let admin = app.person("admin", Role::Admin).await;
    let ann_id = domain::ids::AccountId(
        ann.get("/api/v1/me").await.json::<Value>().await.unwrap()["id"]
            .as_i64()
            .unwrap(),
    );
    for details in ["What do you hold?", "Correct my name"] {
        let resp = ann
            .post(
                "/api/v1/me/requests",
                json!({"kind": "access", "details": details}),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::CREATED);
    }
    let mine: Vec<Value> = ann.get("/api/v1/me/requests").await.json().await.unwrap();
    let answered = mine[0]["id"].as_i64().unwrap();
    for state in ["verified", "in_progress", "completed"] {
        let resp = admin
            .post(
                &format!("/api/v1/admin/requests/{answered}/state"),
                json!({"state": state, "reason": "done"}),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::OK, "{state}");
    }
    app.advance(Duration::from_secs(3 * 365 * 86_400 - 86_400));
    let items = app.core.retention.run(true).await.unwrap();
    assert_eq!(count(&items, "rights_requests", "finished"), 0);
    app.advance(Duration::from_secs(2 * 86_400));
    let items = app.core.retention.run(false).await.unwrap();
    // Only the answered one: an open request is never deleted.
    assert_eq!(count(&items, "rights_requests", "finished"), 1);
    let left = app.core.requests.mine(ann_id).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_ne!(left[0].id, answered);
}
