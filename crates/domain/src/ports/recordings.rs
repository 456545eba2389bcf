//! Ports of the recording side: keys, the recording index and the audit trail.

use async_trait::async_trait;

use crate::audit::AuditEntry;
use crate::clock::Timestamp;
use crate::ids::{AccountId, CameraId};
use crate::recordings::uploads::UploadTally;
use crate::recordings::{EventWindow, InitRecord, NewSegment, SegmentRecord, SegmentSlot};
use crate::Result;

/// Wrapped keys: one per account (wrapped by the master key) and one per
/// account, camera and day (wrapped by the account key).
#[async_trait]
pub trait KeyStore: Send + Sync {
    /// The account key's id and wrapped bytes.
    async fn account_key(&self, account: AccountId) -> Result<Option<(String, Vec<u8>)>>;
    /// Stores an account key unless one exists (first writer wins).
    async fn insert_account_key(
        &self,
        account: AccountId,
        key_id: &str,
        wrapped: &[u8],
        now: Timestamp,
    ) -> Result<()>;
    /// Every account key, for re-wrapping under a new master key.
    async fn all_account_keys(&self) -> Result<Vec<(AccountId, String, Vec<u8>)>>;
    /// Replaces the wrapped bytes of an account key (same key, new wrapping).
    async fn rewrap_account_key(&self, account: AccountId, wrapped: &[u8]) -> Result<()>;
    /// Deletes an account key and every media key under it (crypto-shredding).
    async fn delete_account_keys(&self, account: AccountId) -> Result<()>;
    /// The media key of an account's camera for a UTC day: id and wrapped bytes.
    async fn media_key(
        &self,
        account: AccountId,
        camera: CameraId,
        day: &str,
    ) -> Result<Option<(String, Vec<u8>)>>;
    /// Stores a media key unless one exists for that account, camera and day.
    async fn insert_media_key(
        &self,
        account: AccountId,
        camera: CameraId,
        day: &str,
        key_id: &str,
        wrapped: &[u8],
        now: Timestamp,
    ) -> Result<()>;
    /// A media key by id: its account and wrapped bytes.
    async fn media_key_by_id(&self, key_id: &str) -> Result<Option<(AccountId, Vec<u8>)>>;
    /// Deletes the media keys of days before `day` (`YYYY-MM-DD`) of a camera;
    /// returns how many were destroyed.
    async fn delete_media_keys_before(&self, camera: CameraId, day: &str) -> Result<u64>;
}

/// Per-account secrets kept outside the database and the data directory
/// (a key vault), mixed into the wrapping of each account key: destroying
/// an account's secret makes its key unreadable in every backup of the
/// database. The vault also keeps the erasure ledger, so erasures are
/// repeated when an older backup is restored.
#[async_trait]
pub trait KeyVault: Send + Sync {
    /// The account's secret, if it has one.
    async fn secret(&self, account: AccountId) -> Result<Option<[u8; 32]>>;
    /// Creates the account's secret unless one exists (first writer wins)
    /// and returns the one stored.
    async fn create_secret(&self, account: AccountId) -> Result<[u8; 32]>;
    /// Destroys the account's secret for good.
    async fn destroy_secret(&self, account: AccountId) -> Result<()>;
    /// Notes in the ledger that the account was erased.
    async fn record_erasure(&self, account: AccountId) -> Result<()>;
    /// Every account the ledger says was erased.
    async fn erased(&self) -> Result<Vec<AccountId>>;
}

/// The recording index: init segments, media segments, event windows.
#[async_trait]
pub trait RecordingStore: Send + Sync {
    /// Stores an init segment's row; `Taken("init")` if the camera already
    /// has one with the same hash and audio flag.
    async fn insert_init(&self, init: &InitRecord) -> Result<i64>;
    /// The init of a camera with this content hash and audio flag.
    async fn init_by_hash(
        &self,
        camera: CameraId,
        sha256: &str,
        has_audio: bool,
    ) -> Result<Option<InitRecord>>;
    /// An init by id.
    async fn init(&self, id: i64) -> Result<Option<InitRecord>>;
    /// The camera's most recently stored init.
    async fn latest_init(&self, camera: CameraId) -> Result<Option<InitRecord>>;
    /// Stores a segment's row after its blob is durable; `Taken("segment")`
    /// if the camera already has a segment with that device id.
    async fn insert_segment(&self, segment: &NewSegment) -> Result<i64>;
    /// A camera's segment by the id the device gave it.
    async fn segment_by_device_id(
        &self,
        camera: CameraId,
        device_id: &str,
    ) -> Result<Option<SegmentRecord>>;
    /// A segment by id.
    async fn segment(&self, id: i64) -> Result<Option<SegmentRecord>>;
    /// The camera's most recent segment.
    async fn latest_segment(&self, camera: CameraId) -> Result<Option<SegmentRecord>>;
    /// Segments of `account` on `camera` overlapping `from..to`, by start time.
    async fn segments_between(
        &self,
        camera: CameraId,
        account: AccountId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<SegmentRecord>>;
    /// Like [`RecordingStore::segments_between`] but only the playable ones
    /// (not missing) and only their slots.
    async fn segment_slots_between(
        &self,
        camera: CameraId,
        account: AccountId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<SegmentSlot>>;
    /// Up to `limit` segments of `camera` that start before `before`, oldest first.
    async fn segments_before(
        &self,
        camera: CameraId,
        before: Timestamp,
        limit: i64,
    ) -> Result<Vec<SegmentRecord>>;
    /// Up to `limit` oldest segments of an account, across its cameras.
    async fn oldest_segments_of_account(
        &self,
        account: AccountId,
        limit: i64,
    ) -> Result<Vec<SegmentRecord>>;
    /// Deletes segment rows (their blobs are deleted first by the caller).
    async fn delete_segments(&self, ids: &[i64]) -> Result<()>;
    /// Stored bytes of an account's recordings.
    async fn account_usage(&self, account: AccountId) -> Result<u64>;
    /// Every blob key the index refers to (segments and inits), for reconciliation.
    async fn indexed_blob_keys(&self) -> Result<Vec<String>>;
    /// Marks segments whose blob is gone, so playback skips them.
    async fn flag_missing(&self, blob_keys: &[String]) -> Result<u64>;
    /// Records an event window for events-mode recording.
    async fn insert_event_window(&self, window: &EventWindow) -> Result<i64>;
    /// Event windows of a camera overlapping `from..to`.
    async fn event_windows(
        &self,
        camera: CameraId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<EventWindow>>;
    /// Cameras that have recordings, with their owner at recording time
    /// and their retention in days (None = the default).
    async fn cameras_with_recordings(&self) -> Result<Vec<(CameraId, AccountId, Option<i64>)>>;
    /// Accounts that have recordings.
    async fn accounts_with_recordings(&self) -> Result<Vec<AccountId>>;
    /// Sets a camera's retention in days (None = the instance default).
    async fn set_retention(&self, camera: CameraId, days: Option<i64>) -> Result<()>;
    /// Adds tallies to each camera's hourly upload statistics.
    async fn add_upload_stats(&self, tallies: &[(CameraId, i64, UploadTally)]) -> Result<()>;
    /// A camera's hourly upload statistics since `since`, oldest first.
    async fn upload_stats(
        &self,
        camera: CameraId,
        since: Timestamp,
    ) -> Result<Vec<(i64, UploadTally)>>;
    /// Drops upload statistics of hours before `before`.
    async fn prune_upload_stats(&self, before: Timestamp) -> Result<()>;
}

/// The append-only audit trail of access to personal data.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends one entry.
    async fn append(&self, entry: &AuditEntry) -> Result<()>;
    /// Entries about `subject`'s data, newest first.
    async fn entries_about(&self, subject: AccountId, limit: i64) -> Result<Vec<AuditEntry>>;
}
