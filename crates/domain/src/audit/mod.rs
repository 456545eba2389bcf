//! The audit trail: who looked at whose personal data, and when.
//!
//! Every playback and download of a recording, every export and every
//! administrator's action appends an entry naming the actor, the account
//! whose data it is, the action and the object. Entries are only ever
//! appended; people see the ones about their own data. The entries form a
//! keyed hash chain with signed checkpoints (`chain`, `log`), so an entry
//! edited, deleted or slipped into the database is found by
//! `camvault audit verify` (`verify`).

mod chain;
mod log;
mod verify;

pub use chain::{ChainedEntry, GENESIS};
pub use log::{AuditLog, Checkpoint};
pub use verify::{Finding, Report};

use serde::Serialize;

use crate::clock::Timestamp;
use crate::ids::AccountId;

/// One audit entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// Who acted (None for the system itself).
    pub actor: Option<AccountId>,
    /// In what capacity: `owner`, `operator`, `viewer`, `support`, `admin`, `system`.
    pub role: String,
    /// Whose data it is.
    pub subject: Option<AccountId>,
    /// What was done, e.g. `recording.playback`.
    pub action: String,
    /// What it was done to, e.g. `camera:4 2026-11-26T09:00Z..10:00Z`.
    pub object: String,
    /// Why, when a reason is required.
    pub reason: Option<String>,
    /// When.
    pub at: Timestamp,
}
