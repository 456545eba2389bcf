//! Minors (A7): with the age check on, sign-up asks for a birth date; under
//! the minimum age the account stays closed until a guardian confirms by
//! the link mailed to them.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_error, TestApp, PASSWORD};

async fn sign_in_kid(app: &TestApp) -> reqwest::Response {
    app.post(
        "/api/v1/sessions",
        json!({"login": "kid", "password": PASSWORD}),
    )
    .await
}

/// A sign-up the server refuses as invalid input.
async fn refused(app: &TestApp, body: serde_json::Value) {
    let resp = app.post("/api/v1/accounts", body).await;
    assert_error(resp, StatusCode::BAD_REQUEST, "invalid_input").await;
}

async fn signup_page(app: &TestApp) -> String {
    reqwest::get(app.url("/signup"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

fn signup(name: &str, birth: Option<&str>, guardian: Option<&str>) -> serde_json::Value {
    json!({
        "username": name,
        "password": PASSWORD,
        "email": format!("{name}@example.com"),
        "birth_date": birth,
        "guardian_email": guardian,
    })
}

// promise: A7
#[tokio::test]
async fn a_minor_waits_for_a_guardian_who_confirms_by_a_mailed_link() {
    let app = TestApp::spawn_with(|c| {
        c.age_check = true;
        c.minimum_age = 16;
    })
    .await;
    // The sign-up page asks for the birth date.
    let page = signup_page(&app).await;
    assert!(page.contains("name=\"birth_date\""));

    refused(&app, signup("nobirth", None, None)).await;
    refused(&app, signup("future", Some("2030-01-01"), None)).await;
    // Old enough (the clock reads 2026-09-21): signed in at once.
    let resp = app
        .post(
            "/api/v1/accounts",
            signup("adult", Some("2010-09-21"), None),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);

    // Too young, and no guardian: refused, nothing stored.
    refused(&app, signup("kid", Some("2012-05-01"), None)).await;
    refused(
        &app,
        signup("kid", Some("2012-05-01"), Some("kid@example.com")),
    )
    .await;
    let resp = app
        .post(
            "/api/v1/accounts",
            signup("kid", Some("2012-05-01"), Some("parent@example.com")),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    assert_eq!(
        resp.json::<serde_json::Value>().await.unwrap()["status"],
        "awaiting_guardian"
    );
    // Nothing can be done with the account: not even signing in.
    let resp = sign_in_kid(&app).await;
    assert_error(resp, StatusCode::FORBIDDEN, "guardian_consent_pending").await;

    let mail = app
        .outbox
        .to("parent@example.com")
        .pop()
        .expect("a mail to the guardian");
    let link = mail
        .body
        .split_whitespace()
        .find(|w| w.contains("/guardian/"))
        .unwrap()
        .to_string();
    assert!(link.starts_with(&app.url("/guardian/")), "{link}");
    // A forged link is refused; opening the real one changes nothing.
    let forged = reqwest::Client::new()
        .post(format!("{link}x"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::NOT_FOUND);
    let opened = reqwest::get(&link).await.unwrap();
    assert_eq!(opened.status(), StatusCode::OK);
    let resp = sign_in_kid(&app).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    let confirmed = reqwest::Client::new().post(&link).send().await.unwrap();
    assert_eq!(confirmed.status(), StatusCode::OK);
    let resp = sign_in_kid(&app).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    // The link works once.
    let again = reqwest::Client::new().post(&link).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn without_the_age_check_no_birth_date_is_asked() {
    let app = TestApp::spawn().await;
    let page = signup_page(&app).await;
    assert!(!page.contains("birth_date"));
    let resp = app
        .post("/api/v1/accounts", signup("anyone", None, None))
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
}

// promise: A7
#[tokio::test]
async fn the_minimum_age_can_differ_by_region() {
    let eu_bucket = crate::helpers::region_bucket().await;
    let app = TestApp::spawn_with(|c| {
        c.age_check = true;
        c.minimum_age = 18;
        c.minimum_age_by_region.insert("eu".into(), 16);
        let eu = eu_bucket.unwrap_or_else(|| c.data_dir.join("eu-blobs"));
        c.regions.insert("eu".into(), eu);
    })
    .await;
    let page = signup_page(&app).await;
    assert!(page.contains("name=\"region\""));
    // Seventeen (the clock reads 2026-09-21): a minor at home, not in the EU region.
    let mut at_home = signup("homekid", Some("2009-05-01"), None);
    at_home["region"] = json!("home");
    refused(&app, at_home).await;
    let mut in_eu = signup("eukid", Some("2009-05-01"), None);
    in_eu["region"] = json!("eu");
    let resp = app.post("/api/v1/accounts", in_eu).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let region: serde_json::Value = app.get("/api/v1/me/region").await.json().await.unwrap();
    assert_eq!(region["region"], "eu");
    let mut nowhere = signup("lost", Some("1990-01-01"), None);
    nowhere["region"] = json!("moon");
    refused(&app, nowhere).await;
}
