//! Data export (F13): a person asks, a background job writes everything
//! held about them — account, cameras, events, consents, requests, access
//! log, their video as MP4 and their snapshots as JPEG — into one ZIP, and
//! they download it until the link expires.
//!
//! The archive never exists in plaintext at rest: the job streams it into
//! parts of a few MiB, each sealed under the person's account key like
//! their media, so memory stays constant whatever the size and erasing
//! the account key voids any export left behind. The download decrypts
//! the parts in order as it streams them.

mod album_files;
mod archive;
pub mod parts;
pub mod schema;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::Serialize;

use crate::accounts::Accounts;
use crate::audit::AuditEntry;
use crate::cameras::Cameras;
use crate::clock::{Clock, Timestamp};
use crate::events::{Event, Events};
use crate::ids::{AccountId, CameraId};
use crate::ports::{AuditStore, BlobStore};
use crate::privacy::consent::Consents;
use crate::privacy::requests::Requests;
use crate::recordings::{Recordings, SegmentRecord};
use crate::{Error, Result};

/// Where an export stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportState {
    /// Waiting for the job.
    Pending,
    /// Being written.
    Running,
    /// Ready to download until it expires.
    Ready,
    /// The job failed; the error says why.
    Failed,
    /// Past its link's lifetime; the archive is deleted.
    Expired,
}

impl ExportState {
    /// The storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            ExportState::Pending => "pending",
            ExportState::Running => "running",
            ExportState::Ready => "ready",
            ExportState::Failed => "failed",
            ExportState::Expired => "expired",
        }
    }

    /// From the storage name.
    pub fn parse(s: &str) -> Result<ExportState> {
        Ok(match s {
            "pending" => ExportState::Pending,
            "running" => ExportState::Running,
            "ready" => ExportState::Ready,
            "failed" => ExportState::Failed,
            "expired" => ExportState::Expired,
            other => return Err(Error::Storage(format!("unknown export state {other:?}"))),
        })
    }
}

/// An export as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRecord {
    /// Random id (also in the download link).
    pub id: String,
    /// Whose data.
    pub account_id: AccountId,
    /// Where it stands.
    pub state: ExportState,
    /// Asked for at.
    pub requested_at: Timestamp,
    /// Finished (ready or failed) at.
    pub finished_at: Option<Timestamp>,
    /// The download link works until then.
    pub expires_at: Option<Timestamp>,
    /// Archive size.
    pub bytes: i64,
    /// Sealed parts it is stored in.
    pub parts: i64,
    /// Video files in it.
    pub media_files: i64,
    /// Why it failed (no personal data).
    pub error: Option<String>,
}

/// Storage of exports and the paged reads the job makes.
#[async_trait]
pub trait ExportStore: Send + Sync {
    /// Stores a new export.
    async fn insert_export(&self, export: &ExportRecord) -> Result<()>;
    /// One export.
    async fn export(&self, id: &str) -> Result<Option<ExportRecord>>;
    /// A person's exports, newest first.
    async fn exports_of(&self, account: AccountId) -> Result<Vec<ExportRecord>>;
    /// Moves the oldest pending export, or a running one whose lease ran
    /// out by `now` (its instance died), to running for `holder` until
    /// `until`, and returns it. Two instances never claim the same one.
    async fn claim_export(
        &self,
        holder: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> Result<Option<ExportRecord>>;
    /// Extends `holder`'s lease on export `id`; false when it is no longer theirs.
    async fn renew_export_lease(&self, id: &str, holder: &str, until: Timestamp) -> Result<bool>;
    /// Puts `holder`'s running export `id` back to pending (a stopping instance).
    async fn release_export(&self, id: &str, holder: &str) -> Result<()>;
    /// Writes how `holder`'s running export ended; false when it is no
    /// longer theirs (another instance took it over), and nothing is written.
    async fn finish_export(&self, export: &ExportRecord, holder: &str) -> Result<bool>;
    /// Writes an export's state, sizes, times and error.
    async fn update_export(&self, export: &ExportRecord) -> Result<()>;
    /// Ready exports whose link expired by `now`, and failed ones that
    /// finished before `failed_before`.
    async fn exports_to_expire(
        &self,
        now: Timestamp,
        failed_before: Timestamp,
    ) -> Result<Vec<ExportRecord>>;
    /// Up to `limit` segments of `account` on `camera` after (`start`, `id`),
    /// in time order.
    async fn segments_after(
        &self,
        camera: CameraId,
        account: AccountId,
        after: (Timestamp, i64),
        limit: i64,
    ) -> Result<Vec<SegmentRecord>>;
    /// Up to `limit` events of `account` after (`at`, `id`), in time order.
    async fn events_after(
        &self,
        account: AccountId,
        after: (Timestamp, i64),
        limit: i64,
    ) -> Result<Vec<Event>>;
}

/// Lifetimes and sizes.
#[derive(Debug, Clone)]
pub struct ExportsConfig {
    /// How long the download link works once the archive is ready.
    pub link_valid: Duration,
    /// Plaintext bytes per sealed part: the memory one export needs.
    pub part_bytes: usize,
    /// A failed export's row is kept this long, so the person sees why.
    pub failed_kept: Duration,
    /// How long a claimed export stays with its instance without renewal:
    /// how soon another instance starts over one whose instance died.
    pub lease: Duration,
}

impl Default for ExportsConfig {
    fn default() -> Self {
        ExportsConfig {
            link_valid: Duration::from_secs(72 * 3600),
            part_bytes: 8 * 1024 * 1024,
            failed_kept: Duration::from_secs(7 * 86_400),
            lease: Duration::from_secs(60),
        }
    }
}

/// The services and stores an export reads.
pub struct ExportsDeps {
    /// Exports and paged reads.
    pub store: Arc<dyn ExportStore>,
    /// Where parts are kept.
    pub blobs: Arc<dyn BlobStore>,
    /// The audit trail.
    pub audit: Arc<dyn AuditStore>,
    /// Profiles, sessions, tokens.
    pub accounts: Arc<Accounts>,
    /// Cameras and shares.
    pub cameras: Arc<Cameras>,
    /// Media and the key ring.
    pub recordings: Arc<Recordings>,
    /// Alert settings, searches, deliveries.
    pub events: Arc<Events>,
    /// Consent choices and history.
    pub consents: Arc<Consents>,
    /// Rights requests.
    pub requests: Arc<Requests>,
    /// The album's photos and clips.
    pub album: Arc<crate::album::Album>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// This instance's name, on the leases of the exports it builds.
    pub instance: String,
}

/// The export service.
pub struct Exports {
    deps: ExportsDeps,
    config: ExportsConfig,
    wake: tokio::sync::Notify,
}

/// The blob key prefix of an export's parts.
fn parts_prefix(id: &str) -> String {
    format!("exports/{id}/")
}

impl Exports {
    /// Wires the service.
    pub fn new(deps: ExportsDeps, config: ExportsConfig) -> Self {
        Exports {
            deps,
            config,
            wake: tokio::sync::Notify::new(),
        }
    }

    /// Asks for an export of `who`'s data. An export already waiting or
    /// being written is returned instead of starting a second one.
    pub async fn request(&self, who: AccountId) -> Result<ExportRecord> {
        let mine = self.deps.store.exports_of(who).await?;
        if let Some(open) = mine
            .into_iter()
            .find(|e| matches!(e.state, ExportState::Pending | ExportState::Running))
        {
            return Ok(open);
        }
        let export = ExportRecord {
            id: uuid::Uuid::new_v4().simple().to_string(),
            account_id: who,
            state: ExportState::Pending,
            requested_at: self.deps.clock.now(),
            finished_at: None,
            expires_at: None,
            bytes: 0,
            parts: 0,
            media_files: 0,
            error: None,
        };
        self.deps.store.insert_export(&export).await?;
        self.wake.notify_one();
        Ok(export)
    }

    /// `who`'s exports, newest first.
    pub async fn mine(&self, who: AccountId) -> Result<Vec<ExportRecord>> {
        self.deps.store.exports_of(who).await
    }

    /// `who`'s export `id`, if it is ready and its link still works.
    pub async fn downloadable(&self, who: AccountId, id: &str) -> Result<ExportRecord> {
        let export = self
            .deps
            .store
            .export(id)
            .await?
            .filter(|e| e.account_id == who)
            .ok_or(Error::NotFound("export"))?;
        let now = self.deps.clock.now();
        match export.state {
            ExportState::Ready if export.expires_at.is_some_and(|t| now < t) => {}
            ExportState::Ready | ExportState::Expired => return Err(Error::Expired("export")),
            _ => return Err(Error::NotReady("export")),
        }
        self.deps
            .audit
            .append(&AuditEntry {
                actor: Some(who),
                role: "owner".into(),
                subject: Some(who),
                action: "privacy.export.download".into(),
                object: format!("export:{id}"),
                reason: None,
                at: now,
            })
            .await?;
        Ok(export)
    }

    /// Reads part `index` of a ready export, decrypted.
    pub async fn part(&self, export: &ExportRecord, index: i64) -> Result<Vec<u8>> {
        let key = format!(
            "{}{}{}",
            self.deps.recordings.blob_prefix(export.account_id).await?,
            parts_prefix(&export.id),
            parts::part_name(index)
        );
        let sealed = self
            .deps
            .blobs
            .get(&key)
            .await?
            .ok_or(Error::NotFound("export part"))?;
        let kek = self
            .deps
            .recordings
            .keys()
            .account_key(export.account_id)
            .await?;
        crypto::blob::open_blob_owned(&kek, sealed)
            .map_err(|e| Error::Storage(format!("sealed export: {e}")))
    }

    /// The archive of `export`, part after part. The next part is read
    /// and decrypted while the one before is sent, so the disk, the
    /// decryption and the network overlap.
    pub fn archive(
        self: &Arc<Self>,
        export: ExportRecord,
    ) -> impl futures_util::Stream<Item = Result<Vec<u8>>> + Send + 'static {
        use futures_util::StreamExt;
        let exports = self.clone();
        let export = Arc::new(export);
        futures_util::stream::iter(0..export.parts)
            .map(move |i| {
                let (exports, export) = (exports.clone(), export.clone());
                tokio::spawn(async move { exports.part(&export, i).await })
            })
            .buffered(2)
            .map(|joined| {
                joined.map_err(|e| Error::Storage(format!("reading an export part: {e}")))?
            })
    }

    /// Runs pending exports one after the other, and expires old ones,
    /// until `stop` turns true. Of several instances each export is built
    /// by the one holding its lease; an export whose instance died starts
    /// over on another once the lease runs out, and one this instance was
    /// building when told to stop goes back to pending.
    pub async fn run(&self, mut stop: tokio::sync::watch::Receiver<bool>) {
        loop {
            if let Err(e) = self.expire().await {
                tracing::error!(error = %e, "expired exports not deleted");
            }
            loop {
                let now = self.deps.clock.now();
                let claimed = self
                    .deps
                    .store
                    .claim_export(&self.deps.instance, now, now.plus(self.config.lease))
                    .await;
                match claimed {
                    Ok(Some(export)) => self.build_leased(export, &mut stop).await,
                    Ok(None) => break,
                    Err(e) => {
                        tracing::error!(error = %e, "pending exports not read");
                        break;
                    }
                }
                if *stop.borrow() {
                    return;
                }
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                // Another instance's export whose lease ran out is taken
                // over at the next look: look once per lease.
                _ = tokio::time::sleep(self.config.lease.clamp(Duration::from_secs(1), Duration::from_secs(60))) => {}
                _ = stop.changed() => return,
            }
        }
    }

    /// Builds a claimed export while renewing its lease. Building stops
    /// when the lease is lost (another instance took the export over) or
    /// when `stop` turns true (the export goes back to pending).
    async fn build_leased(
        &self,
        export: ExportRecord,
        stop: &mut tokio::sync::watch::Receiver<bool>,
    ) {
        let id = export.id.clone();
        let holder = self.deps.instance.clone();
        let build = self.build(export);
        tokio::pin!(build);
        // Four renewals per lease: one lost to a slow database does no harm.
        let every = (self.config.lease / 4).max(Duration::from_millis(100));
        let mut renew = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        loop {
            tokio::select! {
                () = &mut build => return,
                _ = renew.tick() => {
                    let until = self.deps.clock.now().plus(self.config.lease);
                    match self.deps.store.renew_export_lease(&id, &holder, until).await {
                        Ok(true) => {}
                        Ok(false) => {
                            tracing::warn!(export = %id, "export lease lost; another instance builds it");
                            return;
                        }
                        // The lease runs a while yet; the next tick retries.
                        Err(e) => tracing::warn!(export = %id, error = %e, "export lease not renewed"),
                    }
                }
                _ = stop.changed() => {
                    if let Err(e) = self.deps.store.release_export(&id, &holder).await {
                        tracing::warn!(export = %id, error = %e, "export not given back; its lease will run out");
                    }
                    return;
                }
            }
        }
    }

    /// Writes one export and records how it ended.
    async fn build(&self, mut export: ExportRecord) {
        let prefix = parts_prefix(&export.id);
        // A restarted export starts over: drop parts of an earlier attempt.
        let outcome = match self.delete_parts(&prefix).await {
            Ok(()) => archive::write(&self.deps, &self.config, &export).await,
            Err(e) => Err(e),
        };
        let now = self.deps.clock.now();
        export.finished_at = Some(now);
        match outcome {
            Ok(written) => {
                export.state = ExportState::Ready;
                export.expires_at = Some(now.plus(self.config.link_valid));
                export.bytes = written.bytes as i64;
                export.parts = written.parts as i64;
                export.media_files = written.media_files as i64;
                tracing::info!(export = %export.id, bytes = written.bytes, "export ready");
            }
            Err(e) => {
                tracing::error!(export = %export.id, error = %e, "export failed");
                export.state = ExportState::Failed;
                export.error = Some(e.to_string());
                if let Err(e) = self.delete_parts(&prefix).await {
                    tracing::warn!(error = %e, "parts of a failed export not deleted");
                }
            }
        }
        match self
            .deps
            .store
            .finish_export(&export, &self.deps.instance)
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(export = %export.id, "export taken over meanwhile; outcome dropped")
            }
            Err(e) => tracing::error!(export = %export.id, error = %e, "export state not saved"),
        }
    }

    async fn delete_parts(&self, prefix: &str) -> Result<()> {
        for (key, _) in self.deps.blobs.list(prefix).await? {
            self.deps.blobs.delete(&key).await?;
        }
        Ok(())
    }

    /// Deletes the archives of exports whose link expired; returns how many.
    pub async fn expire(&self) -> Result<u64> {
        let now = self.deps.clock.now();
        let mut n = 0;
        for mut export in self
            .deps
            .store
            .exports_to_expire(now, now.minus(self.config.failed_kept))
            .await?
        {
            self.delete_parts(&parts_prefix(&export.id)).await?;
            export.state = ExportState::Expired;
            self.deps.store.update_export(&export).await?;
            n += 1;
        }
        Ok(n)
    }

    /// The limits in force.
    pub fn config(&self) -> &ExportsConfig {
        &self.config
    }
}
