//! The MQTT publisher against a real broker (Debian's mosquitto on a
//! loopback port): motion resets, cameras that leave are cleared, and
//! camvault says when it goes offline.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use delivery::MqttPublisher;
use domain::cameras::{Camera, CameraKind, CameraSettings, DeviceFacts, RecordingMode};
use domain::clock::Timestamp;
use domain::events::integration::SnapshotReader;
use domain::events::Event;
use domain::ids::{AccountId, CameraId};
use domain::ports::AlertSink;
use testkit::mqtt::Subscriber;

const WAIT: Duration = Duration::from_secs(10);

/// Hands out a fixed JPEG for events that have a snapshot.
struct FixedSnapshot;

#[async_trait]
impl SnapshotReader for FixedSnapshot {
    async fn snapshot(&self, event: &Event, _: &'static str) -> domain::Result<Option<Vec<u8>>> {
        Ok(event
            .snapshot_key
            .as_ref()
            .map(|_| b"\xff\xd8jpeg".to_vec()))
    }
}

fn camera(id: i64) -> Camera {
    Camera {
        id: CameraId(id),
        kind: CameraKind::Cloud,
        source_url: None,
        serial: format!("CAM-{id:04}"),
        model: "Cube 2".into(),
        code_hash: "h".into(),
        secret_hash: "h".into(),
        owner: Some(AccountId(1)),
        settings: CameraSettings {
            name: format!("Camera {id}"),
            recording_mode: RecordingMode::Events,
            audio: false,
            alerts: true,
            privacy: false,
            schedule: vec![],
        },
        settings_version: 1,
        facts: DeviceFacts::default(),
        bound_at: None,
    }
}

fn event(camera: i64, id: i64, snapshot: bool) -> Event {
    Event {
        id,
        camera_id: CameraId(camera),
        account_id: AccountId(1),
        kind: "motion".into(),
        at: Timestamp(1_790_000_000_000),
        score: None,
        region: None,
        labels: vec![],
        snapshot_key: snapshot.then(|| "events/x.jpg.cvb".into()),
        snapshot_size: None,
        alerted: false,
        created_at: Timestamp(1_790_000_000_000),
    }
}

#[tokio::test]
async fn motion_turns_off_after_the_hold_unless_a_newer_event_came() {
    let Some(broker) = testkit::mqtt::start() else {
        return;
    };
    let mqtt = MqttPublisher::connect(&broker.url(), "cv", "ha", Arc::new(FixedSnapshot))
        .unwrap()
        .with_motion_hold(Duration::from_millis(600));
    let mut sub = Subscriber::connect(&broker, "cv/#").await;
    let cam = camera(3);
    mqtt.event(&cam, &event(3, 1, true)).await.unwrap();
    let snap = sub.next("cv/3/snapshot", WAIT).await.expect("snapshot");
    assert_eq!(snap.payload, b"\xff\xd8jpeg");
    assert_eq!(sub.next("cv/3/motion", WAIT).await.unwrap().text(), "ON");
    // A second event within the hold keeps motion on past the first's end.
    tokio::time::sleep(Duration::from_millis(400)).await;
    mqtt.event(&cam, &event(3, 2, false)).await.unwrap();
    assert_eq!(sub.next("cv/3/motion", WAIT).await.unwrap().text(), "ON");
    let off = sub.next("cv/3/motion", WAIT).await.unwrap();
    assert_eq!(off.text(), "OFF");
    // Exactly one OFF: the first event's timer saw the newer one.
    assert!(sub
        .next("cv/3/motion", Duration::from_millis(800))
        .await
        .is_none());
    // Privacy mode: nothing is published.
    let mut private = cam.clone();
    private.settings.privacy = true;
    mqtt.event(&private, &event(3, 3, true)).await.unwrap();
    for id in [1, 2] {
        let published = sub.next("cv/3/event", WAIT).await.unwrap();
        assert_eq!(published.json()["id"], id);
    }
    assert!(sub
        .next("cv/3/event", Duration::from_millis(500))
        .await
        .is_none());
}

#[tokio::test]
async fn cameras_that_leave_are_cleared_and_shutdown_says_offline() {
    let Some(broker) = testkit::mqtt::start() else {
        return;
    };
    let mqtt = MqttPublisher::connect(&broker.url(), "cv", "ha", Arc::new(FixedSnapshot)).unwrap();
    let mut sub = Subscriber::connect(&broker, "#").await;
    mqtt.publish_cameras(&[(camera(1), true), (camera(2), false)])
        .await
        .unwrap();
    assert_eq!(
        sub.next("cv/1/availability", WAIT).await.unwrap().text(),
        "online"
    );
    assert_eq!(
        sub.next("cv/2/availability", WAIT).await.unwrap().text(),
        "offline"
    );
    assert_eq!(sub.next("cv/2/motion", WAIT).await.unwrap().text(), "OFF");
    assert!(sub
        .next("ha/image/camvault_2_snapshot/config", WAIT)
        .await
        .is_some());
    // Unchanged discovery is not sent again; state is.
    mqtt.publish_cameras(&[(camera(1), true), (camera(2), false)])
        .await
        .unwrap();
    assert!(sub.next("cv/2/state", WAIT).await.is_some());
    assert!(sub.next("cv/2/state", WAIT).await.is_some());
    assert!(sub
        .next(
            "ha/image/camvault_2_snapshot/config",
            Duration::from_millis(300)
        )
        .await
        .is_none());
    // Camera 2 was unbound: its retained topics are cleared.
    mqtt.publish_cameras(&[(camera(1), true)]).await.unwrap();
    for topic in [
        "ha/binary_sensor/camvault_2_motion/config",
        "ha/image/camvault_2_snapshot/config",
        "cv/2/state",
        "cv/2/availability",
        "cv/2/snapshot",
    ] {
        let cleared = sub.until(topic, WAIT, |m| m.payload.is_empty()).await;
        assert!(cleared.is_some(), "{topic} cleared");
    }
    let mut late = Subscriber::connect(&broker, "ha/#").await;
    let first = late.next("ha/image/camvault_1_snapshot/config", WAIT).await;
    assert!(first.is_some_and(|m| m.retain));
    assert!(late
        .next(
            "ha/image/camvault_2_snapshot/config",
            Duration::from_millis(300)
        )
        .await
        .is_none());

    assert_eq!(sub.next("cv/status", WAIT).await.unwrap().text(), "online");
    mqtt.shutdown().await;
    assert_eq!(sub.next("cv/status", WAIT).await.unwrap().text(), "offline");
}

#[tokio::test]
async fn after_a_broker_restart_everything_is_published_again() {
    let Some(mut broker) = testkit::mqtt::start() else {
        return;
    };
    let mqtt = MqttPublisher::connect(&broker.url(), "cv", "ha", Arc::new(FixedSnapshot)).unwrap();
    let mut sub = Subscriber::connect(&broker, "#").await;
    assert_eq!(sub.next("cv/status", WAIT).await.unwrap().text(), "online");
    mqtt.publish_cameras(&[(camera(1), true)]).await.unwrap();
    assert!(sub
        .next("ha/binary_sensor/camvault_1_motion/config", WAIT)
        .await
        .is_some());

    drop(sub);
    broker.restart();
    let mut sub = Subscriber::connect(&broker, "#").await;
    // The publisher reconnects by itself and says it is online again.
    assert_eq!(sub.next("cv/status", WAIT).await.unwrap().text(), "online");
    mqtt.publish_cameras(&[(camera(1), true)]).await.unwrap();
    let config = sub
        .next("ha/binary_sensor/camvault_1_motion/config", WAIT)
        .await;
    assert_eq!(config.unwrap().json()["unique_id"], "camvault_1_motion");
    assert_eq!(sub.next("cv/1/motion", WAIT).await.unwrap().text(), "OFF");
}
