//! Walking the audit chain: the first entry inserted, deleted or altered.

use std::collections::BTreeMap;

use super::{ChainedEntry, Checkpoint, GENESIS};

/// What is wrong with the chain, at the first place it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// The entry's content or hash is not what was sealed.
    Altered {
        /// Its sequence number.
        seq: i64,
    },
    /// The entry is missing from the sequence.
    Deleted {
        /// The first missing sequence number.
        seq: i64,
    },
    /// The entry does not link to the one before: it was not appended by
    /// the server.
    Inserted {
        /// Its sequence number.
        seq: i64,
    },
    /// A row outside the chain altogether (no sequence number).
    OutsideChain {
        /// Its row id.
        id: i64,
    },
    /// A signed checkpoint names another hash than the entry now has.
    CheckpointMismatch {
        /// The entry's sequence number.
        seq: i64,
    },
    /// A checkpoint whose signature is not the instance's.
    ForgedCheckpoint {
        /// The sequence number it claims to cover.
        seq: i64,
    },
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Finding::Altered { seq } => write!(f, "entry {seq} was altered"),
            Finding::Deleted { seq } => write!(f, "entry {seq} was deleted"),
            Finding::Inserted { seq } => write!(
                f,
                "entry {seq} was inserted: it does not follow entry {}",
                seq - 1
            ),
            Finding::OutsideChain { id } => {
                write!(f, "row id {id} was inserted outside the chain")
            }
            Finding::CheckpointMismatch { seq } => {
                write!(f, "entry {seq} differs from its signed checkpoint")
            }
            Finding::ForgedCheckpoint { seq } => {
                write!(
                    f,
                    "the checkpoint at entry {seq} is not signed by this server"
                )
            }
        }
    }
}

/// The outcome of a walk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Entries verified before the finding (all of them when none).
    pub entries: u64,
    /// Of those, entries a person's erasure emptied in part.
    pub redacted: u64,
    /// Checkpoints with a valid signature.
    pub checkpoints: u64,
    /// The entry the last valid checkpoint covers.
    pub last_checkpoint: Option<i64>,
    /// Entries after the last checkpoint: deleting those from the end
    /// would not show until the next checkpoint.
    pub after_last_checkpoint: u64,
    /// The first problem, if any.
    pub finding: Option<Finding>,
}

impl Report {
    /// Whether the chain is intact.
    pub fn ok(&self) -> bool {
        self.finding.is_none()
    }
}

/// Checks entries one by one, with one entry of look-ahead.
pub(super) struct Verifier {
    key: [u8; 32],
    signed: BTreeMap<i64, String>,
    prev: Option<(i64, String)>,
    pending: Option<ChainedEntry>,
    entries: u64,
    redacted: u64,
    finding: Option<Finding>,
    outside: Option<i64>,
}

impl Verifier {
    /// Starts a walk; checkpoints with a bad signature are a finding.
    pub(super) fn new(key: [u8; 32], public_key: [u8; 32], checkpoints: Vec<Checkpoint>) -> Self {
        let mut finding = None;
        let mut signed = BTreeMap::new();
        for c in checkpoints {
            if c.verifies(&public_key) {
                signed.insert(c.seq, c.entry_hash);
            } else if finding.is_none() {
                finding = Some(Finding::ForgedCheckpoint { seq: c.seq });
            }
        }
        Verifier {
            key,
            signed,
            prev: None,
            pending: None,
            entries: 0,
            redacted: 0,
            finding,
            outside: None,
        }
    }

    /// Notes a row outside the chain, reported unless the walk finds
    /// something earlier.
    pub(super) fn outside_chain(&mut self, id: i64) {
        self.outside = Some(id);
    }

    /// Whether a finding ends the walk.
    pub(super) fn done(&self) -> bool {
        self.finding.is_some()
    }

    /// The next entries, in order.
    pub(super) fn feed(&mut self, page: Vec<ChainedEntry>) {
        for row in page {
            if self.done() {
                return;
            }
            if let Some(before) = self.pending.replace(row) {
                self.check(&before);
            }
        }
    }

    fn check(&mut self, r: &ChainedEntry) {
        let (expected, prev_hash) = match &self.prev {
            Some((seq, hash)) => (seq + 1, hash.as_str()),
            None => (1, GENESIS),
        };
        self.finding = if r.seq > expected {
            Some(Finding::Deleted { seq: expected })
        } else if r.seq < expected || r.prev_hash != prev_hash {
            Some(Finding::Inserted { seq: r.seq })
        } else if !r.intact(&self.key) {
            Some(Finding::Altered { seq: r.seq })
        } else if self.signed.get(&r.seq).is_some_and(|h| h != &r.entry_hash) {
            Some(Finding::CheckpointMismatch { seq: r.seq })
        } else {
            None
        };
        if self.finding.is_none() {
            self.entries += 1;
            self.redacted += u64::from(r.redacted());
            self.prev = Some((r.seq, r.entry_hash.clone()));
        }
    }

    /// Ends the walk.
    pub(super) fn finish(mut self) -> Report {
        if let Some(last) = self.pending.take() {
            if !self.done() {
                self.check(&last);
            }
        }
        let head = self.prev.as_ref().map_or(0, |(seq, _)| *seq);
        let last_checkpoint = self.signed.keys().next_back().copied();
        if self.finding.is_none() {
            // A checkpoint past the last entry: entries were cut off the end.
            if last_checkpoint.is_some_and(|c| c > head) {
                self.finding = Some(Finding::Deleted { seq: head + 1 });
            } else if let Some(id) = self.outside {
                self.finding = Some(Finding::OutsideChain { id });
            }
        }
        Report {
            entries: self.entries,
            redacted: self.redacted,
            checkpoints: self.signed.len() as u64,
            last_checkpoint,
            after_last_checkpoint: head.saturating_sub(last_checkpoint.unwrap_or(0)).max(0) as u64,
            finding: self.finding,
        }
    }
}
