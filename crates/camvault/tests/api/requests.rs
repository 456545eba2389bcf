//! Formal rights requests (F7): the state machine, deadlines, written
//! reasons for refusals, repeats recognised, and who may see and move them.

use std::time::Duration;

use domain::ports::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_error, Person, TestApp};

const DAY: Duration = Duration::from_secs(86_400);

/// Asks for request `id` to take the step in `body`, as `who`.
async fn step(who: &Person, id: i64, body: Value) -> reqwest::Response {
    who.post(&format!("/api/v1/admin/requests/{id}/state"), body)
        .await
}

// promise: F7
#[tokio::test]
async fn a_request_moves_through_its_states_with_a_deadline_and_reasons() {
    let app = TestApp::spawn().await;
    let ann = app.person("ann-rights", Role::User).await;
    let admin = app.person("dpo", Role::Admin).await;

    let resp = ann
        .post(
            "/api/v1/me/requests",
            json!({"kind": "correction", "details": "My old address is still on an invoice."}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let r: Value = resp.json().await.unwrap();
    let id = r["id"].as_i64().unwrap();
    assert_eq!(r["state"], "received");
    assert_eq!(r["repeat_of"], Value::Null);
    // Due 30 days after it was made.
    let due = app.now_ms() + 30 * 86_400_000;
    assert_eq!(r["due_at"], rfc(due));

    // Only administrators see the queue or move requests.
    assert_eq!(
        ann.get("/api/v1/admin/requests").await.status(),
        StatusCode::FORBIDDEN
    );
    let resp = step(&ann, id, json!({"state": "verified"})).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    // Steps cannot be skipped.
    let skip = step(&admin, id, json!({"state": "completed"})).await;
    assert_error(skip, StatusCode::BAD_REQUEST, "invalid_input").await;
    for state in ["verified", "in_progress"] {
        let resp = step(&admin, id, json!({"state": state})).await;
        assert_eq!(resp.status(), StatusCode::OK, "{state}");
    }
    // A refusal without a written reason is refused.
    let bare = step(&admin, id, json!({"state": "refused", "reason": "  "})).await;
    assert_error(bare, StatusCode::BAD_REQUEST, "invalid_input").await;
    let resp = step(&admin, id, json!({"state": "refused", "reason": "Invoices must keep the address they were issued to."})).await;
    assert_eq!(resp.status(), StatusCode::OK);
    // Final: nothing moves it again.
    let again = step(&admin, id, json!({"state": "completed"})).await;
    assert_error(again, StatusCode::BAD_REQUEST, "invalid_input").await;

    // Ann sees the outcome, the reason and every step.
    let mine: Vec<Value> = ann.get("/api/v1/me/requests").await.json().await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["state"], "refused");
    assert_eq!(
        mine[0]["reason"],
        "Invoices must keep the address they were issued to."
    );
    let steps: Vec<&str> = mine[0]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["state"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["received", "verified", "in_progress", "refused"]);
    // Each administrator step is in Ann's access log.
    let log: Vec<Value> = ann.get("/api/v1/me/access-log").await.json().await.unwrap();
    assert!(
        log.iter().any(|e| e["action"] == "request.refused"),
        "{log:?}"
    );

    // Bad input.
    let resp = ann
        .post(
            "/api/v1/me/requests",
            json!({"kind": "telepathy", "details": "x"}),
        )
        .await;
    assert_error(resp, StatusCode::BAD_REQUEST, "invalid_input").await;
    let resp = ann
        .post(
            "/api/v1/me/requests",
            json!({"kind": "access", "details": "   "}),
        )
        .await;
    assert_error(resp, StatusCode::BAD_REQUEST, "invalid_input").await;
    let resp = ann
        .post(
            "/api/v1/me/requests",
            json!({"kind": "access", "details": "x".repeat(5000)}),
        )
        .await;
    assert_error(resp, StatusCode::BAD_REQUEST, "invalid_input").await;
}

// promise: F7
#[tokio::test]
async fn repeated_identical_requests_are_recognised_and_overdue_ones_flagged() {
    let app = TestApp::spawn().await;
    let bob = app.person("bob-rights", Role::User).await;
    let admin = app.person("dpo2", Role::Admin).await;
    let first: Value = bob
        .post(
            "/api/v1/me/requests",
            json!({"kind": "access", "details": "Which data do you hold about me?"}),
        )
        .await
        .json()
        .await
        .unwrap();
    app.advance(10 * DAY);
    // The same question in other spacing and case is a repeat of the first.
    let second: Value = bob
        .post(
            "/api/v1/me/requests",
            json!({"kind": "access", "details": "which data do you hold  about me"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(second["repeat_of"], first["id"]);
    // Another question is not.
    let other: Value = bob
        .post(
            "/api/v1/me/requests",
            json!({"kind": "access", "details": "Who watched my garage camera?"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(other["repeat_of"], Value::Null);

    // 25 days on, the first is due within a week; 31 days on, it is overdue.
    app.advance(15 * DAY);
    let queue: Vec<Value> = admin
        .get("/api/v1/admin/requests")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(queue.len(), 3);
    assert_eq!(queue[0]["id"], first["id"], "soonest due first");
    assert_eq!(
        (
            queue[0]["due_soon"].as_bool(),
            queue[0]["overdue"].as_bool()
        ),
        (Some(true), Some(false))
    );
    app.advance(6 * DAY);
    let queue: Vec<Value> = admin
        .get("/api/v1/admin/requests")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(queue[0]["overdue"], true);
    assert_eq!(queue[1]["overdue"], false);
    // Past the repeat window (90 days), the same words are a new request.
    app.advance(100 * DAY);
    let later: Value = bob
        .post(
            "/api/v1/me/requests",
            json!({"kind": "access", "details": "Which data do you hold about me?"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(later["repeat_of"], Value::Null);
}

fn rfc(ms: i64) -> String {
    web::time_fmt::rfc3339(domain::clock::Timestamp(ms))
}

#[tokio::test]
async fn requests_are_made_and_answered_from_the_pages() {
    let app = TestApp::spawn().await;
    let cleo = app.person("cleo-rights", Role::User).await;
    let admin = app.person("dpo3", Role::Admin).await;
    let center = cleo.text("/privacy-center").await;
    crate::helpers::assert_no_inline_script(&center, "/privacy-center");
    assert!(center.contains("Who accessed your data"));
    let resp = cleo
        .submit_form(
            &center,
            "/privacy-center/requests",
            &[
                ("kind", "objection"),
                (
                    "details",
                    "Please stop using my camera names in statistics.",
                ),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert!(resp
        .text()
        .await
        .unwrap()
        .contains("received; the answer is due by"));
    let bad = cleo
        .submit_form(
            &center,
            "/privacy-center/requests",
            &[("kind", "objection"), ("details", " ")],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);

    // Not for people who are not administrators.
    assert_eq!(
        cleo.get("/admin/requests").await.status(),
        StatusCode::FORBIDDEN
    );
    let queue = admin.text("/admin/requests").await;
    assert!(queue.contains("Please stop using my camera names in statistics."));
    let id = admin
        .get("/api/v1/admin/requests")
        .await
        .json::<Vec<Value>>()
        .await
        .unwrap()[0]["id"]
        .as_i64()
        .unwrap();
    let action = format!("/admin/requests/{id}/state");
    let resp = admin
        .submit_form(&queue, &action, &[("state", "verified")])
        .await;
    assert!(resp.status().is_redirection() || resp.status() == StatusCode::OK);
    let resp = admin
        .submit_form(&queue, &action, &[("state", "refused"), ("reason", "")])
        .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(resp.text().await.unwrap().contains("written reason"));
    let resp = admin
        .submit_form(
            &queue,
            &action,
            &[
                ("state", "refused"),
                ("reason", "Statistics hold no camera names."),
            ],
        )
        .await;
    assert!(resp.status().is_redirection() || resp.status() == StatusCode::OK);
    let center = cleo.text("/privacy-center").await;
    assert!(
        center.contains("refused") && center.contains("Statistics hold no camera names."),
        "{center}"
    );
}

// promise: F7
#[tokio::test]
async fn administrators_are_reminded_once_of_requests_due_within_a_week() {
    let app = TestApp::spawn_with(|c| c.purge_interval_secs = 1).await;
    app.verified_person_as("dpo4", "dpo@example.com", Role::Admin)
        .await;
    let gus = app.person("gus-rights", Role::User).await;
    let r: Value = gus
        .post(
            "/api/v1/me/requests",
            json!({"kind": "erasure", "details": "Erase my 2025 clips."}),
        )
        .await
        .json()
        .await
        .unwrap();
    let id = r["id"].as_i64().unwrap();
    let subject = format!("Rights request #{id} is due");
    let reminders = || {
        app.outbox
            .to("dpo@example.com")
            .into_iter()
            .filter(|m| m.subject.starts_with(&subject))
            .count()
    };
    // A fresh request is not due soon: no reminder.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(reminders(), 0);
    // 24 days on it is due within a week: one reminder, and only one.
    app.advance(24 * DAY);
    for _ in 0..100 {
        if reminders() > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(reminders(), 1);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(reminders(), 1, "reminded once");
}
