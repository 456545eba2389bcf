//! Marketing mail (F2): only to people who opted in, each with a one-click
//! unsubscribe that works without signing in; a withdrawal counts from the
//! next mail on (F8).

use std::time::Duration;

use domain::ports::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_error, Person, TestApp, PASSWORD};

async fn opt_in(p: &Person) {
    p.consent("marketing", true).await;
}

async fn send(admin: &Person) -> i64 {
    let resp = admin
        .post(
            "/api/v1/admin/marketing",
            json!({"subject": "Winter offer", "body": "Two months of cloud storage free."}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    resp.json::<Value>().await.unwrap()["sent"]
        .as_i64()
        .unwrap()
}

/// One-click unsubscribe as a mail client does it: a form POST, no session.
async fn one_click(url: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap()
}

// promise: F2
// promise: F8
#[tokio::test]
async fn marketing_mail_goes_only_to_people_who_opted_in_and_unsubscribes_in_one_click() {
    let app = TestApp::spawn().await;
    let ann = app.verified_person("ann", "ann@example.com").await;
    let _bob = app.verified_person("bob", "bob@example.com").await;
    let cat = app.verified_person("cat", "cat@example.com").await;
    opt_in(&ann).await;
    opt_in(&cat).await;
    // A cancelled account gets nothing, whatever it once chose.
    let resp = cat
        .post("/api/v1/me/cancel", json!({"password": PASSWORD}))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let admin = app.person("admin", Role::Admin).await;
    assert_error(
        ann.post(
            "/api/v1/admin/marketing",
            json!({"subject": "x", "body": "y"}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert_error(
        admin
            .post(
                "/api/v1/admin/marketing",
                json!({"subject": " ", "body": "y"}),
            )
            .await,
        StatusCode::BAD_REQUEST,
        "invalid_input",
    )
    .await;

    assert_eq!(send(&admin).await, 1);
    assert!(app
        .outbox
        .to("bob@example.com")
        .iter()
        .all(|m| m.subject != "Winter offer"));
    assert!(app
        .outbox
        .to("cat@example.com")
        .iter()
        .all(|m| m.subject != "Winter offer"));
    let mail = app.outbox.to("ann@example.com").pop().unwrap();
    assert_eq!(mail.subject, "Winter offer");
    let url = mail.unsubscribe.clone().expect("an unsubscribe link");
    assert!(url.starts_with(&app.url("/unsubscribe/")), "{url}");
    assert!(mail.body.contains(&url));

    // Opening the link changes nothing (scanners open links); it offers a button.
    let page = reqwest::get(&url).await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("Unsubscribe"));
    let c: Value = ann.get("/api/v1/me/consents").await.json().await.unwrap();
    let marketing = |c: &Value| {
        c["choices"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["purpose"] == "marketing")
            .unwrap()["granted"]
            .clone()
    };
    assert_eq!(marketing(&c), true);

    // A forged link does nothing.
    let forged = format!("{}0", &url[..url.len() - 1]);
    let forged = if forged == url {
        format!("{}1", &url[..url.len() - 1])
    } else {
        forged
    };
    assert_eq!(one_click(&forged).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        one_click(&app.url("/unsubscribe/nonsense")).await.status(),
        StatusCode::NOT_FOUND
    );

    // One click, no session: withdrawn and recorded, and twice is harmless.
    assert_eq!(one_click(&url).await.status(), StatusCode::OK);
    assert_eq!(one_click(&url).await.status(), StatusCode::OK);
    let c: Value = ann.get("/api/v1/me/consents").await.json().await.unwrap();
    assert_eq!(marketing(&c), false);
    let last = c["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["channel"], "unsubscribe");
    assert_eq!(last["granted"], false);

    // The very next mail leaves her out.
    let before = app.outbox.to("ann@example.com").len();
    assert_eq!(send(&admin).await, 0);
    assert_eq!(app.outbox.to("ann@example.com").len(), before);
}

// promise: F2
#[tokio::test]
async fn marketing_mail_carries_the_rfc_8058_headers_through_a_real_smtp_server() {
    let Some(smtp) = testkit::smtp::start() else {
        return;
    };
    let sender = delivery::SmtpSender::new(&smtp.url(), "camvault <news@camvault.test>").unwrap();
    let app = TestApp::spawn_with_mail(std::sync::Arc::new(sender)).await;
    let ann = app.verified_person("ann", "ann@example.com").await;
    opt_in(&ann).await;
    let admin = app.person("admin", Role::Admin).await;
    let before = smtp.mails().len();
    assert_eq!(send(&admin).await, 1);
    let mails = smtp
        .wait_for("ann@example.com", before + 1, Duration::from_secs(10))
        .await;
    let mail = mails.last().unwrap();
    assert_eq!(mail.subject, "Winter offer");
    assert_eq!(mail.list_unsubscribe_post, "List-Unsubscribe=One-Click");
    let url = mail
        .list_unsubscribe
        .strip_prefix('<')
        .and_then(|u| u.strip_suffix('>'))
        .expect("List-Unsubscribe: <url>")
        .to_string();
    assert!(url.starts_with(&app.url("/unsubscribe/")), "{url}");
    assert_eq!(one_click(&url).await.status(), StatusCode::OK);
    assert_eq!(send(&admin).await, 0);
}
