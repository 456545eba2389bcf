//! Moving a media segment on the timeline by rewriting its `tfdt` boxes: to
//! loop a clip with ever-increasing timestamps, and to make a downloaded
//! recording's timeline continuous.
//!
//! A version-0 `tfdt` holds 32 bits; when the shifted time no longer fits,
//! it becomes version 1 (64 bits) and its `traf` and `moof` grow. Sample data
//! then sits further from the `moof` start, so every offset that spans the
//! growth is recomputed from an old-to-new position map: `trun` data offsets
//! from a `moof`-relative base, and `tfhd` `base_data_offset` values.

use super::boxes::{
    collect, header_len, header_size, patch, raw, rewrite_overflow, to_usize, write_box, Budget,
    Mp4Box,
};
use super::{parse_media, Fmp4Error, Fragment, InitSegment};

// Flags (ISO/IEC 14496-12 8.8.7, 8.8.8).
const TFHD_BASE_DATA_OFFSET: u32 = 0x00_0001;
const TFHD_DEFAULT_BASE_IS_MOOF: u32 = 0x02_0000;
const TRUN_DATA_OFFSET: u32 = 0x00_0001;

/// Just past the largest tick count an `i64` shift can hold.
const I64_LIMIT: f64 = (1u64 << 63) as f64;

/// Returns `segment` with `delta_seconds` (rounded to each track's
/// timescale, and possibly negative) added to every `tfdt`
/// `baseMediaDecodeTime`.
///
/// A version-0 `tfdt` whose new time needs more than 32 bits is rewritten as
/// version 1; the enclosing `traf` and `moof` sizes, the `trun` data offsets
/// relative to a `moof`, and any `tfhd` `base_data_offset` are fixed so every
/// sample still points at the same `mdat` bytes. A version-1 `tfdt` stays
/// version 1. `sidx`, `ssix` and `mfra` boxes are dropped: they record times
/// and byte ranges this changes. Everything else is copied unchanged.
///
/// The input is validated with [`parse_media`] first and the output parsed
/// again before it is returned. A time that would fall below zero is refused
/// with [`Fmp4Error::NegativeDecodeTime`]; a non-finite `delta_seconds` or
/// one beyond 64-bit ticks with [`Fmp4Error::Invalid`].
pub fn shift_decode_times(
    segment: &[u8],
    init: &InitSegment,
    delta_seconds: f64,
) -> Result<Vec<u8>, Fmp4Error> {
    if !delta_seconds.is_finite() {
        return Err(Fmp4Error::Invalid {
            field: "delta_seconds",
            reason: "must be a finite number",
        });
    }
    let parsed = parse_media(segment, init)?;
    let mut shifts = Vec::with_capacity(init.tracks.len());
    for t in &init.tracks {
        let ticks = (delta_seconds * f64::from(t.timescale)).round();
        if !(-I64_LIMIT..I64_LIMIT).contains(&ticks) {
            return Err(Fmp4Error::Invalid {
                field: "delta_seconds",
                reason: "too large for 64-bit decode times",
            });
        }
        // In range, checked just above, so the cast is exact.
        shifts.push((t.track_id, ticks as i64));
    }

    let mut budget = Budget::new();
    let top = collect(segment, 0, &mut budget)?;
    let mut pieces: Vec<Piece<'_>> = Vec::with_capacity(top.len());
    // (old end, total growth of the output up to and including this box).
    let mut growth: Vec<(u64, i128)> = Vec::new();
    let mut total: i128 = 0;
    for b in &top {
        let old = raw(segment, b)?;
        let old_end = b.offset.saturating_add(old.len() as u64);
        match &b.kind.0 {
            b"sidx" | b"ssix" | b"mfra" => {
                total = total.saturating_sub(old.len() as i128);
                growth.push((old_end, total));
            }
            b"moof" => {
                let fragment = parsed
                    .fragments
                    .iter()
                    .find(|f| f.moof_offset == b.offset)
                    .ok_or(Fmp4Error::Invalid {
                        field: "moof",
                        reason: "not found by the parser",
                    })?;
                let ctx = MoofContext {
                    segment,
                    moof: b,
                    fragment,
                    shifts: &shifts,
                };
                let moof = ctx.rebuild(&mut budget)?;
                let grew = (moof.bytes.len() as i128).saturating_sub(old.len() as i128);
                if grew != 0 {
                    total = total.saturating_add(grew);
                    growth.push((old_end, total));
                }
                pieces.push(Piece::Moof(moof));
            }
            _ => pieces.push(Piece::Raw(old)),
        }
    }

    let map = |pos: u64| -> i128 {
        let idx = growth.partition_point(|&(end, _)| end <= pos);
        let shift = idx
            .checked_sub(1)
            .and_then(|i| growth.get(i))
            .map_or(0, |&(_, g)| g);
        i128::from(pos).saturating_add(shift)
    };
    let len = i128::try_from(segment.len())
        .map_err(|_| rewrite_overflow())?
        .saturating_add(total);
    let mut out = Vec::with_capacity(usize::try_from(len).map_err(|_| rewrite_overflow())?);
    for piece in &mut pieces {
        match piece {
            Piece::Raw(bytes) => out.extend_from_slice(bytes),
            Piece::Moof(moof) => {
                for site in &moof.sites {
                    site.apply(&mut moof.bytes, &map)?;
                }
                out.extend_from_slice(&moof.bytes);
            }
        }
    }
    parse_media(&out, init)?;
    Ok(out)
}

/// Returns `segment` shifted (see [`shift_decode_times`]) so that its
/// earliest track starts at `start_seconds`.
///
/// Each track moves by the same amount, rounded to its timescale, so tracks
/// keep their offsets from one another. `start_seconds` must be finite and
/// 0 or more.
pub fn set_start(
    segment: &[u8],
    init: &InitSegment,
    start_seconds: f64,
) -> Result<Vec<u8>, Fmp4Error> {
    if !(start_seconds.is_finite() && start_seconds >= 0.0) {
        return Err(Fmp4Error::Invalid {
            field: "start_seconds",
            reason: "must be a finite number of seconds, 0 or more",
        });
    }
    let parsed = parse_media(segment, init)?;
    shift_decode_times(segment, init, start_seconds - parsed.start_seconds())
}

/// A top-level box of the output: copied, or a rebuilt `moof`.
enum Piece<'a> {
    Raw(&'a [u8]),
    Moof(NewBox),
}

/// A rebuilt box and the offset fields in it still to be filled in once
/// every box's new length is known.
struct NewBox {
    bytes: Vec<u8>,
    sites: Vec<Site>,
}

/// An offset field inside a rebuilt box, with what it meant in the input.
#[derive(Clone, Copy)]
struct Site {
    /// Byte index of the field within the rebuilt box.
    at: usize,
    kind: SiteKind,
}

#[derive(Clone, Copy)]
enum SiteKind {
    /// A `tfhd` `base_data_offset` that held this position.
    Base { old: u64 },
    /// A `trun` `data_offset`: from `base` to `start` in the input.
    DataOffset { base: u64, start: u64 },
}

impl Site {
    /// The same site `by` bytes further into an enclosing box.
    fn moved(self, by: usize) -> Result<Site, Fmp4Error> {
        Ok(Site {
            at: self.at.checked_add(by).ok_or_else(rewrite_overflow)?,
            kind: self.kind,
        })
    }

    /// Writes the field's new value, given the old-to-new position map.
    fn apply(&self, bytes: &mut [u8], map: &impl Fn(u64) -> i128) -> Result<(), Fmp4Error> {
        match self.kind {
            SiteKind::Base { old } => {
                let new = u64::try_from(map(old)).map_err(|_| rewrite_overflow())?;
                patch(bytes, self.at, &new.to_be_bytes())
            }
            SiteKind::DataOffset { base, start } => {
                let new = map(start).saturating_sub(map(base));
                let new = i32::try_from(new).map_err(|_| Fmp4Error::Invalid {
                    field: "trun data_offset",
                    reason: "the shifted offset does not fit in 32 bits",
                })?;
                patch(bytes, self.at, &new.to_be_bytes())
            }
        }
    }
}

/// One `moof` being rebuilt, with the parse of its fragment.
struct MoofContext<'a, 's> {
    segment: &'s [u8],
    moof: &'a Mp4Box<'s>,
    fragment: &'a Fragment,
    shifts: &'a [(u32, i64)],
}

impl MoofContext<'_, '_> {
    /// The `moof` with shifted `tfdt`s and the offset sites in it.
    fn rebuild(&self, budget: &mut Budget) -> Result<NewBox, Fmp4Error> {
        let mut payload = Vec::with_capacity(self.moof.payload.len().saturating_add(64));
        let mut sites = Vec::new();
        // As the parser: a traf with no base of its own starts at the moof
        // if first, else where the previous traf's data ended.
        let mut implicit_base = self.moof.offset;
        for c in collect(self.moof.payload, self.moof.payload_offset, budget)? {
            if &c.kind.0 != b"traf" {
                payload.extend_from_slice(raw(self.segment, &c)?);
                continue;
            }
            let (traf, data_end) = self.rebuild_traf(&c, implicit_base, budget)?;
            let at = payload
                .len()
                .checked_add(header_len(traf.bytes.len()))
                .ok_or_else(rewrite_overflow)?;
            write_box(&mut payload, b"traf", &traf.bytes)?;
            for s in traf.sites {
                sites.push(s.moved(at)?);
            }
            implicit_base = data_end;
        }
        let hl = header_len(payload.len());
        let mut bytes = Vec::with_capacity(payload.len().saturating_add(hl));
        write_box(&mut bytes, b"moof", &payload)?;
        let sites = sites
            .into_iter()
            .map(|s| s.moved(hl))
            .collect::<Result<_, _>>()?;
        Ok(NewBox { bytes, sites })
    }

    /// The `traf` payload (not yet boxed) with its sites, and where its
    /// sample data ends in the input (the next traf's implicit base).
    fn rebuild_traf(
        &self,
        traf: &Mp4Box<'_>,
        implicit_base: u64,
        budget: &mut Budget,
    ) -> Result<(NewBox, u64), Fmp4Error> {
        let children = collect(traf.payload, traf.payload_offset, budget)?;
        // The parser keeps the last tfhd it sees; so do we.
        let tfhd =
            children
                .iter()
                .rfind(|b| &b.kind.0 == b"tfhd")
                .ok_or(Fmp4Error::MissingBox {
                    kind: "tfhd",
                    parent: "traf",
                })?;
        let mut r = tfhd.reader("tfhd");
        let (_, flags) = r.full_box()?;
        let track_id = r.u32()?;
        let base = if flags & TFHD_BASE_DATA_OFFSET != 0 {
            r.u64()?
        } else if flags & TFHD_DEFAULT_BASE_IS_MOOF != 0 {
            self.moof.offset
        } else {
            implicit_base
        };
        let samples = self
            .fragment
            .tracks
            .iter()
            .find(|t| t.track_id == track_id)
            .map(|t| t.samples.as_slice())
            .ok_or(Fmp4Error::UnknownTrack {
                track_id,
                context: "traf",
            })?;
        let shift = self
            .shifts
            .iter()
            .find(|(id, _)| *id == track_id)
            .map_or(0, |&(_, s)| s);

        let mut out = Vec::with_capacity(traf.payload.len().saturating_add(8));
        let mut sites = Vec::new();
        let mut cursor = base;
        let mut next_sample = 0usize;
        let mut first_run = true;
        for c in &children {
            let field_at = out
                .len()
                .checked_add(header_size(c)?)
                .ok_or_else(rewrite_overflow)?;
            match &c.kind.0 {
                b"tfdt" => write_tfdt(&mut out, c, track_id, shift)?,
                b"tfhd" => {
                    let mut r = c.reader("tfhd");
                    let (_, flags) = r.full_box()?;
                    r.skip(4)?; // track_id
                    if flags & TFHD_BASE_DATA_OFFSET != 0 {
                        // full box header (4) + track_id (4).
                        let kind = SiteKind::Base { old: r.u64()? };
                        let at = field_at.checked_add(8).ok_or_else(rewrite_overflow)?;
                        sites.push(Site { at, kind });
                    }
                    out.extend_from_slice(raw(self.segment, c)?);
                }
                b"trun" => {
                    let mut r = c.reader("trun");
                    let (_, flags) = r.full_box()?;
                    let count = to_usize(u64::from(r.u32()?))?;
                    if flags & TRUN_DATA_OFFSET != 0 {
                        let off = i128::from(r.i32()?);
                        let start = u64::try_from(i128::from(base).saturating_add(off))
                            .map_err(|_| rewrite_overflow())?;
                        let at = field_at.checked_add(8).ok_or_else(rewrite_overflow)?;
                        sites.push(Site {
                            at,
                            kind: SiteKind::DataOffset { base, start },
                        });
                        cursor = start;
                    } else if first_run {
                        cursor = base;
                    }
                    first_run = false;
                    let end = next_sample
                        .checked_add(count)
                        .ok_or_else(rewrite_overflow)?;
                    let run = samples.get(next_sample..end).ok_or(Fmp4Error::Invalid {
                        field: "trun",
                        reason: "sample count differs from the parse",
                    })?;
                    next_sample = end;
                    if let Some(last) = run.last() {
                        cursor = last
                            .offset
                            .checked_add(u64::from(last.size))
                            .ok_or_else(rewrite_overflow)?;
                    }
                    out.extend_from_slice(raw(self.segment, c)?);
                }
                _ => out.extend_from_slice(raw(self.segment, c)?),
            }
        }
        Ok((NewBox { bytes: out, sites }, cursor))
    }
}

/// Appends `tfdt` with its time shifted by `shift` ticks, as version 1 if
/// the new time needs 64 bits.
fn write_tfdt(
    out: &mut Vec<u8>,
    tfdt: &Mp4Box<'_>,
    track_id: u32,
    shift: i64,
) -> Result<(), Fmp4Error> {
    let mut r = tfdt.reader("tfdt");
    let (version, flags) = r.full_box()?;
    let old = match version {
        0 => u64::from(r.u32()?),
        1 => r.u64()?,
        version => {
            return Err(Fmp4Error::UnsupportedVersion {
                kind: "tfdt",
                version,
            })
        }
    };
    let new = i128::from(old).saturating_add(i128::from(shift));
    if new < 0 {
        return Err(Fmp4Error::NegativeDecodeTime {
            track_id,
            decode_time: old,
            shift,
        });
    }
    let new = u64::try_from(new).map_err(|_| Fmp4Error::Invalid {
        field: "tfdt",
        reason: "the shifted decode time overflows 64 bits",
    })?;
    let rest = r.rest();
    let mut p = Vec::with_capacity(rest.len().saturating_add(12));
    match u32::try_from(new) {
        Ok(small) if version == 0 => {
            p.extend_from_slice(&flags.to_be_bytes());
            p.extend_from_slice(&small.to_be_bytes());
        }
        _ => {
            p.extend_from_slice(&((1u32 << 24) | flags).to_be_bytes());
            p.extend_from_slice(&new.to_be_bytes());
        }
    }
    p.extend_from_slice(rest);
    write_box(out, b"tfdt", &p)
}

#[cfg(test)]
mod tests;
