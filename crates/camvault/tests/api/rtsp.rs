//! IP cameras and NVR channels over RTSP: adding, credentials at rest, and
//! "test connection" against a real RTSP server on loopback.

use domain::ports::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_error, TestApp};

const PASSWORD: &str = "rtsp-Pa55word-x9";

// promise: B7
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ip_camera_is_added_tested_and_its_credentials_never_come_back() {
    let Some(cam) = testkit::rtsp::start(&["--user", "admin", "--password", PASSWORD]) else {
        return;
    };
    let app = TestApp::spawn().await;
    let owner = app.person("ipowner", Role::User).await;
    let resp = owner
        .post(
            "/api/v1/cameras/rtsp",
            json!({"name": "Garage", "url": cam.url, "username": "admin", "password": PASSWORD}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let text = resp.text().await.unwrap();
    assert!(!text.contains(PASSWORD), "the password came back: {text}");
    let created: Vec<Value> = serde_json::from_str(&text).unwrap();
    assert_eq!(created[0]["kind"], "rtsp");
    assert_eq!(created[0]["source_url"], cam.url);
    let id = created[0]["id"].as_i64().unwrap();

    let test: Value = owner
        .post(&format!("/api/v1/cameras/{id}/test-connection"), json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(test["ok"], true, "{test}");
    assert_eq!(test["codec"], "h264");
    assert_eq!(
        (test["width"].as_u64(), test["height"].as_u64()),
        (Some(640), Some(360))
    );

    // Stored encrypted: the sealed source does not hold the password.
    let store = store::SqlStore::connect(&app.config.database_url())
        .await
        .unwrap();
    let sealed = domain::ports::CameraStore::rtsp_source(&store, domain::ids::CameraId(id))
        .await
        .unwrap()
        .unwrap();
    assert!(!sealed
        .windows(PASSWORD.len())
        .any(|w| w == PASSWORD.as_bytes()));

    // A wrong password gives a clear reason, and the reason does not echo it.
    let resp = owner
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/cameras/{id}/rtsp"),
            Some(json!({"password": "not-the-right-one"})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let test: Value = owner
        .post(&format!("/api/v1/cameras/{id}/test-connection"), json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(test["ok"], false);
    assert_eq!(test["reason"], "auth_failed");
    assert!(!test.to_string().contains("not-the-right-one"));
    let one: Value = owner
        .get(&format!("/api/v1/cameras/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert!(!one.to_string().contains("not-the-right-one"));
}

// promise: B7
#[tokio::test]
async fn an_nvr_adds_one_camera_per_channel_and_bad_sources_are_explained() {
    let app = TestApp::spawn().await;
    let owner = app.person("nvrowner", Role::User).await;
    let port = testkit::rtsp::free_port();
    let resp = owner
        .post(
            "/api/v1/cameras/rtsp",
            json!({"name": "NVR", "url": format!("rtsp://user:secretpw@127.0.0.1:{port}/ch{{channel}}"), "channels": 3}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let cams: Vec<Value> = resp.json().await.unwrap();
    let names: Vec<&str> = cams.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["NVR 1", "NVR 2", "NVR 3"]);
    assert_eq!(
        cams[1]["source_url"],
        format!("rtsp://127.0.0.1:{port}/ch2"),
        "credentials moved out of the URL"
    );

    // Nothing listens there: a clear reason, not an error page.
    let test: Value = owner
        .post(
            &format!("/api/v1/cameras/{}/test-connection", cams[0]["id"]),
            json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(test["ok"], false);
    assert_eq!(test["reason"], "unreachable");
    assert!(!test.to_string().contains("secretpw"));

    for body in [
        json!({"name": "X", "url": "http://127.0.0.1/cam"}),
        json!({"name": "X", "url": "rtsp://127.0.0.1/cam", "channels": 4}),
        json!({"name": "X", "url": "rtsp://127.0.0.1/ch{channel}"}),
        json!({"name": "", "url": "rtsp://127.0.0.1/cam"}),
    ] {
        let resp = owner.post("/api/v1/cameras/rtsp", body).await;
        assert_error(resp, StatusCode::BAD_REQUEST, "invalid_input").await;
    }
    // Unbinding an IP camera removes it entirely.
    let path = format!("/api/v1/cameras/{}", cams[2]["id"]);
    assert_eq!(owner.delete(&path).await.status(), StatusCode::NO_CONTENT);
    let list: Vec<Value> = owner.get("/api/v1/cameras").await.json().await.unwrap();
    assert_eq!(list.len(), 2);
}
