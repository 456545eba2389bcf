//! Recording: encrypted ingest, the recording index, retention and playback.
//!
//! A camera uploads an init segment, then media segments that each name it.
//! Each is validated (fMP4, keyframe-aligned, 1–6 s), stripped of audio when
//! the camera's audio is off (C3), sealed under a per-blob data key wrapped
//! by the owner's media key for that camera and day (C1, G2), written to the
//! blob store, and only then indexed: a crash leaves at worst a blob without
//! a row, which start-up reconciliation removes. Nothing is stored for an
//! unbound camera, in privacy mode, with recording off or outside its
//! schedule (C3). Playback is for the owner and people the camera is shared
//! with, decrypts on the fly, and every playback is audited (C2).

pub mod export;
pub mod ingest;
pub mod keys;
pub mod live;
pub mod playback;
pub mod retention;
pub mod slots;
pub mod uploads;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;

use crate::cameras::Cameras;
use crate::clock::{Clock, Timestamp};
use crate::ids::{AccountId, CameraId};
use crate::ports::{AuditStore, BlobStore, KeyStore, KeyVault, RecordingStore};

pub use keys::KeyRing;

/// Init bytes ready to play, by init id and whether audio is kept.
type PlayableInits = HashMap<(i64, bool), PlayableInit>;

/// An init as players need it: bytes and the MediaSource type.
#[derive(Debug, Clone)]
pub struct PlayableInit {
    /// The init segment.
    pub bytes: Arc<Vec<u8>>,
    /// `video/mp4; codecs="…"` for MediaSource.
    pub mime: Arc<str>,
}

/// Why an upload was refused although it was well formed (C3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No account owns the camera: nothing it sends is kept.
    Unbound,
    /// The owner turned privacy mode on.
    PrivacyMode,
    /// The owner set recording to off.
    RecordingOff,
    /// Now is outside the camera's weekly schedule.
    OutsideSchedule,
    /// The owner restricted processing of their data (F6).
    Restricted,
}

impl Refusal {
    /// The stable code clients see.
    pub fn code(self) -> &'static str {
        match self {
            Refusal::Unbound => "camera_unbound",
            Refusal::PrivacyMode => "privacy_mode",
            Refusal::RecordingOff => "recording_off",
            Refusal::OutsideSchedule => "outside_schedule",
            Refusal::Restricted => "account_restricted",
        }
    }

    /// A sentence for people.
    pub fn message(self) -> &'static str {
        match self {
            Refusal::Unbound => "this camera is not bound to an account; nothing it sends is kept",
            Refusal::PrivacyMode => "the camera is in privacy mode; nothing is recorded",
            Refusal::RecordingOff => "recording is off for this camera",
            Refusal::OutsideSchedule => "now is outside this camera's recording schedule",
            Refusal::Restricted => {
                "the owner restricted the processing of their data; nothing new is recorded"
            }
        }
    }
}

/// An init segment as indexed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InitRecord {
    /// Row id (0 before insertion).
    pub id: i64,
    /// The camera.
    pub camera_id: CameraId,
    /// Its owner when uploaded; only they (and their shares) may play it.
    pub account_id: AccountId,
    /// SHA-256 of the uploaded bytes, hex: a re-upload is recognised.
    pub sha256: String,
    /// Whether the init declares an audio track.
    pub has_audio: bool,
    /// `h264` or `h265`.
    pub video_codec: String,
    /// Picture width.
    pub width: Option<i64>,
    /// Picture height.
    pub height: Option<i64>,
    /// Where the sealed bytes live.
    pub blob_key: String,
    /// The media key that wraps its data key.
    pub key_id: String,
    /// When stored.
    pub created_at: Timestamp,
}

/// A media segment about to be indexed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSegment {
    /// The camera.
    pub camera_id: CameraId,
    /// Its owner when recorded.
    pub account_id: AccountId,
    /// The init it plays with.
    pub init_id: i64,
    /// The device's id for it, which makes retries idempotent.
    pub device_id: String,
    /// Wall-clock start, from the camera.
    pub start: Timestamp,
    /// Start plus duration.
    pub end: Timestamp,
    /// Plaintext length.
    pub bytes: i64,
    /// Sealed length.
    pub stored_bytes: i64,
    /// Video keyframes: (ms after start, byte offset).
    pub keyframes: Vec<(i64, i64)>,
    /// Whether the stored segment still has audio.
    pub has_audio: bool,
    /// Where the sealed bytes live.
    pub blob_key: String,
    /// The media key that wraps its data key.
    pub key_id: String,
    /// When stored.
    pub created_at: Timestamp,
}

/// A media segment as indexed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentRecord {
    /// Row id.
    pub id: i64,
    /// Everything else.
    pub segment: NewSegment,
    /// Set when reconciliation found the blob gone.
    pub missing: bool,
}

/// Just what playlists and timelines need of a segment: reading only these
/// columns keeps a 24-hour playlist (43,200 segments) cheap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentSlot {
    /// Row id.
    pub id: i64,
    /// The init it plays with.
    pub init_id: i64,
    /// Whether it kept audio.
    pub has_audio: bool,
    /// Start.
    pub start: Timestamp,
    /// End.
    pub end: Timestamp,
}

/// A window around an event that events-mode recording keeps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventWindow {
    /// Row id (0 before insertion).
    pub id: i64,
    /// The camera.
    pub camera_id: CameraId,
    /// Start (the event time minus pre-roll).
    pub start: Timestamp,
    /// End (the event time plus post-roll).
    pub end: Timestamp,
}

/// A stretch of continuous recording, for the timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Span {
    /// Start, Unix ms.
    pub start_ms: i64,
    /// End, Unix ms.
    pub end_ms: i64,
}

/// Limits and policies of recording.
#[derive(Debug, Clone)]
pub struct RecordingsConfig {
    /// Largest init segment accepted.
    pub max_init_bytes: usize,
    /// Largest media segment accepted.
    pub max_segment_bytes: usize,
    /// Days recordings are kept unless the camera says otherwise.
    pub retention_days: i64,
    /// Per-account stored-bytes quota; None is unlimited.
    pub account_quota_bytes: Option<u64>,
    /// Kept before an event in events mode.
    pub pre_roll: Duration,
    /// Kept after an event in events mode.
    pub post_roll: Duration,
    /// How far in the past a segment's start may be (uploads after an outage).
    pub max_backlog: Duration,
    /// Gaps shorter than this do not split the timeline or the playlist.
    pub gap_tolerance: Duration,
}

impl Default for RecordingsConfig {
    fn default() -> Self {
        RecordingsConfig {
            max_init_bytes: 256 * 1024,
            max_segment_bytes: 16 * 1024 * 1024,
            retention_days: 30,
            account_quota_bytes: None,
            pre_roll: Duration::from_secs(5),
            post_roll: Duration::from_secs(10),
            max_backlog: Duration::from_secs(7 * 24 * 3600),
            gap_tolerance: Duration::from_millis(1500),
        }
    }
}

/// The injected dependencies of [`Recordings`].
pub struct RecordingsDeps {
    /// The recording index.
    pub index: Arc<dyn RecordingStore>,
    /// Wrapped keys.
    pub keys: Arc<dyn KeyStore>,
    /// Per-account secrets outside the database.
    pub vault: Arc<dyn KeyVault>,
    /// The audit trail.
    pub audit: Arc<dyn AuditStore>,
    /// Where sealed media lives.
    pub blobs: Arc<dyn BlobStore>,
    /// Access checks.
    pub cameras: Arc<Cameras>,
    /// Consents: location tags are kept only with one (C4).
    pub consents: Arc<crate::privacy::consent::Consents>,
    /// Which region's store new blobs go to (F11).
    pub regions: Arc<crate::privacy::residency::RegionPrefix>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// The master-key-derived key that wraps account keys.
    pub account_kek: [u8; 32],
    /// What each account's plan allows (E1); None applies the instance's
    /// settings to everyone.
    pub allowance: Option<Arc<dyn crate::ports::RecordingAllowance>>,
}

/// The recording service.
pub struct Recordings {
    index: Arc<dyn RecordingStore>,
    allowance: Option<Arc<dyn crate::ports::RecordingAllowance>>,
    audit: Arc<dyn AuditStore>,
    blobs: Arc<dyn BlobStore>,
    cameras: Arc<Cameras>,
    consents: Arc<crate::privacy::consent::Consents>,
    regions: Arc<crate::privacy::residency::RegionPrefix>,
    clock: Arc<dyn Clock>,
    keys: KeyRing,
    config: RecordingsConfig,
    /// Parsed inits by id: every segment upload is checked against its init,
    /// and decrypting and parsing it each time would double the work.
    inits: Mutex<HashMap<i64, Arc<media::fmp4::InitSegment>>>,
    /// Init bytes ready to play, by init id and audio flag.
    playable_inits: Mutex<PlayableInits>,
    live: live::LiveHub,
    /// Upload tallies waiting for the next flush.
    uploads: Mutex<uploads::Pending>,
    /// Recent camera-days' playable segments.
    slots: slots::SlotCache,
    /// Other instances' live viewers, when several share the database.
    cluster: std::sync::OnceLock<Arc<crate::cluster::Cluster>>,
}

impl Recordings {
    /// Wires the service.
    pub fn new(deps: RecordingsDeps, config: RecordingsConfig) -> Self {
        Recordings {
            keys: KeyRing::new(deps.keys, deps.vault, deps.account_kek, deps.clock.clone()),
            index: deps.index,
            allowance: deps.allowance,
            audit: deps.audit,
            blobs: deps.blobs,
            cameras: deps.cameras,
            consents: deps.consents,
            regions: deps.regions,
            clock: deps.clock,
            config,
            inits: Mutex::new(HashMap::new()),
            playable_inits: Mutex::new(HashMap::new()),
            live: live::LiveHub::default(),
            uploads: Mutex::new(uploads::Pending::default()),
            slots: slots::SlotCache::default(),
            cluster: std::sync::OnceLock::new(),
        }
    }

    /// Names new segments of cameras watched on other instances, and says
    /// which cameras this one's viewers watch (see [`crate::cluster`]).
    pub fn join_cluster(&self, cluster: Arc<crate::cluster::Cluster>) {
        let _ = self.cluster.set(cluster);
    }

    /// The key prefix of `account`'s new blobs: its region's (F11).
    pub async fn blob_prefix(&self, account: AccountId) -> crate::Result<String> {
        self.regions.for_account(account).await
    }

    /// The key ring (for erasure and master-key rotation).
    pub fn keys(&self) -> &KeyRing {
        &self.keys
    }

    /// The live fan-out of newly stored fragments.
    pub fn live(&self) -> &live::LiveHub {
        &self.live
    }

    /// The limits in force.
    pub fn config(&self) -> &RecordingsConfig {
        &self.config
    }

    /// Drops the in-memory segment lists (memory pressure, or a benchmark
    /// measuring a first read).
    pub fn drop_cached_slots(&self) {
        self.slots.clear();
    }
}

/// The UTC day (`YYYY-MM-DD`) of an instant: media keys are per day.
pub fn utc_day(at: Timestamp) -> String {
    let days = at.ms().div_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Proleptic Gregorian date of a day count since 1970-01-01 (Howard
/// Hinnant's algorithm; no calendar crate needed for this one conversion).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_days() {
        assert_eq!(utc_day(Timestamp(0)), "1970-01-01");
        assert_eq!(utc_day(Timestamp(-1)), "1969-12-31");
        assert_eq!(utc_day(Timestamp(951_782_400_000)), "2000-02-29");
        assert_eq!(utc_day(Timestamp(1_795_737_600_000 - 1)), "2026-11-26");
        assert_eq!(utc_day(Timestamp(1_795_737_600_000)), "2026-11-27");
    }
}
