//! The init segment: `ftyp` + `moov` for one video track, and the `avcC`
//! built from an SPS and a PPS.

use super::MuxError;
use crate::fmp4::boxes::write_box;

/// The one track's id.
pub(super) const TRACK_ID: u32 = 1;

/// Unity transformation matrix (ISO/IEC 14496-12 8.2.2.3), for `mvhd` and `tkhd`.
const MATRIX: [u32; 9] = [0x0001_0000, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000];

/// Profiles whose SPS carries `chroma_format_idc` and bit depths (ISO/IEC
/// 14496-10 7.3.2.1.1); the `avcC` repeats those for every profile but
/// Baseline, Main and Extended.
const HIGH_PROFILES: [u8; 13] = [100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135];

/// Appends one box built from `parts`.
pub(super) fn bx(out: &mut Vec<u8>, kind: &[u8; 4], parts: &[&[u8]]) -> Result<(), MuxError> {
    write_box(out, kind, &parts.concat()).map_err(|_| MuxError::TooLarge)
}

/// Appends one full box (version and 24-bit flags, then `parts`).
pub(super) fn full(
    out: &mut Vec<u8>,
    kind: &[u8; 4],
    version: u8,
    flags: u32,
    parts: &[&[u8]],
) -> Result<(), MuxError> {
    let vf = ((u32::from(version) << 24) | (flags & 0x00ff_ffff)).to_be_bytes();
    let mut all: Vec<&[u8]> = Vec::with_capacity(parts.len() + 1);
    all.push(&vf);
    all.extend_from_slice(parts);
    bx(out, kind, &all)
}

fn matrix() -> Vec<u8> {
    MATRIX.iter().flat_map(|v| v.to_be_bytes()).collect()
}

/// The whole init segment for a video track with sample entry `entry`
/// (`avc1`/`hvc1`) whose configuration box is `config` (`avcC`/`hvcC`).
pub(super) fn init_segment(
    entry: &[u8; 4],
    config_kind: &[u8; 4],
    config: &[u8],
    width: u16,
    height: u16,
    timescale: u32,
) -> Result<Vec<u8>, MuxError> {
    let mut out = Vec::with_capacity(800 + config.len());
    let brands: &[&[u8]] = &[b"iso5", &0u32.to_be_bytes(), b"iso5", b"iso6", b"cmfc"];
    bx(&mut out, b"ftyp", brands)?;

    let zero4 = 0u32.to_be_bytes();
    let mut mvhd = Vec::new();
    full(
        &mut mvhd,
        b"mvhd",
        0,
        0,
        &[
            &zero4,                        // creation_time
            &zero4,                        // modification_time
            &1000u32.to_be_bytes(),        // timescale
            &zero4,                        // duration: unknown (fragmented)
            &0x0001_0000u32.to_be_bytes(), // rate 1.0
            &0x0100u16.to_be_bytes(),      // volume 1.0
            &[0; 10],                      // reserved
            &matrix(),                     // unity
            &[0; 24],                      // pre_defined
            &(TRACK_ID + 1).to_be_bytes(), // next_track_ID
        ],
    )?;

    let mut tkhd = Vec::new();
    full(
        &mut tkhd,
        b"tkhd",
        0,
        0x3, // track_enabled | track_in_movie
        &[
            &zero4,
            &zero4,
            &TRACK_ID.to_be_bytes(),
            &zero4, // reserved
            &zero4, // duration
            &[0; 8],
            &[0; 8], // layer, alternate_group, volume (0 for video), reserved
            &matrix(),
            &(u32::from(width) << 16).to_be_bytes(),
            &(u32::from(height) << 16).to_be_bytes(),
        ],
    )?;

    let mut mdhd = Vec::new();
    full(
        &mut mdhd,
        b"mdhd",
        0,
        0,
        &[
            &zero4,
            &zero4,
            &timescale.to_be_bytes(),
            &zero4,
            &0x55c4u16.to_be_bytes(), // language "und", packed ISO-639-2/T
            &[0; 2],
        ],
    )?;
    let mut hdlr = Vec::new();
    full(
        &mut hdlr,
        b"hdlr",
        0,
        0,
        &[&zero4, b"vide", &[0; 12], b"camvault video\0"],
    )?;

    let minf = minf(entry, config_kind, config, width, height)?;
    let mut mdia = Vec::new();
    bx(&mut mdia, b"mdia", &[&mdhd, &hdlr, &minf])?;
    let mut trak = Vec::new();
    bx(&mut trak, b"trak", &[&tkhd, &mdia])?;

    let mut trex = Vec::new();
    full(
        &mut trex,
        b"trex",
        0,
        0,
        &[
            &TRACK_ID.to_be_bytes(),
            &1u32.to_be_bytes(), // default_sample_description_index
            &zero4,              // duration, size and flags: every trun says
            &zero4,
            &zero4,
        ],
    )?;
    let mut mvex = Vec::new();
    bx(&mut mvex, b"mvex", &[&trex])?;

    bx(&mut out, b"moov", &[&mvhd, &trak, &mvex])?;
    Ok(out)
}

/// `minf` with `vmhd`, `dinf` and a `stbl` whose tables are empty (the
/// samples live in fragments).
fn minf(
    entry: &[u8; 4],
    config_kind: &[u8; 4],
    config: &[u8],
    width: u16,
    height: u16,
) -> Result<Vec<u8>, MuxError> {
    let zero4 = 0u32.to_be_bytes();
    let mut vmhd = Vec::new();
    full(&mut vmhd, b"vmhd", 0, 1, &[&[0; 8]])?; // graphicsmode copy, opcolor
    let mut url = Vec::new();
    full(&mut url, b"url ", 0, 1, &[])?; // flag 1: media is in this file
    let mut dref = Vec::new();
    full(&mut dref, b"dref", 0, 0, &[&1u32.to_be_bytes(), &url])?;
    let mut dinf = Vec::new();
    bx(&mut dinf, b"dinf", &[&dref])?;

    let mut config_box = Vec::new();
    bx(&mut config_box, config_kind, &[config])?;
    let mut sample_entry = Vec::new();
    bx(
        &mut sample_entry,
        entry,
        &[
            &[0; 6],              // reserved
            &1u16.to_be_bytes(),  // data_reference_index
            &[0; 16],             // pre_defined, reserved
            &width.to_be_bytes(), // picture size
            &height.to_be_bytes(),
            &0x0048_0000u32.to_be_bytes(), // 72 dpi
            &0x0048_0000u32.to_be_bytes(),
            &zero4,                   // reserved
            &1u16.to_be_bytes(),      // frame_count
            &[0; 32],                 // compressorname (empty)
            &0x0018u16.to_be_bytes(), // depth: colour, no alpha
            &(-1i16).to_be_bytes(),   // pre_defined
            &config_box,
        ],
    )?;
    let mut stsd = Vec::new();
    full(
        &mut stsd,
        b"stsd",
        0,
        0,
        &[&1u32.to_be_bytes(), &sample_entry],
    )?;
    let mut tables = Vec::new();
    for kind in [b"stts", b"stsc", b"stco"] {
        full(&mut tables, kind, 0, 0, &[&zero4])?; // entry_count 0
    }
    full(&mut tables, b"stsz", 0, 0, &[&zero4, &zero4])?; // sample_size, count
    let mut stbl = Vec::new();
    bx(&mut stbl, b"stbl", &[&stsd, &tables])?;

    let mut minf = Vec::new();
    bx(&mut minf, b"minf", &[&vmhd, &dinf, &stbl])?;
    Ok(minf)
}

/// The `AVCDecoderConfigurationRecord` (ISO/IEC 14496-15 5.3.3.1) for one
/// SPS and one PPS (NAL units with their one-byte headers), with 4-byte NAL
/// lengths.
pub(super) fn avcc(sps: &[u8], pps: &[u8]) -> Result<Vec<u8>, MuxError> {
    let bad = MuxError::InvalidParameters;
    let (&[header, profile, compat, level], _) = sps
        .split_first_chunk::<4>()
        .ok_or(bad("the SPS is shorter than 4 bytes"))?;
    if header & 0x1f != 7 {
        return Err(bad("the SPS is not NAL unit type 7"));
    }
    if pps.first().is_none_or(|h| h & 0x1f != 8) {
        return Err(bad("the PPS is empty or not NAL unit type 8"));
    }
    let sps_len = u16::try_from(sps.len()).map_err(|_| bad("the SPS is over 65535 bytes"))?;
    let pps_len = u16::try_from(pps.len()).map_err(|_| bad("the PPS is over 65535 bytes"))?;

    let mut out = Vec::with_capacity(15 + sps.len() + pps.len());
    out.extend_from_slice(&[1, profile, compat, level]);
    out.push(0xff); // reserved 6 bits, lengthSizeMinusOne = 3
    out.push(0xe1); // reserved 3 bits, one SPS
    out.extend_from_slice(&sps_len.to_be_bytes());
    out.extend_from_slice(sps);
    out.push(1); // one PPS
    out.extend_from_slice(&pps_len.to_be_bytes());
    out.extend_from_slice(pps);
    if !matches!(profile, 66 | 77 | 88) {
        // The chroma format and bit depths are required here for these
        // profiles; if the SPS cannot be read, decoders still cope without.
        if let Some((chroma, luma, chroma_depth)) = chroma_info(sps) {
            out.extend_from_slice(&[0xfc | chroma, 0xf8 | luma, 0xf8 | chroma_depth, 0]);
        }
    }
    Ok(out)
}

/// `chroma_format_idc`, `bit_depth_luma_minus8` and
/// `bit_depth_chroma_minus8` from an SPS NAL unit (defaults 1, 0, 0 for
/// profiles that do not code them), or `None` if the SPS is unreadable.
fn chroma_info(sps: &[u8]) -> Option<(u8, u8, u8)> {
    let mut bits = RbspBits::new(sps.get(1..)?);
    let profile = bits.bits(8)?;
    bits.bits(16)?; // constraint flags, level
    bits.ue()?; // seq_parameter_set_id
    if !HIGH_PROFILES.iter().any(|&p| u32::from(p) == profile) {
        return Some((1, 0, 0));
    }
    let chroma = bits.ue()?;
    if chroma == 3 {
        bits.bits(1)?; // separate_colour_plane_flag
    }
    let luma = bits.ue()?;
    let chroma_depth = bits.ue()?;
    if chroma > 3 || luma > 6 || chroma_depth > 6 {
        return None;
    }
    Some((
        u8::try_from(chroma).ok()?,
        u8::try_from(luma).ok()?,
        u8::try_from(chroma_depth).ok()?,
    ))
}

/// Reads bits from a NAL unit payload, skipping emulation-prevention bytes
/// (the `03` in `00 00 03`).
struct RbspBits<'a> {
    data: &'a [u8],
    byte: usize,
    bit: u8,
    zeros: u8,
}

impl<'a> RbspBits<'a> {
    fn new(data: &'a [u8]) -> Self {
        RbspBits {
            data,
            byte: 0,
            bit: 0,
            zeros: 0,
        }
    }

    fn bit(&mut self) -> Option<u32> {
        if self.bit == 0 {
            let b = *self.data.get(self.byte)?;
            if self.zeros >= 2 && b == 3 {
                self.byte += 1;
                self.zeros = 0;
                return self.bit();
            }
            self.zeros = if b == 0 {
                self.zeros.saturating_add(1)
            } else {
                0
            };
        }
        let b = *self.data.get(self.byte)?;
        let v = (b >> (7 - self.bit)) & 1;
        self.bit += 1;
        if self.bit == 8 {
            self.bit = 0;
            self.byte += 1;
        }
        Some(u32::from(v))
    }

    fn bits(&mut self, n: u8) -> Option<u32> {
        let mut v = 0u32;
        for _ in 0..n {
            v = (v << 1) | self.bit()?;
        }
        Some(v)
    }

    /// An unsigned Exp-Golomb code.
    fn ue(&mut self) -> Option<u32> {
        let mut zeros = 0u8;
        while self.bit()? == 0 {
            zeros += 1;
            if zeros > 31 {
                return None;
            }
        }
        Some((1u32 << zeros) - 1 + self.bits(zeros)?)
    }
}
