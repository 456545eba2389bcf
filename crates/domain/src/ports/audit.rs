//! Storage of the audit chain and its signed checkpoints.

use async_trait::async_trait;

use crate::audit::{AuditEntry, ChainedEntry, Checkpoint};
use crate::ids::AccountId;
use crate::Result;

/// Makes the next link from the chain's head (last sequence number and
/// hash), or the first one from `None`.
pub type Sealer<'a> = &'a (dyn Fn(Option<(i64, String)>) -> ChainedEntry + Send + Sync);

/// The audit chain as stored.
#[async_trait]
pub trait AuditChainStore: Send + Sync {
    /// Reads the head and inserts what `seal` makes of it, with no other
    /// append in between (even from another instance); returns its `seq`.
    async fn append_chained(&self, seal: Sealer<'_>) -> Result<i64>;
    /// Entries about `subject`'s data, newest first.
    async fn entries_about(&self, subject: AccountId, limit: i64) -> Result<Vec<AuditEntry>>;
    /// Up to `limit` chained entries with `seq` above `after`, in order.
    async fn chain_after(&self, after: i64, limit: i64) -> Result<Vec<ChainedEntry>>;
    /// Rows outside the chain (no `seq`), by id: up to `limit`.
    async fn unchained(&self, limit: i64) -> Result<Vec<(i64, AuditEntry)>>;
    /// Puts the row `id` (outside the chain) into it, as what `seal` makes
    /// of the head.
    async fn chain_row(&self, id: i64, seal: Sealer<'_>) -> Result<()>;
    /// The chain's last entry: its `seq` and hash.
    async fn head(&self) -> Result<Option<(i64, String)>>;
    /// Stores a signed checkpoint.
    async fn insert_checkpoint(&self, c: &Checkpoint) -> Result<()>;
    /// Every checkpoint, oldest first.
    async fn checkpoints(&self) -> Result<Vec<Checkpoint>>;
}
