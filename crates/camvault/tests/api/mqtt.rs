//! MQTT: events and camera state reach the household's broker (Debian's
//! mosquitto on a loopback port), with Home Assistant discovery.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use testkit::mqtt::Subscriber;

use crate::helpers::TestApp;
use crate::recordings::recording_camera;

const SNAPSHOT: &[u8] = include_bytes!("data/snapshot.jpg");
const WAIT: Duration = Duration::from_secs(10);

/// Reports an event with a snapshot as the device holding `token`.
async fn report(app: &TestApp, token: &str, event: Value) -> Value {
    let form = reqwest::multipart::Form::new()
        .part(
            "event",
            reqwest::multipart::Part::text(event.to_string())
                .mime_str("application/json")
                .unwrap(),
        )
        .part(
            "snapshot",
            reqwest::multipart::Part::bytes(SNAPSHOT.to_vec())
                .file_name("snap.jpg")
                .mime_str("image/jpeg")
                .unwrap(),
        );
    let resp = reqwest::Client::new()
        .post(app.url("/api/v1/device/events"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    resp.json().await.unwrap()
}

#[tokio::test]
async fn events_state_and_discovery_reach_the_broker() {
    let Some(broker) = testkit::mqtt::start() else {
        return;
    };
    let app = TestApp::spawn_with(|c| {
        c.mqtt_url = Some(broker.url());
        c.mqtt_prefix = "home/cams".into();
        c.mqtt_state_interval_secs = 1;
    })
    .await;
    let mut sub = Subscriber::connect(&broker, "home/cams/#").await;
    let cam = recording_camera(&app).await;
    let resp = app.heartbeat(&cam.token, json!({})).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let topic = |leaf: &str| format!("home/cams/{}/{leaf}", cam.id);

    // camvault announces itself (retained, its last will says offline).
    let status = sub.next("home/cams/status", WAIT).await.expect("status");
    assert_eq!(status.text(), "online");

    let event = report(
        &app,
        &cam.token,
        json!({"type": "person", "at_ms": app.now_ms(), "score": 0.9, "labels": ["Porch"]}),
    )
    .await;
    let published = sub.next(&topic("event"), WAIT).await.expect("the event");
    assert!(!published.retain);
    let published = published.json();
    assert_eq!(published["id"], event["id"]);
    assert_eq!(published["camera_id"], cam.id);
    assert_eq!(published["type"], "person");
    assert_eq!(published["at_ms"], app.now_ms());
    assert!(published["at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(published["score"], 0.9);
    assert_eq!(published["labels"], json!(["porch"]));
    assert_eq!(published["has_snapshot"], true);
    let motion = sub
        .until(&topic("motion"), WAIT, |m| m.text() == "ON")
        .await
        .expect("motion ON");
    assert_eq!(motion.text(), "ON");
    let snapshot = sub.next(&topic("snapshot"), WAIT).await.expect("snapshot");
    assert_eq!(snapshot.payload, SNAPSHOT);
    // Reading the snapshot for the broker is in the owner's access log.
    let log: Vec<Value> = cam
        .owner
        .get("/api/v1/me/access-log")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        log.iter()
            .any(|e| e["action"] == "integration.mqtt" && e["role"] == "system"),
        "{log:?}"
    );

    // The state job publishes the camera as online, not in privacy mode.
    let state = sub
        .until(&topic("state"), WAIT, |m| m.json()["online"] == true)
        .await
        .expect("state online")
        .json();
    let settings: Value = cam.owner.get(&cam.path("")).await.json().await.unwrap();
    assert_eq!(state["privacy"], false);
    assert_eq!(state["recording_mode"], settings["recording_mode"]);
    assert_eq!(state["name"], settings["name"]);
    let name = state["name"].as_str().unwrap().to_owned();
    let available = sub
        .until(&topic("availability"), WAIT, |m| m.text() == "online")
        .await;
    assert!(available.is_some(), "availability online");

    // Discovery configs are retained: a later subscriber still gets them.
    let mut ha = Subscriber::connect(&broker, "homeassistant/#").await;
    let motion_config = format!(
        "homeassistant/binary_sensor/camvault_{}_motion/config",
        cam.id
    );
    let m = ha.next(&motion_config, WAIT).await.expect("motion config");
    assert!(m.retain);
    let m = m.json();
    assert_eq!(m["unique_id"], format!("camvault_{}_motion", cam.id));
    assert_eq!(m["device_class"], "motion");
    assert_eq!(m["state_topic"], topic("motion"));
    assert_eq!(
        (m["payload_on"].clone(), m["payload_off"].clone()),
        (json!("ON"), json!("OFF"))
    );
    let device = json!({"identifiers": ["camvault_CAM-0001"], "name": name,
                        "model": "Cube 2", "manufacturer": "camvault"});
    assert_eq!(m["device"], device);
    assert_eq!(m["availability"][1]["topic"], topic("availability"));
    let image_config = format!("homeassistant/image/camvault_{}_snapshot/config", cam.id);
    let i = ha.next(&image_config, WAIT).await.expect("image config");
    assert!(i.retain);
    let i = i.json();
    assert_eq!(i["unique_id"], format!("camvault_{}_snapshot", cam.id));
    assert_eq!(i["image_topic"], topic("snapshot"));
    assert_eq!(i["content_type"], "image/jpeg");
    assert_eq!(i["device"], device);

    // The owner turns privacy on: the next state says so.
    let resp = cam
        .owner
        .patch(&cam.path(""), json!({"privacy": true}))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let state = sub
        .until(&topic("state"), WAIT, |m| m.json()["privacy"] == true)
        .await;
    assert!(state.is_some(), "state with privacy true");
}
