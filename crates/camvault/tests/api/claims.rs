//! Ownership claims for cameras bound to someone else.

use domain::ports::Role;
use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_error, jpeg, Person, TestApp};

fn claim_form(code: &str, evidence: Vec<u8>, mime: &str) -> Form {
    Form::new()
        .text("serial", "CAM-0001")
        .text("verification_code", code.to_string())
        .text(
            "note",
            "I bought it second hand; the seller never unbound it.",
        )
        .part(
            "evidence",
            Part::bytes(evidence)
                .file_name("receipt.jpg")
                .mime_str(mime)
                .unwrap(),
        )
}

async fn file(app: &TestApp, who: &Person, form: Form) -> reqwest::Response {
    who.client
        .post(app.url("/api/v1/claims"))
        .header("x-csrf-token", &who.csrf)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// CAM-0001 bound to `seller` (with a verified email); returns (seller, buyer, admin, camera id).
async fn setup(app: &TestApp) -> (Person, Person, Person, i64) {
    app.provision(1).await;
    let seller = app.verified_person("seller", "seller@example.com").await;
    let id = seller.bind(1).await;
    let buyer = app.person("buyer", Role::User).await;
    let admin = app.person("claims-admin", Role::Admin).await;
    (seller, buyer, admin, id)
}

// promise: B4
#[tokio::test]
async fn an_approved_claim_moves_the_camera_tells_the_old_owner_and_erases_the_evidence() {
    let app = TestApp::spawn().await;
    let (seller, buyer, admin, id) = setup(&app).await;

    let resp = file(&app, &buyer, claim_form("CODE0001", jpeg(), "image/jpeg")).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let claim: Value = resp.json().await.unwrap();
    assert_eq!(claim["status"], "pending");
    assert_eq!(claim["evidence_held"], true);
    let claim_id = claim["id"].as_i64().unwrap();

    // Stored encrypted: the stored blob does not contain the file's bytes.
    let blob = app.blob(&format!("claims/{claim_id}")).await;
    assert!(
        !blob.windows(10).any(|w| w == b"RECEIPT-FO"),
        "evidence stored in clear"
    );
    assert!(!blob.starts_with(&[0xFF, 0xD8, 0xFF]));

    let queue: Vec<Value> = admin
        .get("/api/v1/admin/claims")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(queue.len(), 1);
    let ev = admin
        .get(&format!("/api/v1/admin/claims/{claim_id}/evidence"))
        .await;
    assert_eq!(ev.headers()["content-type"], "image/jpeg");
    assert_eq!(ev.bytes().await.unwrap().to_vec(), jpeg());

    let resp = admin
        .post(
            &format!("/api/v1/admin/claims/{claim_id}/decision"),
            json!({"approve": true, "reason": ""}),
        )
        .await;
    assert_error(resp, StatusCode::BAD_REQUEST, "invalid_input").await;
    let resp = admin
        .post(
            &format!("/api/v1/admin/claims/{claim_id}/decision"),
            json!({"approve": true, "reason": "Receipt matches the serial; the seller confirmed by phone."}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let decided: Value = resp.json().await.unwrap();
    assert_eq!(decided["status"], "approved");
    assert_eq!(decided["evidence_held"], false);

    // The evidence is gone, from the API and from the blob store.
    assert_error(
        admin
            .get(&format!("/api/v1/admin/claims/{claim_id}/evidence"))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert!(app.find_blob(&format!("claims/{claim_id}")).await.is_none());

    // The camera moved; the old owner lost it and was told.
    let path = format!("/api/v1/cameras/{id}");
    assert_eq!(buyer.get(&path).await.status(), StatusCode::OK);
    assert_error(seller.get(&path).await, StatusCode::NOT_FOUND, "not_found").await;
    let notice = app.outbox.to("seller@example.com");
    assert!(notice
        .last()
        .unwrap()
        .body
        .contains("moved to another account"));
    let mine: Vec<Value> = buyer.get("/api/v1/claims").await.json().await.unwrap();
    assert_eq!(
        mine[0]["reason"],
        "Receipt matches the serial; the seller confirmed by phone."
    );
}

// promise: B4
#[tokio::test]
async fn a_refused_claim_keeps_the_owner_and_still_erases_the_evidence() {
    let app = TestApp::spawn().await;
    let (seller, buyer, admin, id) = setup(&app).await;
    let claim: Value = file(&app, &buyer, claim_form("CODE0001", jpeg(), "image/jpeg"))
        .await
        .json()
        .await
        .unwrap();
    let claim_id = claim["id"].as_i64().unwrap();
    let resp = admin
        .post(
            &format!("/api/v1/admin/claims/{claim_id}/decision"),
            json!({"approve": false, "reason": "The receipt is for another serial."}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(app.find_blob(&format!("claims/{claim_id}")).await.is_none());
    assert_eq!(
        seller.get(&format!("/api/v1/cameras/{id}")).await.status(),
        StatusCode::OK
    );
    let again = admin
        .post(
            &format!("/api/v1/admin/claims/{claim_id}/decision"),
            json!({"approve": true, "reason": "x"}),
        )
        .await;
    assert_error(again, StatusCode::BAD_REQUEST, "invalid_input").await;
}

#[tokio::test]
async fn bad_claims_are_refused_with_their_reason() {
    let app = TestApp::spawn().await;
    let (seller, buyer, _admin, _) = setup(&app).await;
    let gif = b"GIF89a fake".to_vec();
    let resp = file(&app, &buyer, claim_form("CODE0001", gif, "image/gif")).await;
    assert_error(resp, StatusCode::BAD_REQUEST, "invalid_input").await;
    let resp = file(
        &app,
        &buyer,
        claim_form("CODE0001", jpeg(), "application/pdf"),
    )
    .await;
    assert_error(resp, StatusCode::BAD_REQUEST, "invalid_input").await;
    let resp = file(&app, &buyer, claim_form("WRONG1", jpeg(), "image/jpeg")).await;
    assert_error(resp, StatusCode::BAD_REQUEST, "serial_or_code_wrong").await;
    let resp = file(&app, &seller, claim_form("CODE0001", jpeg(), "image/jpeg")).await;
    assert_error(resp, StatusCode::BAD_REQUEST, "invalid_input").await;
    let mut big = jpeg();
    big.resize(7 * 1024 * 1024, 0);
    let resp = file(&app, &buyer, claim_form("CODE0001", big, "image/jpeg")).await;
    assert_error(resp, StatusCode::PAYLOAD_TOO_LARGE, "body_too_large").await;
    assert_eq!(
        file(&app, &buyer, claim_form("CODE0001", jpeg(), "image/jpeg"))
            .await
            .status(),
        StatusCode::CREATED
    );
    let dup = file(&app, &buyer, claim_form("CODE0001", jpeg(), "image/jpeg")).await;
    assert_error(dup, StatusCode::CONFLICT, "conflict").await;
}
