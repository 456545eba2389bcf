//! Test helpers for camvault: throwaway databases, a recording sender and a
//! manual clock, shared by every crate's tests.
//!
//! Setting `CAMVAULT_TEST_DATABASE_URL` to a PostgreSQL server URL makes every
//! test database a fresh PostgreSQL database on that server; otherwise each
//! test gets its own SQLite file in a temporary directory.

pub mod ffprobe;
pub mod mqtt;
pub mod rtsp;
pub mod s3;
pub mod sinks;
pub mod smtp;

use std::sync::Mutex;

use async_trait::async_trait;
use domain::accounts::contact::Address;
use domain::ports::{Message, Sender};

pub use domain::clock::ManualClock;

/// The environment variable naming a PostgreSQL server for tests.
pub const PG_ENV: &str = "CAMVAULT_TEST_DATABASE_URL";

/// A database URL for one test: a new PostgreSQL database when
/// [`PG_ENV`] is set, else an SQLite file under `dir`.
pub async fn test_database_url(dir: &std::path::Path) -> String {
    match std::env::var(PG_ENV) {
        Ok(admin_url) if !admin_url.is_empty() => create_pg_database(&admin_url).await,
        _ => format!("sqlite://{}", dir.join("camvault.db").display()),
    }
}

/// Which backend the tests run on, for messages.
pub fn backend_name() -> &'static str {
    match std::env::var(PG_ENV) {
        Ok(u) if !u.is_empty() => "postgres",
        _ => "sqlite",
    }
}

async fn create_pg_database(admin_url: &str) -> String {
    use sqlx::Connection;
    let name = format!("cv_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(admin_url)
        .await
        .unwrap_or_else(|e| panic!("cannot reach the test PostgreSQL server: {e}"));
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create test database");
    let _ = conn.close().await;
    let mut url = url::Url::parse(admin_url).expect("test PostgreSQL URL is a URL");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

/// A sender that keeps every message for the test to read.
#[derive(Debug, Default)]
pub struct MemorySender {
    messages: Mutex<Vec<Message>>,
}

impl MemorySender {
    /// All messages sent to `address` (normalised form), oldest first.
    pub fn to(&self, address: &str) -> Vec<Message> {
        let want = Address::parse_any(address).map(|a| a.expose().to_string());
        self.messages
            .lock()
            .expect("sender lock")
            .iter()
            .filter(|m| Ok(m.to.expose()) == want.as_deref().map_err(|_| ()))
            .cloned()
            .collect()
    }

    /// The six-digit code in the newest message to `address`.
    pub fn last_code(&self, address: &str) -> Option<String> {
        let msgs = self.to(address);
        let body = &msgs.last()?.body;
        body.split_whitespace()
            .find(|w| w.len() == 6 && w.chars().all(|c| c.is_ascii_digit()))
            .map(str::to_string)
    }

    /// How many messages were sent in all.
    pub fn count(&self) -> usize {
        self.messages.lock().expect("sender lock").len()
    }
}

#[async_trait]
impl Sender for MemorySender {
    async fn send(&self, message: &Message) -> domain::Result<()> {
        self.messages
            .lock()
            .expect("sender lock")
            .push(message.clone());
        Ok(())
    }
}
