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
