//! The sharing, invitations, network, ownership-claim and admin (claims
//! queue, firmware) pages, all through plain HTML forms.

use domain::ports::Role;
use reqwest::multipart::{Form, Part};
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{browser, csrf_in, jpeg, location, Person, TestApp};

/// The page at `path` as `who` sees it: status and HTML, which must be
/// free of inline script and inline styles whatever the status.
async fn html(who: &Person, path: &str) -> (StatusCode, String) {
    let resp = who.get(path).await;
    let status = resp.status();
    let text = resp.text().await.unwrap();
    assert_clean(path, &text);
    (status, text)
}

fn assert_clean(what: &str, page: &str) {
    crate::helpers::assert_no_inline_script(what, page);
    assert!(!page.contains(" style="), "{what} has an inline style");
}

/// Reads the CSRF token from the page at `page`, then posts the form.
async fn submit(who: &Person, page: &str, action: &str, fields: &[(&str, &str)]) -> Response {
    let (status, text) = html(who, page).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    who.submit_form(&text, action, fields).await
}

/// A form post with a token that did not come from the person's pages.
async fn forged(who: &Person, action: &str, fields: &[(&str, &str)]) -> Response {
    let mut body = vec![("csrf", "forged")];
    body.extend_from_slice(fields);
    who.post_form(action, &body).await
}

/// The response's HTML, checked like every page.
async fn body_of(resp: Response) -> String {
    let text = resp.text().await.unwrap();
    assert_clean("a form response", &text);
    text
}

/// The value of the first hidden input `name` on the page.
fn hidden(page: &str, name: &str) -> String {
    page.split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .unwrap_or_else(|| panic!("a hidden {name} field"))
        .split('"')
        .next()
        .unwrap()
        .to_string()
}

/// The first form action on the page that starts with `prefix` and ends with `suffix`.
fn action(page: &str, prefix: &str, suffix: &str) -> String {
    page.split("action=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap())
        .find(|a| a.starts_with(prefix) && a.ends_with(suffix))
        .unwrap_or_else(|| panic!("a form posting to {prefix}…{suffix}"))
        .to_string()
}

/// A signed-in person whose email `NAME@example.com` is verified.
async fn verified_person(app: &TestApp, name: &str) -> Person {
    app.verified_person(name, &format!("{name}@example.com"))
        .await
}

/// Owner of CAM-0001 and its id.
async fn owner_with_camera(app: &TestApp) -> (Person, i64) {
    app.provision(1).await;
    let owner = app.person("owner", Role::User).await;
    let id = owner.bind(1).await;
    (owner, id)
}

/// Invites `name@example.com` as `role` through the sharing page.
async fn invite(owner: &Person, id: i64, name: &str, role: &str) -> Response {
    let page = format!("/cameras/{id}/sharing");
    let email = format!("{name}@example.com");
    submit(
        owner,
        &page,
        &format!("{page}/invite"),
        &[("contact", email.as_str()), ("role", role)],
    )
    .await
}

/// Accepts the first invitation on `who`'s invitations page.
async fn accept_first(who: &Person) -> Response {
    let (_, page) = html(who, "/invitations").await;
    let accept = action(&page, "/invitations/", "/accept");
    submit(who, "/invitations", &accept, &[]).await
}

/// A camera shared with a new verified person through the pages.
async fn shared_with(app: &TestApp, owner: &Person, id: i64, name: &str, role: &str) -> Person {
    let p = verified_person(app, name).await;
    assert_eq!(
        invite(owner, id, name, role).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(accept_first(&p).await.status(), StatusCode::SEE_OTHER);
    p
}

#[tokio::test]
async fn the_new_pages_send_strangers_to_sign_in() {
    let app = TestApp::spawn().await;
    let stranger = browser();
    for path in [
        "/cameras/1/sharing",
        "/cameras/1/network",
        "/invitations",
        "/claims",
        "/claims/new",
        "/admin/claims",
        "/admin/claims/1/evidence",
        "/admin/firmware",
    ] {
        let resp = stranger.get(app.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&resp), "/signin", "{path}");
    }
}

// promise: C6
#[tokio::test]
async fn an_invitation_sent_and_accepted_through_the_pages_is_revoked_through_the_page() {
    let app = TestApp::spawn().await;
    let (owner, id) = owner_with_camera(&app).await;
    let grandma = verified_person(&app, "grandma").await;
    let camera = format!("/cameras/{id}");
    let sharing = format!("{camera}/sharing");

    let (_, page) = html(&owner, &camera).await;
    assert!(
        page.contains(&format!("href=\"{sharing}\"")),
        "owner links sharing"
    );
    assert!(page.contains(&format!("href=\"{camera}/network\"")));
    assert!(!page.contains("Leave this camera"), "owners unbind instead");
    let (status, page) = html(&owner, &sharing).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Nobody else has access"));
    assert!(page.contains("name=\"contact\"") && page.contains("name=\"role\""));
    assert!(page.contains("value=\"viewer\"") && page.contains("value=\"operator\""));

    let resp = submit(
        &owner,
        &sharing,
        &format!("{sharing}/invite"),
        &[("contact", "Grandma@Example.com"), ("role", "viewer")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), format!("{sharing}?done=invited"));
    let (_, page) = html(&owner, location(&resp)).await;
    assert!(page.contains("Invitation sent"));
    assert!(page.contains("g***@example.com") && page.contains("Withdraw"));
    assert!(!page.contains("grandma@example.com"), "contacts are masked");
    assert!(page.contains("expires "));

    // The invitee sees the invitation, on /cameras and on /invitations.
    let (_, list) = html(&grandma, "/cameras").await;
    assert!(list.contains("You have 1 invitation") && list.contains("href=\"/invitations\""));
    assert!(!list.contains(&format!("href=\"{camera}\"")));
    let (_, page) = html(&grandma, "/invitations").await;
    assert!(page.contains("Cube 2 0001") && page.contains("viewer") && page.contains("expires "));
    let resp = accept_first(&grandma).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), camera);

    let (_, list) = html(&grandma, "/cameras").await;
    assert!(list.contains(&format!("href=\"{camera}\"")) && list.contains("viewer"));
    assert!(
        !list.contains("You have 1 invitation"),
        "nothing left to answer"
    );
    let (status, page) = html(&grandma, &camera).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Leave this camera"));
    assert!(
        !page.contains(&format!("href=\"{sharing}\"")),
        "only owners manage sharing"
    );
    let (status, page) = html(&grandma, &sharing).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(page.contains("class=\"error\""));
    let stranger = app.person("stranger", Role::User).await;
    let (status, _) = html(&stranger, &sharing).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A viewer cannot revoke or invite through forms either.
    let resp = submit(
        &grandma,
        &camera,
        &format!("{sharing}/invite"),
        &[("contact", "x@example.com"), ("role", "viewer")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    let (_, page) = html(&owner, &sharing).await;
    assert!(page.contains("grandma") && page.contains("since ") && page.contains("Revoke"));
    assert!(page.contains("No invitations are waiting"));
    let person = hidden(&page, "account_id");
    let resp = submit(
        &owner,
        &sharing,
        &format!("{sharing}/revoke"),
        &[("account_id", person.as_str())],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), format!("{sharing}?done=revoked"));
    let (_, page) = html(&owner, location(&resp)).await;
    assert!(page.contains("Access revoked") && page.contains("Nobody else has access"));

    let (status, page) = html(&grandma, &camera).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(page.contains("class=\"error\""));
    let (_, list) = html(&grandma, "/cameras").await;
    assert!(!list.contains(&format!("href=\"{camera}\"")));

    // Revoking someone who no longer has access is explained on the page.
    let resp = submit(
        &owner,
        &sharing,
        &format!("{sharing}/revoke"),
        &[("account_id", person.as_str())],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert!(body_of(resp).await.contains("class=\"error\""));
}

// promise: C6
#[tokio::test]
async fn invitations_are_withdrawn_declined_and_bad_ones_explained() {
    let app = TestApp::spawn().await;
    let (owner, id) = owner_with_camera(&app).await;
    let friend = verified_person(&app, "friend").await;
    let sharing = format!("/cameras/{id}/sharing");

    assert_eq!(
        invite(&owner, id, "friend", "operator").await.status(),
        StatusCode::SEE_OTHER
    );
    let (_, page) = html(&owner, &sharing).await;
    assert!(page.contains("operator"));
    let invitation = hidden(&page, "invitation_id");
    let resp = submit(
        &owner,
        &sharing,
        &format!("{sharing}/withdraw"),
        &[("invitation_id", invitation.as_str())],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), format!("{sharing}?done=withdrawn"));
    let (_, page) = html(&owner, location(&resp)).await;
    assert!(page.contains("Invitation withdrawn") && !page.contains("f***@example.com"));
    let (_, page) = html(&friend, "/invitations").await;
    assert!(page.contains("No invitations are waiting for you"));
    let (_, list) = html(&friend, "/cameras").await;
    assert!(!list.contains("You have 1 invitation"));

    // A refused invitation shows the error with what was typed.
    let resp = submit(
        &owner,
        &sharing,
        &format!("{sharing}/invite"),
        &[("contact", "not an address"), ("role", "operator")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let page = body_of(resp).await;
    assert!(page.contains("class=\"error\""));
    assert!(page.contains("value=\"not an address\""));
    assert!(page.contains("value=\"operator\" selected"));
    let resp = submit(
        &owner,
        &sharing,
        &format!("{sharing}/invite"),
        &[("contact", "friend@example.com"), ("role", "admin")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(body_of(resp).await.contains("class=\"error\""));

    // Declined: gone for both sides.
    assert_eq!(
        invite(&owner, id, "friend", "viewer").await.status(),
        StatusCode::SEE_OTHER
    );
    let (_, page) = html(&friend, "/invitations").await;
    let accept = action(&page, "/invitations/", "/accept");
    let decline = action(&page, "/invitations/", "/decline");
    let resp = submit(&friend, "/invitations", &decline, &[]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), "/invitations?done=declined");
    let (_, page) = html(&friend, location(&resp)).await;
    assert!(page.contains("Invitation declined") && page.contains("No invitations are waiting"));
    let (_, page) = html(&owner, &sharing).await;
    assert!(page.contains("No invitations are waiting for an answer"));
    // Answering it again is explained, not an error page.
    let resp = submit(&friend, "/invitations", &accept, &[]).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert!(body_of(resp).await.contains("That invitation is gone"));
    let list: Vec<Value> = friend.get("/api/v1/cameras").await.json().await.unwrap();
    assert!(list.is_empty());
}

// promise: C6
#[tokio::test]
async fn a_person_leaves_a_camera_shared_with_them() {
    let app = TestApp::spawn().await;
    let (owner, id) = owner_with_camera(&app).await;
    let camera = format!("/cameras/{id}");
    let partner = shared_with(&app, &owner, id, "partner", "operator").await;

    let resp = submit(&partner, &camera, &format!("{camera}/sharing/leave"), &[]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), "/cameras?done=left");
    let (_, page) = html(&partner, location(&resp)).await;
    assert!(page.contains("You left the camera"));
    assert!(!page.contains(&format!("href=\"{camera}\"")));
    let (status, _) = html(&partner, &camera).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, page) = html(&owner, &format!("{camera}/sharing")).await;
    assert!(page.contains("Nobody else has access"));

    // The owner cannot "leave" their own camera; they unbind it.
    let resp = submit(&owner, &camera, &format!("{camera}/sharing/leave"), &[]).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(body_of(resp).await.contains("unbind it"));
    let cam: Value = owner
        .get(&format!("/api/v1/cameras/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(cam["access"], "owner");
    // Nor can someone who never had access.
    let stranger = app.person("stranger", Role::User).await;
    let resp = submit(
        &stranger,
        "/cameras",
        &format!("{camera}/sharing/leave"),
        &[],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

// promise: B5
#[tokio::test]
async fn the_network_page_shows_a_viewer_the_last_24_hours() {
    let app = TestApp::spawn().await;
    let (owner, id) = owner_with_camera(&app).await;
    let network = format!("/cameras/{id}/network");
    let viewer = shared_with(&app, &owner, id, "grandma", "viewer").await;

    let (status, page) = html(&viewer, &network).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("offline") && page.contains("never"));
    assert!(page.contains("No heartbeats in the last 24 hours"));

    let token = app.device_token(1).await;
    for i in 0..3 {
        let resp = app
            .heartbeat(
                &token,
                json!({"signal_dbm": -50 - i, "upload_kbps": 1000 + 100 * i,
                       "last_error": "dns timeout"}),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::OK);
        app.advance(std::time::Duration::from_secs(60));
    }
    let (_, camera) = html(&viewer, &format!("/cameras/{id}")).await;
    assert!(camera.contains(&format!("href=\"{network}\"")));
    let (status, page) = html(&viewer, &network).await;
    assert_eq!(status, StatusCode::OK);
    for text in [
        "online",
        "-52 dBm",
        "1200 kbit/s",
        "dns timeout",
        "Heartbeats",
        "Missed heartbeats",
        "1100 kbit/s",
        "<table",
        "<td>-51</td>",
        "<td>1000</td>",
    ] {
        assert!(page.contains(text), "{text} missing from the network page");
    }
    assert_eq!(
        page.matches("<tr>").count(),
        4,
        "a header row and 3 samples"
    );

    let stranger = app.person("stranger", Role::User).await;
    let (status, _) = html(&stranger, &network).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = html(&viewer, "/cameras/nonsense/network").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

fn claim_form(csrf: &str, code: &str) -> Form {
    Form::new()
        .text("csrf", csrf.to_string())
        .text("serial", "CAM-0001")
        .text("verification_code", code.to_string())
        .text("note", "Bought second hand; the seller never unbound it.")
        .part(
            "evidence",
            Part::bytes(jpeg())
                .file_name("receipt.jpg")
                .mime_str("image/jpeg")
                .unwrap(),
        )
}

async fn post_claim(who: &Person, form: Form) -> Response {
    who.client
        .post(format!("{}/claims/new", who.base))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

// promise: B4
#[tokio::test]
async fn a_claim_filed_through_the_form_is_refused_with_a_reason_from_the_queue_page() {
    let app = TestApp::spawn().await;
    app.provision(1).await;
    let seller = app.person("seller", Role::User).await;
    let id = seller.bind(1).await;
    let buyer = app.person("buyer", Role::User).await;
    let admin = app.person("claims-admin", Role::Admin).await;

    // The add page's "already bound" answer leads to the claim form.
    let resp = submit(
        &buyer,
        "/cameras/add",
        "/cameras/add",
        &[("serial", "CAM-0001"), ("verification_code", "CODE0001")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let page = body_of(resp).await;
    assert!(page.contains("href=\"/claims/new?serial=CAM-0001\""));
    let (status, form) = html(&buyer, "/claims/new?serial=CAM-0001").await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("enctype=\"multipart/form-data\""));
    assert!(form.contains("accept=\".jpg,.jpeg,.png,.pdf\""));
    assert!(form.contains("value=\"CAM-0001\""));
    let csrf = csrf_in(&form);

    // A wrong code is explained on the form, with the serial kept.
    let resp = post_claim(&buyer, claim_form(&csrf, "WRONG1")).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let page = body_of(resp).await;
    assert!(page.contains("class=\"error\"") && page.contains("value=\"CAM-0001\""));
    // Evidence that is not what it claims to be is refused.
    let gif = Form::new()
        .text("csrf", csrf.clone())
        .text("serial", "CAM-0001")
        .text("verification_code", "CODE0001")
        .part(
            "evidence",
            Part::bytes(b"GIF89a....".to_vec())
                .file_name("x.jpg")
                .mime_str("image/jpeg")
                .unwrap(),
        );
    let resp = post_claim(&buyer, gif).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(body_of(resp).await.contains("JPEG, PNG or PDF"));
    // The form takes files well over the default body limit, up to 5 MiB.
    let mut big = jpeg();
    big.resize(5 * 1024 * 1024 + 1, 0);
    let too_big = Form::new()
        .text("csrf", csrf.clone())
        .text("serial", "CAM-0001")
        .text("verification_code", "CODE0001")
        .part(
            "evidence",
            Part::bytes(big)
                .file_name("big.jpg")
                .mime_str("image/jpeg")
                .unwrap(),
        );
    let resp = post_claim(&buyer, too_big).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(body_of(resp).await.contains("at most 5 MiB"));

    let resp = post_claim(&buyer, claim_form(&csrf, "CODE0001")).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), "/claims?done=filed");
    let (_, page) = html(&buyer, location(&resp)).await;
    assert!(page.contains("Claim filed") && page.contains("pending"));

    let (status, queue) = html(&admin, "/admin/claims").await;
    assert_eq!(status, StatusCode::OK);
    assert!(queue.contains("Bought second hand; the seller never unbound it."));
    assert!(queue.contains("image/jpeg") && queue.contains(&format!("id {id}")));
    let decide = action(&queue, "/admin/claims/", "/decide");
    let claim = decide
        .trim_start_matches("/admin/claims/")
        .trim_end_matches("/decide")
        .to_string();
    let evidence = format!("/admin/claims/{claim}/evidence");
    assert!(queue.contains(&format!("href=\"{evidence}\"")));

    let resp = admin.get(&evidence).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "image/jpeg");
    assert_eq!(resp.headers()["cache-control"], "no-store");
    assert!(resp.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    assert_eq!(resp.bytes().await.unwrap().to_vec(), jpeg());

    // A decision needs a written reason; the typed decision is kept.
    let resp = submit(
        &admin,
        "/admin/claims",
        &decide,
        &[("decision", "refuse"), ("reason", "  ")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let page = body_of(resp).await;
    assert!(page.contains("class=\"error\"") && page.contains("reason"));
    assert!(page.contains("value=\"refuse\" checked"));
    let resp = submit(
        &admin,
        "/admin/claims",
        &decide,
        &[("decision", "maybe"), ("reason", "Unsure")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);

    let reason = "The receipt is for a different serial number.";
    let resp = submit(
        &admin,
        "/admin/claims",
        &decide,
        &[("decision", "refuse"), ("reason", reason)],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), "/admin/claims?done=refused");
    let (_, queue) = html(&admin, location(&resp)).await;
    assert!(queue.contains("Claim refused") && queue.contains("No claims are waiting"));
    // Decided: the evidence is erased.
    let (status, _) = html(&admin, &evidence).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (_, page) = html(&buyer, "/claims").await;
    assert!(page.contains("refused") && page.contains(reason) && page.contains("decided "));
    let cam: Value = seller
        .get(&format!("/api/v1/cameras/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(cam["access"], "owner", "a refused claim moves nothing");
}

/// Form fields besides the CSRF token.
type Fields<'a> = Vec<(&'a str, &'a str)>;

#[tokio::test]
async fn forged_forms_are_refused_on_every_new_page() {
    let app = TestApp::spawn().await;
    let (owner, id) = owner_with_camera(&app).await;
    let sharing = format!("/cameras/{id}/sharing");
    let friend = shared_with(&app, &owner, id, "friend", "viewer").await;
    let other = verified_person(&app, "other").await;
    assert_eq!(
        invite(&owner, id, "other", "viewer").await.status(),
        StatusCode::SEE_OTHER
    );
    let (_, page) = html(&owner, &sharing).await;
    let person = hidden(&page, "account_id");
    let invitation = hidden(&page, "invitation_id");
    let admin = app.person("root", Role::Admin).await;
    let sha = "a".repeat(64);

    let cases: Vec<(&Person, String, Fields)> = vec![
        (
            &owner,
            format!("{sharing}/invite"),
            vec![("contact", "x@example.com"), ("role", "viewer")],
        ),
        (
            &owner,
            format!("{sharing}/revoke"),
            vec![("account_id", person.as_str())],
        ),
        (
            &owner,
            format!("{sharing}/withdraw"),
            vec![("invitation_id", invitation.as_str())],
        ),
        (&friend, format!("{sharing}/leave"), vec![]),
        (&other, format!("/invitations/{invitation}/accept"), vec![]),
        (&other, format!("/invitations/{invitation}/decline"), vec![]),
        (
            &admin,
            "/admin/claims/1/decide".to_string(),
            vec![("decision", "approve"), ("reason", "ok")],
        ),
        (
            &admin,
            "/admin/firmware".to_string(),
            vec![
                ("model", "Cube 2"),
                ("version", "9.9.9"),
                ("url", "https://example.com/fw.bin"),
                ("sha256", sha.as_str()),
            ],
        ),
    ];
    for (who, action, fields) in &cases {
        let resp = forged(who, action, fields).await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{action}");
    }
    // The claim form's token travels inside the multipart body.
    let buyer = app.person("buyer", Role::User).await;
    let resp = post_claim(&buyer, claim_form("forged", "CODE0001")).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let resp = post_claim(&buyer, claim_form("", "CODE0001")).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    // Nothing changed.
    let claims: Vec<Value> = buyer.get("/api/v1/claims").await.json().await.unwrap();
    assert!(claims.is_empty());
    let shares: Value = owner
        .get(&format!("/api/v1/cameras/{id}/shares"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(shares["shares"].as_array().unwrap().len(), 1);
    assert_eq!(shares["invitations"].as_array().unwrap().len(), 1);
    let firmware: Vec<Value> = admin
        .get("/api/v1/admin/firmware")
        .await
        .json()
        .await
        .unwrap();
    assert!(firmware.is_empty());
}

// promise: B6
#[tokio::test]
async fn admin_pages_are_for_admins_and_firmware_is_published_through_the_form() {
    let app = TestApp::spawn().await;
    let admin = app.person("root", Role::Admin).await;
    let user = app.person("plain", Role::User).await;

    let (_, nav) = html(&user, "/cameras").await;
    assert!(nav.contains("href=\"/invitations\"") && nav.contains("href=\"/claims\""));
    assert!(!nav.contains("href=\"/admin/claims\"") && !nav.contains("href=\"/admin/firmware\""));
    let (_, nav) = html(&admin, "/cameras").await;
    for link in ["/admin/devices", "/admin/claims", "/admin/firmware"] {
        assert!(
            nav.contains(&format!("href=\"{link}\"")),
            "admins see {link}"
        );
    }

    for path in [
        "/admin/claims",
        "/admin/claims/1/evidence",
        "/admin/firmware",
    ] {
        let (status, page) = html(&user, path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert!(page.contains("class=\"error\""), "{path}");
    }
    let sha = "AB".repeat(32);
    let release = [
        ("model", "Cube 2"),
        ("version", "2.1.0"),
        ("url", "https://updates.example.com/cube2-2.1.0.bin"),
        ("sha256", sha.as_str()),
        ("notes", "Fixes night mode."),
    ];
    let resp = submit(&user, "/cameras", "/admin/firmware", &release).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let resp = submit(
        &user,
        "/cameras",
        "/admin/claims/1/decide",
        &[("decision", "approve"), ("reason", "mine")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    let (status, page) = html(&admin, "/admin/firmware").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("No firmware published yet"));
    let resp = submit(&admin, "/admin/firmware", "/admin/firmware", &release).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), "/admin/firmware?done=published");
    let (_, page) = html(&admin, location(&resp)).await;
    assert!(page.contains("Firmware published"));
    assert!(page.contains("Cube 2 2.1.0") && page.contains(&"ab".repeat(32)));
    assert!(page.contains("Fixes night mode."));

    // A bad release is explained with what was typed.
    let resp = submit(
        &admin,
        "/admin/firmware",
        "/admin/firmware",
        &[
            ("model", "Cube 2"),
            ("version", "2.2.0"),
            ("url", "ftp://nope"),
            ("sha256", sha.as_str()),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let page = body_of(resp).await;
    assert!(page.contains("class=\"error\"") && page.contains("value=\"ftp://nope\""));
    let firmware: Vec<Value> = admin
        .get("/api/v1/admin/firmware")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(firmware.len(), 1);
    assert_eq!(
        user.get("/api/v1/admin/firmware").await.status(),
        StatusCode::FORBIDDEN
    );
}
