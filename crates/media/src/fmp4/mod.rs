//! Fragmented MP4 / CMAF parsing and validation.
//!
//! [`parse_init`] reads an init segment (`ftyp` + `moov`): its tracks, their
//! codecs (with the RFC 6381 codec strings a browser needs, see
//! [`mime_codecs`]), timescales and picture sizes, and the `mvex`/`trex`
//! defaults.
//! [`parse_media`] reads a media segment (optional `styp`, then one or more
//! `moof` + `mdat` pairs) against that init: per track the base decode time,
//! every sample's duration, size, sync flag and byte offset, and it checks
//! that sample data stays inside the `mdat` and that decode times only move
//! forward. [`strip_audio_init`] and [`strip_audio`] rewrite an init and a
//! media segment without their audio tracks. [`split_file`] cuts a whole
//! fragmented file into its init segment and media segments that each open
//! on a keyframe (the camera simulator replays clips this way), and
//! [`shift_decode_times`] / [`set_start`] move a media segment on the
//! timeline, widening 32-bit `tfdt`s and fixing the offsets that growth
//! moves. All of them take untrusted bytes (a camera or an uploader made
//! them) and return [`Fmp4Error`] for anything wrong; none panics, and none
//! allocates in proportion to a size the input claims before checking that
//! claim against the input's real length (see [`MAX_BOXES`] and
//! [`MAX_SAMPLES`] for the hard caps). Every media segment a rewriter
//! returns has been parsed again with [`parse_media`].
//!
//! # Why a hand-written box walker
//!
//! The crates on crates.io were checked first. `mp4-atom` (kixelated, the
//! best kept of them, 0.17) decodes every box type it knows eagerly, and its
//! own tracker lists decoders that panic on malformed input (issue #179:
//! `iloc`/`infe`/`subs`/`iref` — `panic!`, `unimplemented!`, unchecked slicing
//! and subtraction). `mp4` (alfg/mp4-rust, 0.14) is updated rarely and has a
//! history of overflow panics and size-driven allocations on hostile files
//! (its PRs #89 and #94 fixed some, not all). `mp4parse` (Mozilla) is robust
//! but parses whole-file `moov` sample tables, not `moof` fragments. What we
//! need is small — about a dozen box types — so this module walks boxes by
//! hand with a bounds-checked reader and checked arithmetic throughout, and
//! is fuzzed (`fuzz/`, target `fmp4`).
//!
//! # Offsets
//!
//! Every byte offset in results and errors counts from the first byte of the
//! slice handed to the parser. A `tfhd` `base_data_offset` is read the same
//! way, i.e. the media segment is taken to start at file offset 0.

pub(crate) mod boxes;
mod codecs;
mod init;
mod location;
mod media;
mod retime;
mod split;
mod strip;

use std::fmt;

pub use codecs::{mime_codecs, mime_type, AAC_LC};
pub use init::parse_init;
pub use location::{strip_location_init, with_location};
pub use media::parse_media;
pub use retime::{set_start, shift_decode_times};
pub use split::split_file;
pub use strip::{strip_audio, strip_audio_init};

/// Most boxes one call to [`parse_init`] or [`parse_media`] will walk, so a
/// hostile input of millions of empty boxes is refused quickly.
pub const MAX_BOXES: usize = 100_000;

/// Most samples one [`parse_media`] call will accept, summed over all
/// fragments and tracks. A `trun` with no per-sample fields can claim four
/// billion samples in twenty bytes; this cap keeps the sample table small.
/// (A 10 s segment of 60 fps video plus 48 kHz AAC has about 1,100.)
pub const MAX_SAMPLES: usize = 100_000;

/// A four-character box or codec code, such as `moov` or `avc1`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct FourCc(pub [u8; 4]);

impl fmt::Display for FourCc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for &b in &self.0 {
            if b.is_ascii_graphic() || b == b' ' {
                write!(f, "{}", char::from(b))?;
            } else {
                write!(f, "\\x{b:02x}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for FourCc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FourCc(\"{self}\")")
    }
}

/// Everything that can be wrong with an init or media segment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Fmp4Error {
    /// A box header or a field inside a box runs past the end of its box or
    /// of the input.
    #[error("truncated {context} at byte {offset}: needed {needed} bytes, {available} left")]
    Truncated {
        /// What was being read (a box name or "box header").
        context: &'static str,
        /// Where the read started.
        offset: u64,
        /// How many bytes it needed.
        needed: u64,
        /// How many were left.
        available: u64,
    },
    /// A box claims more bytes than its parent (or the input) has left.
    #[error("box `{kind}` at byte {offset} claims {size} bytes but only {available} remain")]
    BoxPastEnd {
        /// The box type.
        kind: FourCc,
        /// Where the box starts.
        offset: u64,
        /// The size it claims, header included.
        size: u64,
        /// Bytes actually left from its start.
        available: u64,
    },
    /// A box size that cannot be right: under 8 (the header alone), a 64-bit
    /// size under 16, or too small for a `uuid` box's extended type.
    #[error("box `{kind}` at byte {offset} has impossible size {size}")]
    BadBoxSize {
        /// The box type.
        kind: FourCc,
        /// Where the box starts.
        offset: u64,
        /// The size it claims.
        size: u64,
    },
    /// A box the format requires is absent.
    #[error("missing required box `{kind}` in {parent}")]
    MissingBox {
        /// The missing box type, e.g. `moov`, `mdat`, `tfdt`.
        kind: &'static str,
        /// Where it was expected, e.g. `init segment`, `traf`.
        parent: &'static str,
    },
    /// A `traf` or `trex` names a track the init segment does not declare.
    #[error("{context} refers to track {track_id}, which the init segment does not declare")]
    UnknownTrack {
        /// The track id found.
        track_id: u32,
        /// The box that named it (`traf` or `trex`).
        context: &'static str,
    },
    /// A track's sample entry is not H.264, H.265 or AAC.
    #[error("track {track_id} uses unsupported codec `{fourcc}` (supported: avc1, avc3, hvc1, hev1, mp4a)")]
    UnsupportedCodec {
        /// The track id.
        track_id: u32,
        /// The sample entry's four-character code.
        fourcc: FourCc,
    },
    /// A track is neither video (`vide`) nor audio (`soun`).
    #[error("track {track_id} has unsupported handler `{handler}` (supported: vide, soun)")]
    UnsupportedHandler {
        /// The track id.
        track_id: u32,
        /// The `hdlr` handler type.
        handler: FourCc,
    },
    /// A full box has a version this parser does not know.
    #[error("box `{kind}` has unsupported version {version}")]
    UnsupportedVersion {
        /// The box type.
        kind: &'static str,
        /// The version found.
        version: u8,
    },
    /// A fragment of a track starts before the previous fragment of the same
    /// track ended (its `tfdt` is less than the previous `tfdt` plus the
    /// previous fragment's duration).
    #[error("track {track_id}: fragment starts at decode time {next}, before the previous fragment ended at {previous_end}")]
    NonMonotonicDecodeTime {
        /// The track id.
        track_id: u32,
        /// Where the previous fragment ended, in the track timescale.
        previous_end: u64,
        /// Where this fragment claims to start.
        next: u64,
    },
    /// A `trun` places a sample's bytes outside the `mdat` that follows its
    /// `moof`.
    #[error("track {track_id} sample {sample_index}: data at bytes {offset}..+{size} lies outside the mdat payload {mdat_start}..{mdat_end}")]
    SampleDataOutsideMdat {
        /// The track id.
        track_id: u32,
        /// Index of the sample within its fragment.
        sample_index: usize,
        /// Where the sample's data would start (may be negative in the file,
        /// shown as 0).
        offset: u64,
        /// Its size.
        size: u32,
        /// First byte of the mdat payload.
        mdat_start: u64,
        /// One past the last byte of the mdat payload.
        mdat_end: u64,
    },
    /// The input has more than [`MAX_BOXES`] boxes.
    #[error("more than {limit} boxes")]
    TooManyBoxes {
        /// The cap.
        limit: usize,
    },
    /// The input declares more than [`MAX_SAMPLES`] samples.
    #[error("more than {limit} samples")]
    TooManySamples {
        /// The cap.
        limit: usize,
    },
    /// Shifting a track fragment's `tfdt` would move it before time zero.
    #[error("track {track_id}: shifting decode time {decode_time} by {shift} ticks would make it negative")]
    NegativeDecodeTime {
        /// The track id.
        track_id: u32,
        /// The `tfdt` before the shift, in the track timescale.
        decode_time: u64,
        /// The requested shift, in the track timescale.
        shift: i64,
    },
    /// No fragment of a file starts with a video keyframe, so no segment of
    /// it could be decoded on its own.
    #[error("no fragment starts with a video keyframe; the file cannot be cut into independently decodable segments")]
    NoKeyframeFragment,
    /// A field has a value that is impossible or contradicts another, e.g. a
    /// zero timescale, a duplicate track id, or times that overflow 64 bits.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The field or box concerned.
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
}

/// What kind of media a track carries, from its `hdlr` box.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackKind {
    /// Handler `vide`.
    Video,
    /// Handler `soun`.
    Audio,
}

/// A supported codec, from the track's sample entry four-character code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// H.264 / AVC (`avc1` or `avc3`).
    H264,
    /// H.265 / HEVC (`hvc1` or `hev1`).
    H265,
    /// AAC (`mp4a`).
    Aac,
}

/// Per-track defaults from `mvex`/`trex`, used when a `tfhd` or `trun` leaves
/// a sample field out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TrackDefaults {
    /// `default_sample_description_index`.
    pub sample_description_index: u32,
    /// `default_sample_duration`, in the track timescale.
    pub sample_duration: u32,
    /// `default_sample_size`, in bytes.
    pub sample_size: u32,
    /// `default_sample_flags` (ISO/IEC 14496-12 sample flags).
    pub sample_flags: u32,
}

/// One track of an init segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Track {
    /// The `tkhd` track id (never 0).
    pub track_id: u32,
    /// Video or audio.
    pub kind: TrackKind,
    /// The codec.
    pub codec: Codec,
    /// The sample entry's four-character code as written (`avc1`, `hev1`, ...).
    pub sample_entry: FourCc,
    /// Ticks per second of this track's times (`mdhd`; never 0).
    pub timescale: u32,
    /// Picture width in pixels from the visual sample entry (video only).
    pub width: Option<u16>,
    /// Picture height in pixels from the visual sample entry (video only).
    pub height: Option<u16>,
    /// Channel count from the audio sample entry (audio only).
    pub channel_count: Option<u16>,
    /// Sample rate in Hz from the audio sample entry (audio only).
    pub sample_rate: Option<u32>,
    /// The RFC 6381 codec string from the sample entry's `avcC`, `hvcC` or
    /// `esds`, e.g. `avc1.4d401f`, `hvc1.1.6.L93.B0`, `mp4a.40.2`. `None`
    /// for video whose configuration box is missing or unreadable; AAC
    /// without a readable `esds` gets [`AAC_LC`]. See [`mime_codecs`].
    pub codec_string: Option<String>,
    /// The payload of the sample entry's `avcC` or `hvcC` box (empty when
    /// absent or for audio): the parameter sets a decoder starts from.
    pub decoder_config: Vec<u8>,
    /// Fragment defaults from this track's `trex`.
    pub defaults: TrackDefaults,
}

/// A parsed init segment (`ftyp` + `moov` with `mvex`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitSegment {
    /// The `ftyp` major brand, e.g. `isom` or `iso5`.
    pub major_brand: FourCc,
    /// The `ftyp` compatible brands.
    pub compatible_brands: Vec<FourCc>,
    /// The movie timescale from `mvhd`.
    pub movie_timescale: u32,
    /// The tracks, in `moov` order.
    pub tracks: Vec<Track>,
}

impl InitSegment {
    /// The track with this id, if declared.
    pub fn track(&self, track_id: u32) -> Option<&Track> {
        self.tracks.iter().find(|t| t.track_id == track_id)
    }
}

/// One sample of a track fragment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// Decode time in the track timescale (`tfdt` plus earlier durations).
    pub decode_time: u64,
    /// Duration in the track timescale.
    pub duration: u32,
    /// Size of the sample data in bytes.
    pub size: u32,
    /// Whether the sample is a sync sample (keyframe): `sample_is_non_sync_sample`
    /// is clear and `sample_depends_on` is not 1.
    pub is_sync: bool,
    /// Composition time offset (presentation minus decode time).
    pub composition_offset: i64,
    /// The raw ISO sample flags that applied to this sample.
    pub flags: u32,
    /// Byte offset of the sample data in the parsed input.
    pub offset: u64,
    /// Byte offset of the sample data from the start of its `mdat` payload.
    pub mdat_offset: u64,
}

/// One `traf` of one fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackFragment {
    /// The track id.
    pub track_id: u32,
    /// `tfdt` base media decode time, in the track timescale.
    pub base_media_decode_time: u64,
    /// Sum of sample durations, in the track timescale.
    pub duration: u64,
    /// Sum of sample sizes, in bytes.
    pub bytes: u64,
    /// The samples, in decode order.
    pub samples: Vec<Sample>,
}

/// One `moof` + `mdat` pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fragment {
    /// The `mfhd` sequence number.
    pub sequence_number: u32,
    /// Byte offset of the `moof` box in the input.
    pub moof_offset: u64,
    /// Byte offset of the `mdat` payload (after its header) in the input.
    pub mdat_payload_offset: u64,
    /// Length of the `mdat` payload in bytes.
    pub mdat_payload_size: u64,
    /// The track fragments, in `moof` order.
    pub tracks: Vec<TrackFragment>,
}

/// A sync sample of a track, located within the whole media segment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Keyframe {
    /// Index of the fragment holding it.
    pub fragment_index: usize,
    /// Index of the sample within that track's samples in the whole segment.
    pub sample_index: usize,
    /// Decode time in the track timescale.
    pub decode_time: u64,
    /// Decode time in seconds.
    pub seconds: f64,
    /// Byte offset of the sample data in the input.
    pub offset: u64,
}

/// A track's totals over a media segment.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackSummary {
    /// The track id.
    pub track_id: u32,
    /// The track timescale (from the init segment).
    pub timescale: u32,
    /// Decode time of the first fragment, in the track timescale.
    pub start: u64,
    /// `start` in seconds.
    pub start_seconds: f64,
    /// End of the last fragment minus `start`, in the track timescale.
    pub duration: u64,
    /// `duration` in seconds.
    pub duration_seconds: f64,
    /// Number of samples.
    pub sample_count: usize,
    /// Sum of sample sizes in bytes.
    pub bytes: u64,
    /// The sync samples.
    pub keyframes: Vec<Keyframe>,
}

/// A parsed and validated media segment.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaSegment {
    /// The `styp` major brand, if the segment starts with one.
    pub styp_brand: Option<FourCc>,
    /// The fragments in input order.
    pub fragments: Vec<Fragment>,
    /// Per-track totals, in init-segment track order, for tracks that appear.
    pub tracks: Vec<TrackSummary>,
    /// Length of the parsed input in bytes.
    pub byte_size: u64,
}

impl MediaSegment {
    /// Totals for one track, if it appears in the segment.
    pub fn track(&self, track_id: u32) -> Option<&TrackSummary> {
        self.tracks.iter().find(|t| t.track_id == track_id)
    }

    /// Earliest track start, in seconds.
    pub fn start_seconds(&self) -> f64 {
        self.tracks
            .iter()
            .map(|t| t.start_seconds)
            .fold(None, |acc: Option<f64>, s| {
                Some(acc.map_or(s, |a| a.min(s)))
            })
            .unwrap_or(0.0)
    }

    /// Longest track duration, in seconds.
    pub fn duration_seconds(&self) -> f64 {
        self.tracks
            .iter()
            .map(|t| t.duration_seconds)
            .fold(0.0, f64::max)
    }
}

/// Converts a time in `timescale` ticks to seconds (0 for a zero timescale).
pub(crate) fn to_seconds(ticks: u64, timescale: u32) -> f64 {
    if timescale == 0 {
        0.0
    } else {
        ticks as f64 / f64::from(timescale)
    }
}
