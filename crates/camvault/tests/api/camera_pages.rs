//! The camera pages: list, add, settings, schedule, unbinding and the admin
//! device registry, all through plain HTML forms.

use domain::ports::Role;
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{browser, location, Person, TestApp};

/// The page at `path` as `who` sees it: status and HTML, which must have
/// no inline script or style whatever the status.
async fn html(who: &Person, path: &str) -> (StatusCode, String) {
    let resp = who.get(path).await;
    let status = resp.status();
    let text = resp.text().await.unwrap();
    crate::helpers::assert_no_inline_script(path, &text);
    assert!(!text.contains("style=\""), "{path} has an inline style");
    (status, text)
}

/// Reads the CSRF token from the page at `page`, then posts the form.
async fn submit(who: &Person, page: &str, action: &str, fields: &[(&str, &str)]) -> Response {
    let (status, text) = html(who, page).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    who.submit_form(&text, action, fields).await
}

async fn camera_json(who: &Person, id: i64) -> Value {
    let resp = who.get(&format!("/api/v1/cameras/{id}")).await;
    assert_eq!(resp.status(), StatusCode::OK);
    resp.json().await.unwrap()
}

#[tokio::test]
async fn camera_pages_send_strangers_to_sign_in() {
    let app = TestApp::spawn().await;
    let stranger = browser();
    for path in ["/cameras", "/cameras/add", "/cameras/1", "/admin/devices"] {
        let resp = stranger.get(app.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&resp), "/signin", "{path}");
    }
    let resp = stranger
        .post(app.url("/cameras/add"))
        .form(&[
            ("csrf", "x"),
            ("serial", "CAM-0001"),
            ("verification_code", "CODE0001"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), "/signin");
}

// promise: B1
#[tokio::test]
async fn a_camera_added_through_the_form_appears_in_the_list() {
    let app = TestApp::spawn().await;
    app.provision(1).await;
    let alice = app.person("alice", Role::User).await;
    let (status, empty) = html(&alice, "/cameras").await;
    assert_eq!(status, StatusCode::OK);
    assert!(empty.contains("Add a camera") && empty.contains("href=\"/cameras/add\""));
    assert!(
        !empty.contains("/admin/devices"),
        "no registry link for users"
    );

    let (_, form) = html(&alice, "/cameras/add").await;
    assert!(form.contains("name=\"serial\"") && form.contains("name=\"verification_code\""));
    let resp = submit(
        &alice,
        "/cameras/add",
        "/cameras/add",
        &[("serial", "cam-0001"), ("verification_code", "code-0001")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let list: Vec<Value> = alice.get("/api/v1/cameras").await.json().await.unwrap();
    assert_eq!(list.len(), 1);
    let id = list[0]["id"].as_i64().unwrap();
    assert_eq!(location(&resp), format!("/cameras/{id}"));

    let (_, page) = html(&alice, "/cameras").await;
    assert!(page.contains(&format!("href=\"/cameras/{id}\"")));
    for text in ["Cube 2 0001", "CAM-0001", "owner", "offline"] {
        assert!(page.contains(text), "{text} missing from the list");
    }
    let (status, page) = html(&alice, &format!("/cameras/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Cube 2 0001") && page.contains("Unbind camera"));
    assert!(page
        .contains("Recordings already stored stay in your account under your plan's retention."));
}

// promise: B1
#[tokio::test]
async fn wrong_codes_and_cameras_of_others_are_explained_on_the_form() {
    let app = TestApp::spawn().await;
    app.provision(1).await;
    let eve = app.person("eve", Role::User).await;
    let mut messages = Vec::new();
    for serial in ["CAM-0001", "CAM-9999"] {
        let resp = submit(
            &eve,
            "/cameras/add",
            "/cameras/add",
            &[("serial", serial), ("verification_code", "WRONG1")],
        )
        .await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
        let page = resp.text().await.unwrap();
        assert!(page.contains("class=\"error\""));
        assert!(page.contains("do not match"));
        messages.push(page.replace(serial, ""));
    }
    assert_eq!(messages[0], messages[1], "unknown serials look the same");

    let alice = app.person("alice", Role::User).await;
    alice.bind(1).await;
    let bob = app.person("bob", Role::User).await;
    let resp = submit(
        &bob,
        "/cameras/add",
        "/cameras/add",
        &[("serial", "CAM-0001"), ("verification_code", "CODE0001")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let page = resp.text().await.unwrap();
    assert!(page.contains("class=\"error\""));
    assert!(page.contains("belongs to another account") && page.contains("ownership claim"));
}

#[tokio::test]
async fn the_settings_form_saves_every_field_and_unchecking_turns_things_off() {
    let app = TestApp::spawn().await;
    app.provision(1).await;
    let alice = app.person("alice", Role::User).await;
    let id = alice.bind(1).await;
    let resp = alice
        .patch(
            &format!("/api/v1/cameras/{id}"),
            json!({"audio": true, "privacy": true, "alerts": false}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let path = format!("/cameras/{id}");
    let (_, page) = html(&alice, &path).await;
    assert!(page.contains("name=\"privacy\" value=\"on\" checked"));

    let resp = submit(
        &alice,
        &path,
        &format!("{path}/settings"),
        &[
            ("name", "Front door"),
            ("recording_mode", "continuous"),
            ("alerts", "on"),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(location(&resp).starts_with(&path));
    let cam = camera_json(&alice, id).await;
    assert_eq!(cam["name"], "Front door");
    assert_eq!(cam["recording_mode"], "continuous");
    assert_eq!(cam["audio"], false, "unchecked audio is off");
    assert_eq!(cam["privacy"], false, "unchecked privacy is off");
    assert_eq!(cam["alerts"], true);
    let (_, page) = html(&alice, location(&resp)).await;
    assert!(page.contains("Settings saved"));

    let resp = submit(
        &alice,
        &path,
        &format!("{path}/settings"),
        &[("name", "   "), ("recording_mode", "events")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(resp.text().await.unwrap().contains("class=\"error\""));
    assert_eq!(
        camera_json(&alice, id).await["recording_mode"],
        "continuous"
    );
}

#[tokio::test]
async fn schedule_windows_are_added_and_removed() {
    let app = TestApp::spawn().await;
    app.provision(1).await;
    let alice = app.person("alice", Role::User).await;
    let id = alice.bind(1).await;
    let path = format!("/cameras/{id}");
    let (_, page) = html(&alice, &path).await;
    assert!(page.contains("time zone") && page.contains("at all times"));

    let resp = submit(
        &alice,
        &path,
        &format!("{path}/schedule/add"),
        &[
            ("day", "fri"),
            ("day", "mon"),
            ("start", "08:00"),
            ("end", "18:00"),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let cam = camera_json(&alice, id).await;
    assert_eq!(
        cam["schedule"],
        json!([{"days": ["mon", "fri"], "start": "08:00", "end": "18:00"}])
    );
    let (_, page) = html(&alice, &path).await;
    assert!(page.contains("Mon, Fri") && page.contains("08:00–18:00"));

    // No day, or an end before the start: refused, shown, nothing saved.
    for fields in [
        &[("start", "08:00"), ("end", "18:00")][..],
        &[("day", "sat"), ("start", "18:00"), ("end", "08:00")][..],
    ] {
        let resp = submit(&alice, &path, &format!("{path}/schedule/add"), fields).await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
        assert!(resp.text().await.unwrap().contains("class=\"error\""));
    }
    // A remove form for a window that has changed since is refused.
    let resp = submit(
        &alice,
        &path,
        &format!("{path}/schedule/remove"),
        &[("index", "0"), ("window", "sat 01:00-02:00")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        camera_json(&alice, id).await["schedule"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let resp = submit(
        &alice,
        &path,
        &format!("{path}/schedule/remove"),
        &[("index", "0"), ("window", "mon,fri 08:00-18:00")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(camera_json(&alice, id).await["schedule"], json!([]));
}

// promise: B4
#[tokio::test]
async fn unbinding_through_the_form_removes_the_camera() {
    let app = TestApp::spawn().await;
    app.provision(1).await;
    let alice = app.person("alice", Role::User).await;
    let id = alice.bind(1).await;
    let path = format!("/cameras/{id}");
    let resp = submit(&alice, &path, &format!("{path}/unbind"), &[]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), "/cameras");
    let list: Vec<Value> = alice.get("/api/v1/cameras").await.json().await.unwrap();
    assert!(list.is_empty());
    let (status, page) = html(&alice, &path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(page.contains("class=\"error\""));
}

#[tokio::test]
async fn other_peoples_cameras_are_not_found_and_forged_forms_change_nothing() {
    let app = TestApp::spawn().await;
    app.provision(1).await;
    let alice = app.person("alice", Role::User).await;
    let id = alice.bind(1).await;
    let path = format!("/cameras/{id}");

    let bob = app.person("bob", Role::User).await;
    for p in [path.as_str(), "/cameras/999999", "/cameras/nonsense"] {
        let (status, _) = html(&bob, p).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{p}");
    }
    let resp = submit(
        &bob,
        "/cameras",
        &format!("{path}/settings"),
        &[("name", "Mine now"), ("recording_mode", "off")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let resp = submit(&bob, "/cameras", &format!("{path}/unbind"), &[]).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);

    // Alice's own session, but a form that did not come from her page.
    for (action, fields) in [
        (
            "settings",
            vec![
                ("csrf", "forged"),
                ("name", "Hacked"),
                ("recording_mode", "off"),
            ],
        ),
        (
            "schedule/add",
            vec![
                ("csrf", "forged"),
                ("day", "mon"),
                ("start", "00:00"),
                ("end", "01:00"),
            ],
        ),
        ("unbind", vec![("csrf", "forged")]),
    ] {
        let resp = alice.post_form(&format!("{path}/{action}"), &fields).await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{action}");
    }
    let cam = camera_json(&alice, id).await;
    assert_eq!(cam["name"], "Cube 2 0001");
    assert_eq!(cam["schedule"], json!([]));
    assert_eq!(cam["access"], "owner");
}

// promise: B1
#[tokio::test]
async fn admins_import_devices_through_the_registry_page() {
    let app = TestApp::spawn().await;
    let admin = app.person("root", Role::Admin).await;
    let (status, page) = html(&admin, "/admin/devices").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("placeholder=\"serial,model,verification_code,device_secret\""));
    assert!(page.contains("No devices provisioned yet"));
    let (_, list) = html(&admin, "/cameras").await;
    assert!(
        list.contains("href=\"/admin/devices\""),
        "admins see Devices"
    );

    let good = "serial,model,verification_code,device_secret\r\n\
                CAM-0001,Cube 2,CODE0001,secret-secret-0001\r\n\
                CAM-0002,Cube 2,CODE0002,secret-secret-0002\r\n";
    let resp = submit(
        &admin,
        "/admin/devices",
        "/admin/devices/import",
        &[("csv", good)],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, page) = html(&admin, location(&resp)).await;
    assert!(page.contains("Imported 2 devices"));
    assert!(page.contains("CAM-0001") && page.contains("CAM-0002") && page.contains("not bound"));

    // A file with bad lines is refused as a whole, every bad line listed.
    let bad = format!("{good}x,Cube,CODE0003,secret-secret-0003\nCAM-0004,Cube,CODE0004,short\n");
    let resp = submit(
        &admin,
        "/admin/devices",
        "/admin/devices/import",
        &[("csv", bad.as_str())],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let page = resp.text().await.unwrap();
    assert!(page.contains("class=\"error\""));
    assert!(page.contains("<li>line 4: invalid serial"), "{page}");
    assert!(page.contains("<li>line 5: invalid device_secret"), "{page}");
    // With `update`, the good lines replace the stored devices.
    let resp = submit(
        &admin,
        "/admin/devices",
        "/admin/devices/import",
        &[("csv", good), ("update", "on")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), "/admin/devices?imported=2");

    let user = app.person("plain", Role::User).await;
    let (status, _) = html(&user, "/admin/devices").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let resp = submit(
        &user,
        "/cameras",
        "/admin/devices/import",
        &[("csv", "serial,model,verification_code,device_secret\nCAM-0009,Cube,CODE0009,secret-secret-0009\n")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let devices: Vec<Value> = admin
        .get("/api/v1/admin/devices")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(devices.len(), 2, "the plain user imported nothing");
}

/// Shares camera `id` of `owner` with a new person as `role`; returns them.
async fn share(app: &TestApp, owner: &Person, id: i64, name: &str, role: &str) -> Person {
    let email = format!("{name}@example.com");
    let p = app.verified_person(name, &email).await;
    let resp = owner
        .post(
            &format!("/api/v1/cameras/{id}/invitations"),
            json!({"contact": email, "role": role}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let resp = p.accept_first_invitation().await;
    assert_eq!(resp.status(), StatusCode::OK);
    p
}

// promise: C6
#[tokio::test]
async fn viewers_see_a_read_only_page_and_operators_cannot_unbind() {
    let app = TestApp::spawn().await;
    app.provision(1).await;
    let owner = app.person("owner", Role::User).await;
    let id = owner.bind(1).await;
    let path = format!("/cameras/{id}");

    let viewer = share(&app, &owner, id, "grandma", "viewer").await;
    let (_, list) = html(&viewer, "/cameras").await;
    assert!(list.contains(&format!("href=\"{path}\"")) && list.contains("viewer"));
    let (status, page) = html(&viewer, &path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("/settings\"") && !page.contains("/schedule/add\""));
    assert!(!page.contains("Unbind camera"));
    let resp = submit(
        &viewer,
        &path,
        &format!("{path}/settings"),
        &[("name", "Grandma's"), ("recording_mode", "off")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(resp.text().await.unwrap().contains("class=\"error\""));
    assert_eq!(camera_json(&owner, id).await["name"], "Cube 2 0001");

    let operator = share(&app, &owner, id, "partner", "operator").await;
    let (_, page) = html(&operator, &path).await;
    assert!(page.contains("/settings\"") && !page.contains("Unbind camera"));
    let resp = submit(
        &operator,
        &path,
        &format!("{path}/settings"),
        &[("name", "Hallway"), ("recording_mode", "events")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(camera_json(&owner, id).await["name"], "Hallway");
    let resp = submit(&operator, &path, &format!("{path}/unbind"), &[]).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(resp
        .text()
        .await
        .unwrap()
        .contains("Only the camera's owner can unbind it."));
    assert_eq!(camera_json(&owner, id).await["access"], "owner");
}
