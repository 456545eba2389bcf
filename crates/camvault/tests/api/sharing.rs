//! Sharing a camera with family and friends.

use domain::ports::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_error, Person, TestApp};

/// Owner with camera CAM-0001 bound; returns (owner, camera path, camera id).
async fn owner_with_camera(app: &TestApp) -> (Person, String, i64) {
    app.provision(1).await;
    let owner = app.person("owner", Role::User).await;
    let id = owner.bind(1).await;
    (owner, format!("/api/v1/cameras/{id}"), id)
}

// promise: C6
#[tokio::test]
async fn an_invited_viewer_accepts_sees_only_what_was_shared_and_loses_it_on_revocation() {
    let app = TestApp::spawn().await;
    let (owner, path, id) = owner_with_camera(&app).await;
    let grandma = app.verified_person("grandma", "grandma@example.com").await;

    let resp = owner
        .post(
            &format!("{path}/invitations"),
            json!({"contact": "Grandma@Example.com", "role": "viewer"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let inv: Value = resp.json().await.unwrap();
    assert_eq!(inv["contact"], "g***@example.com");
    let mail = app.outbox.to("grandma@example.com");
    assert!(mail.last().unwrap().body.contains("as viewer"));

    // Before accepting, nothing is visible.
    assert_error(grandma.get(&path).await, StatusCode::NOT_FOUND, "not_found").await;
    let incoming: Vec<Value> = grandma
        .get("/api/v1/invitations")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(incoming.len(), 1);
    let resp = grandma
        .post(
            &format!("/api/v1/invitations/{}/accept", incoming[0]["id"]),
            json!({}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.json::<Value>().await.unwrap()["access"], "viewer");

    // A viewer watches but does not change settings or manage sharing.
    let cam: Value = grandma.get(&path).await.json().await.unwrap();
    assert_eq!(cam["access"], "viewer");
    assert_eq!(
        grandma.get(&format!("{path}/network")).await.status(),
        StatusCode::OK
    );
    assert_error(
        grandma.patch(&path, json!({"privacy": true})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert_error(
        grandma.get(&format!("{path}/shares")).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert_error(
        grandma.delete(&path).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;

    let shares: Value = owner
        .get(&format!("{path}/shares"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(shares["shares"][0]["username"], "grandma");
    assert!(shares["invitations"].as_array().unwrap().is_empty());
    let grandma_id = shares["shares"][0]["account_id"].as_i64().unwrap();

    // Revoked: gone with the very next request.
    let resp = owner.delete(&format!("{path}/shares/{grandma_id}")).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_error(grandma.get(&path).await, StatusCode::NOT_FOUND, "not_found").await;
    let list: Vec<Value> = grandma.get("/api/v1/cameras").await.json().await.unwrap();
    assert!(list.iter().all(|c| c["id"] != id));
}

// promise: C6
#[tokio::test]
async fn an_operator_may_change_settings_but_not_share_or_unbind() {
    let app = TestApp::spawn().await;
    let (owner, path, _) = owner_with_camera(&app).await;
    let partner = app.verified_person("partner", "partner@example.com").await;
    owner
        .post(
            &format!("{path}/invitations"),
            json!({"contact": "partner@example.com", "role": "operator"}),
        )
        .await;
    partner.accept_first_invitation().await;
    let resp = partner
        .patch(&path, json!({"recording_mode": "events"}))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = partner
        .post(
            &format!("{path}/invitations"),
            json!({"contact": "x@example.com", "role": "viewer"}),
        )
        .await;
    assert_error(resp, StatusCode::FORBIDDEN, "forbidden").await;
    assert_error(
        partner.delete(&path).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
}

// promise: C6
#[tokio::test]
async fn only_the_verified_holder_of_the_address_can_accept() {
    let app = TestApp::spawn().await;
    let (owner, path, _) = owner_with_camera(&app).await;
    owner
        .post(
            &format!("{path}/invitations"),
            json!({"contact": "kid@example.com", "role": "viewer"}),
        )
        .await;
    // Someone who registered the address without proving it sees nothing.
    let squatter = app.person("squatter", Role::User).await;
    squatter
        .call(
            reqwest::Method::PUT,
            "/api/v1/me/contacts/email",
            Some(json!({"value": "kid@example.com"})),
        )
        .await;
    let incoming: Vec<Value> = squatter
        .get("/api/v1/invitations")
        .await
        .json()
        .await
        .unwrap();
    assert!(incoming.is_empty());
    let shares: Value = owner
        .get(&format!("{path}/shares"))
        .await
        .json()
        .await
        .unwrap();
    let inv_id = shares["invitations"][0]["id"].as_i64().unwrap();
    let resp = squatter
        .post(&format!("/api/v1/invitations/{inv_id}/accept"), json!({}))
        .await;
    assert_error(resp, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn invitations_expire_after_seven_days_and_can_be_withdrawn() {
    let app = TestApp::spawn().await;
    let (owner, path, _) = owner_with_camera(&app).await;
    let friend = app.verified_person("friend", "friend@example.com").await;
    let inv: Value = owner
        .post(
            &format!("{path}/invitations"),
            json!({"contact": "friend@example.com", "role": "viewer"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let resp = owner
        .delete(&format!("{path}/invitations/{}", inv["id"]))
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let incoming: Vec<Value> = friend
        .get("/api/v1/invitations")
        .await
        .json()
        .await
        .unwrap();
    assert!(incoming.is_empty());

    owner
        .post(
            &format!("{path}/invitations"),
            json!({"contact": "friend@example.com", "role": "viewer"}),
        )
        .await;
    app.advance(std::time::Duration::from_secs(7 * 24 * 3600 + 1));
    let incoming: Vec<Value> = friend
        .get("/api/v1/invitations")
        .await
        .json()
        .await
        .unwrap();
    assert!(incoming.is_empty(), "expired");
}

#[tokio::test]
async fn bad_invitations_are_refused() {
    let app = TestApp::spawn().await;
    let (owner, path, _) = owner_with_camera(&app).await;
    for (body, code) in [
        (
            json!({"contact": "a@example.com", "role": "admin"}),
            "invalid_input",
        ),
        (
            json!({"contact": "not an address", "role": "viewer"}),
            "invalid_input",
        ),
        (json!({"contact": "a@example.com"}), "invalid_body"),
    ] {
        let resp = owner.post(&format!("{path}/invitations"), body).await;
        assert_error(resp, StatusCode::BAD_REQUEST, code).await;
    }
    let stranger = app.person("stranger", Role::User).await;
    let resp = stranger
        .post(
            &format!("{path}/invitations"),
            json!({"contact": "a@example.com", "role": "viewer"}),
        )
        .await;
    assert_error(resp, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn unbinding_ends_every_share() {
    let app = TestApp::spawn().await;
    let (owner, path, _) = owner_with_camera(&app).await;
    let friend = app.verified_person("friend", "friend@example.com").await;
    owner
        .post(
            &format!("{path}/invitations"),
            json!({"contact": "friend@example.com", "role": "viewer"}),
        )
        .await;
    friend.accept_first_invitation().await;
    assert_eq!(friend.get(&path).await.status(), StatusCode::OK);
    assert_eq!(owner.delete(&path).await.status(), StatusCode::NO_CONTENT);
    assert_error(friend.get(&path).await, StatusCode::NOT_FOUND, "not_found").await;
}
