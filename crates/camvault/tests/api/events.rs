//! Events and alerts: cameras report events with snapshots; people are
//! alerted as they chose (D1); bad reports are refused.

use std::time::Duration;

use domain::ports::Role;
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{assert_error, Person, TestApp};
use crate::recordings::{recording_camera, share_with_grandma, Cam};

pub const SNAPSHOT: &[u8] = include_bytes!("data/snapshot.jpg");

/// Reports an event as the device holding `token`, with an optional snapshot.
pub async fn report(app: &TestApp, token: &str, event: Value, snapshot: Option<&[u8]>) -> Response {
    let req = reqwest::Client::new()
        .post(app.url("/api/v1/device/events"))
        .bearer_auth(token);
    let req = match snapshot {
        None => req.json(&event),
        Some(bytes) => {
            let form = reqwest::multipart::Form::new()
                .part(
                    "event",
                    reqwest::multipart::Part::text(event.to_string())
                        .mime_str("application/json")
                        .unwrap(),
                )
                .part(
                    "snapshot",
                    reqwest::multipart::Part::bytes(bytes.to_vec())
                        .file_name("snap.jpg")
                        .mime_str("image/jpeg")
                        .unwrap(),
                );
            req.multipart(form)
        }
    };
    req.send().await.unwrap()
}

/// An open in-app alert stream.
pub struct Stream(Response, String);

impl Stream {
    pub async fn open(p: &Person) -> Stream {
        let resp = p
            .client
            .get(format!("{}/api/v1/me/alerts/stream", p.base))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.headers()["content-type"], "text/event-stream");
        Stream(resp, String::new())
    }

    /// The next alert's data, or None if none arrives within `wait`.
    pub async fn next(&mut self, wait: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(end) = self.1.find("\n\n") {
                let block: String = self.1.drain(..end + 2).collect();
                if let Some(data) = block
                    .lines()
                    .find_map(|l| l.strip_prefix("data:"))
                    .filter(|_| block.contains("event: alert"))
                {
                    return Some(serde_json::from_str(data.trim()).unwrap());
                }
                continue;
            }
            let chunk = tokio::time::timeout_at(deadline, self.0.chunk()).await;
            match chunk {
                Ok(Ok(Some(bytes))) => self.1.push_str(&String::from_utf8_lossy(&bytes)),
                _ => return None,
            }
        }
    }
}

pub fn motion(app: &TestApp) -> Value {
    json!({"type": "motion", "at_ms": app.now_ms(), "score": 0.8,
           "region": {"x": 0.1, "y": 0.2, "w": 0.3, "h": 0.4}, "labels": ["Hallway"]})
}

// promise: D1
#[tokio::test]
async fn an_event_with_a_snapshot_reaches_the_owner_at_once_and_is_kept_encrypted() {
    let app = TestApp::spawn().await;
    let cam = recording_camera(&app).await;
    let mut stream = Stream::open(&cam.owner).await;
    let resp = report(&app, &cam.token, motion(&app), Some(SNAPSHOT)).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let event: Value = resp.json().await.unwrap();
    assert_eq!(event["type"], "motion");
    assert_eq!(event["labels"], json!(["hallway"]));

    let alert = stream.next(Duration::from_secs(5)).await.expect("an alert");
    assert_eq!(alert["event_id"], event["id"]);
    assert_eq!(alert["kind"], "motion");
    assert_eq!(alert["has_snapshot"], true);

    let now = app.now_ms();
    let list: Vec<Value> = cam
        .owner
        .get(&cam.path(&format!(
            "/events?from={}&to={}",
            now - 60_000,
            now + 60_000
        )))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.len(), 1);
    let url = list[0]["snapshot_url"].as_str().unwrap();
    assert_eq!(cam.owner.bytes(url).await, SNAPSHOT);
    // Stored sealed: the JPEG's bytes appear in no stored blob.
    let blobs = app.blobs_under("events").await;
    assert_eq!(blobs.len(), 1);
    let stored = &blobs[0];
    assert!(stored.starts_with(b"CVB1"));
    assert!(!stored.windows(64).any(|w| w == &SNAPSHOT[200..264]));
    // Viewing the snapshot is in the owner's access log.
    let log: Vec<Value> = cam
        .owner
        .get("/api/v1/me/access-log")
        .await
        .json()
        .await
        .unwrap();
    assert!(log.iter().any(|e| e["action"] == "event.snapshot"));
    // The event marks a window that events-mode recording keeps.
    let resp = cam
        .owner
        .patch(&cam.path(""), json!({"recording_mode": "events"}))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
}

// promise: D1
#[tokio::test]
async fn alerts_off_for_the_camera_keeps_no_snapshot_and_alerts_nobody() {
    let app = TestApp::spawn().await;
    let cam = recording_camera(&app).await;
    let mut stream = Stream::open(&cam.owner).await;
    let resp = cam
        .owner
        .patch(&cam.path(""), json!({"alerts": false}))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = report(&app, &cam.token, motion(&app), Some(SNAPSHOT)).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let event: Value = resp.json().await.unwrap();
    assert_eq!(event["snapshot_url"], Value::Null);
    assert!(app.blob_keys("events").await.is_empty());
    assert!(stream.next(Duration::from_millis(800)).await.is_none());
}

// promise: D1
#[tokio::test]
async fn a_person_who_turns_alerts_off_for_a_camera_gets_nothing_from_it() {
    let app = TestApp::spawn().await;
    let cam = recording_camera(&app).await;
    let grandma = share_with_grandma(&app, &cam).await;
    let mut hers = Stream::open(&grandma).await;
    let mut his = Stream::open(&cam.owner).await;

    report(&app, &cam.token, motion(&app), None).await;
    assert!(
        hers.next(Duration::from_secs(5)).await.is_some(),
        "shared people are alerted"
    );
    assert!(his.next(Duration::from_secs(5)).await.is_some());

    let resp = grandma
        .call(
            reqwest::Method::PUT,
            &cam.path("/alert-preferences"),
            Some(json!({"all": false})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.json::<Value>().await.unwrap()["all"], false);
    report(&app, &cam.token, motion(&app), None).await;
    assert!(
        his.next(Duration::from_secs(5)).await.is_some(),
        "the owner still is"
    );
    assert!(
        hers.next(Duration::from_millis(800)).await.is_none(),
        "she turned them off"
    );

    // After revocation she would get nothing either, whatever her switches.
    grandma
        .call(
            reqwest::Method::PUT,
            &cam.path("/alert-preferences"),
            Some(json!({"all": true})),
        )
        .await;
    let me: Value = grandma.get("/api/v1/me").await.json().await.unwrap();
    cam.owner
        .delete(&cam.path(&format!("/shares/{}", me["id"])))
        .await;
    report(&app, &cam.token, motion(&app), None).await;
    assert!(
        hers.next(Duration::from_millis(800)).await.is_none(),
        "revoked"
    );
}

async fn deliveries(cam: &Cam) -> Vec<Value> {
    cam.owner
        .get("/api/v1/me/alert-deliveries")
        .await
        .json()
        .await
        .unwrap()
}

async fn wait_for_deliveries(cam: &Cam, n: usize) -> Vec<Value> {
    for _ in 0..100 {
        let d = deliveries(cam).await;
        if d.len() >= n {
            return d;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    deliveries(cam).await
}

/// A bound camera whose owner verified `owner@example.com` and turned
/// email alerts on for it.
async fn mailing_camera(app: &TestApp) -> Cam {
    app.provision(1).await;
    let owner = app.verified_person("owner", "owner@example.com").await;
    let id = owner.bind(1).await;
    let cam = Cam {
        id,
        token: app.device_token(1).await,
        owner,
        init_id: 0,
    };
    let resp = cam
        .owner
        .call(
            reqwest::Method::PUT,
            &cam.path("/alert-preferences"),
            Some(json!({"email": true})),
        )
        .await;
    assert_eq!(resp.json::<Value>().await.unwrap()["email"], true);
    cam
}

#[tokio::test]
async fn email_alerts_respect_the_cooldown_and_quiet_hours() {
    let app = TestApp::spawn().await;
    let cam = mailing_camera(&app).await;

    report(&app, &cam.token, motion(&app), None).await;
    let d = wait_for_deliveries(&cam, 1).await;
    assert_eq!(d[0]["status"], "sent", "{d:?}");
    let mail = app.outbox.to("owner@example.com");
    let last = mail.last().unwrap();
    assert!(last.subject.contains("motion"), "{}", last.subject);
    assert!(last.body.contains("Cube 2 0001"), "{}", last.body);

    // Within the 30 s cooldown: not mailed again.
    app.advance(Duration::from_secs(10));
    report(&app, &cam.token, motion(&app), None).await;
    let d = wait_for_deliveries(&cam, 2).await;
    assert_eq!(d[0]["status"], "skipped_cooldown");

    // Quiet hours all day (in UTC): not mailed, though the cooldown is over.
    let resp = cam
        .owner
        .call(
            reqwest::Method::PUT,
            "/api/v1/me/alert-settings",
            Some(json!({"quiet_start": "00:00", "quiet_end": "23:59", "time_zone": "UTC"})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    app.advance(Duration::from_secs(60));
    report(&app, &cam.token, motion(&app), None).await;
    let d = wait_for_deliveries(&cam, 3).await;
    assert_eq!(d[0]["status"], "skipped_quiet_hours");
    assert_eq!(app.outbox.to("owner@example.com").len(), mail.len());

    // Bad quiet hours are refused.
    let resp = cam
        .owner
        .call(
            reqwest::Method::PUT,
            "/api/v1/me/alert-settings",
            Some(json!({"quiet_start": "25:00", "quiet_end": "06:00"})),
        )
        .await;
    assert_error(resp, StatusCode::BAD_REQUEST, "invalid_input").await;
}

#[tokio::test]
async fn alert_mail_reaches_a_real_smtp_server_with_the_snapshot_only_when_chosen() {
    let Some(smtp) = testkit::smtp::start() else {
        return;
    };
    let sender = delivery::SmtpSender::new(&smtp.url(), "camvault <alerts@camvault.test>").unwrap();
    let app = TestApp::spawn_with_mail(std::sync::Arc::new(sender)).await;
    let cam = mailing_camera(&app).await;
    // The verification code went through the same server.
    let before = smtp.mails().len();
    assert!(before >= 1);

    // Default settings: the mail says what happened, with no picture.
    report(&app, &cam.token, motion(&app), Some(SNAPSHOT)).await;
    let mails = smtp
        .wait_for("owner@example.com", before + 1, Duration::from_secs(10))
        .await;
    let alert = mails.last().expect("an alert mail");
    assert!(alert.subject.contains("motion"), "{}", alert.subject);
    assert!(alert.text.contains("Cube 2 0001"), "{}", alert.text);
    assert!(alert.attachments.is_empty(), "{:?}", alert.attachments);

    // Chosen: the next mail carries the snapshot, byte for byte.
    let resp = cam
        .owner
        .call(
            reqwest::Method::PUT,
            "/api/v1/me/alert-settings",
            Some(json!({"snapshot_in_email": true})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    app.advance(Duration::from_secs(60));
    report(&app, &cam.token, motion(&app), Some(SNAPSHOT)).await;
    let mails = smtp
        .wait_for("owner@example.com", before + 2, Duration::from_secs(10))
        .await;
    assert_eq!(mails.len(), before + 2, "{mails:?}");
    let files = &mails[before + 1].attachments;
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(files[0].content_type, "image/jpeg");
    assert!(
        files[0].file_name.ends_with(".jpg"),
        "{}",
        files[0].file_name
    );
    assert_eq!(files[0].bytes, SNAPSHOT);
    // Mailing the picture is a view of it, in the owner's access log.
    let log: Vec<Value> = cam
        .owner
        .get("/api/v1/me/access-log")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        log.iter()
            .any(|e| e["action"] == "event.snapshot" && e["reason"] == "alert email attachment"),
        "{log:?}"
    );
    // The delivery log records both as sent.
    let d = wait_for_deliveries(&cam, 2).await;
    assert!(d.iter().all(|d| d["status"] == "sent"), "{d:?}");
}

#[tokio::test]
async fn bad_event_reports_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    let cam = recording_camera(&app).await;
    let now = app.now_ms();
    let ev = |v: Value| v;
    let cases = [
        (
            ev(json!({"type": "Motion!", "at_ms": now})),
            StatusCode::BAD_REQUEST,
            "invalid_input",
        ),
        (
            ev(json!({"type": "motion", "at_ms": now + 3_600_000})),
            StatusCode::BAD_REQUEST,
            "invalid_input",
        ),
        (
            ev(json!({"type": "motion", "at_ms": now - 8 * 86_400_000})),
            StatusCode::BAD_REQUEST,
            "invalid_input",
        ),
        (
            ev(json!({"type": "motion", "at_ms": now, "score": 1.5})),
            StatusCode::BAD_REQUEST,
            "invalid_input",
        ),
        (
            ev(
                json!({"type": "motion", "at_ms": now, "region": {"x": 0.9, "y": 0, "w": 0.5, "h": 0.1}}),
            ),
            StatusCode::BAD_REQUEST,
            "invalid_input",
        ),
        (
            ev(json!({"type": "motion", "at_ms": now, "gps": [1, 2]})),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
    ];
    for (body, status, code) in cases {
        let resp = report(&app, &cam.token, body.clone(), None).await;
        assert_error(resp, status, code).await;
    }
    let ok = json!({"type": "person", "at_ms": now});
    // A PNG, or text, claiming to be a JPEG.
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x02\0\0\0";
    assert_error(
        report(&app, &cam.token, ok.clone(), Some(png)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_media",
    )
    .await;
    assert_error(
        report(&app, &cam.token, ok.clone(), Some(b"not an image")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_media",
    )
    .await;
    // Over the 2 MiB snapshot limit, and over the request limit.
    let mut big = SNAPSHOT.to_vec();
    big.resize(2 * 1024 * 1024 + 10, 0);
    assert_error(
        report(&app, &cam.token, ok.clone(), Some(&big)).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
    )
    .await;
    big.resize(4 * 1024 * 1024, 0);
    assert_error(
        report(&app, &cam.token, ok.clone(), Some(&big)).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
    )
    .await;
    // Multipart without the event part.
    let form = reqwest::multipart::Form::new().part(
        "snapshot",
        reqwest::multipart::Part::bytes(SNAPSHOT.to_vec()),
    );
    let resp = reqwest::Client::new()
        .post(app.url("/api/v1/device/events"))
        .bearer_auth(&cam.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_error(resp, StatusCode::BAD_REQUEST, "invalid_body").await;
    // Privacy mode refuses events.
    cam.owner
        .patch(&cam.path(""), json!({"privacy": true}))
        .await;
    assert_error(
        report(&app, &cam.token, ok.clone(), None).await,
        StatusCode::CONFLICT,
        "privacy_mode",
    )
    .await;

    let list: Vec<Value> = cam
        .owner
        .get(&cam.path(&format!(
            "/events?from={}&to={}",
            now - 86_400_000,
            now + 86_400_000
        )))
        .await
        .json()
        .await
        .unwrap();
    assert!(list.is_empty(), "{list:?}");
    assert!(app.blob_keys("events").await.is_empty());
}

#[tokio::test]
async fn an_unbound_camera_cannot_report_events_and_strangers_see_none() {
    let app = TestApp::spawn().await;
    app.provision(2).await;
    let owner = app.person("owner", Role::User).await;
    let id = owner.bind(1).await;
    let token2 = app.device_token(2).await;
    let resp = report(
        &app,
        &token2,
        json!({"type": "motion", "at_ms": app.now_ms()}),
        None,
    )
    .await;
    assert_error(resp, StatusCode::FORBIDDEN, "camera_unbound").await;

    let token1 = app.device_token(1).await;
    let event: Value = report(&app, &token1, motion(&app), Some(SNAPSHOT))
        .await
        .json()
        .await
        .unwrap();
    let stranger = app.person("stranger", Role::User).await;
    let now = app.now_ms();
    let path = format!(
        "/api/v1/cameras/{id}/events?from={}&to={}",
        now - 1000,
        now + 1000
    );
    assert_error(
        stranger.get(&path).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let snap = format!("/api/v1/cameras/{id}/events/{}/snapshot.jpg", event["id"]);
    assert_error(
        stranger.get(&snap).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_eq!(owner.get(&snap).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_camera_page_lists_events_and_saves_alert_choices() {
    let app = TestApp::spawn().await;
    let cam = recording_camera(&app).await;
    report(&app, &cam.token, motion(&app), Some(SNAPSHOT)).await;
    let page_path = format!("/cameras/{}", cam.id);
    let page = cam.owner.text(&page_path).await;
    crate::helpers::assert_no_inline_script(&page_path, &page);
    assert!(page.contains("id=\"event-list\""), "{page}");
    assert!(page.contains("/events/1/snapshot.jpg"), "{page}");
    assert!(page.contains("data-play="));

    let resp = cam
        .owner
        .submit_form(
            &page,
            &format!("/cameras/{}/alerts", cam.id),
            &[("all", "on"), ("email", "on")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let prefs: Value = cam
        .owner
        .get(&cam.path("/alert-preferences"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        prefs,
        json!({"all": true, "in_app": false, "email": true, "push": false})
    );
}

#[tokio::test]
async fn events_and_snapshots_past_retention_are_purged() {
    let app = TestApp::spawn_with(|c| c.session_idle_days = 365).await;
    let cam = recording_camera(&app).await;
    report(&app, &cam.token, motion(&app), Some(SNAPSHOT)).await;
    assert_eq!(app.blob_keys("events").await.len(), 1);
    app.advance(Duration::from_secs(29 * 86_400));
    assert_eq!(app.events.purge(30).await.unwrap(), 0);
    app.advance(Duration::from_secs(2 * 86_400));
    assert_eq!(app.events.purge(30).await.unwrap(), 1);
    assert!(app.blob_keys("events").await.is_empty());
    let now = app.now_ms();
    let list: Vec<Value> = cam
        .owner
        .get(&cam.path(&format!(
            "/events?from={}&to={}",
            now - 40 * 86_400_000,
            now
        )))
        .await
        .json()
        .await
        .unwrap();
    assert!(list.is_empty());
}

#[tokio::test]
async fn the_alerts_page_saves_quiet_hours_and_refuses_bad_ones() {
    let app = TestApp::spawn().await;
    let p = app.person("sleeper", Role::User).await;
    let page = p.text("/alerts").await;
    crate::helpers::assert_no_inline_script("/alerts", &page);
    let resp = p
        .submit_form(
            &page,
            "/alerts",
            &[
                ("quiet", "on"),
                ("quiet_start", "22:30"),
                ("quiet_end", "06:45"),
                ("time_zone", "Europe/Berlin"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let s: Value = p
        .get("/api/v1/me/alert-settings")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        s,
        json!({"quiet_start": "22:30", "quiet_end": "06:45", "time_zone": "Europe/Berlin", "snapshot_in_email": false})
    );
    let page = p.text("/alerts").await;
    let resp = p
        .submit_form(
            &page,
            "/alerts",
            &[
                ("quiet", "on"),
                ("quiet_start", "22:30"),
                ("quiet_end", "06:45"),
                ("time_zone", "Mars/Olympus"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(resp.text().await.unwrap().contains("time zone"));
}
