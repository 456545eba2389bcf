//! The authorization matrix: every camera, sharing, device and admin
//! endpoint, called as each kind of caller, must answer exactly the status
//! in its cell. The endpoint list is checked against the OpenAPI document,
//! so a new endpoint without a row here fails the test.

use std::collections::BTreeSet;

use domain::ports::Role;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{Person, TestApp};

/// Who calls.
#[derive(Debug, Clone, Copy)]
enum Caller {
    Owner,
    Operator,
    Viewer,
    Other,
    Anonymous,
    Device,
    OtherDevice,
    Admin,
}

const CALLERS: [Caller; 8] = [
    Caller::Owner,
    Caller::Operator,
    Caller::Viewer,
    Caller::Other,
    Caller::Anonymous,
    Caller::Device,
    Caller::OtherDevice,
    Caller::Admin,
];

/// One row: method, documented path, body, and the expected status per
/// caller in the order of [`CALLERS`].
struct Row {
    method: Method,
    path: &'static str,
    body: Option<Value>,
    expect: [u16; 8],
}

fn rows() -> Vec<Row> {
    let csv = "serial,model,verification_code,device_secret\nNEW-0001,Cube 2,CODE9999,secret-secret-9999\n";
    let firmware = json!({"model": "Cube 2", "version": "9.0.0", "url": "https://fw.example.com/9.bin",
                          "sha256": "cd".repeat(32), "notes": ""});
    let row = |method: Method, path: &'static str, body: Option<Value>, expect: [u16; 8]| Row {
        method,
        path,
        body,
        expect,
    };
    //              owner oper  view  other anon  dev   odev  admin
    vec![
        row(
            Method::POST,
            "/api/v1/cameras",
            Some(json!({"serial": "CAM-0002", "verification_code": "CODE0002"})),
            [201, 201, 201, 201, 401, 401, 401, 201],
        ),
        row(
            Method::GET,
            "/api/v1/cameras",
            None,
            [200, 200, 200, 200, 401, 401, 401, 200],
        ),
        row(
            Method::GET,
            "/api/v1/cameras/{id}",
            None,
            [200, 200, 200, 404, 401, 401, 401, 404],
        ),
        row(
            Method::PATCH,
            "/api/v1/cameras/{id}",
            Some(json!({"name": "Hall"})),
            [200, 200, 403, 404, 401, 401, 401, 404],
        ),
        row(
            Method::DELETE,
            "/api/v1/cameras/{id}",
            None,
            [204, 403, 403, 404, 401, 401, 401, 404],
        ),
        row(
            Method::GET,
            "/api/v1/cameras/{id}/network",
            None,
            [200, 200, 200, 404, 401, 401, 401, 404],
        ),
        row(
            Method::POST,
            "/api/v1/cameras/{id}/invitations",
            Some(json!({"contact": "new@example.com", "role": "viewer"})),
            [201, 403, 403, 404, 401, 401, 401, 404],
        ),
        row(
            Method::DELETE,
            "/api/v1/cameras/{id}/invitations/{invitation_id}",
            None,
            [204, 403, 403, 404, 401, 401, 401, 404],
        ),
        row(
            Method::GET,
            "/api/v1/cameras/{id}/shares",
            None,
            [200, 403, 403, 404, 401, 401, 401, 404],
        ),
        row(
            Method::DELETE,
            "/api/v1/cameras/{id}/shares/{account_id}",
            None,
            [204, 403, 204, 404, 401, 401, 401, 404],
        ),
        row(
            Method::GET,
            "/api/v1/invitations",
            None,
            [200, 200, 200, 200, 401, 401, 401, 200],
        ),
        row(
            Method::DELETE,
            "/api/v1/invitations/{id}",
            None,
            [404, 404, 404, 204, 401, 401, 401, 404],
        ),
        row(
            Method::POST,
            "/api/v1/invitations/{id}/accept",
            Some(json!({})),
            [404, 404, 404, 200, 401, 401, 401, 404],
        ),
        // Device credentials travel in the body: whoever calls gets a token.
        row(
            Method::POST,
            "/api/v1/device/token",
            Some(json!({"serial": "CAM-0001", "secret": "secret-secret-0001"})),
            [201, 201, 201, 201, 201, 201, 201, 201],
        ),
        row(
            Method::POST,
            "/api/v1/device/heartbeat",
            Some(json!({"uptime_secs": 5})),
            [401, 401, 401, 401, 401, 200, 200, 401],
        ),
        row(
            Method::GET,
            "/api/v1/device/settings",
            None,
            [401, 401, 401, 401, 401, 200, 200, 401],
        ),
        row(
            Method::PUT,
            "/api/v1/device/init",
            Some(json!("@init")),
            // The other device's camera is not bound: nothing it sends is kept.
            [401, 401, 401, 401, 401, 201, 403, 401],
        ),
        row(
            Method::PUT,
            "/api/v1/device/segments/{segment_id}",
            Some(json!("@segment")),
            // The fixture's camera has no init yet, so the device's upload names an unknown one.
            [401, 401, 401, 401, 401, 404, 403, 401],
        ),
        row(
            Method::GET,
            "/api/v1/cameras/{id}/recordings.m3u8",
            None,
            [200, 200, 200, 404, 401, 401, 401, 404],
        ),
        row(
            Method::GET,
            "/api/v1/cameras/{id}/recordings/timeline",
            None,
            [200, 200, 200, 404, 401, 401, 401, 404],
        ),
        row(
            Method::GET,
            "/api/v1/cameras/{id}/recordings/download.mp4",
            None,
            [404, 404, 404, 404, 401, 401, 401, 404],
        ),
        row(
            Method::GET,
            "/api/v1/cameras/{id}/recordings/inits/{name}",
            None,
            [404, 404, 404, 404, 401, 401, 401, 404],
        ),
        row(
            Method::GET,
            "/api/v1/cameras/{id}/recordings/segments/{name}",
            None,
            [404, 404, 404, 404, 401, 401, 401, 404],
        ),
        row(
            Method::GET,
            "/api/v1/cameras/{id}/live",
            None,
            // A plain GET is not a WebSocket: people with access hear so.
            [426, 426, 426, 404, 401, 401, 401, 404],
        ),
        row(
            Method::POST,
            "/api/v1/device/events",
            Some(json!({"type": "motion", "at_ms": 1_790_000_000_000_i64})),
            [401, 401, 401, 401, 401, 201, 403, 401],
        ),
        row(
            Method::GET,
            "/api/v1/cameras/{id}/events",
            None,
            [200, 200, 200, 404, 401, 401, 401, 404],
        ),
        row(
            Method::GET,
            "/api/v1/cameras/{id}/events/{event_id}/snapshot.jpg",
            None,
            [404, 404, 404, 404, 401, 401, 401, 404],
        ),
        row(
            Method::GET,
            "/api/v1/cameras/{id}/alert-preferences",
            None,
            [200, 200, 200, 404, 401, 401, 401, 404],
        ),
        row(
            Method::PUT,
            "/api/v1/cameras/{id}/alert-preferences",
            Some(json!({"email": true})),
            // Everyone with access sets their own switches.
            [200, 200, 200, 404, 401, 401, 401, 404],
        ),
        row(
            Method::GET,
            "/api/v1/cameras/{id}/motion",
            None,
            [200, 200, 200, 404, 401, 401, 401, 404],
        ),
        row(
            Method::PUT,
            "/api/v1/cameras/{id}/motion",
            Some(json!({"enabled": true, "sensitivity": 70,
                        "masked_zones": [{"x": 0.0, "y": 0.0, "w": 0.5, "h": 0.2}]})),
            [200, 200, 403, 404, 401, 401, 401, 404],
        ),
        row(
            Method::POST,
            "/api/v1/cameras/{id}/event-windows",
            Some(json!({"at_ms": 1_790_000_000_000_i64})),
            [201, 201, 403, 404, 401, 401, 401, 404],
        ),
        row(
            Method::PUT,
            "/api/v1/cameras/{id}/retention",
            Some(json!({"days": 7})),
            [204, 403, 403, 404, 401, 401, 401, 404],
        ),
        row(
            Method::GET,
            "/api/v1/device/firmware",
            None,
            [401, 401, 401, 401, 401, 204, 204, 401],
        ),
        row(
            Method::POST,
            "/api/v1/admin/devices",
            Some(Value::String(csv.into())),
            [403, 403, 403, 403, 401, 401, 401, 201],
        ),
        row(
            Method::GET,
            "/api/v1/admin/devices",
            None,
            [403, 403, 403, 403, 401, 401, 401, 200],
        ),
        row(
            Method::POST,
            "/api/v1/admin/firmware",
            Some(firmware),
            [403, 403, 403, 403, 401, 401, 401, 201],
        ),
        row(
            Method::GET,
            "/api/v1/admin/requests",
            None,
            [403, 403, 403, 403, 401, 401, 401, 200],
        ),
        row(
            Method::POST,
            "/api/v1/admin/requests/{id}/state",
            Some(json!({"state": "verified"})),
            // No request has the camera's id here: admins get 404.
            [403, 403, 403, 403, 401, 401, 401, 404],
        ),
        row(
            Method::POST,
            "/api/v1/admin/accounts/{id}/erasure",
            Some(json!({"reason": "matrix"})),
            // No cancelled account has the camera's id here: admins get 404.
            [403, 403, 403, 403, 401, 401, 401, 404],
        ),
        row(
            Method::POST,
            "/api/v1/admin/marketing",
            Some(json!({"subject": "matrix", "body": "Nobody opted in."})),
            [403, 403, 403, 403, 401, 401, 401, 200],
        ),
        row(
            Method::POST,
            "/api/v1/admin/breach-notices/preview",
            Some(json!({"audience": {"kind": "everyone"}})),
            [403, 403, 403, 403, 401, 401, 401, 200],
        ),
        row(
            Method::POST,
            "/api/v1/admin/breach-notices",
            Some(
                json!({"title": "matrix", "what_happened": "a", "data_affected": "b",
                        "measures": "c", "advice": "d", "contact": "e",
                        "audience": {"kind": "accounts", "ids": [1]}}),
            ),
            [403, 403, 403, 403, 401, 401, 401, 201],
        ),
        // No notice has the camera's id here: admins get 404.
        row(
            Method::GET,
            "/api/v1/admin/breach-notices/{id}",
            None,
            [403, 403, 403, 403, 401, 401, 401, 404],
        ),
        row(
            Method::POST,
            "/api/v1/admin/breach-notices/{id}/send",
            None,
            [403, 403, 403, 403, 401, 401, 401, 404],
        ),
        row(
            Method::GET,
            "/api/v1/admin/plans",
            None,
            [403, 403, 403, 403, 401, 401, 401, 200],
        ),
        row(
            Method::POST,
            "/api/v1/admin/plans",
            Some(
                json!({"name": "Matrix", "price": "1.00", "currency": "EUR", "period_days": 30,
                        "retention_days": 7, "mode": "continuous", "cameras": 1, "quota_mb": 0}),
            ),
            [403, 403, 403, 403, 401, 401, 401, 201],
        ),
        // No plan has the camera's id here: admins get 404.
        row(
            Method::PUT,
            "/api/v1/admin/plans/{id}/offered",
            Some(json!({"offered": false})),
            [403, 403, 403, 403, 401, 401, 401, 404],
        ),
        row(
            Method::GET,
            "/api/v1/admin/orders",
            None,
            [403, 403, 403, 403, 401, 401, 401, 200],
        ),
        row(
            Method::POST,
            "/api/v1/admin/orders/{number}/paid",
            None,
            [403, 403, 403, 403, 401, 401, 401, 404],
        ),
        row(
            Method::POST,
            "/api/v1/admin/orders/{number}/refund",
            None,
            [403, 403, 403, 403, 401, 401, 401, 404],
        ),
        row(
            Method::GET,
            "/api/v1/admin/billing-flags",
            None,
            [403, 403, 403, 403, 401, 401, 401, 200],
        ),
        row(
            Method::GET,
            "/api/v1/admin/usage",
            None,
            [403, 403, 403, 403, 401, 401, 401, 200],
        ),
        row(
            Method::GET,
            "/api/v1/admin/retention",
            None,
            [403, 403, 403, 403, 401, 401, 401, 200],
        ),
        row(
            Method::POST,
            "/api/v1/admin/policies",
            Some(json!({"version": "matrix-1", "major": false, "summary": "Wording."})),
            [403, 403, 403, 403, 401, 401, 401, 201],
        ),
        row(
            Method::GET,
            "/api/v1/admin/statistics",
            None,
            [403, 403, 403, 403, 401, 401, 401, 200],
        ),
        row(
            Method::GET,
            "/api/v1/admin/firmware",
            None,
            [403, 403, 403, 403, 401, 401, 401, 200],
        ),
        row(
            Method::POST,
            "/api/v1/cameras/rtsp",
            Some(json!({"name": "IP", "url": "rtsp://127.0.0.1:9/x"})),
            [201, 201, 201, 201, 401, 401, 401, 201],
        ),
        // Camera 1 is a cloud camera: those allowed to manage it learn it has no RTSP source.
        row(
            Method::PUT,
            "/api/v1/cameras/{id}/rtsp",
            Some(json!({"password": "x"})),
            [400, 400, 403, 404, 401, 401, 401, 404],
        ),
        row(
            Method::POST,
            "/api/v1/cameras/{id}/test-connection",
            Some(json!({})),
            [400, 400, 403, 404, 401, 401, 401, 404],
        ),
        // Filing needs the label code, which no caller here sends: a refusal for every person.
        row(
            Method::POST,
            "/api/v1/claims",
            Some(json!({"serial": "CAM-0001"})),
            [400, 400, 400, 400, 401, 401, 401, 400],
        ),
        row(
            Method::GET,
            "/api/v1/claims",
            None,
            [200, 200, 200, 200, 401, 401, 401, 200],
        ),
        row(
            Method::GET,
            "/api/v1/admin/claims",
            None,
            [403, 403, 403, 403, 401, 401, 401, 200],
        ),
        row(
            Method::GET,
            "/api/v1/admin/claims/{id}/evidence",
            None,
            [403, 403, 403, 403, 401, 401, 401, 404],
        ),
        row(
            Method::POST,
            "/api/v1/admin/claims/{id}/decision",
            Some(json!({"approve": false, "reason": "r"})),
            [403, 403, 403, 403, 401, 401, 401, 404],
        ),
    ]
}

/// Everyone and everything a row needs: camera 1 owned, shared with an
/// operator and a viewer, a pending invitation to `other`, two device tokens.
struct Fixture {
    app: TestApp,
    owner: Person,
    operator: Person,
    viewer: Person,
    other: Person,
    admin: Person,
    device: String,
    other_device: String,
    camera: i64,
    viewer_id: i64,
    invitation_to_other: i64,
    invitation_by_owner: i64,
}

async fn verified(app: &TestApp, name: &str) -> Person {
    app.verified_person(name, &format!("{name}@example.com"))
        .await
}

async fn share(
    app: &TestApp,
    owner: &Person,
    camera: i64,
    person: &Person,
    name: &str,
    role: &str,
) {
    owner
        .post(
            &format!("/api/v1/cameras/{camera}/invitations"),
            json!({"contact": format!("{name}@example.com"), "role": role}),
        )
        .await;
    let resp = person.accept_first_invitation().await;
    assert_eq!(resp.status(), StatusCode::OK, "{name} accepts");
    let _ = app;
}

impl Fixture {
    async fn new() -> Fixture {
        let app = TestApp::spawn().await;
        app.provision(2).await;
        let owner = app.person("owner", Role::User).await;
        let camera = owner.bind(1).await;
        let operator = verified(&app, "operator").await;
        let viewer = verified(&app, "viewer").await;
        let other = verified(&app, "other").await;
        let admin = app.person("admin", Role::Admin).await;
        share(&app, &owner, camera, &operator, "operator", "operator").await;
        share(&app, &owner, camera, &viewer, "viewer", "viewer").await;
        let inv: Value = owner
            .post(
                &format!("/api/v1/cameras/{camera}/invitations"),
                json!({"contact": "other@example.com", "role": "viewer"}),
            )
            .await
            .json()
            .await
            .unwrap();
        let by_owner: Value = owner
            .post(
                &format!("/api/v1/cameras/{camera}/invitations"),
                json!({"contact": "pending@example.com", "role": "viewer"}),
            )
            .await
            .json()
            .await
            .unwrap();
        let shares: Value = owner
            .get(&format!("/api/v1/cameras/{camera}/shares"))
            .await
            .json()
            .await
            .unwrap();
        let viewer_id = shares["shares"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["username"] == "viewer")
            .unwrap()["account_id"]
            .as_i64()
            .unwrap();
        let device = app.device_token(1).await;
        let other_device = app.device_token(2).await;
        Fixture {
            app,
            owner,
            operator,
            viewer,
            other,
            admin,
            device,
            other_device,
            camera,
            viewer_id,
            invitation_to_other: inv["id"].as_i64().unwrap(),
            invitation_by_owner: by_owner["id"].as_i64().unwrap(),
        }
    }

    fn url(&self, path: &str) -> String {
        let concrete = if path.starts_with("/api/v1/invitations/{id}") {
            path.replace("{id}", &self.invitation_to_other.to_string())
        } else {
            path.replace("{id}", &self.camera.to_string())
        };
        let mut concrete = concrete
            .replace("{invitation_id}", &self.invitation_by_owner.to_string())
            .replace("{account_id}", &self.viewer_id.to_string())
            .replace("{segment_id}", "seg-1?init_id=1&start_ms=1790000000000")
            .replace("inits/{name}", "inits/1.mp4")
            .replace("segments/{name}", "segments/1.m4s")
            .replace("{event_id}", "1")
            .replace("{number}", "CV-2026-999999");
        if concrete.ends_with(".m3u8")
            || concrete.ends_with("/events")
            || concrete.ends_with("/timeline")
            || concrete.ends_with("download.mp4")
        {
            concrete.push_str("?from=1789990000000&to=1790010000000");
        }
        self.app.url(&concrete)
    }

    async fn call(&self, caller: Caller, row: &Row) -> StatusCode {
        let person = match caller {
            Caller::Owner => Some(&self.owner),
            Caller::Operator => Some(&self.operator),
            Caller::Viewer => Some(&self.viewer),
            Caller::Other => Some(&self.other),
            Caller::Admin => Some(&self.admin),
            _ => None,
        };
        let mut req = match person {
            Some(p) => p
                .client
                .request(row.method.clone(), self.url(row.path))
                .header("x-csrf-token", &p.csrf),
            None => reqwest::Client::new().request(row.method.clone(), self.url(row.path)),
        };
        match caller {
            Caller::Device => req = req.bearer_auth(&self.device),
            Caller::OtherDevice => req = req.bearer_auth(&self.other_device),
            _ => {}
        }
        req = match &row.body {
            Some(Value::String(media)) if media == "@init" => req
                .header("content-type", "video/mp4")
                .body(crate::recordings::demo().0),
            Some(Value::String(media)) if media == "@segment" => req
                .header("content-type", "video/iso.segment")
                .body(crate::recordings::demo().1[0].clone()),
            Some(Value::String(text)) => req.header("content-type", "text/csv").body(text.clone()),
            Some(body) => req.json(body),
            None => req,
        };
        req.send().await.unwrap().status()
    }
}

// promise: G3
// promise: C6
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_camera_and_device_endpoint_answers_each_caller_as_the_matrix_says() {
    let rows = rows();
    let shared = Fixture::new().await;

    // The matrix covers exactly the documented endpoints in its scope.
    let doc: Value = shared
        .app
        .get("/api/openapi.json")
        .await
        .json()
        .await
        .unwrap();
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let in_scope = [
            "/api/v1/cameras",
            "/api/v1/device",
            "/api/v1/invitations",
            "/api/v1/admin",
            "/api/v1/claims",
        ]
        .iter()
        .any(|p| path.starts_with(p));
        if in_scope {
            for method in item.as_object().unwrap().keys() {
                documented.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    let covered: BTreeSet<String> = rows
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        documented, covered,
        "every in-scope endpoint needs a matrix row"
    );

    let mut failures = Vec::new();
    for row in &rows {
        for (i, caller) in CALLERS.iter().enumerate() {
            let want = row.expect[i];
            // Refusals change nothing, so they share one fixture; each
            // success gets a fresh one so earlier cells cannot affect it.
            let got = if want < 300 {
                Fixture::new().await.call(*caller, row).await
            } else {
                shared.call(*caller, row).await
            };
            if got.as_u16() != want {
                failures.push(format!(
                    "{} {} as {caller:?}: want {want}, got {}",
                    row.method,
                    row.path,
                    got.as_u16()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "matrix cells that differ:\n{}",
        failures.join("\n")
    );
}
