//! The integrations page: webhooks added and removed from the browser, their
//! delivery attempts shown, and the operator's MQTT set-up without secrets.

use std::time::Duration;

use domain::ports::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_no_inline_script, TestApp};

#[tokio::test]
async fn webhooks_are_added_shown_with_their_attempts_and_removed_on_the_page() {
    let app = TestApp::spawn().await;
    app.provision(1).await;
    let owner = app.person("hooker", Role::User).await;
    let cam = owner.bind(1).await;
    let token = app.device_token(1).await;

    let page = owner.text("/integrations").await;
    assert_no_inline_script(&page, "/integrations");
    assert!(page.contains("No webhooks yet."), "{page}");
    assert!(
        page.contains("MQTT is not set up on this server."),
        "{page}"
    );

    // A URL that is not one is refused with a message, and nothing is kept.
    let resp = owner
        .submit_form(&page, "/integrations/webhooks", &[("url", "not a url")])
        .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(owner
        .text("/integrations")
        .await
        .contains("No webhooks yet."));

    // Nobody listens on port 9: each attempt fails, and says so.
    let cam_field = cam.to_string();
    let resp = owner
        .submit_form(
            &page,
            "/integrations/webhooks",
            &[
                ("url", "http://127.0.0.1:9/hook"),
                ("camera", &cam_field),
                ("type", "motion"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let shown = resp.text().await.unwrap();
    assert!(
        shown.contains("id=\"webhook-secret\""),
        "the secret is shown once"
    );
    let hooks: Vec<Value> = owner.get("/api/v1/me/webhooks").await.json().await.unwrap();
    assert_eq!(hooks.len(), 1);
    assert_eq!(hooks[0]["camera_ids"], json!([cam]));
    assert_eq!(hooks[0]["event_types"], json!(["motion"]));
    let id = hooks[0]["id"].as_i64().unwrap();
    // Shown again later, the secret is not.
    let page = owner.text("/integrations").await;
    assert!(!page.contains("webhook-secret"));

    let resp = reqwest::Client::new()
        .post(app.url("/api/v1/device/events"))
        .bearer_auth(&token)
        .json(&json!({"type": "motion", "at_ms": app.now_ms()}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let mut attempts = Vec::new();
    for _ in 0..100 {
        attempts = owner
            .get(&format!("/api/v1/me/webhooks/{id}/deliveries"))
            .await
            .json::<Vec<Value>>()
            .await
            .unwrap();
        if !attempts.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!attempts.is_empty(), "an attempt is logged");
    let page = owner.text("/integrations").await;
    assert!(page.contains("http://127.0.0.1:9/hook"));
    assert!(page.contains("<table class=\"attempts\">"), "{page}");

    let resp = owner
        .submit_form(
            &page,
            "/integrations/webhooks/remove",
            &[("id", &id.to_string())],
        )
        .await;
    assert!(resp.status().is_redirection() || resp.status() == StatusCode::OK);
    let hooks: Vec<Value> = owner.get("/api/v1/me/webhooks").await.json().await.unwrap();
    assert!(hooks.is_empty());
    // Someone else's webhook cannot be removed from here.
    let other = app.person("other", Role::User).await;
    let page = other.text("/integrations").await;
    let resp = other
        .submit_form(&page, "/integrations/webhooks/remove", &[("id", "1")])
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_mqtt_set_up_is_shown_without_its_credentials() {
    let app = TestApp::spawn_with(|c| {
        c.mqtt_url = Some("mqtt://ha-user:broker-Pa55@127.0.0.1:9".into());
    })
    .await;
    let owner = app.person("homeassistant", Role::User).await;
    let page = owner.text("/integrations").await;
    assert!(page.contains("mqtt://127.0.0.1:9"), "{page}");
    assert!(page.contains("homeassistant/"), "{page}");
    assert!(!page.contains("broker-Pa55") && !page.contains("ha-user"));
}
