//! Topic names and payloads of the MQTT integration: plain functions, so
//! the layout Home Assistant relies on is tested without a broker.

use domain::cameras::Camera;
use domain::events::Event;
use domain::ids::CameraId;
use domain::{Error, Result};
use serde_json::{json, Value};

/// What the motion topic says while motion is seen.
pub const MOTION_ON: &str = "ON";
/// What it says otherwise.
pub const MOTION_OFF: &str = "OFF";
/// What availability topics say when the thing is there.
pub const ONLINE: &str = "online";
/// What they say when it is not.
pub const OFFLINE: &str = "offline";

/// The topic layout under the configured prefixes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topics {
    prefix: String,
    discovery: String,
}

/// Checks a prefix is one or more non-empty topic levels without wildcards.
fn check_prefix(field: &'static str, prefix: &str) -> Result<()> {
    let ok = !prefix.is_empty()
        && prefix.len() <= 128
        && prefix.split('/').all(|level| !level.is_empty())
        && !prefix.contains(['+', '#', '\0']);
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            field,
            "must be topic levels like `camvault` or `home/cameras`, without `+`, `#` or empty levels",
        ))
    }
}

impl Topics {
    /// Topics under `prefix` (camvault's own) and `discovery` (Home Assistant's).
    pub fn new(prefix: &str, discovery: &str) -> Result<Self> {
        check_prefix("mqtt_prefix", prefix)?;
        check_prefix("mqtt_discovery_prefix", discovery)?;
        Ok(Topics {
            prefix: prefix.to_owned(),
            discovery: discovery.to_owned(),
        })
    }

    /// camvault's own availability (`online`, or `offline` as its last will).
    pub fn status(&self) -> String {
        format!("{}/status", self.prefix)
    }

    fn camera(&self, camera: CameraId, leaf: &str) -> String {
        format!("{}/{camera}/{leaf}", self.prefix)
    }

    /// Each event of a camera, as JSON.
    pub fn event(&self, camera: CameraId) -> String {
        self.camera(camera, "event")
    }

    /// `ON` while motion is seen, `OFF` after (retained).
    pub fn motion(&self, camera: CameraId) -> String {
        self.camera(camera, "motion")
    }

    /// The latest event snapshot, JPEG bytes (retained).
    pub fn snapshot(&self, camera: CameraId) -> String {
        self.camera(camera, "snapshot")
    }

    /// The camera's state, JSON (retained).
    pub fn state(&self, camera: CameraId) -> String {
        self.camera(camera, "state")
    }

    /// `online` or `offline` as the camera's heartbeats say (retained).
    pub fn availability(&self, camera: CameraId) -> String {
        self.camera(camera, "availability")
    }

    /// Home Assistant discovery of the camera's motion binary_sensor.
    pub fn motion_config(&self, camera: CameraId) -> String {
        format!(
            "{}/binary_sensor/camvault_{camera}_motion/config",
            self.discovery
        )
    }

    /// Home Assistant discovery of the camera's snapshot image.
    pub fn snapshot_config(&self, camera: CameraId) -> String {
        format!("{}/image/camvault_{camera}_snapshot/config", self.discovery)
    }

    /// Every retained topic of a camera: cleared when it leaves.
    pub fn retained(&self, camera: CameraId) -> [String; 6] {
        [
            self.motion_config(camera),
            self.snapshot_config(camera),
            self.state(camera),
            self.availability(camera),
            self.motion(camera),
            self.snapshot(camera),
        ]
    }
}

/// An event as published: what happened and when, never the snapshot bytes.
pub fn event_payload(event: &Event) -> Value {
    let at = jiff::Timestamp::from_millisecond(event.at.ms())
        .map(|t| t.to_string())
        .ok();
    json!({
        "id": event.id,
        "camera_id": event.camera_id,
        "type": event.kind,
        "at": at,
        "at_ms": event.at.ms(),
        "score": event.score,
        "labels": event.labels,
        "has_snapshot": event.snapshot_key.is_some(),
    })
}

/// A camera's state as published.
pub fn state_payload(camera: &Camera, online: bool) -> Value {
    json!({
        "name": camera.settings.name,
        "online": online,
        "recording_mode": camera.settings.recording_mode.as_str(),
        "privacy": camera.settings.privacy,
    })
}

/// The Home Assistant device both entities of a camera belong to.
fn device(camera: &Camera) -> Value {
    let mut device = json!({
        "identifiers": [format!("camvault_{}", camera.serial)],
        "name": camera.settings.name,
        "model": camera.model,
        "manufacturer": "camvault",
    });
    if let Some(version) = &camera.facts.firmware_version {
        device["sw_version"] = json!(version);
    }
    device
}

/// Entities are unavailable when camvault is gone or the camera is offline.
fn availability(topics: &Topics, camera: CameraId) -> Value {
    json!([
        {"topic": topics.status()},
        {"topic": topics.availability(camera)},
    ])
}

/// Home Assistant discovery config of the motion binary_sensor.
pub fn motion_config(topics: &Topics, camera: &Camera) -> Value {
    json!({
        "name": "Motion",
        "unique_id": format!("camvault_{}_motion", camera.id),
        "device_class": "motion",
        "state_topic": topics.motion(camera.id),
        "payload_on": MOTION_ON,
        "payload_off": MOTION_OFF,
        "json_attributes_topic": topics.state(camera.id),
        "availability": availability(topics, camera.id),
        "availability_mode": "all",
        "device": device(camera),
        "origin": {"name": "camvault", "sw_version": env!("CARGO_PKG_VERSION")},
    })
}

/// Home Assistant discovery config of the snapshot image.
pub fn snapshot_config(topics: &Topics, camera: &Camera) -> Value {
    json!({
        "name": "Snapshot",
        "unique_id": format!("camvault_{}_snapshot", camera.id),
        "image_topic": topics.snapshot(camera.id),
        "content_type": "image/jpeg",
        "availability": availability(topics, camera.id),
        "availability_mode": "all",
        "device": device(camera),
        "origin": {"name": "camvault", "sw_version": env!("CARGO_PKG_VERSION")},
    })
}

#[cfg(test)]
mod tests {
    use domain::cameras::{CameraKind, CameraSettings, DeviceFacts, RecordingMode};
    use domain::clock::Timestamp;
    use domain::ids::AccountId;

    use super::*;

    fn camera() -> Camera {
        Camera {
            id: CameraId(7),
            kind: CameraKind::Cloud,
            source_url: None,
            serial: "CAM-0007".into(),
            model: "CV-1".into(),
            code_hash: "h".into(),
            secret_hash: "h".into(),
            owner: Some(AccountId(1)),
            settings: CameraSettings {
                name: "Porch".into(),
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

    #[test]
    fn topics_follow_the_prefixes() {
        let t = Topics::new("home/cams", "homeassistant").unwrap();
        let id = CameraId(7);
        assert_eq!(t.event(id), "home/cams/7/event");
        assert_eq!(t.motion(id), "home/cams/7/motion");
        assert_eq!(t.snapshot(id), "home/cams/7/snapshot");
        assert_eq!(t.state(id), "home/cams/7/state");
        assert_eq!(t.availability(id), "home/cams/7/availability");
        assert_eq!(t.status(), "home/cams/status");
        assert_eq!(
            t.motion_config(id),
            "homeassistant/binary_sensor/camvault_7_motion/config"
        );
        assert_eq!(
            t.snapshot_config(id),
            "homeassistant/image/camvault_7_snapshot/config"
        );
    }

    #[test]
    fn prefixes_with_wildcards_or_empty_levels_are_refused() {
        for bad in ["", "a/#", "a/+/b", "/a", "a/", "a//b"] {
            assert!(Topics::new(bad, "homeassistant").is_err(), "{bad:?}");
            assert!(Topics::new("camvault", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn discovery_configs_point_at_the_camera_topics() {
        let t = Topics::new("camvault", "homeassistant").unwrap();
        let cam = camera();
        let motion = motion_config(&t, &cam);
        assert_eq!(motion["unique_id"], "camvault_7_motion");
        assert_eq!(motion["device_class"], "motion");
        assert_eq!(motion["state_topic"], "camvault/7/motion");
        assert_eq!(
            (motion["payload_on"].clone(), motion["payload_off"].clone()),
            (json!("ON"), json!("OFF"))
        );
        assert_eq!(motion["availability"][0]["topic"], "camvault/status");
        assert_eq!(
            motion["availability"][1]["topic"],
            "camvault/7/availability"
        );
        assert_eq!(motion["availability_mode"], "all");
        let device = json!({"identifiers": ["camvault_CAM-0007"], "name": "Porch",
                            "model": "CV-1", "manufacturer": "camvault"});
        assert_eq!(motion["device"], device);
        let image = snapshot_config(&t, &cam);
        assert_eq!(image["unique_id"], "camvault_7_snapshot");
        assert_eq!(image["image_topic"], "camvault/7/snapshot");
        assert_eq!(image["content_type"], "image/jpeg");
        assert_eq!(image["device"], device);
    }

    #[test]
    fn state_and_event_payloads_carry_the_listed_fields_only() {
        let mut cam = camera();
        cam.settings.privacy = true;
        assert_eq!(
            state_payload(&cam, true),
            json!({"name": "Porch", "online": true, "recording_mode": "events", "privacy": true})
        );
        let event = Event {
            id: 42,
            camera_id: CameraId(7),
            account_id: AccountId(1),
            kind: "person".into(),
            at: Timestamp(1_790_000_000_000),
            score: Some(0.5),
            region: None,
            labels: vec!["porch".into()],
            snapshot_key: Some("events/7/x.jpg.cvb".into()),
            snapshot_size: Some((640, 480)),
            alerted: false,
            created_at: Timestamp(1_790_000_000_000),
        };
        assert_eq!(
            event_payload(&event),
            json!({"id": 42, "camera_id": 7, "type": "person",
                   "at": "2026-09-21T14:13:20Z", "at_ms": 1_790_000_000_000_i64,
                   "score": 0.5, "labels": ["porch"], "has_snapshot": true})
        );
    }
}
