//! The server-rendered pages: reachable, scriptless, protected by CSRF.

use reqwest::StatusCode;

use crate::helpers::{browser, TestApp};

#[tokio::test]
async fn public_pages_render_with_a_strict_policy_and_no_inline_script() {
    let app = TestApp::spawn().await;
    for path in ["/signin", "/signup"] {
        let resp = app.get(path).await;
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        let csp = resp.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
        let html = resp.text().await.unwrap();
        crate::helpers::assert_no_inline_script(path, &html);
        assert!(html.contains("name=\"viewport\""), "{path} is phone-ready");
    }
}

#[tokio::test]
async fn account_pages_send_strangers_to_sign_in() {
    let app = TestApp::spawn().await;
    let resp = app.get("/account").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()["location"], "/signin");
}

#[tokio::test]
async fn a_page_form_without_the_csrf_token_is_refused() {
    let app = TestApp::spawn().await;
    app.register("amy", "amy@example.com").await;
    let resp = app
        .client
        .post(app.url("/account/tokens"))
        .form(&[("csrf", "forged"), ("name", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let list: Vec<serde_json::Value> = app.get("/api/v1/me/tokens").await.json().await.unwrap();
    assert!(list.is_empty());
}

#[tokio::test]
async fn signing_up_through_the_form_verifies_and_shows_the_account() {
    let app = TestApp::spawn().await;
    let b = browser();
    let resp = b
        .post(app.url("/signup"))
        .form(&[
            ("username", "ben"),
            ("password", crate::helpers::PASSWORD),
            ("email", "ben@example.com"),
            ("phone", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()["location"], "/verify?kind=email");
    let page = b
        .get(app.url("/verify?kind=email"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let code = app.outbox.last_code("ben@example.com").unwrap();
    let resp = b
        .post(app.url("/verify"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("kind", "email"),
            ("code", code.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["location"], "/account");
    let account = b
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(account.contains("ben") && account.contains("verified"));
    assert!(
        !account.contains("ben@example.com"),
        "contacts are shown masked"
    );
}
