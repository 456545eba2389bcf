//! Peers that receive what camvault sends, on loopback: an SMTP server that
//! keeps every message, and an SMS-gateway webhook that keeps every request.

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// A minimal SMTP server (no STARTTLS, no AUTH) keeping each message's text.
pub struct SmtpSink {
    /// The loopback port it listens on.
    pub port: u16,
    messages: Arc<Mutex<Vec<String>>>,
}

impl SmtpSink {
    /// Starts the sink on a random loopback port.
    pub async fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let port = listener.local_addr().expect("local address").port();
        let messages: Arc<Mutex<Vec<String>>> = Arc::default();
        let store = messages.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let store = store.clone();
                tokio::spawn(async move {
                    // A broken connection only loses that conversation; the
                    // test notices through the missing message.
                    let _ = smtp_session(stream, store).await;
                });
            }
        });
        SmtpSink { port, messages }
    }

    /// Bodies of the emails whose `To:` header names `address`, oldest first.
    pub fn emails_to(&self, address: &str) -> Vec<String> {
        let want = address.to_ascii_lowercase();
        self.messages
            .lock()
            .expect("sink lock")
            .iter()
            .filter(|m| {
                split_email(m).0.lines().any(|h| {
                    let h = h.to_ascii_lowercase();
                    h.starts_with("to:") && h.contains(&want)
                })
            })
            .map(|m| split_email(m).1.to_string())
            .collect()
    }
}

/// One SMTP conversation: any number of messages until QUIT or EOF.
async fn smtp_session(stream: TcpStream, store: Arc<Mutex<Vec<String>>>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    write.write_all(b"220 sink ESMTP\r\n").await?;
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end_matches(['\r', '\n']);
        let verb = command
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" | "HELO" => write.write_all(b"250 sink\r\n").await?,
            "MAIL" | "RCPT" | "RSET" | "NOOP" => write.write_all(b"250 OK\r\n").await?,
            "DATA" => {
                write.write_all(b"354 go ahead\r\n").await?;
                let mut text = Vec::new();
                loop {
                    line.clear();
                    if reader.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    let l = line.trim_end_matches(['\r', '\n']);
                    if l == "." {
                        break;
                    }
                    // Undo dot-stuffing.
                    text.push(l.strip_prefix('.').unwrap_or(l).to_string());
                }
                store.lock().expect("sink lock").push(text.join("\n"));
                write.write_all(b"250 queued\r\n").await?;
            }
            "QUIT" => {
                write.write_all(b"221 bye\r\n").await?;
                return Ok(());
            }
            _ => write.write_all(b"502 not implemented\r\n").await?,
        }
    }
}

/// The header block and the body of a stored email.
fn split_email(message: &str) -> (&str, &str) {
    message.split_once("\n\n").unwrap_or((message, ""))
}

/// One request the SMS gateway sink received.
#[derive(Debug, Clone)]
pub struct Sms {
    /// The `to` field of the JSON body.
    pub to: String,
    /// The `body` field of the JSON body.
    pub body: String,
    /// The `Authorization` header, if any.
    pub authorization: Option<String>,
}

/// An SMS-gateway webhook (`POST /sms`) keeping every request.
pub struct SmsSink {
    /// The loopback port it listens on.
    pub port: u16,
    log: Arc<Mutex<Vec<Sms>>>,
}

/// Stores one gateway request and answers 200.
async fn receive_sms(
    State(log): State<Arc<Mutex<Vec<Sms>>>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> axum::http::StatusCode {
    let authorization = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    log.lock().expect("sink lock").push(Sms {
        to: body["to"].as_str().unwrap_or_default().to_string(),
        body: body["body"].as_str().unwrap_or_default().to_string(),
        authorization,
    });
    axum::http::StatusCode::OK
}

impl SmsSink {
    /// Starts the sink on a random loopback port.
    pub async fn start() -> SmsSink {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let port = listener.local_addr().expect("local address").port();
        let log: Arc<Mutex<Vec<Sms>>> = Arc::default();
        let app = Router::new()
            .route("/sms", post(receive_sms))
            .with_state(log.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        SmsSink { port, log }
    }

    /// Requests for `phone` (normalised), oldest first.
    pub fn to(&self, phone: &str) -> Vec<Sms> {
        self.all().into_iter().filter(|s| s.to == phone).collect()
    }

    /// Every request, oldest first.
    pub fn all(&self) -> Vec<Sms> {
        self.log.lock().expect("sink lock").clone()
    }
}
