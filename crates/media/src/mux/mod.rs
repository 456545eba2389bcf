//! A small fragmented-MP4 (CMAF) writer for one video track, fed encoded
//! access units, e.g. from an RTSP camera.
//!
//! [`Muxer::new_h264`] / [`Muxer::new_h265`] build the init segment (`ftyp`
//! `iso5`/`iso6`/`cmfc` and a `moov` with one `avc1`/`hvc1` track and
//! `mvex`), and [`Muxer::fragment`] turns a run of [`Sample`]s into one
//! `moof` + `mdat` (`tfhd` with default-base-is-moof, a version-1 `tfdt`,
//! and a `trun` with each sample's duration, size and flags). Every init and
//! fragment is parsed again with [`parse_init`] / [`parse_media`] before it
//! is returned.
//!
//! # Why hand-written
//!
//! The established Rust MP4 crates do not do this job: `mp4` (alfg) writes
//! whole files with a `moov` sample table, and `mp4-atom` is a box library
//! (the one [`crate::fmp4`] turned down for its panicking decoders) that
//! would still leave layout, offsets and sample flags to us. Crates that do
//! write fragments exist but are young or tied to another system (`muxide`
//! 0.1–0.2, `oxideav-mp4` 0.0.x, `moq-mux` for Media over QUIC), and
//! FFmpeg bindings would bring in a C library. What we need is a dozen
//! fixed boxes for one video track, so they are written here with the same
//! checked helpers the fMP4 rewriters use, and every output goes through
//! our fuzzed parser.

mod init;
#[cfg(test)]
mod tests;

use crate::fmp4::boxes::header_len;
use crate::fmp4::{parse_init, parse_media, Fmp4Error, InitSegment};

use init::{avcc, bx, full, init_segment, TRACK_ID};

/// ISO sample flags of a sync sample: depends on no other sample.
const SYNC_FLAGS: u32 = 0x0200_0000;
/// ISO sample flags of a non-sync sample: depends on others, not a sync sample.
const NON_SYNC_FLAGS: u32 = 0x0101_0000;

// tfhd / trun flags (ISO/IEC 14496-12 8.8.7, 8.8.8).
const TFHD_DEFAULT_BASE_IS_MOOF: u32 = 0x02_0000;
const TRUN_DATA_OFFSET: u32 = 0x00_0001;
const TRUN_DURATION: u32 = 0x00_0100;
const TRUN_SIZE: u32 = 0x00_0200;
const TRUN_FLAGS: u32 = 0x00_0400;
const TRUN_COMPOSITION_OFFSET: u32 = 0x00_0800;

/// Why the muxer refused its input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MuxError {
    /// The codec parameters (SPS, PPS, `hvcC`), picture size or timescale
    /// are unusable.
    #[error("invalid codec parameters: {0}")]
    InvalidParameters(&'static str),
    /// [`Muxer::fragment`] was given no samples.
    #[error("a fragment needs at least one sample")]
    NoSamples,
    /// A sample's data is not a run of 4-byte length-prefixed NAL units.
    #[error("sample {index}: {reason}")]
    BadSample {
        /// Index of the sample in the slice given.
        index: usize,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A size or offset does not fit its field.
    #[error("the fragment is too large for its size fields")]
    TooLarge,
    /// The output failed the crate's own parser (a bug in the muxer).
    #[error("the muxer's output does not parse: {0}")]
    SelfCheck(Fmp4Error),
}

/// One encoded access unit for [`Muxer::fragment`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample<'a> {
    /// The NAL units, each preceded by its length as a 4-byte big-endian
    /// number (AVCC/HVCC framing, as in MP4), without parameter sets.
    pub data: &'a [u8],
    /// Time until the next sample, in the track timescale.
    pub duration: u32,
    /// Whether the sample is a random access point (IDR / IRAP picture).
    pub keyframe: bool,
    /// Presentation minus decode time, in the track timescale (0 without
    /// B-frames).
    pub composition_offset: i32,
}

/// Writes one video track as fragmented MP4: an init segment, then
/// fragments.
#[derive(Debug, Clone)]
pub struct Muxer {
    init: Vec<u8>,
    parsed: InitSegment,
}

impl Muxer {
    /// An H.264 muxer from one SPS and one PPS (NAL units including their
    /// header byte, without start codes or length prefixes), the displayed
    /// picture size and the timescale (90000 for RTP video).
    pub fn new_h264(
        sps: &[u8],
        pps: &[u8],
        width: u32,
        height: u32,
        timescale: u32,
    ) -> Result<Self, MuxError> {
        let config = avcc(sps, pps)?;
        Self::build(b"avc1", b"avcC", &config, width, height, timescale)
    }

    /// An H.265 muxer from an `HEVCDecoderConfigurationRecord` (the `hvcC`
    /// payload, e.g. retina's `extra_data` with 4-byte NAL framing), the
    /// displayed picture size and the timescale.
    pub fn new_h265(
        hvcc: &[u8],
        width: u32,
        height: u32,
        timescale: u32,
    ) -> Result<Self, MuxError> {
        // Byte 21 ends in lengthSizeMinusOne; samples use 4-byte lengths.
        match (hvcc.first(), hvcc.get(21)) {
            (Some(1), Some(b)) if b & 0x03 == 3 => {}
            _ => {
                return Err(MuxError::InvalidParameters(
                    "the hvcC is not version 1 with 4-byte NAL lengths",
                ))
            }
        }
        Self::build(b"hvc1", b"hvcC", hvcc, width, height, timescale)
    }

    fn build(
        entry: &[u8; 4],
        config_kind: &[u8; 4],
        config: &[u8],
        width: u32,
        height: u32,
        timescale: u32,
    ) -> Result<Self, MuxError> {
        let size = |v: u32| u16::try_from(v).ok().filter(|&v| v > 0);
        let (Some(width), Some(height)) = (size(width), size(height)) else {
            return Err(MuxError::InvalidParameters(
                "the picture size must be 1 to 65535 pixels each way",
            ));
        };
        if timescale == 0 {
            return Err(MuxError::InvalidParameters("the timescale must not be 0"));
        }
        let init = init_segment(entry, config_kind, config, width, height, timescale)?;
        let parsed = parse_init(&init).map_err(MuxError::SelfCheck)?;
        Ok(Muxer { init, parsed })
    }

    /// The init segment (`ftyp` + `moov`).
    pub fn init(&self) -> &[u8] {
        &self.init
    }

    /// The init segment as [`parse_init`] reads it.
    pub fn init_segment(&self) -> &InitSegment {
        &self.parsed
    }

    /// The RFC 6381 codec string, e.g. `avc1.4d401f`.
    pub fn codec_string(&self) -> Option<&str> {
        self.parsed.tracks.first()?.codec_string.as_deref()
    }

    /// The track's timescale (ticks per second).
    pub fn timescale(&self) -> u32 {
        self.parsed.tracks.first().map_or(0, |t| t.timescale)
    }

    /// One `moof` + `mdat` holding `samples` in decode order, the first
    /// decoded at `base_decode_time` (track timescale), with `mfhd`
    /// `sequence_number`.
    ///
    /// Keyframes get sync sample flags, other samples non-sync ones. The
    /// fragment should open on a keyframe to be decodable on its own; that is
    /// the caller's choice and not checked.
    pub fn fragment(
        &self,
        samples: &[Sample<'_>],
        base_decode_time: u64,
        sequence_number: u32,
    ) -> Result<Vec<u8>, MuxError> {
        if samples.is_empty() {
            return Err(MuxError::NoSamples);
        }
        let mut payload_len = 0usize;
        for (index, s) in samples.iter().enumerate() {
            check_nal_lengths(s.data).map_err(|reason| MuxError::BadSample { index, reason })?;
            u32::try_from(s.data.len()).map_err(|_| MuxError::TooLarge)?;
            payload_len = payload_len
                .checked_add(s.data.len())
                .ok_or(MuxError::TooLarge)?;
        }
        let mdat_header = header_len(payload_len);

        // The data offset counts from the moof, whose size does not depend
        // on the offset's value: build once to measure, then for real.
        let moof_len = self
            .moof(samples, base_decode_time, sequence_number, 0)?
            .len();
        let data_offset = moof_len
            .checked_add(mdat_header)
            .and_then(|n| i32::try_from(n).ok())
            .ok_or(MuxError::TooLarge)?;
        let mut out = self.moof(samples, base_decode_time, sequence_number, data_offset)?;

        let total = payload_len
            .checked_add(mdat_header)
            .ok_or(MuxError::TooLarge)?;
        out.reserve(total);
        if mdat_header == 8 {
            let size = u32::try_from(total).map_err(|_| MuxError::TooLarge)?;
            out.extend_from_slice(&size.to_be_bytes());
            out.extend_from_slice(b"mdat");
        } else {
            out.extend_from_slice(&1u32.to_be_bytes());
            out.extend_from_slice(b"mdat");
            let size = u64::try_from(total).map_err(|_| MuxError::TooLarge)?;
            out.extend_from_slice(&size.to_be_bytes());
        }
        for s in samples {
            out.extend_from_slice(s.data);
        }
        parse_media(&out, &self.parsed).map_err(MuxError::SelfCheck)?;
        Ok(out)
    }

    fn moof(
        &self,
        samples: &[Sample<'_>],
        base_decode_time: u64,
        sequence_number: u32,
        data_offset: i32,
    ) -> Result<Vec<u8>, MuxError> {
        let mut mfhd = Vec::new();
        full(&mut mfhd, b"mfhd", 0, 0, &[&sequence_number.to_be_bytes()])?;
        let mut tfhd = Vec::new();
        full(
            &mut tfhd,
            b"tfhd",
            0,
            TFHD_DEFAULT_BASE_IS_MOOF,
            &[&TRACK_ID.to_be_bytes()],
        )?;
        let mut tfdt = Vec::new();
        full(&mut tfdt, b"tfdt", 1, 0, &[&base_decode_time.to_be_bytes()])?;

        let reordered = samples.iter().any(|s| s.composition_offset != 0);
        let mut flags = TRUN_DATA_OFFSET | TRUN_DURATION | TRUN_SIZE | TRUN_FLAGS;
        if reordered {
            flags |= TRUN_COMPOSITION_OFFSET;
        }
        let count = u32::try_from(samples.len()).map_err(|_| MuxError::TooLarge)?;
        let per_sample = if reordered { 16 } else { 12 };
        let mut table = Vec::with_capacity(8 + samples.len() * per_sample);
        table.extend_from_slice(&count.to_be_bytes());
        table.extend_from_slice(&data_offset.to_be_bytes());
        for s in samples {
            let size = u32::try_from(s.data.len()).map_err(|_| MuxError::TooLarge)?;
            let sample_flags = if s.keyframe {
                SYNC_FLAGS
            } else {
                NON_SYNC_FLAGS
            };
            table.extend_from_slice(&s.duration.to_be_bytes());
            table.extend_from_slice(&size.to_be_bytes());
            table.extend_from_slice(&sample_flags.to_be_bytes());
            if reordered {
                table.extend_from_slice(&s.composition_offset.to_be_bytes());
            }
        }
        // Version 1: signed composition offsets.
        let mut trun = Vec::new();
        full(&mut trun, b"trun", u8::from(reordered), flags, &[&table])?;

        let mut traf = Vec::new();
        bx(&mut traf, b"traf", &[&tfhd, &tfdt, &trun])?;
        let mut moof = Vec::new();
        bx(&mut moof, b"moof", &[&mfhd, &traf])?;
        Ok(moof)
    }
}

/// Checks that `data` is one or more NAL units, each after its 4-byte length,
/// filling it exactly.
fn check_nal_lengths(data: &[u8]) -> Result<(), &'static str> {
    if data.is_empty() {
        return Err("no data");
    }
    let mut rest = data;
    while !rest.is_empty() {
        let (len, tail) = rest
            .split_first_chunk::<4>()
            .ok_or("data does not end on a NAL unit boundary")?;
        let len = usize::try_from(u32::from_be_bytes(*len)).map_err(|_| "NAL unit too large")?;
        if len == 0 {
            return Err("empty NAL unit");
        }
        rest = tail
            .get(len..)
            .ok_or("a NAL unit length runs past the sample (Annex B framing?)")?;
    }
    Ok(())
}
