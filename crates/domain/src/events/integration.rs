//! Snapshots for integrations the operator configured (MQTT): they read an
//! event's snapshot without a person asking, because the household opted in
//! by pointing camvault at its own broker. Each read is in the owner's
//! access log as the system's doing, so it stays visible.

use std::sync::Arc;

use async_trait::async_trait;

use super::Event;
use crate::audit::AuditEntry;
use crate::clock::Clock;
use crate::ports::{AuditStore, BlobStore};
use crate::recordings::Recordings;
use crate::{Error, Result};

/// Reads an event's decrypted snapshot on behalf of an integration.
#[async_trait]
pub trait SnapshotReader: Send + Sync {
    /// The JPEG of `event`, or None when none was kept (or it is gone);
    /// `integration` names the reader in the audit trail, e.g. `mqtt`.
    async fn snapshot(&self, event: &Event, integration: &'static str) -> Result<Option<Vec<u8>>>;
}

/// Opens a sealed snapshot blob; None when the blob is gone (purged).
pub(crate) async fn open_sealed(
    blobs: &dyn BlobStore,
    recordings: &Recordings,
    key: &str,
) -> Result<Option<Vec<u8>>> {
    let Some(sealed) = blobs.get(key).await? else {
        return Ok(None);
    };
    let header = crypto::blob::Header::parse(&sealed)
        .map_err(|e| Error::Storage(format!("sealed snapshot: {e}")))?;
    let kek = recordings.keys().media_key_by_id(&header.key_id).await?;
    crypto::blob::open_blob(&kek, &sealed)
        .map(Some)
        .map_err(|e| Error::Storage(format!("sealed snapshot: {e}")))
}

/// The [`SnapshotReader`] over the real blob store and keys.
pub struct IntegrationSnapshots {
    blobs: Arc<dyn BlobStore>,
    recordings: Arc<Recordings>,
    audit: Arc<dyn AuditStore>,
    clock: Arc<dyn Clock>,
}

impl IntegrationSnapshots {
    /// Wires the reader.
    pub fn new(
        blobs: Arc<dyn BlobStore>,
        recordings: Arc<Recordings>,
        audit: Arc<dyn AuditStore>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        IntegrationSnapshots {
            blobs,
            recordings,
            audit,
            clock,
        }
    }
}

#[async_trait]
impl SnapshotReader for IntegrationSnapshots {
    async fn snapshot(&self, event: &Event, integration: &'static str) -> Result<Option<Vec<u8>>> {
        let Some(key) = &event.snapshot_key else {
            return Ok(None);
        };
        let Some(plain) = open_sealed(&*self.blobs, &self.recordings, key).await? else {
            return Ok(None);
        };
        self.audit
            .append(&AuditEntry {
                actor: None,
                role: "system".into(),
                subject: Some(event.account_id),
                action: format!("integration.{integration}"),
                object: format!("camera:{} event:{}", event.camera_id, event.id),
                reason: None,
                at: self.clock.now(),
            })
            .await?;
        Ok(Some(plain))
    }
}
