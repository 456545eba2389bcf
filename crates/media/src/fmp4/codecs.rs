//! RFC 6381 codec strings (`avc1.4d401f`, `hvc1.1.6.L93.B0`, `mp4a.40.2`)
//! from a track's decoder configuration, as a browser's `MediaSource` wants
//! them in `video/mp4; codecs="…"`.
//!
//! The strings are built from the configuration boxes inside the sample
//! entry (`avcC`, `hvcC`, `esds`) following ISO/IEC 14496-15 Annex E and
//! RFC 6381 section 3.3. A missing or malformed box never fails the parse:
//! the string is then unknown (`None`) for video and the AAC-LC default for
//! audio, because players treat a wrong AAC object type leniently but cannot
//! guess an H.264 profile.

use super::boxes::{BoxIter, Budget, Mp4Box, Reader};
use super::{Codec, FourCc, InitSegment, TrackKind};

/// The codec string used for AAC when the `esds` does not say more: AAC-LC,
/// by far the most common camera audio.
pub const AAC_LC: &str = "mp4a.40.2";

/// Bytes of a `VisualSampleEntry` payload before its child boxes.
const VISUAL_ENTRY_FIELDS: usize = 78;
/// Bytes of a version-0 `AudioSampleEntry` payload before its child boxes.
const AUDIO_ENTRY_FIELDS: usize = 28;

/// The codec string of a sample entry, or `None` when its configuration box
/// is missing or unreadable (never for AAC, which falls back to [`AAC_LC`]).
pub(crate) fn sample_entry_codec_string(
    entry: &Mp4Box<'_>,
    codec: Codec,
    budget: &mut Budget,
) -> Option<String> {
    let from_box = match codec {
        Codec::H264 => {
            config_box(entry, VISUAL_ENTRY_FIELDS, b"avcC", budget).and_then(|c| avc(entry.kind, c))
        }
        Codec::H265 => config_box(entry, VISUAL_ENTRY_FIELDS, b"hvcC", budget)
            .and_then(|c| hevc(entry.kind, c)),
        Codec::Aac => {
            // QuickTime sound entries version 1 and 2 carry 16 or 36 more
            // bytes of fields before their child boxes.
            let mut r = entry.reader("sample entry");
            let version = r.skip(8).and_then(|()| r.u16()).unwrap_or(0);
            let extra = match version {
                1 => 16,
                2 => 36,
                _ => 0,
            };
            config_box(entry, AUDIO_ENTRY_FIELDS + extra, b"esds", budget).and_then(aac)
        }
    };
    match codec {
        Codec::Aac => Some(from_box.unwrap_or_else(|| AAC_LC.to_owned())),
        Codec::H264 | Codec::H265 => from_box,
    }
}

/// The raw `avcC` / `hvcC` payload of a video sample entry; empty for
/// audio or when the box is missing.
pub(crate) fn video_config(entry: &Mp4Box<'_>, codec: Codec, budget: &mut Budget) -> Vec<u8> {
    let kind = match codec {
        Codec::H264 => b"avcC",
        Codec::H265 => b"hvcC",
        Codec::Aac => return Vec::new(),
    };
    config_box(entry, VISUAL_ENTRY_FIELDS, kind, budget)
        .map(<[u8]>::to_vec)
        .unwrap_or_default()
}

/// The payload of the first child box `kind` after `skip` bytes of fields.
fn config_box<'a>(
    entry: &Mp4Box<'a>,
    skip: usize,
    kind: &[u8; 4],
    budget: &mut Budget,
) -> Option<&'a [u8]> {
    let children = entry.payload.get(skip..)?;
    let mut it = BoxIter::new(children, entry.payload_offset.saturating_add(skip as u64));
    while let Ok(Some(b)) = it.next_box(budget) {
        if &b.kind.0 == kind {
            return Some(b.payload);
        }
    }
    None
}

/// The sample entry code as text, if it is plain ASCII letters and digits.
fn prefix(fourcc: FourCc) -> Option<&'static str> {
    match &fourcc.0 {
        b"avc1" => Some("avc1"),
        b"avc3" => Some("avc3"),
        b"hvc1" => Some("hvc1"),
        b"hev1" => Some("hev1"),
        _ => None,
    }
}

/// `avc1.PPCCLL`: profile, constraint flags and level from the `avcC`
/// (ISO/IEC 14496-15 5.3.3.1; they copy SPS bytes 1 to 3).
fn avc(fourcc: FourCc, avcc: &[u8]) -> Option<String> {
    let [_version, profile, compat, level, ..] = *avcc else {
        return None;
    };
    Some(format!(
        "{}.{profile:02x}{compat:02x}{level:02x}",
        prefix(fourcc)?
    ))
}

/// `hvc1.[A-C]P.FLAGS.{L|H}LEVEL[.CC…]` from the `hvcC` (ISO/IEC 14496-15
/// E.3): profile space and profile, the 32 compatibility flags bit-reversed
/// in hex, tier and level, then the six constraint bytes with trailing zero
/// bytes left out.
fn hevc(fourcc: FourCc, hvcc: &[u8]) -> Option<String> {
    let mut r = Reader::new(hvcc, 0, "hvcC");
    let _version = r.u8().ok()?;
    let ptl = r.u8().ok()?;
    let compat = r.u32().ok()?;
    let constraints = r.bytes(6).ok()?;
    let level = r.u8().ok()?;

    let space = match ptl >> 6 {
        0 => "",
        1 => "A",
        2 => "B",
        _ => "C",
    };
    let tier = if ptl & 0x20 != 0 { 'H' } else { 'L' };
    let profile = ptl & 0x1f;
    let mut s = format!(
        "{}.{space}{profile}.{:x}.{tier}{level}",
        prefix(fourcc)?,
        compat.reverse_bits()
    );
    let used = constraints
        .iter()
        .rposition(|&b| b != 0)
        .map_or(0, |last| last + 1);
    for b in constraints.iter().take(used) {
        s.push_str(&format!(".{b:02X}"));
    }
    Some(s)
}

/// `mp4a.40.AOT` from an `esds`: the MPEG-4 audio object type in the
/// `AudioSpecificConfig`, or `mp4a.OO` for another object type indication.
fn aac(esds: &[u8]) -> Option<String> {
    let mut r = Reader::new(esds, 0, "esds");
    r.full_box().ok()?;
    let es = descriptor(&mut r, 0x03)?;
    let mut r = Reader::new(es, 0, "ES_Descriptor");
    r.skip(2).ok()?; // ES_ID
    let flags = r.u8().ok()?;
    if flags & 0x80 != 0 {
        r.skip(2).ok()?; // dependsOn_ES_ID
    }
    if flags & 0x40 != 0 {
        let len = r.u8().ok()?;
        r.skip(usize::from(len)).ok()?; // URL
    }
    if flags & 0x20 != 0 {
        r.skip(2).ok()?; // OCR_ES_Id
    }
    let config = descriptor(&mut r, 0x04)?;
    let mut r = Reader::new(config, 0, "DecoderConfigDescriptor");
    let object_type = r.u8().ok()?;
    if object_type != 0x40 {
        return Some(format!("mp4a.{object_type:02x}"));
    }
    r.skip(12).ok()?; // stream type, buffer size, max and average bitrate
    let asc = descriptor(&mut r, 0x05)?;
    let first = *asc.first()?;
    let mut aot = first >> 3;
    if aot == 31 {
        // Escape: the real type is 32 plus the next six bits.
        let second = *asc.get(1)?;
        aot = 32 + (((first & 0x07) << 3) | (second >> 5));
    }
    if aot == 0 {
        return None;
    }
    Some(format!("mp4a.40.{aot}"))
}

/// Reads one MPEG-4 descriptor, which must have tag `tag`, and returns its
/// body. Sizes are 1 to 4 bytes of 7 bits each (ISO/IEC 14496-1 8.3.3).
fn descriptor<'a>(r: &mut Reader<'a>, tag: u8) -> Option<&'a [u8]> {
    if r.u8().ok()? != tag {
        return None;
    }
    let mut size = 0usize;
    for _ in 0..4 {
        let b = r.u8().ok()?;
        size = (size << 7) | usize::from(b & 0x7f);
        if b & 0x80 == 0 {
            break;
        }
    }
    // Some writers round the size up past the parent's end; take what is there.
    let size = size.min(r.remaining());
    r.bytes(size).ok()
}

/// The `codecs` parameter for an init segment's MIME type: the codec string
/// of every video track, then of every audio track, comma-separated without
/// repeats, e.g. `avc1.4d401f,mp4a.40.2`. Tracks whose video codec string is
/// unknown are left out (empty string if none is known).
pub fn mime_codecs(init: &InitSegment) -> String {
    let mut out: Vec<&str> = Vec::new();
    for kind in [TrackKind::Video, TrackKind::Audio] {
        for t in init.tracks.iter().filter(|t| t.kind == kind) {
            let s = match (&t.codec_string, t.codec) {
                (Some(s), _) => s.as_str(),
                (None, Codec::Aac) => AAC_LC,
                (None, Codec::H264 | Codec::H265) => continue,
            };
            if !out.contains(&s) {
                out.push(s);
            }
        }
    }
    out.join(",")
}

/// The full MIME type for `MediaSource.isTypeSupported` / `addSourceBuffer`,
/// e.g. `video/mp4; codecs="avc1.4d401f,mp4a.40.2"` (`audio/mp4` when the
/// init has no video track).
pub fn mime_type(init: &InitSegment) -> String {
    let major = if init.tracks.iter().any(|t| t.kind == TrackKind::Video) {
        "video/mp4"
    } else {
        "audio/mp4"
    };
    format!("{major}; codecs=\"{}\"", mime_codecs(init))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn avc_strings_copy_the_sps_bytes() {
        let avcc = [1, 0x4d, 0x40, 0x1f, 0xff, 0xe1];
        assert_eq!(avc(FourCc(*b"avc1"), &avcc).as_deref(), Some("avc1.4d401f"));
        assert_eq!(avc(FourCc(*b"avc3"), &avcc).as_deref(), Some("avc3.4d401f"));
        assert_eq!(avc(FourCc(*b"avc1"), &[1, 0x64, 0]), None);
        assert_eq!(avc(FourCc(*b"xxxx"), &avcc), None);
    }

    #[test]
    fn hevc_strings_follow_annex_e() {
        // Main, compat flags 1 and 2, main tier level 3.1, progressive +
        // frame-only constraint bits (0xB0), as in the RFC 6381 examples.
        let mut hvcc = vec![1, 0x01, 0x60, 0, 0, 0, 0xb0, 0, 0, 0, 0, 0, 93];
        assert_eq!(
            hevc(FourCc(*b"hvc1"), &hvcc).as_deref(),
            Some("hvc1.1.6.L93.B0")
        );
        // High tier, profile space 1, Main 10, constraints in bytes 1 and 3.
        hvcc[1] = 0x40 | 0x20 | 0x02;
        hvcc[2..6].copy_from_slice(&0x2000_0000u32.to_be_bytes());
        hvcc[6..12].copy_from_slice(&[0x90, 0, 0x01, 0, 0, 0]);
        hvcc[12] = 120;
        assert_eq!(
            hevc(FourCc(*b"hev1"), &hvcc).as_deref(),
            Some("hev1.A2.4.H120.90.00.01")
        );
        // No constraint bits: the string ends at the level.
        hvcc[6..12].copy_from_slice(&[0; 6]);
        assert_eq!(
            hevc(FourCc(*b"hev1"), &hvcc).as_deref(),
            Some("hev1.A2.4.H120")
        );
        assert_eq!(hevc(FourCc(*b"hvc1"), &hvcc[..12]), None);
    }

    fn esds(object_type: u8, asc: &[u8]) -> Vec<u8> {
        let mut dsi = vec![0x05, asc.len() as u8];
        dsi.extend_from_slice(asc);
        let mut dcd = vec![
            0x04,
            0x80,
            0x80,
            0x80,
            (13 + dsi.len()) as u8,
            object_type,
            0x15,
        ];
        dcd.extend_from_slice(&[0; 11]);
        dcd.extend_from_slice(&dsi);
        let mut es = vec![0x03, (3 + dcd.len()) as u8, 0, 1, 0];
        es.extend_from_slice(&dcd);
        let mut out = vec![0, 0, 0, 0];
        out.extend_from_slice(&es);
        out
    }

    #[test]
    fn aac_strings_read_the_audio_object_type() {
        // AAC-LC 44.1 kHz stereo, HE-AAC (SBR, 5), and escaped type 42 (USAC).
        assert_eq!(
            aac(&esds(0x40, &[0x12, 0x10])).as_deref(),
            Some("mp4a.40.2")
        );
        assert_eq!(
            aac(&esds(0x40, &[0x2b, 0x92])).as_deref(),
            Some("mp4a.40.5")
        );
        assert_eq!(
            aac(&esds(0x40, &[0xf9, 0x40])).as_deref(),
            Some("mp4a.40.42")
        );
        assert_eq!(aac(&esds(0x67, &[0x12, 0x10])).as_deref(), Some("mp4a.67"));
        // Malformed: unknown, so the caller falls back to AAC-LC.
        assert_eq!(aac(&esds(0x40, &[])), None);
        assert_eq!(aac(&[0, 0, 0, 0, 0x04]), None);
        assert_eq!(aac(&[]), None);
    }
}
