//! The first administrator: the one-time setup link and the CLI.

use std::io::Write;
use std::process::{Command, Stdio};

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_error, TestApp, PASSWORD};

#[tokio::test]
async fn the_setup_link_creates_one_admin_and_then_stops_working() {
    let app = TestApp::spawn().await;
    let token = app
        .accounts
        .issue_setup_token()
        .await
        .unwrap()
        .expect("no admin yet");

    let page = app.get(&format!("/setup?token={token}")).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("Create the administrator"));
    assert_eq!(
        app.get("/setup?token=wrong").await.status(),
        StatusCode::FORBIDDEN
    );

    let resp = app
        .post(
            "/api/v1/setup",
            json!({"token": token, "username": "root", "password": PASSWORD}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["account"]["role"], "admin");

    let again = app
        .post(
            "/api/v1/setup",
            json!({"token": token, "username": "root2", "password": PASSWORD}),
        )
        .await;
    assert_error(again, StatusCode::FORBIDDEN, "forbidden").await;
    assert_eq!(app.accounts.issue_setup_token().await.unwrap(), None);
}

#[tokio::test]
async fn the_cli_creates_an_admin_for_scripts() {
    let app = TestApp::spawn().await;
    let url = app.config.database_url();
    let mut child = Command::new(env!("CARGO_BIN_EXE_camvault"))
        .args(["admin", "create-user", "--username", "ops", "--admin"])
        .args(["--data-dir", app.config.data_dir.to_str().unwrap()])
        .args(["--database-url", &url])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("created admin account ops"));

    let (status, body) = app.sign_in("ops", PASSWORD).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body["account"]["role"], "admin");
    assert_eq!(app.accounts.issue_setup_token().await.unwrap(), None);
}

#[tokio::test]
async fn the_cli_refuses_a_weak_password() {
    let app = TestApp::spawn().await;
    let mut child = Command::new(env!("CARGO_BIN_EXE_camvault"))
        .args(["admin", "create-user", "--username", "ops"])
        .args(["--data-dir", app.config.data_dir.to_str().unwrap()])
        .args(["--database-url", &app.config.database_url()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "password").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("weak password"));
}
