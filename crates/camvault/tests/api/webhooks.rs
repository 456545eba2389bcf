//! Webhooks: owners' URLs receive their cameras' events as signed JSON
//! POSTs, failures are retried with back-off, each webhook has a delivery
//! log, and nobody else's events or webhooks are ever reachable.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode as AxumStatus};
use domain::ports::Role;
use hmac::{Hmac, Mac};
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::helpers::{assert_error, Person, TestApp};
use crate::recordings::recording_camera;

const SNAPSHOT: &[u8] = include_bytes!("data/snapshot.jpg");

/// One request a receiver got.
#[derive(Debug, Clone)]
struct Received {
    headers: HeaderMap,
    body: String,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }

    fn header(&self, name: &str) -> &str {
        self.headers[name].to_str().unwrap()
    }
}

/// A webhook receiver on loopback that keeps every request and answers
/// 500 to the first `fail_first` of them.
struct Receiver {
    url: String,
    log: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    async fn start(fail_first: usize) -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let log: Arc<Mutex<Vec<Received>>> = Arc::default();
        let failures = Arc::new(AtomicUsize::new(fail_first));
        let kept = log.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let (kept, failures) = (kept.clone(), failures.clone());
                async move {
                    kept.lock().unwrap().push(Received { headers, body });
                    let fail = failures
                        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                        .is_ok();
                    if fail {
                        AxumStatus::INTERNAL_SERVER_ERROR
                    } else {
                        AxumStatus::OK
                    }
                }
            }),
        );
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver { url, log }
    }

    fn received(&self) -> Vec<Received> {
        self.log.lock().unwrap().clone()
    }

    /// Waits until `n` requests arrived (the job runs every second).
    async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..100 {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "expected {n} webhook requests, got {}",
            self.received().len()
        );
    }
}

/// Registers a webhook; asserts 201 and returns the answer.
async fn create(p: &Person, body: Value) -> Value {
    let resp = p.post("/api/v1/me/webhooks", body).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    resp.json().await.unwrap()
}

/// Reports an event as the device holding `token`, with an optional snapshot.
async fn report(app: &TestApp, token: &str, kind: &str, snapshot: bool) -> Value {
    let event = json!({"type": kind, "at_ms": app.now_ms(), "score": 0.8, "labels": ["Hallway"]});
    let req = reqwest::Client::new()
        .post(app.url("/api/v1/device/events"))
        .bearer_auth(token);
    let req = if snapshot {
        let form = reqwest::multipart::Form::new()
            .part(
                "event",
                reqwest::multipart::Part::text(event.to_string())
                    .mime_str("application/json")
                    .unwrap(),
            )
            .part(
                "snapshot",
                reqwest::multipart::Part::bytes(SNAPSHOT.to_vec())
                    .mime_str("image/jpeg")
                    .unwrap(),
            );
        req.multipart(form)
    } else {
        req.json(&event)
    };
    let resp: Response = req.send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    resp.json().await.unwrap()
}

/// The delivery log of webhook `id`, newest first, once it has `n` entries.
async fn log_of(p: &Person, id: &Value, n: usize) -> Vec<Value> {
    for _ in 0..100 {
        let resp = p.get(&format!("/api/v1/me/webhooks/{id}/deliveries")).await;
        assert_eq!(resp.status(), StatusCode::OK);
        let log: Vec<Value> = resp.json().await.unwrap();
        if log.len() >= n {
            return log;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the delivery log never reached {n} entries");
}

/// Whether a request's signature verifies the way a receiver checks it.
fn signed(req: &Received, secret: &str) -> bool {
    let timestamp = req.header("x-camvault-timestamp");
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.{}", req.body).as_bytes());
    let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    req.header("x-camvault-signature") == expected
}

// promise: D1
#[tokio::test]
async fn an_event_reaches_the_webhook_signed_with_the_secret_shown_once() {
    let app = TestApp::spawn().await;
    let cam = recording_camera(&app).await;
    let receiver = Receiver::start(0).await;
    let hook = create(&cam.owner, json!({"url": receiver.url})).await;
    let secret = hook["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_") && secret.len() > 40);
    assert_eq!(hook["url"], receiver.url);
    assert_eq!(hook["camera_ids"], Value::Null);
    assert_eq!(hook["event_types"], Value::Null);
    // Never shown again.
    let list = cam.owner.text("/api/v1/me/webhooks").await;
    assert!(list.contains(&receiver.url) && !list.contains(&secret));
    assert!(!list.contains("secret"));

    let event = report(&app, &cam.token, "motion", true).await;
    let got = receiver.wait_for(1).await;
    let req = &got[0];
    assert_eq!(req.header("content-type"), "application/json");
    assert!(signed(req, &secret), "signature verifies");
    let sent_at: i64 = req.header("x-camvault-timestamp").parse().unwrap();
    assert!(
        (sent_at - app.now_ms() / 1000).abs() <= 5,
        "timestamp is recent"
    );
    let name = cam
        .owner
        .get(&cam.path(""))
        .await
        .json::<Value>()
        .await
        .unwrap()["name"]
        .clone();
    let body = req.json();
    assert_eq!(
        body,
        json!({
            "id": event["id"],
            "type": "motion",
            "camera_id": cam.id,
            "camera_name": name,
            "at": event["at"],
            "at_ms": event["at_ms"],
            "score": 0.8,
            "labels": ["hallway"],
            "snapshot_url": format!("/api/v1/cameras/{}/events/{}/snapshot.jpg", cam.id, event["id"]),
        })
    );
    // A tampered body or another secret does not verify.
    let mut forged = req.clone();
    forged.body = forged.body.replace("motion", "person");
    assert!(!signed(&forged, &secret));
    assert!(!signed(req, "whsec_another"));

    let log = log_of(&cam.owner, &hook["id"], 1).await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["event_id"], event["id"]);
    assert_eq!(log[0]["attempt"], 1);
    assert_eq!(log[0]["status_code"], 200);
    assert_eq!(log[0]["state"], "delivered");
    assert_eq!(log[0]["next_retry_at"], Value::Null);
    assert!(log[0]["duration_ms"].as_i64().unwrap() >= 0);
    // Without a snapshot the body has no snapshot_url.
    report(&app, &cam.token, "motion", false).await;
    let got = receiver.wait_for(2).await;
    assert!(got[1].json().get("snapshot_url").is_none());
}

// promise: D1
#[tokio::test]
async fn a_failing_receiver_is_retried_with_back_off_until_it_succeeds() {
    let app = TestApp::spawn().await;
    let cam = recording_camera(&app).await;
    let receiver = Receiver::start(2).await;
    let hook = create(&cam.owner, json!({"url": receiver.url})).await;
    let secret = hook["secret"].as_str().unwrap();
    let event = report(&app, &cam.token, "person", false).await;

    receiver.wait_for(1).await;
    let log = log_of(&cam.owner, &hook["id"], 1).await;
    assert_eq!(log[0]["status_code"], 500);
    assert_eq!(log[0]["state"], "retrying");
    assert!(log[0]["next_retry_at"].is_string());
    // Not before the back-off (5 s) is over.
    app.advance(Duration::from_secs(4));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(receiver.received().len(), 1);
    app.advance(Duration::from_secs(1));
    receiver.wait_for(2).await;
    log_of(&cam.owner, &hook["id"], 2).await;
    // The second retry waits twice as long (10 s).
    app.advance(Duration::from_secs(10));
    let got = receiver.wait_for(3).await;

    let log = log_of(&cam.owner, &hook["id"], 3).await;
    let attempts: Vec<(i64, i64, &str)> = log
        .iter()
        .map(|a| {
            assert_eq!(a["event_id"], event["id"]);
            (
                a["attempt"].as_i64().unwrap(),
                a["status_code"].as_i64().unwrap(),
                a["state"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        attempts,
        [
            (3, 200, "delivered"),
            (2, 500, "retrying"),
            (1, 500, "retrying")
        ]
    );
    // Every attempt carries the same body, each freshly signed.
    for req in &got {
        assert_eq!(req.body, got[0].body);
        assert!(signed(req, secret));
    }
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(receiver.received().len(), 3, "nothing after success");
}

// promise: D1
#[tokio::test]
async fn a_receiver_that_keeps_failing_is_given_up_after_six_attempts() {
    let app = TestApp::spawn().await;
    let cam = recording_camera(&app).await;
    let receiver = Receiver::start(usize::MAX).await;
    let hook = create(&cam.owner, json!({"url": receiver.url})).await;
    report(&app, &cam.token, "motion", false).await;
    receiver.wait_for(1).await;
    for (n, wait) in [(2, 5), (3, 10), (4, 20), (5, 40), (6, 80)] {
        log_of(&cam.owner, &hook["id"], n - 1).await;
        app.advance(Duration::from_secs(wait));
        receiver.wait_for(n).await;
    }
    let log = log_of(&cam.owner, &hook["id"], 6).await;
    assert_eq!(log[0]["attempt"], 6);
    assert_eq!(log[0]["state"], "failed");
    assert_eq!(log[0]["next_retry_at"], Value::Null);
    app.advance(Duration::from_secs(3600));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(receiver.received().len(), 6, "no seventh attempt");
}

// promise: D1
#[tokio::test]
async fn camera_and_event_type_filters_are_respected() {
    let app = TestApp::spawn().await;
    app.provision(2).await;
    let owner = app.person("owner", Role::User).await;
    let (cam1, cam2) = (owner.bind(1).await, owner.bind(2).await);
    let (token1, token2) = (app.device_token(1).await, app.device_token(2).await);
    let (only1, persons, cam2_motion) = (
        Receiver::start(0).await,
        Receiver::start(0).await,
        Receiver::start(0).await,
    );
    let hook = create(&owner, json!({"url": only1.url, "camera_ids": [cam1]})).await;
    assert_eq!(hook["camera_ids"], json!([cam1]));
    create(
        &owner,
        json!({"url": persons.url, "event_types": ["person"]}),
    )
    .await;
    create(
        &owner,
        json!({"url": cam2_motion.url, "camera_ids": [cam2], "event_types": ["motion"]}),
    )
    .await;

    let a = report(&app, &token1, "motion", false).await;
    let b = report(&app, &token2, "person", false).await;
    let c = report(&app, &token2, "motion", false).await;
    let ids = |r: &Receiver| -> Vec<Value> {
        r.received()
            .iter()
            .map(|q| q.json()["id"].clone())
            .collect()
    };
    only1.wait_for(1).await;
    persons.wait_for(1).await;
    cam2_motion.wait_for(1).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(ids(&only1), [a["id"].clone()]);
    assert_eq!(ids(&persons), [b["id"].clone()]);
    assert_eq!(ids(&cam2_motion), [c["id"].clone()]);
}

// promise: D1
#[tokio::test]
async fn another_accounts_webhook_never_receives_my_events() {
    let app = TestApp::spawn().await;
    let cam = recording_camera(&app).await;
    let mine = Receiver::start(0).await;
    let theirs = Receiver::start(0).await;
    create(&cam.owner, json!({"url": mine.url})).await;
    // Even with my camera shared with them, events are mine alone.
    let grandma = app.verified_person("grandma", "grandma@example.com").await;
    let resp = cam
        .owner
        .post(
            &cam.path("/invitations"),
            json!({"contact": "grandma@example.com", "role": "viewer"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert_eq!(
        grandma.accept_first_invitation().await.status(),
        StatusCode::OK
    );
    create(&grandma, json!({"url": theirs.url})).await;
    // Naming my camera in their filter is refused like any camera not theirs.
    let resp = grandma
        .post(
            "/api/v1/me/webhooks",
            json!({"url": theirs.url, "camera_ids": [cam.id]}),
        )
        .await;
    assert_error(resp, StatusCode::BAD_REQUEST, "invalid_input").await;

    report(&app, &cam.token, "motion", false).await;
    mine.wait_for(1).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert!(theirs.received().is_empty());
}

// promise: D1
#[tokio::test]
async fn bad_webhooks_are_refused_and_others_cannot_see_or_delete_mine() {
    let app = TestApp::spawn().await;
    let cam = recording_camera(&app).await;
    let me = &cam.owner;
    for url in [
        "ftp://example.com/hook",
        "http://",
        "http:///",
        "example.com/hook",
        "not a url",
    ] {
        let resp = me.post("/api/v1/me/webhooks", json!({"url": url})).await;
        assert_error(resp, StatusCode::BAD_REQUEST, "invalid_input").await;
    }
    for body in [
        json!({"url": "https://example.com/h", "camera_ids": [987654]}),
        json!({"url": "https://example.com/h", "camera_ids": []}),
        json!({"url": "https://example.com/h", "event_types": ["Not A Type"]}),
    ] {
        let resp = me.post("/api/v1/me/webhooks", body).await;
        assert_error(resp, StatusCode::BAD_REQUEST, "invalid_input").await;
    }
    let resp = me
        .post(
            "/api/v1/me/webhooks",
            json!({"url": "https://example.com/h", "secret": "x"}),
        )
        .await;
    assert_error(resp, StatusCode::BAD_REQUEST, "invalid_body").await;

    // Ten per account; these URLs are never called (no events happen).
    let mut ids = Vec::new();
    for i in 0..10 {
        let hook = create(me, json!({"url": format!("https://example.com/hook/{i}")})).await;
        ids.push(hook["id"].as_i64().unwrap());
    }
    let resp = me
        .post(
            "/api/v1/me/webhooks",
            json!({"url": "https://example.com/hook/10"}),
        )
        .await;
    assert_error(resp, StatusCode::BAD_REQUEST, "invalid_input").await;

    let unknown = ids.iter().max().unwrap() + 1000;
    let resp = me.delete(&format!("/api/v1/me/webhooks/{unknown}")).await;
    assert_error(resp, StatusCode::NOT_FOUND, "not_found").await;
    let resp = me
        .get(&format!("/api/v1/me/webhooks/{unknown}/deliveries"))
        .await;
    assert_error(resp, StatusCode::NOT_FOUND, "not_found").await;

    let other = app.person("mallory", Role::User).await;
    let list: Vec<Value> = other.get("/api/v1/me/webhooks").await.json().await.unwrap();
    assert!(list.is_empty());
    let resp = other
        .delete(&format!("/api/v1/me/webhooks/{}", ids[0]))
        .await;
    assert_error(resp, StatusCode::NOT_FOUND, "not_found").await;
    let resp = other
        .get(&format!("/api/v1/me/webhooks/{}/deliveries", ids[0]))
        .await;
    assert_error(resp, StatusCode::NOT_FOUND, "not_found").await;
    let resp = reqwest::get(app.url("/api/v1/me/webhooks")).await.unwrap();
    assert_error(resp, StatusCode::UNAUTHORIZED, "unauthenticated").await;

    // Mine are untouched, and deleting frees a place.
    let list: Vec<Value> = me.get("/api/v1/me/webhooks").await.json().await.unwrap();
    assert_eq!(list.len(), 10);
    let resp = me.delete(&format!("/api/v1/me/webhooks/{}", ids[0])).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let resp = me.delete(&format!("/api/v1/me/webhooks/{}", ids[0])).await;
    assert_error(resp, StatusCode::NOT_FOUND, "not_found").await;
    create(me, json!({"url": "https://example.com/hook/10"})).await;
}
