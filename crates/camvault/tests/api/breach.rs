//! Breach notices (G6): an administrator writes one, picks the affected
//! accounts with a query, previews the count and sends it by email and in
//! the app; every delivery is recorded and none is repeated.

use std::time::Duration;

use domain::ports::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_error, Person, TestApp};

fn notice(audience: Value) -> Value {
    json!({
        "title": "Camera firmware leak",
        "what_happened": "On 20 November a debug port of Cube 2 firmware 1.3 exposed camera names.",
        "data_affected": "Your cameras' names and serial numbers; no video.",
        "measures": "Firmware 1.4 closes the port; it is installed on every camera.",
        "advice": "Rename cameras whose names hold your address.",
        "contact": "privacy@camvault.test",
        "audience": audience,
    })
}

/// Sends notice `id` as `admin`; the report.
async fn send(admin: &Person, id: i64) -> Value {
    let resp = admin
        .post(
            &format!("/api/v1/admin/breach-notices/{id}/send"),
            json!({}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    resp.json().await.unwrap()
}

/// A person owning a camera of `model`, provisioned for the occasion.
async fn owner_of(app: &TestApp, username: &str, email: Option<&str>, model: &str) -> Person {
    let p = match email {
        Some(e) => app.verified_person(username, e).await,
        None => app.person(username, Role::User).await,
    };
    let serial = format!("{}-{username}", &model[..4].to_uppercase());
    let csv = format!(
        "serial,model,verification_code,device_secret\n{serial},{model},CODEBRCH,secret-secret-brch\n"
    );
    app.core
        .cameras
        .provision(csv.as_bytes(), false)
        .await
        .unwrap();
    let resp = p
        .post(
            "/api/v1/cameras",
            json!({"serial": serial, "verification_code": "CODEBRCH"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    p
}

// promise: G6
#[tokio::test]
async fn a_notice_reaches_exactly_the_affected_by_email_and_in_the_app() {
    let app = TestApp::spawn().await;
    let admin = app.person("root", Role::Admin).await;
    let ann = owner_of(&app, "ann", Some("ann@example.com"), "Cube 2").await;
    let bob = owner_of(&app, "bob", None, "Cube 2").await;
    let cid = owner_of(&app, "cid", Some("cid@example.com"), "Dome 1").await;
    let audience = json!({"kind": "camera_model", "model": "Cube 2"});

    let resp = admin
        .post(
            "/api/v1/admin/breach-notices/preview",
            json!({ "audience": audience }),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let preview: Value = resp.json().await.unwrap();
    assert_eq!(preview, json!({"accounts": 2, "with_email": 1}));

    // Every part is required.
    let mut partial = notice(audience.clone());
    partial["advice"] = json!("  ");
    assert_error(
        admin.post("/api/v1/admin/breach-notices", partial).await,
        StatusCode::BAD_REQUEST,
        "invalid_input",
    )
    .await;
    let resp = admin
        .post("/api/v1/admin/breach-notices", notice(audience))
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let id = resp.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    // Nobody hears of it before it is sent.
    let none: Vec<Value> = ann.get("/api/v1/me/notices").await.json().await.unwrap();
    assert!(none.is_empty());

    let sent: Value = send(&admin, id).await;
    assert_eq!(
        sent,
        json!({"accounts": 2, "in_app": 2, "emailed": 1, "no_address": 1, "failed": 0})
    );
    let mails = app.outbox.to("ann@example.com");
    let mail = mails.last().unwrap();
    assert_eq!(mail.subject, "Security notice: Camera firmware leak");
    for part in [
        "debug port",
        "no video",
        "Firmware 1.4",
        "Rename cameras",
        "privacy@camvault.test",
    ] {
        assert!(mail.body.contains(part), "{part} in {}", mail.body);
    }
    assert!(app
        .outbox
        .to("cid@example.com")
        .iter()
        .all(|m| !m.subject.starts_with("Security")));

    // In the app: the two owners see it, on their account page too.
    for p in [&ann, &bob] {
        let mine: Vec<Value> = p.get("/api/v1/me/notices").await.json().await.unwrap();
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0]["title"], "Camera firmware leak");
    }
    assert!(bob
        .text("/account")
        .await
        .contains("Security notice: Camera firmware leak"));
    let theirs: Vec<Value> = cid.get("/api/v1/me/notices").await.json().await.unwrap();
    assert!(theirs.is_empty());

    // Each delivery is recorded.
    let got: Value = admin
        .get(&format!("/api/v1/admin/breach-notices/{id}"))
        .await
        .json()
        .await
        .unwrap();
    let mut deliveries: Vec<(String, String)> = got["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["channel"].as_str().unwrap().into(),
                d["status"].as_str().unwrap().into(),
            )
        })
        .collect();
    deliveries.sort();
    assert_eq!(
        deliveries,
        [
            ("email".to_string(), "no_address".to_string()),
            ("email".into(), "sent".into()),
            ("in_app".into(), "sent".into()),
            ("in_app".into(), "sent".into()),
        ]
    );
    assert!(got["notice"]["sent_at"].is_string());

    // Sending again repeats nothing.
    let again: Value = send(&admin, id).await;
    assert_eq!(
        again,
        json!({"accounts": 2, "in_app": 0, "emailed": 0, "no_address": 0, "failed": 0})
    );
    assert_eq!(app.outbox.to("ann@example.com").len(), mails.len());
}

#[tokio::test]
async fn bad_audiences_and_unknown_notices_are_refused() {
    let app = TestApp::spawn().await;
    let admin = app.person("root", Role::Admin).await;
    for audience in [
        json!({"kind": "accounts", "ids": []}),
        json!({"kind": "camera_model", "model": ""}),
    ] {
        assert_error(
            admin
                .post(
                    "/api/v1/admin/breach-notices/preview",
                    json!({ "audience": audience }),
                )
                .await,
            StatusCode::BAD_REQUEST,
            "invalid_input",
        )
        .await;
    }
    let resp = admin
        .post(
            "/api/v1/admin/breach-notices/preview",
            json!({"audience": {"kind": "planet", "name": "mars"}}),
        )
        .await;
    assert!(resp.status().is_client_error());
    assert_error(
        admin
            .post("/api/v1/admin/breach-notices/999/send", json!({}))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

// promise: G6
#[tokio::test]
async fn a_notice_goes_out_through_a_real_smtp_server() {
    let Some(smtp) = testkit::smtp::start() else {
        return;
    };
    let sender =
        delivery::SmtpSender::new(&smtp.url(), "camvault <security@camvault.test>").unwrap();
    let app = TestApp::spawn_with_mail(std::sync::Arc::new(sender)).await;
    let admin = app.person("root", Role::Admin).await;
    let ann = app.verified_person("ann", "ann@example.com").await;
    let id = crate::closures::account_id(&ann).await;
    let resp = admin
        .post(
            "/api/v1/admin/breach-notices",
            notice(json!({"kind": "accounts", "ids": [id]})),
        )
        .await;
    let nid = resp.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let before = smtp.mails().len();
    let sent: Value = send(&admin, nid).await;
    assert_eq!(sent["emailed"], 1);
    let mails = smtp
        .wait_for("ann@example.com", before + 1, Duration::from_secs(10))
        .await;
    assert_eq!(
        mails.last().unwrap().subject,
        "Security notice: Camera firmware leak"
    );
}
