//! The support desk (E3): accounts seen masked; unmasking needs a reason,
//! lasts 15 minutes, and the person sees it in their access log.

use std::time::Duration;

use domain::ports::{AuditStore, Role};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::closures::account_id;
use crate::helpers::{assert_error, TestApp};

// promise: E3
#[tokio::test]
async fn support_sees_accounts_masked_and_unmasking_is_reasoned_timed_and_shown() {
    let app = TestApp::spawn().await;
    app.provision(1).await;
    let erin = app.verified_person("erin", "erin@example.com").await;
    let cam = erin.bind(1).await;
    let resp = erin
        .patch(
            &format!("/api/v1/cameras/{cam}"),
            json!({"name": "Kitchen at 12 Elm St"}),
        )
        .await;
    assert!(resp.status().is_success(), "{}", resp.status());
    let id = account_id(&erin).await;
    let sam = app.person("sam_support", Role::Support).await;
    let path = format!("/api/v1/support/accounts/{id}");

    let card: Value = sam.get(&path).await.json().await.unwrap();
    assert_eq!(card["username"], "e***");
    assert_eq!(card["contacts"][0]["value"], "e***@example.com");
    assert_eq!(card["cameras"][0]["name"], "K***");
    assert_eq!(card["cameras"][0]["serial"], "CAM-0001");
    assert_eq!(card["unmasked"], json!([]));
    let raw = serde_json::to_string(&card).unwrap();
    assert!(!raw.contains("erin@example.com") && !raw.contains("Elm St"));

    // No reason, no unmasking.
    for reason in ["", "because"] {
        assert_error(
            sam.post(
                &format!("{path}/unmask"),
                json!({"field": "contacts", "reason": reason}),
            )
            .await,
            StatusCode::BAD_REQUEST,
            "invalid_input",
        )
        .await;
    }
    let resp = sam
        .post(
            &format!("{path}/unmask"),
            json!({"field": "contacts", "reason": "Ticket 4411: the code mail bounces"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let card: Value = sam.get(&path).await.json().await.unwrap();
    assert_eq!(card["contacts"][0]["value"], "erin@example.com");
    assert_eq!(
        card["cameras"][0]["name"], "K***",
        "only the part asked for"
    );
    assert_eq!(card["unmasked"][0]["field"], "contacts");

    // Erin sees the look-ups and the unmasking, with its reason.
    let about = app
        .core
        .audit
        .entries_about(domain::ids::AccountId(id), 50)
        .await
        .unwrap();
    assert!(about.iter().any(|e| e.action == "support.unmask"
        && e.object == "contacts"
        && e.reason.as_deref() == Some("Ticket 4411: the code mail bounces")
        && e.role == "support"));
    assert!(about.iter().any(|e| e.action == "support.lookup"));
    let page = erin.text("/privacy-center").await;
    assert!(
        page.contains("support.unmask") && page.contains("Ticket 4411"),
        "{page}"
    );

    // Fifteen minutes later it is masked again.
    app.advance(Duration::from_secs(15 * 60 + 1));
    let card: Value = sam.get(&path).await.json().await.unwrap();
    assert_eq!(card["contacts"][0]["value"], "e***@example.com");
    assert_eq!(card["unmasked"], json!([]));
}

#[tokio::test]
async fn only_support_staff_with_a_second_factor_use_the_desk() {
    let app = TestApp::spawn().await;
    let erin = app.verified_person("erin", "erin@example.com").await;
    let id = account_id(&erin).await;
    let path = format!("/api/v1/support/accounts/{id}");
    assert_error(erin.get(&path).await, StatusCode::FORBIDDEN, "forbidden").await;
    app.accounts
        .create_user(
            "newhire",
            &domain::accounts::password::Password::new(crate::helpers::PASSWORD),
            None,
            Role::Support,
        )
        .await
        .unwrap();
    let client = crate::helpers::browser();
    let resp = client
        .post(app.url("/api/v1/sessions"))
        .json(&json!({"login": "newhire", "password": crate::helpers::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let resp = client.get(app.url(&path)).send().await.unwrap();
    assert_error(
        resp,
        StatusCode::FORBIDDEN,
        "second_factor_enrollment_required",
    )
    .await;
    let sam = app.person("sam_support", Role::Support).await;
    assert_error(
        sam.get("/api/v1/support/accounts/999999").await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_error(
        sam.post(
            &format!("{path}/unmask"),
            json!({"field": "password", "reason": "I would like to see it"}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_input",
    )
    .await;
}

// promise: E3
#[tokio::test]
async fn the_console_finds_an_account_by_order_or_contact_and_acts_for_the_person() {
    let app = TestApp::spawn().await;
    app.provision(1).await;
    let admin = app.person("boss", Role::Admin).await;
    let plan: Value = admin
        .post(
            "/api/v1/admin/plans",
            json!({"name": "Plus", "price": "4.99", "currency": "EUR", "period_days": 30,
                   "retention_days": 60, "mode": "continuous", "cameras": 2, "quota_mb": 0}),
        )
        .await
        .json()
        .await
        .unwrap();
    let erin = app.verified_person("erin", "erin@example.com").await;
    let cam = erin.bind(1).await;
    let placed: Value = erin
        .post(
            "/api/v1/orders",
            json!({"plan_id": plan["id"], "payment_method": "manual"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let number = placed["order"]["number"].as_str().unwrap().to_string();
    let id = account_id(&erin).await;
    let sam = app.person("sam_support", Role::Support).await;

    // Found by order number (any case) or by the verified address; shown masked.
    for q in [
        number.clone(),
        number.to_lowercase(),
        "erin@example.com".into(),
    ] {
        let found: Value = sam
            .get(&format!("/api/v1/support/search?q={q}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(found["account_id"], id, "{q}");
    }
    let resp = sam.get("/api/v1/support/search?q=nobody@example.com").await;
    assert_error(resp, StatusCode::NOT_FOUND, "not_found").await;
    let resp = sam.get("/api/v1/support/search?q=hello").await;
    assert_error(resp, StatusCode::BAD_REQUEST, "invalid_input").await;
    let card: Value = sam
        .get(&format!("/api/v1/support/accounts/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(card["contacts"][0]["value"], "e***@example.com");

    // The orders, the camera's network check.
    let orders: Vec<Value> = sam
        .get(&format!("/api/v1/support/accounts/{id}/orders"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(orders[0]["number"], number.as_str());
    assert_eq!(orders[0]["status"], "pending");
    let net = sam
        .get(&format!(
            "/api/v1/support/accounts/{id}/cameras/{cam}/network"
        ))
        .await;
    assert_eq!(net.status(), StatusCode::OK);
    let net: Value = net.json().await.unwrap();
    assert_eq!(net["online"], false);
    let resp = sam
        .get(&format!(
            "/api/v1/support/accounts/{id}/cameras/999/network"
        ))
        .await;
    assert_error(resp, StatusCode::NOT_FOUND, "not_found").await;

    // Resending: erin's email is verified, so nothing waits for a code;
    // a new, unverified phone does.
    let resp = sam
        .post(
            &format!("/api/v1/support/accounts/{id}/resend-verification"),
            json!({}),
        )
        .await;
    assert_error(resp, StatusCode::NOT_FOUND, "not_found").await;
    let resp = erin
        .call(
            reqwest::Method::PUT,
            "/api/v1/me/contacts/phone",
            Some(json!({"value": "+15550100123"})),
        )
        .await;
    assert!(resp.status().is_success(), "{}", resp.status());
    app.advance(Duration::from_secs(60));
    let codes_before = app.outbox.count();
    let resp = sam
        .post(
            &format!("/api/v1/support/accounts/{id}/resend-verification"),
            json!({}),
        )
        .await;
    assert_eq!(resp.json::<Value>().await.unwrap()["sent"], 1);
    assert_eq!(app.outbox.count(), codes_before + 1);

    // A rights request opened on erin's behalf is erin's request.
    let resp = sam
        .post(
            &format!("/api/v1/support/accounts/{id}/requests"),
            json!({"kind": "access", "details": "Asked on the phone for a copy of her data."}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let mine: Vec<Value> = erin.get("/api/v1/me/requests").await.json().await.unwrap();
    assert_eq!(mine[0]["kind"], "access");

    // Every step is in erin's access log.
    let about = app
        .core
        .audit
        .entries_about(domain::ids::AccountId(id), 50)
        .await
        .unwrap();
    for action in [
        "support.find",
        "support.orders",
        "support.network",
        "support.resend_verification",
        "support.open_request",
    ] {
        assert!(
            about
                .iter()
                .any(|e| e.action == action && e.role == "support"),
            "{action}"
        );
    }
    // A user cannot use the console.
    let resp = erin
        .get(&format!("/api/v1/support/search?q={number}"))
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}

// promise: E3
#[tokio::test]
async fn the_console_page_finds_shows_masked_and_unmasks_with_a_reason() {
    let app = TestApp::spawn().await;
    let erin = app.verified_person("erin", "erin@example.com").await;
    let id = account_id(&erin).await;
    let sam = app.person("sam_support", Role::Support).await;

    let resp = sam.get("/support?q=erin%40example.com").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let to = crate::helpers::location(&resp).to_string();
    assert_eq!(to, format!("/support/accounts/{id}"));
    let page = sam.text(&to).await;
    assert!(page.contains("e***@example.com") && !page.contains("erin@example.com"));
    crate::helpers::assert_no_inline_script("support console", &page);

    // A reason too short is refused on the page; a real one unmasks.
    let resp = sam
        .submit_form(
            &page,
            &format!("{to}/unmask"),
            &[("field", "contacts"), ("reason", "x")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let page = sam.text(&to).await;
    let resp = sam
        .submit_form(
            &page,
            &format!("{to}/unmask"),
            &[
                ("field", "contacts"),
                ("reason", "Caller 4412 asks where codes go"),
            ],
        )
        .await;
    let shown = resp.text().await.unwrap();
    assert!(shown.contains("erin@example.com"), "{shown}");

    // An unknown caller's address is not found; a user cannot open the console.
    let resp = sam.get("/support?q=nobody%40example.com").await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert_eq!(erin.get("/support").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(erin.get(&to).await.status(), StatusCode::FORBIDDEN);
}
