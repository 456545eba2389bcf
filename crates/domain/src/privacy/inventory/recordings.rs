//! Recordings, their keys, and the media blobs.

use super::DataClass::{Content, Identity, Media, Technical};
use super::LegalBasis::{Contract, LegalObligation};
use super::Purpose::{Album, Alerts, Claims, Recording, Rights};
use super::{col, BlobKind, Table};

/// How long recordings are kept, in the words every media row and blob uses.
const MEDIA_RETENTION: &str = "for the camera's retention period (30 days unless you or your plan set another; events mode keeps only the video around events), within your storage quota; erased with the account";

pub(super) const TABLES: &[Table] = &[
    Table {
        name: "account_keys",
        holds: "your account key, wrapped by the server's master key; destroying it makes all your media unreadable",
        purpose: Recording,
        basis: Contract,
        retention: "while the account exists; destroyed first when it is erased",
        recipients: &[],
        columns: &[
            col("account_id", Identity),
            col("key_id", Technical),
            col("wrapped", Technical),
            col("created_at", Technical),
        ],
    },
    Table {
        name: "media_keys",
        holds: "one key per camera and day, wrapped by your account key",
        purpose: Recording,
        basis: Contract,
        retention: MEDIA_RETENTION,
        recipients: &[],
        columns: &[
            col("key_id", Technical),
            col("account_id", Identity),
            col("camera_id", Technical),
            col("day", Technical),
            col("wrapped", Technical),
            col("created_at", Technical),
        ],
    },
    Table {
        name: "recording_inits",
        holds: "the index of each camera's stream set-ups (codec, picture size)",
        purpose: Recording,
        basis: Contract,
        retention: MEDIA_RETENTION,
        recipients: &[],
        columns: &[
            col("id", Technical),
            col("camera_id", Technical),
            col("account_id", Identity),
            col("sha256", Technical),
            col("has_audio", Technical),
            col("video_codec", Technical),
            col("width", Technical),
            col("height", Technical),
            col("blob_key", Technical),
            col("key_id", Technical),
            col("created_at", Technical),
        ],
    },
    Table {
        name: "recording_segments",
        holds: "the index of recorded video: which camera, when, how long, where the sealed file is",
        purpose: Recording,
        basis: Contract,
        retention: MEDIA_RETENTION,
        recipients: &[],
        columns: &[
            col("id", Technical),
            col("camera_id", Technical),
            col("account_id", Identity),
            col("init_id", Technical),
            col("device_id", Technical),
            col("start_ms", Technical),
            col("end_ms", Technical),
            col("bytes", Technical),
            col("stored_bytes", Technical),
            col("keyframes", Technical),
            col("has_audio", Technical),
            col("blob_key", Technical),
            col("key_id", Technical),
            col("missing", Technical),
            col("created_at", Technical),
        ],
    },
    Table {
        name: "event_windows",
        holds: "the stretches of video around events that events-mode recording keeps",
        purpose: Recording,
        basis: Contract,
        retention: MEDIA_RETENTION,
        recipients: &[],
        columns: &[
            col("id", Technical),
            col("camera_id", Technical),
            col("start_ms", Technical),
            col("end_ms", Technical),
        ],
    },
];

pub(super) const BLOBS: &[BlobKind] = &[
    BlobKind {
        prefix: "album/",
        holds: "the photos and clips you upload to your album, each encrypted under your account key; where one was taken is kept only while you consent to location tags",
        class: Media,
        purpose: Album,
        basis: Contract,
        retention: "until you delete it, or the account is erased",
        recipients: &[],
    },
    BlobKind {
        prefix: "album-uploads/",
        holds: "the pieces of a large album upload under way, each encrypted under your account key",
        class: Media,
        purpose: Album,
        basis: Contract,
        retention: "until the upload completes, or a day after its last piece if it never does",
        recipients: &[],
    },
    BlobKind {
        prefix: "media/",
        holds: "recorded video and audio (and each stream's set-up), each file encrypted with its own key",
        class: Media,
        purpose: Recording,
        basis: Contract,
        retention: MEDIA_RETENTION,
        recipients: &[],
    },
    BlobKind {
        prefix: "events/",
        holds: "event snapshots, encrypted like video; none are kept while the camera's alerts are off",
        class: Media,
        purpose: Alerts,
        basis: Contract,
        retention: "as long as their event: the camera's retention period",
        recipients: &[],
    },
    BlobKind {
        prefix: "exports/",
        holds: "the archive of your data you asked for (video, snapshots, everything in your account), encrypted under your account key",
        class: Media,
        purpose: Rights,
        basis: LegalObligation,
        retention: "until its download link expires (3 days by default)",
        recipients: &[],
    },
    BlobKind {
        prefix: "claims/",
        holds: "evidence attached to a claim to own a camera (a receipt or photo)",
        class: Content,
        purpose: Claims,
        basis: Contract,
        retention: "while the claim exists",
        recipients: &[],
    },
];
