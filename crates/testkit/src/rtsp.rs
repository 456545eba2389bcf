//! A fake RTSP camera for tests: `scripts/rtsp-test-camera.py` (GStreamer's
//! RTSP server) on a free loopback port, killed when dropped.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const PYTHON: &str = "/usr/bin/python3";

/// A running fake camera.
pub struct RtspCamera {
    child: Child,
    /// `rtsp://127.0.0.1:PORT/cam`.
    pub url: String,
    port: u16,
}

impl Drop for RtspCamera {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Why the fake camera cannot run on this machine, if it cannot.
pub fn missing() -> Option<String> {
    let check = "import gi; gi.require_version('Gst', '1.0'); \
                 gi.require_version('GstRtspServer', '1.0'); \
                 from gi.repository import GstRtspServer";
    match Command::new(PYTHON).args(["-c", check]).output() {
        Ok(out) if out.status.success() => None,
        Ok(out) => Some(format!(
            "{PYTHON} cannot load GstRtspServer: {}",
            // The last line of a traceback names the error.
            String::from_utf8_lossy(&out.stderr)
                .trim()
                .lines()
                .last()
                .unwrap_or("")
        )),
        Err(e) => Some(format!("cannot run {PYTHON}: {e}")),
    }
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener.local_addr().expect("local address").port()
}

/// Starts the fake camera with the script's `args` (`--codec h264`,
/// `--user u --password p`…). Outside CI, when the GStreamer packages are
/// missing, prints `SKIP rtsp: …` and returns None; in CI (`CI=true`) a
/// missing peer panics, so the tests never skip silently there.
pub fn start(args: &[&str]) -> Option<RtspCamera> {
    if !present() {
        return None;
    }
    Some(spawn(free_port(), args).unwrap_or_else(|e| panic!("{e}")))
}

/// Like [`start`], on a given loopback `port`: to bring a camera back where
/// a test killed one. Retries for a few seconds while the port is still
/// held (e.g. by the dying server).
pub fn start_on(port: u16, args: &[&str]) -> Option<RtspCamera> {
    if !present() {
        return None;
    }
    let mut last = String::new();
    for _ in 0..20 {
        match spawn(port, args) {
            Ok(camera) => return Some(camera),
            Err(e) => last = e,
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    panic!("{last}");
}

impl RtspCamera {
    /// The loopback port the camera listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Kills the camera at once (SIGKILL, no RTSP goodbye), as a camera
    /// losing power would vanish.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether the fake camera can run; prints the skip reason outside CI and
/// panics in CI when it cannot.
fn present() -> bool {
    let Some(reason) = missing() else {
        return true;
    };
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("the RTSP test camera must be present in CI: {reason}");
    }
    println!("SKIP rtsp: {reason}");
    false
}

/// Runs the script on `port` and waits for its READY line.
fn spawn(port: u16, args: &[&str]) -> Result<RtspCamera, String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/rtsp-test-camera.py");
    let mut child = Command::new(PYTHON)
        .arg(script)
        .args(["--port", &port.to_string()])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("start the RTSP test camera: {e}"))?;
    let stdout = child.stdout.take().expect("piped stdout");
    let mut camera = RtspCamera {
        child,
        url: String::new(),
        port,
    };
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        let first = lines.next().and_then(Result::ok).unwrap_or_default();
        let _ = tx.send(first);
        for _ in lines {} // keep the pipe open and drained
    });
    let line = rx
        .recv_timeout(Duration::from_secs(30))
        .map_err(|_| "the RTSP test camera did not print READY within 30 s".to_owned())?;
    let url = line
        .strip_prefix("READY ")
        .ok_or_else(|| format!("unexpected first line from the RTSP test camera: {line:?}"))?;
    assert_eq!(url, format!("rtsp://127.0.0.1:{port}/cam"));
    camera.url = url.to_owned();
    Ok(camera)
}
