//! MQTT: events and camera state to the household's own broker, with Home
//! Assistant discovery (a motion binary_sensor and a snapshot image per
//! camera).
//!
//! One connection per server, kept by a background task that reconnects on
//! its own; camvault's last will marks everything unavailable if it
//! vanishes. Publishing never waits long for a broker that is down: a
//! message that cannot be queued within a few seconds is dropped with an
//! error, and the state job republishes the retained topics anyway.

mod topics;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use domain::cameras::Camera;
use domain::events::integration::SnapshotReader;
use domain::events::Event;
use domain::ids::CameraId;
use domain::ports::AlertSink;
use domain::{Error, Result};
use rumqttc::{AsyncClient, ConnectionError, EventLoop, LastWill, MqttOptions, Outgoing, QoS};
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

pub use topics::Topics;
use topics::{MOTION_OFF, MOTION_ON, OFFLINE, ONLINE};

/// How long motion stays `ON` after the camera's latest event.
pub const MOTION_HOLD: Duration = Duration::from_secs(30);
/// How long a publish may wait for room in the queue to the broker.
const SEND_WAIT: Duration = Duration::from_secs(5);
/// Messages queued for the connection task.
const QUEUE: usize = 256;
/// Largest packet sent: snapshots are at most a few MiB.
const MAX_PACKET: usize = 8 * 1024 * 1024;
/// Pause between connection attempts while the broker is unreachable.
const RETRY: Duration = Duration::from_secs(2);
/// How long shutdown waits for the goodbye to reach the broker.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(2);

/// Where the broker is, parsed from `mqtt_url`.
#[derive(PartialEq, Eq)]
struct Broker {
    host: String,
    port: u16,
    login: Option<(String, String)>,
}

/// Decodes `%XX` escapes of a URL's user or password.
fn percent_decode(s: &str) -> Result<String> {
    let bad = || Error::invalid("mqtt_url", "has a badly escaped user name or password");
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hex = [bytes.next().ok_or_else(bad)?, bytes.next().ok_or_else(bad)?];
            let hex = std::str::from_utf8(&hex).map_err(|_| bad())?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| bad())?);
        } else {
            out.push(b);
        }
    }
    String::from_utf8(out).map_err(|_| bad())
}

/// Parses `mqtt://[user:pass@]host[:port]`; errors never repeat the URL,
/// since it may carry a password.
fn parse_url(url: &str) -> Result<Broker> {
    let shape = "must look like mqtt://user:pass@host:1883";
    let url = url::Url::parse(url).map_err(|_| Error::invalid("mqtt_url", shape))?;
    match url.scheme() {
        "mqtt" | "tcp" => {}
        "mqtts" | "ssl" => {
            return Err(Error::invalid(
                "mqtt_url",
                "TLS brokers are not supported; use mqtt:// to a broker on your own network",
            ))
        }
        _ => return Err(Error::invalid("mqtt_url", shape)),
    }
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| Error::invalid("mqtt_url", shape))?;
    let login = match (url.username(), url.password()) {
        ("", None) => None,
        (user, pass) => Some((percent_decode(user)?, percent_decode(pass.unwrap_or(""))?)),
    };
    Ok(Broker {
        host: host.to_owned(),
        port: url.port().unwrap_or(1883),
        login,
    })
}

/// Publishes to the broker; implements [`AlertSink`] for events and offers
/// [`MqttPublisher::publish_cameras`] for the state job.
pub struct MqttPublisher {
    client: AsyncClient,
    topics: Topics,
    snapshots: Arc<dyn SnapshotReader>,
    motion_hold: Duration,
    /// Per camera in motion, the number of its latest event; a timer only
    /// turns motion off if no newer event came. Held while publishing, so
    /// an `OFF` never overtakes a newer `ON`.
    motion: Arc<Mutex<HashMap<CameraId, u64>>>,
    /// Cameras published, with their discovery configs as last sent
    /// (empty after a reconnect): those are resent only when changed.
    known: Mutex<HashMap<CameraId, String>>,
    /// Set by the connection task on every (re)connect.
    connected_anew: Arc<AtomicBool>,
    connection: std::sync::Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for MqttPublisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The broker's address and login stay out of logs.
        f.debug_struct("MqttPublisher")
            .field("topics", &self.topics)
            .finish_non_exhaustive()
    }
}

impl Drop for MqttPublisher {
    fn drop(&mut self) {
        // The event loop holds its own request sender, so it would never end by itself.
        if let Ok(mut task) = self.connection.lock() {
            if let Some(task) = task.take() {
                task.abort();
            }
        }
    }
}

/// Queues one message for the broker, waiting at most [`SEND_WAIT`].
async fn send(client: &AsyncClient, topic: String, retain: bool, payload: Vec<u8>) -> Result<()> {
    match tokio::time::timeout(
        SEND_WAIT,
        client.publish(topic, QoS::AtLeastOnce, retain, payload),
    )
    .await
    {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(Error::Delivery("the MQTT connection is closed".into())),
        Err(_) => Err(Error::Delivery(
            "the MQTT broker is unreachable (publish queue full)".into(),
        )),
    }
}

/// Keeps the connection: polls the event loop, announces camvault as online
/// after each connect, and waits between attempts while the broker is down.
async fn drive(
    mut events: EventLoop,
    client: AsyncClient,
    status: String,
    connected: Arc<AtomicBool>,
) {
    let mut failing = false;
    loop {
        match events.poll().await {
            Ok(rumqttc::Event::Incoming(rumqttc::Packet::ConnAck(_))) => {
                tracing::info!("MQTT broker connected");
                failing = false;
                connected.store(true, Ordering::SeqCst);
                // Never blocks the loop that drains the queue; a full queue
                // means the state job's next round says it anyway.
                let _ = client.try_publish(status.clone(), QoS::AtLeastOnce, true, ONLINE);
            }
            Ok(rumqttc::Event::Outgoing(Outgoing::Disconnect)) => return,
            Ok(_) => {}
            Err(ConnectionError::RequestsDone) => return,
            Err(e) => {
                // Once per outage, not every retry; the error names no credentials.
                if !failing {
                    tracing::warn!(error = %e, "MQTT broker unreachable; retrying");
                    failing = true;
                }
                tokio::time::sleep(RETRY).await;
            }
        }
    }
}

impl MqttPublisher {
    /// Connects (in the background) to the broker at `url` and publishes
    /// under `prefix`, with discovery under `discovery_prefix`. Must run
    /// inside the tokio runtime.
    pub fn connect(
        url: &str,
        prefix: &str,
        discovery_prefix: &str,
        snapshots: Arc<dyn SnapshotReader>,
    ) -> Result<Self> {
        let broker = parse_url(url)?;
        let topics = Topics::new(prefix, discovery_prefix)?;
        let client_id = format!(
            "camvault-{}",
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        );
        let mut options = MqttOptions::new(client_id, broker.host, broker.port);
        options
            .set_keep_alive(Duration::from_secs(30))
            .set_max_packet_size(64 * 1024, MAX_PACKET)
            .set_last_will(LastWill::new(
                topics.status(),
                OFFLINE,
                QoS::AtLeastOnce,
                true,
            ));
        if let Some((user, pass)) = broker.login {
            options.set_credentials(user, pass);
        }
        let (client, events) = AsyncClient::new(options, QUEUE);
        let connected_anew = Arc::new(AtomicBool::new(false));
        let connection = tokio::spawn(drive(
            events,
            client.clone(),
            topics.status(),
            connected_anew.clone(),
        ));
        Ok(MqttPublisher {
            client,
            topics,
            snapshots,
            motion_hold: MOTION_HOLD,
            motion: Arc::default(),
            known: Mutex::default(),
            connected_anew,
            connection: std::sync::Mutex::new(Some(connection)),
        })
    }

    /// Changes how long motion stays `ON` (tests use a short hold).
    pub fn with_motion_hold(mut self, hold: Duration) -> Self {
        self.motion_hold = hold;
        self
    }

    /// The topic layout.
    pub fn topics(&self) -> &Topics {
        &self.topics
    }

    async fn send(&self, topic: String, retain: bool, payload: impl Into<Vec<u8>>) -> Result<()> {
        send(&self.client, topic, retain, payload.into()).await
    }

    /// Sets motion `ON` and schedules `OFF` after the hold, unless a newer
    /// event comes first.
    async fn motion_on(&self, camera: CameraId) -> Result<()> {
        let generation = {
            let mut motion = self.motion.lock().await;
            let generation = motion.entry(camera).or_default();
            *generation += 1;
            let generation = *generation;
            self.send(self.topics.motion(camera), true, MOTION_ON)
                .await?;
            generation
        };
        let (client, motion, topic, hold) = (
            self.client.clone(),
            self.motion.clone(),
            self.topics.motion(camera),
            self.motion_hold,
        );
        tokio::spawn(async move {
            tokio::time::sleep(hold).await;
            let mut motion = motion.lock().await;
            if motion.get(&camera) == Some(&generation) {
                // Holds are equal, so every older timer has fired by now.
                motion.remove(&camera);
                if let Err(e) = send(&client, topic, true, MOTION_OFF.into()).await {
                    tracing::warn!(camera = %camera, error = %e, "MQTT motion not reset");
                }
            }
        });
        Ok(())
    }

    /// Publishes every bound camera's state, availability and (when new or
    /// changed) discovery configs, all retained; clears the retained topics
    /// of cameras that were published before but are no longer listed
    /// (unbound). `cameras` pairs each camera with whether it is online.
    pub async fn publish_cameras(&self, cameras: &[(Camera, bool)]) -> Result<()> {
        let mut known = self.known.lock().await;
        if self.connected_anew.swap(false, Ordering::SeqCst) {
            // A broker without persistence forgets retained messages on
            // restart: send everything again, but remember who to clear.
            known.values_mut().for_each(String::clear);
        }
        let listed: HashSet<CameraId> = cameras.iter().map(|(c, _)| c.id).collect();
        let gone: Vec<CameraId> = known
            .keys()
            .filter(|id| !listed.contains(id))
            .copied()
            .collect();
        for id in gone {
            self.forget(id).await?;
            known.remove(&id);
        }
        for (camera, online) in cameras {
            let id = camera.id;
            let motion = topics::motion_config(&self.topics, camera).to_string();
            let image = topics::snapshot_config(&self.topics, camera).to_string();
            let discovery = format!("{motion}\n{image}");
            let first = known.get(&id).is_none_or(String::is_empty);
            if known.get(&id) != Some(&discovery) {
                self.send(self.topics.motion_config(id), true, motion)
                    .await?;
                self.send(self.topics.snapshot_config(id), true, image)
                    .await?;
            }
            let availability = if *online { ONLINE } else { OFFLINE };
            self.send(self.topics.availability(id), true, availability)
                .await?;
            let state = topics::state_payload(camera, *online).to_string();
            self.send(self.topics.state(id), true, state).await?;
            if first {
                // A motion left `ON` by a stopped server would otherwise stay on.
                let motion = self.motion.lock().await;
                if !motion.contains_key(&id) {
                    self.send(self.topics.motion(id), true, MOTION_OFF).await?;
                }
            }
            known.insert(id, discovery);
        }
        Ok(())
    }

    /// Clears every retained topic of a camera, so Home Assistant drops its
    /// entities and the broker keeps no snapshot of it.
    async fn forget(&self, camera: CameraId) -> Result<()> {
        for topic in self.topics.retained(camera) {
            self.send(topic, true, Vec::new()).await?;
        }
        Ok(())
    }

    /// Says camvault is offline and disconnects (on shutdown; a crash
    /// leaves that to the last will).
    pub async fn shutdown(&self) {
        let offline = self.send(self.topics.status(), true, OFFLINE).await;
        let task = self.connection.lock().ok().and_then(|mut t| t.take());
        if offline.is_err() || self.client.try_disconnect().is_err() {
            if let Some(task) = task {
                task.abort();
            }
            return;
        }
        if let Some(task) = task {
            let abort = task.abort_handle();
            if tokio::time::timeout(SHUTDOWN_WAIT, task).await.is_err() {
                abort.abort();
            }
        }
    }
}

#[async_trait]
impl AlertSink for MqttPublisher {
    fn name(&self) -> &'static str {
        "mqtt"
    }

    async fn event(&self, camera: &Camera, event: &Event) -> Result<()> {
        // Events of cameras in privacy mode are refused before they are
        // stored; this keeps the promise even if that ever changed.
        if camera.settings.privacy {
            return Ok(());
        }
        let id = camera.id;
        // The snapshot first, so an automation woken by motion sees the new one.
        match self.snapshots.snapshot(event, "mqtt").await {
            Ok(Some(jpeg)) if jpeg.len() + 1024 > MAX_PACKET => {
                tracing::warn!(camera = %id, bytes = jpeg.len(), "snapshot too large for MQTT");
            }
            Ok(Some(jpeg)) => self.send(self.topics.snapshot(id), true, jpeg).await?,
            Ok(None) => {}
            // The event and motion still matter without their picture.
            Err(e) => tracing::warn!(camera = %id, error = %e, "snapshot unreadable for MQTT"),
        }
        let payload = topics::event_payload(event).to_string();
        self.send(self.topics.event(id), false, payload).await?;
        self.motion_on(id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_urls_are_parsed_with_their_login() {
        let b = parse_url("mqtt://ha%40home:p%3Ass@192.0.2.1:1884").unwrap();
        assert_eq!((b.host.as_str(), b.port), ("192.0.2.1", 1884));
        assert_eq!(b.login, Some(("ha@home".into(), "p:ss".into())));
        let b = parse_url("mqtt://broker.lan").unwrap();
        assert_eq!(
            (b.host.as_str(), b.port, b.login),
            ("broker.lan", 1883, None)
        );
    }

    #[test]
    fn bad_urls_are_refused_without_echoing_them() {
        for url in [
            "http://x",
            "mqtts://u:secretpw@x",
            "mqtt://u:%zz@x",
            "not a url",
        ] {
            let e = parse_url(url).err().unwrap().to_string();
            assert!(!e.contains("secretpw"), "{e}");
            assert!(e.starts_with("invalid mqtt_url"), "{e}");
        }
    }
}
