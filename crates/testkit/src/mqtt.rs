//! An MQTT broker for tests: Debian's `mosquitto` on a free loopback port,
//! killed when dropped, and a subscriber that keeps what it hears.

use std::collections::VecDeque;
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

const MOSQUITTO: &str = "/usr/sbin/mosquitto";

/// A running broker.
pub struct Broker {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Broker {
    /// The loopback port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `mqtt://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("mqtt://127.0.0.1:{}", self.port)
    }

    /// Kills the broker and starts a fresh one on the same port, with no
    /// retained messages (as a broker without persistence restarts).
    pub fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let mut last = String::new();
        // The dying broker may hold the port for a moment.
        for _ in 0..20 {
            match spawn(self.port) {
                Ok(fresh) => {
                    *self = fresh;
                    return;
                }
                Err(e) => last = e,
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        panic!("{last}");
    }
}

/// Why the broker cannot run on this machine, if it cannot.
pub fn missing() -> Option<String> {
    match Command::new(MOSQUITTO).arg("-h").output() {
        // `-h` prints the usage and exits non-zero; running at all is enough.
        Ok(_) => None,
        Err(e) => Some(format!(
            "cannot run {MOSQUITTO} ({e}); apt-get install mosquitto"
        )),
    }
}

/// Starts a broker. Outside CI, when mosquitto is missing, prints
/// `SKIP mqtt: …` and returns None; in CI (`CI=true`) a missing broker
/// panics, so the tests never skip silently there.
pub fn start() -> Option<Broker> {
    if let Some(reason) = missing() {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("mosquitto must be present in CI: {reason}");
        }
        println!("SKIP mqtt: {reason}");
        return None;
    }
    let mut last = String::new();
    // Another process may take the free port before mosquitto binds it.
    for _ in 0..5 {
        match spawn(crate::rtsp::free_port()) {
            Ok(broker) => return Some(broker),
            Err(e) => last = e,
        }
    }
    panic!("{last}");
}

fn spawn(port: u16) -> Result<Broker, String> {
    let dir = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
    let conf = dir.path().join("mosquitto.conf");
    let text = format!(
        "listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest none\n"
    );
    std::fs::write(&conf, text).map_err(|e| format!("write {}: {e}", conf.display()))?;
    let mut child = Command::new(MOSQUITTO)
        .arg("-c")
        .arg(&conf)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("start mosquitto: {e}"))?;
    for _ in 0..100 {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("mosquitto on port {port} exited: {status}"));
        }
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(Broker {
                child,
                port,
                _dir: dir,
            });
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    Err(format!(
        "mosquitto did not listen on port {port} within 5 s"
    ))
}

/// One message as received.
#[derive(Debug, Clone)]
pub struct Message {
    /// Its topic.
    pub topic: String,
    /// Its bytes.
    pub payload: Vec<u8>,
    /// Whether the broker sent it as a retained message (published before
    /// this subscriber subscribed).
    pub retain: bool,
}

impl Message {
    /// The payload as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.payload).expect("an MQTT payload of JSON")
    }

    /// The payload as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.payload).into_owned()
    }
}

/// A client subscribed to a topic filter, keeping every message it hears.
pub struct Subscriber {
    rx: mpsc::UnboundedReceiver<Message>,
    kept: VecDeque<Message>,
    task: JoinHandle<()>,
    _client: AsyncClient,
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Subscriber {
    /// Connects to `broker` and subscribes to `filter` (e.g. `camvault/#`);
    /// returns once the broker confirmed the subscription.
    pub async fn connect(broker: &Broker, filter: &str) -> Subscriber {
        let id = format!("test-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let mut options = MqttOptions::new(id, "127.0.0.1", broker.port());
        options.set_max_packet_size(16 * 1024 * 1024, 64 * 1024);
        let (client, mut events) = AsyncClient::new(options, 16);
        client
            .subscribe(filter, QoS::AtLeastOnce)
            .await
            .expect("queue the subscription");
        let (tx, rx) = mpsc::unbounded_channel();
        let (subscribed, confirmed) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(async move {
            let mut subscribed = Some(subscribed);
            loop {
                match events.poll().await {
                    Ok(Event::Incoming(Packet::SubAck(_))) => {
                        if let Some(s) = subscribed.take() {
                            let _ = s.send(());
                        }
                    }
                    Ok(Event::Incoming(Packet::Publish(p))) => {
                        let _ = tx.send(Message {
                            topic: p.topic,
                            payload: p.payload.to_vec(),
                            retain: p.retain,
                        });
                    }
                    Ok(_) => {}
                    // The broker went away: what was heard stays readable.
                    Err(_) => return,
                }
            }
        });
        tokio::time::timeout(Duration::from_secs(10), confirmed)
            .await
            .expect("the broker confirms the subscription within 10 s")
            .expect("the subscriber runs");
        Subscriber {
            rx,
            kept: VecDeque::new(),
            task,
            _client: client,
        }
    }

    /// The first message not yet taken on `topic` that `accept` accepts,
    /// waiting up to `wait`; earlier messages on that topic are taken
    /// with it, messages on other topics are kept.
    pub async fn until(
        &mut self,
        topic: &str,
        wait: Duration,
        accept: impl Fn(&Message) -> bool,
    ) -> Option<Message> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            while let Some(i) = self.kept.iter().position(|m| m.topic == topic) {
                let m = self.kept.remove(i)?;
                if accept(&m) {
                    return Some(m);
                }
            }
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(m)) => self.kept.push_back(m),
                _ => return None,
            }
        }
    }

    /// The next message on `topic`, waiting up to `wait`.
    pub async fn next(&mut self, topic: &str, wait: Duration) -> Option<Message> {
        self.until(topic, wait, |_| true).await
    }
}
