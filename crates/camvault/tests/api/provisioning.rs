//! Importing manufactured devices (admin).

use domain::ports::Role;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{assert_error, TestApp};

const HEADER: &str = "serial,model,verification_code,device_secret\n";

// promise: B1
#[tokio::test]
async fn an_import_is_all_or_nothing_and_names_every_bad_line() {
    let app = TestApp::spawn().await;
    let admin = app.person("root", Role::Admin).await;
    let csv = format!(
        "{HEADER}CAM-0001,Cube,CODE0001,secret-secret-0001\n\
         x,Cube,CODE0002,secret-secret-0002\n\
         CAM-0003,Cube,CODE0003,short\n\
         CAM-0001,Cube,CODE0004,secret-secret-0004\n\
         CAM-0005,,CODE0005,secret-secret-0005\n"
    );
    let resp = admin.post_csv("/api/v1/admin/devices", &csv).await;
    let body = assert_error(resp, StatusCode::BAD_REQUEST, "import_rejected").await;
    let msg = body["error"]["message"].as_str().unwrap();
    for line in [
        "line 3: invalid serial",
        "line 4: invalid device_secret",
        "line 5: serial CAM-0001 already appears on line 2",
        "line 6: invalid model",
    ] {
        assert!(msg.contains(line), "{line} missing from: {msg}");
    }
    let list: Vec<Value> = admin
        .get("/api/v1/admin/devices")
        .await
        .json()
        .await
        .unwrap();
    assert!(list.is_empty(), "nothing stored from a bad file");

    let missing = admin
        .post_csv("/api/v1/admin/devices", "serial,model\nCAM-1,Cube\n")
        .await;
    let body = assert_error(missing, StatusCode::BAD_REQUEST, "import_rejected").await;
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("missing column verification_code"));
}

// promise: B1
#[tokio::test]
async fn re_importing_a_serial_needs_update() {
    let app = TestApp::spawn().await;
    let admin = app.person("root", Role::Admin).await;
    let csv = format!("{HEADER}CAM-0001,Cube,CODE0001,secret-secret-0001\nCAM-0002,Cube,CODE0002,secret-secret-0002\n");
    let resp = admin.post_csv("/api/v1/admin/devices", &csv).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert_eq!(resp.json::<Value>().await.unwrap()["imported"], 2);

    let again = admin.post_csv("/api/v1/admin/devices", &csv).await;
    let body = assert_error(again, StatusCode::BAD_REQUEST, "import_rejected").await;
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("line 2: serial CAM-0001 is already provisioned"));

    let updated = format!("{HEADER}CAM-0001,Cube Pro,NEWCODE1,secret-secret-new1\n");
    let resp = admin
        .post_csv("/api/v1/admin/devices?update=true", &updated)
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let list: Vec<Value> = admin
        .get("/api/v1/admin/devices")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.len(), 2);
    assert!(list
        .iter()
        .any(|d| d["serial"] == "CAM-0001" && d["model"] == "Cube Pro"));
}

// promise: B1
#[tokio::test]
async fn codes_and_secrets_are_stored_only_as_keyed_hashes() {
    let app = TestApp::spawn().await;
    app.provision(1).await;
    let store = store::SqlStore::connect(&app.config.database_url())
        .await
        .unwrap();
    let cam = domain::ports::CameraStore::camera_by_serial(&store, "CAM-0001")
        .await
        .unwrap()
        .unwrap();
    for stored in [&cam.code_hash, &cam.secret_hash] {
        assert_eq!(stored.len(), 64);
        assert!(!stored.contains("CODE0001") && !stored.contains("secret-secret-0001"));
    }
    // Keyed: a plain SHA-256 of the code would be guessable offline.
    assert_ne!(
        cam.code_hash,
        domain::accounts::secrets::token_hash("CODE0001")
    );
}

#[tokio::test]
async fn only_admins_import_devices() {
    let app = TestApp::spawn().await;
    let user = app.person("plain", Role::User).await;
    let resp = user.post_csv("/api/v1/admin/devices", HEADER).await;
    assert_error(resp, StatusCode::FORBIDDEN, "forbidden").await;
    assert_error(
        user.get("/api/v1/admin/devices").await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let anon = reqwest::Client::new()
        .post(app.url("/api/v1/admin/devices"))
        .body(HEADER)
        .send()
        .await
        .unwrap();
    assert_error(anon, StatusCode::UNAUTHORIZED, "unauthenticated").await;
}

#[tokio::test]
async fn the_cli_imports_a_file_and_reports_bad_lines() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.csv");
    std::fs::write(
        &good,
        format!("{HEADER}CLI-0001,Cube,CODE0001,secret-secret-0001\n"),
    )
    .unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        format!("{HEADER}CLI-0002,Cube,!,secret-secret-0002\n"),
    )
    .unwrap();
    let run = |file: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_camvault"))
            .args(["admin", "provision"])
            .arg(file)
            .args(["--data-dir", app.config.data_dir.to_str().unwrap()])
            .args(["--database-url", &app.config.database_url()])
            .output()
            .unwrap()
    };
    let out = run(&good);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("provisioned 1 devices"));
    let out = run(&bad);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 2: invalid verification_code"), "{err}");
    let out = run(&good);
    assert!(!out.status.success(), "re-import without --update fails");
}
