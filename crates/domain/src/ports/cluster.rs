//! Small messages between instances sharing one database: alerts bound
//! for sessions on another instance, live-view interest, segments to relay.

use async_trait::async_trait;
use tokio::sync::mpsc;

use crate::clock::Timestamp;
use crate::Result;

/// One message as stored: its id (increasing in commit order), the
/// instance that sent it, and its JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMessage {
    /// Position in the stream.
    pub id: i64,
    /// The sending instance.
    pub origin: String,
    /// JSON body.
    pub body: String,
}

/// The message stream between instances.
#[async_trait]
pub trait ClusterStore: Send + Sync {
    /// Appends a message. Ids become visible in increasing order, so a
    /// reader that has seen id `n` never later finds one below `n`.
    async fn send_message(&self, origin: &str, body: &str, at: Timestamp) -> Result<()>;
    /// The newest id so far (0 when none): where a new reader starts.
    async fn newest_message(&self) -> Result<i64>;
    /// Up to `limit` messages after `after`, oldest first.
    async fn messages_after(&self, after: i64, limit: i64) -> Result<Vec<StoredMessage>>;
    /// Deletes messages sent before `before`; returns how many.
    async fn prune_messages(&self, before: Timestamp) -> Result<u64>;
    /// A wake-up each time a message may have arrived, where the backend
    /// can push (PostgreSQL's LISTEN); None where readers must poll.
    async fn message_wakeups(&self) -> Result<Option<mpsc::Receiver<()>>>;
}
