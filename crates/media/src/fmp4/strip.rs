//! Removing audio from init and media segments (product promise C3: audio is
//! dropped when audio is off).
//!
//! Both functions validate their input with the parsers first, so anything
//! malformed comes back as the parser's [`Fmp4Error`]. The rebuilt media
//! segment is parsed again before it is returned, so a caller never gets
//! bytes [`parse_media`] would refuse.

use super::boxes::{
    collect, header_len, raw, rewrite_overflow as overflow, to_usize, write_box, Budget, Mp4Box,
};
use super::{parse_init, parse_media, Fmp4Error, Fragment, InitSegment, TrackKind};

// Flags shared with the parser (ISO/IEC 14496-12 8.8.7, 8.8.8).
const TFHD_BASE_DATA_OFFSET: u32 = 0x00_0001;
const TFHD_DEFAULT_BASE_IS_MOOF: u32 = 0x02_0000;
const TRUN_DATA_OFFSET: u32 = 0x00_0001;

fn invalid(field: &'static str, reason: &'static str) -> Fmp4Error {
    Fmp4Error::Invalid { field, reason }
}

/// Track id of a `tkhd` (any version) or of a `tfhd`/`trex` (id right after
/// the full box header).
fn tkhd_track_id(b: &Mp4Box<'_>) -> Result<u32, Fmp4Error> {
    let mut r = b.reader("tkhd");
    match r.full_box()?.0 {
        0 => r.skip(8)?,
        1 => r.skip(16)?,
        version => {
            return Err(Fmp4Error::UnsupportedVersion {
                kind: "tkhd",
                version,
            })
        }
    }
    r.u32()
}

fn full_box_track_id(b: &Mp4Box<'_>, context: &'static str) -> Result<(u32, u32), Fmp4Error> {
    let mut r = b.reader(context);
    let (_, flags) = r.full_box()?;
    Ok((flags, r.u32()?))
}

/// Returns `init_bytes` without its audio tracks: every audio `trak` is
/// removed from the `moov` and its `trex` from the `mvex`, and both boxes'
/// sizes are rewritten. Everything else (`ftyp`, `mvhd` — whose
/// `next_track_id` is left as it was — other `moov` children, other
/// top-level boxes) is copied byte for byte.
///
/// An init without audio tracks comes back unchanged. An init with only
/// audio tracks is refused with [`Fmp4Error::Invalid`], since nothing would
/// be left. Malformed input returns the error [`parse_init`] gives.
pub fn strip_audio_init(init_bytes: &[u8]) -> Result<Vec<u8>, Fmp4Error> {
    let init = parse_init(init_bytes)?;
    let is_audio = |id: u32| init.track(id).is_some_and(|t| t.kind == TrackKind::Audio);
    if !init.tracks.iter().any(|t| t.kind == TrackKind::Audio) {
        return Ok(init_bytes.to_vec());
    }
    if init.tracks.iter().all(|t| t.kind == TrackKind::Audio) {
        return Err(invalid(
            "init segment",
            "has no video track; removing audio would leave nothing",
        ));
    }

    let mut budget = Budget::new();
    let mut out = Vec::with_capacity(init_bytes.len());
    let mut moov_done = false;
    for b in collect(init_bytes, 0, &mut budget)? {
        // parse_init reads the first moov only; later ones are copied as-is.
        if &b.kind.0 != b"moov" || moov_done {
            out.extend_from_slice(raw(init_bytes, &b)?);
            continue;
        }
        moov_done = true;
        let mut moov = Vec::with_capacity(b.payload.len());
        for child in collect(b.payload, b.payload_offset, &mut budget)? {
            match &child.kind.0 {
                b"trak" => {
                    let tkhd = collect(child.payload, child.payload_offset, &mut budget)?
                        .into_iter()
                        .find(|c| &c.kind.0 == b"tkhd")
                        .ok_or(Fmp4Error::MissingBox {
                            kind: "tkhd",
                            parent: "trak",
                        })?;
                    if !is_audio(tkhd_track_id(&tkhd)?) {
                        moov.extend_from_slice(raw(init_bytes, &child)?);
                    }
                }
                b"mvex" => {
                    let mut mvex = Vec::with_capacity(child.payload.len());
                    for c in collect(child.payload, child.payload_offset, &mut budget)? {
                        let drop =
                            &c.kind.0 == b"trex" && is_audio(full_box_track_id(&c, "trex")?.1);
                        if !drop {
                            mvex.extend_from_slice(raw(init_bytes, &c)?);
                        }
                    }
                    write_box(&mut moov, b"mvex", &mvex)?;
                }
                _ => moov.extend_from_slice(raw(init_bytes, &child)?),
            }
        }
        write_box(&mut out, b"moov", &moov)?;
    }
    Ok(out)
}

/// Returns `segment` without its audio: every `traf` of an audio track (per
/// `init`) is removed from each `moof`, and that track's sample bytes from
/// the `mdat` that follows. Video sample bytes are kept byte for byte and in
/// order; the `moof`, `traf` and `mdat` sizes are rewritten, and every
/// remaining `trun` gets an explicit `data_offset` pointing at its data's
/// new place (relative to the `moof` with `default-base-is-moof`, to the
/// previous track fragment's data otherwise). A `tfhd` `base_data_offset` is
/// rewritten to the new `moof` position, read like [`parse_media`] reads it
/// (the segment starts at offset 0).
///
/// The `styp` and other top-level boxes are kept, except `sidx` and `ssix`
/// outside a `moof`…`mdat` pair: their byte ranges describe the old layout,
/// so they are dropped. A `moof` left with no track fragment is dropped
/// together with its `mdat`; if that leaves no fragment at all the segment is
/// refused with [`Fmp4Error::Invalid`].
///
/// A segment with no audio track fragment comes back unchanged. Malformed
/// input returns the error [`parse_media`] gives; a segment whose audio and
/// video sample data overlap is refused with [`Fmp4Error::Invalid`].
pub fn strip_audio(segment: &[u8], init: &InitSegment) -> Result<Vec<u8>, Fmp4Error> {
    let parsed = parse_media(segment, init)?;
    let is_audio = |id: u32| init.track(id).is_some_and(|t| t.kind == TrackKind::Audio);
    let has_audio = parsed
        .fragments
        .iter()
        .any(|f| f.tracks.iter().any(|t| is_audio(t.track_id)));
    if !has_audio {
        return Ok(segment.to_vec());
    }

    let mut budget = Budget::new();
    let top = collect(segment, 0, &mut budget)?;
    let mut out = Vec::with_capacity(segment.len());
    let mut kept_fragments = 0usize;
    let mut i = 0usize;
    while let Some(b) = top.get(i) {
        i = i.saturating_add(1);
        match &b.kind.0 {
            b"sidx" | b"ssix" => continue,
            b"moof" => {}
            _ => {
                out.extend_from_slice(raw(segment, b)?);
                continue;
            }
        }
        // parse_media checked that an mdat follows; boxes in between are kept.
        let mdat_index = top
            .iter()
            .skip(i)
            .position(|x| &x.kind.0 == b"mdat")
            .and_then(|p| p.checked_add(i))
            .ok_or(Fmp4Error::MissingBox {
                kind: "mdat",
                parent: "media segment (moof at the end)",
            })?;
        let between = top.get(i..mdat_index).unwrap_or(&[]);
        let mdat = top.get(mdat_index).ok_or_else(overflow)?;
        i = mdat_index.saturating_add(1);
        let fragment = parsed
            .fragments
            .iter()
            .find(|f| f.moof_offset == b.offset)
            .ok_or_else(|| invalid("moof", "not found by the parser"))?;
        let ctx = FragmentStrip {
            segment,
            fragment,
            moof: b,
            between,
            mdat,
            is_audio: &is_audio,
        };
        if ctx.write(&mut out, &mut budget)? {
            kept_fragments = kept_fragments.saturating_add(1);
        }
    }
    if kept_fragments == 0 {
        return Err(invalid(
            "media segment",
            "has no video track fragment; removing audio would leave nothing",
        ));
    }
    // The result must be a segment the parser accepts.
    parse_media(&out, init)?;
    Ok(out)
}

/// One `moof` … `mdat` pair being rewritten.
struct FragmentStrip<'a, 's, F: Fn(u32) -> bool> {
    segment: &'s [u8],
    fragment: &'a Fragment,
    moof: &'a Mp4Box<'s>,
    between: &'a [Mp4Box<'s>],
    mdat: &'a Mp4Box<'s>,
    is_audio: &'a F,
}

/// Where the new `moof` and `mdat` payload start in the output, and which
/// mdat byte ranges (relative to the old payload, sorted, merged) go.
struct Layout {
    moof_offset: u64,
    payload_offset: u64,
    removed: Vec<(u64, u64)>,
}

impl Layout {
    /// New absolute offset of the byte at `mdat_offset` in the old payload.
    fn map(&self, mdat_offset: u64) -> Result<u64, Fmp4Error> {
        let mut gone = 0u64;
        for &(a, b) in &self.removed {
            if a >= mdat_offset {
                break;
            }
            let end = b.min(mdat_offset);
            gone = gone
                .checked_add(end.checked_sub(a).ok_or_else(overflow)?)
                .ok_or_else(overflow)?;
        }
        self.payload_offset
            .checked_add(mdat_offset.checked_sub(gone).ok_or_else(overflow)?)
            .ok_or_else(overflow)
    }
}

impl<F: Fn(u32) -> bool> FragmentStrip<'_, '_, F> {
    /// Appends the stripped pair (and the boxes between) to `out`; returns
    /// whether a `moof` was written (false when only audio was in it).
    fn write(&self, out: &mut Vec<u8>, budget: &mut Budget) -> Result<bool, Fmp4Error> {
        let mut between = Vec::new();
        for b in self.between {
            between.extend_from_slice(raw(self.segment, b)?);
        }
        let has_audio = self
            .fragment
            .tracks
            .iter()
            .any(|t| (self.is_audio)(t.track_id));
        if !self
            .fragment
            .tracks
            .iter()
            .any(|t| !(self.is_audio)(t.track_id))
        {
            out.extend_from_slice(&between);
            return Ok(false);
        }
        let moof_children = collect(self.moof.payload, self.moof.payload_offset, budget)?;
        let mut uses_absolute_base = false;
        for c in moof_children.iter().filter(|c| &c.kind.0 == b"traf") {
            for t in collect(c.payload, c.payload_offset, budget)? {
                if &t.kind.0 == b"tfhd"
                    && full_box_track_id(&t, "tfhd")?.0 & TFHD_BASE_DATA_OFFSET != 0
                {
                    uses_absolute_base = true;
                }
            }
        }
        if !has_audio && !uses_absolute_base {
            // Offsets are relative to this moof: the pair moves unchanged.
            out.extend_from_slice(raw(self.segment, self.moof)?);
            out.extend_from_slice(&between);
            out.extend_from_slice(raw(self.segment, self.mdat)?);
            return Ok(true);
        }

        // Removed ranges: every audio sample, sorted and merged.
        let mut removed: Vec<(u64, u64)> = Vec::new();
        for tf in self
            .fragment
            .tracks
            .iter()
            .filter(|t| (self.is_audio)(t.track_id))
        {
            for s in &tf.samples {
                let end = s
                    .mdat_offset
                    .checked_add(u64::from(s.size))
                    .ok_or_else(overflow)?;
                if end > s.mdat_offset {
                    removed.push((s.mdat_offset, end));
                }
            }
        }
        removed.sort_unstable();
        let mut merged: Vec<(u64, u64)> = Vec::with_capacity(removed.len());
        for (a, b) in removed {
            match merged.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        // Kept samples must not share bytes with removed ones.
        for tf in self
            .fragment
            .tracks
            .iter()
            .filter(|t| !(self.is_audio)(t.track_id))
        {
            for s in &tf.samples {
                let end = s
                    .mdat_offset
                    .checked_add(u64::from(s.size))
                    .ok_or_else(overflow)?;
                let idx = merged.partition_point(|r| r.1 <= s.mdat_offset);
                if s.size > 0 && merged.get(idx).is_some_and(|r| r.0 < end) {
                    return Err(invalid("mdat", "audio and video sample data overlap"));
                }
            }
        }

        // New mdat payload: the old one without the removed ranges.
        let mut payload = Vec::with_capacity(self.mdat.payload.len());
        let mut pos = 0usize;
        for &(a, b) in &merged {
            let (a, b) = (to_usize(a)?, to_usize(b)?);
            payload.extend_from_slice(self.mdat.payload.get(pos..a).ok_or_else(overflow)?);
            pos = b;
        }
        payload.extend_from_slice(self.mdat.payload.get(pos..).ok_or_else(overflow)?);

        // The moof's length does not depend on the offsets written into it,
        // so build it once with the layout at 0 to measure, then for real.
        let moof_offset = out.len() as u64;
        let measure = Layout {
            moof_offset,
            payload_offset: 0,
            removed: Vec::new(),
        };
        let moof_len = self.moof_box(&moof_children, &measure, budget, true)?.len();
        let payload_offset = moof_offset
            .checked_add(moof_len as u64)
            .and_then(|v| v.checked_add(between.len() as u64))
            .and_then(|v| v.checked_add(header_len(payload.len()) as u64))
            .ok_or_else(overflow)?;
        let layout = Layout {
            moof_offset,
            payload_offset,
            removed: merged,
        };
        let moof = self.moof_box(&moof_children, &layout, budget, false)?;
        if moof.len() != moof_len {
            return Err(invalid("moof", "rewritten size changed"));
        }
        out.extend_from_slice(&moof);
        out.extend_from_slice(&between);
        write_box(out, b"mdat", &payload)?;
        Ok(true)
    }

    /// The rewritten `moof` box, header included. With `measure` the offsets
    /// are placeholders (only the length is meaningful).
    fn moof_box(
        &self,
        children: &[Mp4Box<'_>],
        layout: &Layout,
        budget: &mut Budget,
        measure: bool,
    ) -> Result<Vec<u8>, Fmp4Error> {
        let mut moof = Vec::with_capacity(self.moof.payload.len());
        // Base of a traf with neither base flag: the moof for the first kept
        // one, then the end of the previous kept traf's data.
        let mut implicit_base = layout.moof_offset;
        for c in children {
            if &c.kind.0 != b"traf" {
                moof.extend_from_slice(raw(self.segment, c)?);
                continue;
            }
            let traf_children = collect(c.payload, c.payload_offset, budget)?;
            let tfhd = traf_children.iter().find(|t| &t.kind.0 == b"tfhd").ok_or(
                Fmp4Error::MissingBox {
                    kind: "tfhd",
                    parent: "traf",
                },
            )?;
            let (tfhd_flags, track_id) = full_box_track_id(tfhd, "tfhd")?;
            if (self.is_audio)(track_id) {
                continue;
            }
            let tf = self
                .fragment
                .tracks
                .iter()
                .find(|t| t.track_id == track_id)
                .ok_or(Fmp4Error::UnknownTrack {
                    track_id,
                    context: "traf",
                })?;
            let base = if tfhd_flags & (TFHD_BASE_DATA_OFFSET | TFHD_DEFAULT_BASE_IS_MOOF) != 0 {
                layout.moof_offset
            } else {
                implicit_base
            };
            let mut cursor = base;
            let mut next_sample = 0usize;
            let mut traf = Vec::with_capacity(c.payload.len());
            for t in &traf_children {
                match &t.kind.0 {
                    b"tfhd" if tfhd_flags & TFHD_BASE_DATA_OFFSET != 0 => {
                        // full box (4) + track_id (4), then base_data_offset.
                        let mut p = t.payload.to_vec();
                        let field = p.get_mut(8..16).ok_or(Fmp4Error::Truncated {
                            context: "tfhd",
                            offset: t.payload_offset,
                            needed: 16,
                            available: t.payload.len() as u64,
                        })?;
                        field.copy_from_slice(&layout.moof_offset.to_be_bytes());
                        write_box(&mut traf, b"tfhd", &p)?;
                    }
                    b"trun" => {
                        let mut r = t.reader("trun");
                        let (version, flags) = r.full_box()?;
                        let count = r.u32()?;
                        if flags & TRUN_DATA_OFFSET != 0 {
                            r.skip(4)?;
                        }
                        let count_usize = usize::try_from(count).map_err(|_| overflow())?;
                        let samples = tf
                            .samples
                            .get(next_sample..)
                            .and_then(|s| s.get(..count_usize))
                            .ok_or_else(|| invalid("trun", "sample count differs from parse"))?;
                        next_sample = next_sample.checked_add(count_usize).ok_or_else(overflow)?;
                        let start = match samples.first() {
                            Some(s) if !measure => layout.map(s.mdat_offset)?,
                            _ => cursor,
                        };
                        if let Some(last) = samples.last() {
                            if !measure {
                                cursor = layout
                                    .map(last.mdat_offset)?
                                    .checked_add(u64::from(last.size))
                                    .ok_or_else(overflow)?;
                            }
                        }
                        let data_offset = if measure {
                            0
                        } else {
                            let d = i128::from(start)
                                .checked_sub(i128::from(base))
                                .ok_or_else(overflow)?;
                            i32::try_from(d).map_err(|_| {
                                invalid("trun data_offset", "new offset does not fit in 32 bits")
                            })?
                        };
                        let mut p = Vec::with_capacity(t.payload.len().saturating_add(4));
                        let vf = (u32::from(version) << 24) | flags | TRUN_DATA_OFFSET;
                        p.extend_from_slice(&vf.to_be_bytes());
                        p.extend_from_slice(&count.to_be_bytes());
                        p.extend_from_slice(&data_offset.to_be_bytes());
                        p.extend_from_slice(r.rest());
                        write_box(&mut traf, b"trun", &p)?;
                    }
                    _ => traf.extend_from_slice(raw(self.segment, t)?),
                }
            }
            implicit_base = cursor;
            write_box(&mut moof, b"traf", &traf)?;
        }
        let mut boxed = Vec::with_capacity(moof.len().saturating_add(16));
        write_box(&mut boxed, b"moof", &moof)?;
        Ok(boxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_skips_removed_ranges() {
        let l = Layout {
            moof_offset: 0,
            payload_offset: 100,
            removed: vec![(10, 20), (30, 35)],
        };
        assert_eq!(l.map(0), Ok(100));
        assert_eq!(l.map(10), Ok(110));
        assert_eq!(l.map(20), Ok(110));
        assert_eq!(l.map(25), Ok(115));
        assert_eq!(l.map(40), Ok(125));
    }
}
