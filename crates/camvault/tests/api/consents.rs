//! Consents (F1, F10): optional purposes granted and withdrawn as records,
//! and a major privacy policy change accepted again at the next sign-in,
//! with everyone told by mail.

use domain::ports::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_error, browser, location, TestApp, PASSWORD};

/// Signs in through the page; returns where it sends the browser.
async fn page_sign_in(app: &TestApp, login: &str) -> (reqwest::Client, String) {
    let client = browser();
    let resp = client
        .post(app.url("/signin"))
        .form(&[("login", login), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_redirection(), "{}", resp.status());
    let to = location(&resp).to_string();
    (client, to)
}

#[tokio::test]
async fn optional_purposes_are_off_until_granted_and_every_change_is_recorded() {
    let app = TestApp::spawn().await;
    let dana = app.person("dana-consent", Role::User).await;
    let c: Value = dana.get("/api/v1/me/consents").await.json().await.unwrap();
    let purposes: Vec<(&str, bool)> = c["choices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["purpose"].as_str().unwrap(),
                c["granted"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        purposes,
        [
            ("marketing", false),
            ("usage_statistics", false),
            ("location_tags", false)
        ]
    );
    assert_eq!(c["history"], json!([]));
    assert_eq!(c["pending_policy"], Value::Null);

    for granted in [true, false] {
        let resp = dana
            .call(
                reqwest::Method::PUT,
                "/api/v1/me/consents",
                Some(json!({"purpose": "marketing", "granted": granted})),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::OK);
        let c: Value = resp.json().await.unwrap();
        assert_eq!(c["choices"][0]["granted"], granted);
    }
    let c: Value = dana.get("/api/v1/me/consents").await.json().await.unwrap();
    let history = c["history"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0]["granted"], true);
    assert_eq!(history[1]["granted"], false);
    assert_eq!(history[1]["channel"], "api");
    assert_eq!(history[1]["policy_version"], "none");

    // The service itself is not withdrawn here, and unknown purposes are refused.
    for purpose in ["service", "selling-data"] {
        let resp = dana
            .call(
                reqwest::Method::PUT,
                "/api/v1/me/consents",
                Some(json!({"purpose": purpose, "granted": false})),
            )
            .await;
        assert_error(resp, StatusCode::BAD_REQUEST, "invalid_input").await;
    }

    // The privacy center's form records only what changed.
    let center = dana.text("/privacy-center").await;
    let resp = dana
        .submit_form(
            &center,
            "/privacy-center/consents",
            &[("usage_statistics", "on")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let c: Value = dana.get("/api/v1/me/consents").await.json().await.unwrap();
    assert_eq!(c["choices"][1]["granted"], true);
    let history = c["history"].as_array().unwrap();
    assert_eq!(history.len(), 3);
    assert_eq!(history[2]["purpose"], "usage_statistics");
    assert_eq!(history[2]["channel"], "settings");
}

// promise: F10
#[tokio::test]
async fn a_major_policy_change_is_mailed_and_accepted_again_at_the_next_sign_in() {
    let app = TestApp::spawn().await;
    let admin = app.person("policy-admin", Role::Admin).await;
    app.verified_person("erin-consent", "erin@example.com")
        .await;

    // Only administrators publish.
    let erin_api = app.person("frank-consent", Role::User).await;
    let resp = erin_api
        .post(
            "/api/v1/admin/policies",
            json!({"version": "x", "major": true, "summary": "x"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    // A minor version changes nothing at sign-in.
    app.advance(std::time::Duration::from_secs(60));
    let resp = admin
        .post(
            "/api/v1/admin/policies",
            json!({"version": "2026.1", "major": false, "summary": "Clearer wording."}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let (_, to) = page_sign_in(&app, "erin-consent").await;
    assert_eq!(to, "/account");

    let mails_before = app.outbox.to("erin@example.com").len();
    app.advance(std::time::Duration::from_secs(60));
    let resp = admin
        .post(
            "/api/v1/admin/policies",
            json!({"version": "2026.2", "major": true, "summary": "Recordings now stay 14 days by default."}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let again = admin
        .post(
            "/api/v1/admin/policies",
            json!({"version": "2026.2", "major": true, "summary": "Twice."}),
        )
        .await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    // Everyone with a verified address is told.
    let mut told = Vec::new();
    for _ in 0..100 {
        told = app.outbox.to("erin@example.com");
        if told.len() > mails_before {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let notice = told.last().expect("a policy notice");
    assert!(notice.subject.contains("2026.2"), "{}", notice.subject);
    assert!(
        notice.body.contains("Recordings now stay 14 days"),
        "{}",
        notice.body
    );

    // The next sign-in shows the new policy first.
    let (erin, to) = page_sign_in(&app, "erin-consent").await;
    assert_eq!(to, "/privacy-center/policy");
    let page = erin
        .get(app.url("/privacy-center/policy"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Recordings now stay 14 days by default."));
    let csrf = crate::helpers::csrf_in(&page);
    let resp = erin
        .post(app.url("/privacy-center/policy"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&resp), "/account");
    // Accepted once, it is not asked again.
    let (_, to) = page_sign_in(&app, "erin-consent").await;
    assert_eq!(to, "/account");
    let policies: Vec<Value> = reqwest::get(app.url("/api/v1/policies"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(policies[0]["version"], "2026.2");
    assert_eq!(policies[0]["major"], true);
}

// promise: C4
// promise: F8
#[tokio::test]
async fn location_tags_are_kept_only_while_the_owner_consents_from_the_next_upload_on() {
    use crate::recordings::{demo, put_init, recording_camera};
    let app = TestApp::spawn().await;
    let cam = recording_camera(&app).await;
    let place = "+48.8577+002.2950/";
    let tagged = media::fmp4::with_location(&demo().0, place).unwrap();
    let has_place = |b: &[u8]| b.windows(place.len()).any(|w| w == place.as_bytes());
    let upload = |bytes: Vec<u8>| {
        let (app, token) = (&app, cam.token.clone());
        async move {
            let resp = put_init(app, &token, &bytes).await;
            assert!(resp.status().is_success(), "{}", resp.status());
            resp.json::<Value>().await.unwrap()["init_id"]
                .as_i64()
                .unwrap()
        }
    };
    let stored = |id: i64| {
        let owner = &cam.owner;
        let path = cam.path(&format!("/recordings/inits/{id}.mp4"));
        async move { owner.bytes(&path).await }
    };

    // No consent: the place is gone before the init is sealed and stored.
    let without = upload(tagged.clone()).await;
    let bytes = stored(without).await;
    assert!(!has_place(&bytes) && media::fmp4::parse_init(&bytes).is_ok());

    // Granted: the next upload keeps it.
    cam.owner.consent("location_tags", true).await;
    let with = upload(tagged.clone()).await;
    assert_ne!(with, without);
    assert!(has_place(&stored(with).await));

    // Withdrawn: the next upload is stripped again.
    cam.owner.consent("location_tags", false).await;
    assert_eq!(upload(tagged).await, without);
}
