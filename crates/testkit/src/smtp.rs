//! A real SMTP server for tests: Debian's `python3-aiosmtpd` on a free
//! loopback port, killed when dropped. Each message it accepts is parsed by
//! Python's own `email` package (an independent MIME reader) and written to
//! a directory as JSON, with every attachment saved beside it.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

const PYTHON: &str = "/usr/bin/python3";

/// The server: aiosmtpd's controller with a handler that keeps messages.
const SERVER: &str = r#"
import email, email.policy, json, os, sys, threading
from aiosmtpd.controller import Controller

port, out = int(sys.argv[1]), sys.argv[2]
count = [0]
lock = threading.Lock()

class Keep:
    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with lock:
            count[0] += 1
            n = count[0]
        text, files = "", []
        for part in message.walk():
            if part.is_multipart():
                continue
            name = part.get_filename()
            if name is None and part.get_content_type() == "text/plain" and not text:
                text = part.get_content()
            elif name is not None:
                path = os.path.join(out, f"{n}-{len(files)}.bin")
                with open(path, "wb") as f:
                    f.write(part.get_payload(decode=True))
                files.append({"file_name": name, "content_type": part.get_content_type(), "path": path})
        record = {"rcpt_tos": envelope.rcpt_tos, "to": str(message["To"]),
                  "subject": str(message["Subject"]), "text": text, "attachments": files,
                  "list_unsubscribe": str(message.get("List-Unsubscribe", "")),
                  "list_unsubscribe_post": str(message.get("List-Unsubscribe-Post", ""))}
        tmp = os.path.join(out, f"{n}.tmp")
        with open(tmp, "w") as f:
            json.dump(record, f)
        os.rename(tmp, os.path.join(out, f"{n}.json"))
        return "250 Message accepted for delivery"

controller = Controller(Keep(), hostname="127.0.0.1", port=port)
controller.start()
threading.Event().wait()
"#;

/// A running SMTP server.
pub struct SmtpServer {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One received email, as Python's MIME parser read it.
#[derive(Debug, Clone)]
pub struct Mail {
    /// Envelope recipients.
    pub rcpt_tos: Vec<String>,
    /// The `Subject:` header, decoded.
    pub subject: String,
    /// The first text/plain part.
    pub text: String,
    /// Every part with a file name.
    pub attachments: Vec<MailFile>,
    /// The `List-Unsubscribe:` header, or empty.
    pub list_unsubscribe: String,
    /// The `List-Unsubscribe-Post:` header, or empty.
    pub list_unsubscribe_post: String,
}

/// One attachment of a received email.
#[derive(Debug, Clone)]
pub struct MailFile {
    /// Its file name.
    pub file_name: String,
    /// Its MIME type.
    pub content_type: String,
    /// Its decoded bytes.
    pub bytes: Vec<u8>,
}

impl SmtpServer {
    /// `smtp://127.0.0.1:PORT`, as camvault's `smtp_url` setting takes it.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far, oldest first.
    pub fn mails(&self) -> Vec<Mail> {
        let mut numbered: Vec<(u64, PathBuf)> = std::fs::read_dir(self.dir.path())
            .expect("read the mail directory")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter_map(|p| {
                let n = p
                    .file_name()?
                    .to_str()?
                    .strip_suffix(".json")?
                    .parse()
                    .ok()?;
                Some((n, p))
            })
            .collect();
        numbered.sort();
        numbered.iter().map(|(_, p)| read_mail(p)).collect()
    }

    /// Messages whose envelope recipients include `address`, waiting up to
    /// `wait` for at least `n` of them.
    pub async fn wait_for(&self, address: &str, n: usize, wait: Duration) -> Vec<Mail> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let got: Vec<Mail> = self
                .mails()
                .into_iter()
                .filter(|m| m.rcpt_tos.iter().any(|r| r.eq_ignore_ascii_case(address)))
                .collect();
            if got.len() >= n || tokio::time::Instant::now() >= deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn read_mail(path: &Path) -> Mail {
    let text = std::fs::read_to_string(path).expect("read a kept mail");
    let v: Value = serde_json::from_str(&text).expect("a kept mail is JSON");
    let s = |key: &str| v[key].as_str().unwrap_or_default().to_string();
    Mail {
        rcpt_tos: v["rcpt_tos"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|r| r.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        subject: s("subject"),
        text: s("text"),
        list_unsubscribe: s("list_unsubscribe"),
        list_unsubscribe_post: s("list_unsubscribe_post"),
        attachments: v["attachments"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|f| MailFile {
                        file_name: f["file_name"].as_str().unwrap_or_default().to_string(),
                        content_type: f["content_type"].as_str().unwrap_or_default().to_string(),
                        bytes: std::fs::read(f["path"].as_str().unwrap_or_default())
                            .expect("read a kept attachment"),
                    })
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// Why the server cannot run on this machine, if it cannot.
pub fn missing() -> Option<String> {
    match Command::new(PYTHON)
        .args(["-c", "import aiosmtpd"])
        .stderr(Stdio::null())
        .status()
    {
        Ok(s) if s.success() => None,
        Ok(_) => Some("python3-aiosmtpd is not installed; apt-get install python3-aiosmtpd".into()),
        Err(e) => Some(format!("cannot run {PYTHON} ({e})")),
    }
}

/// Starts a server. Outside CI, when aiosmtpd is missing, prints
/// `SKIP smtp: …` and returns None; in CI (`CI=true`) that panics, so the
/// tests never skip silently there.
pub fn start() -> Option<SmtpServer> {
    if let Some(reason) = missing() {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("aiosmtpd must be present in CI: {reason}");
        }
        println!("SKIP smtp: {reason}");
        return None;
    }
    let mut last = String::new();
    // Another process may take the free port before the server binds it.
    for _ in 0..5 {
        match spawn(crate::rtsp::free_port()) {
            Ok(server) => return Some(server),
            Err(e) => last = e,
        }
    }
    panic!("{last}");
}

fn spawn(port: u16) -> Result<SmtpServer, String> {
    let dir = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
    let mut child = Command::new(PYTHON)
        .args(["-c", SERVER, &port.to_string()])
        .arg(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("start aiosmtpd: {e}"))?;
    for _ in 0..200 {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("aiosmtpd on port {port} exited: {status}"));
        }
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(SmtpServer { child, port, dir });
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    Err(format!(
        "aiosmtpd did not listen on port {port} within 10 s"
    ))
}
