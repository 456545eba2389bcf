//! Cutting a whole fragmented MP4 file into an init segment and media
//! segments that each open on a keyframe, so the camera simulator can replay
//! a clip the way a live camera would send it.

use super::boxes::{collect, patch, raw, rewrite_overflow, to_usize, Budget, Mp4Box};
use super::{parse_init, parse_media, to_seconds, Fmp4Error, Fragment, InitSegment, TrackKind};

// tfhd flag (ISO/IEC 14496-12 8.8.7).
const TFHD_BASE_DATA_OFFSET: u32 = 0x00_0001;

/// Slack when comparing an accumulated duration with the target, so a GOP of
/// exactly the target length is not pushed into the next segment by
/// floating-point rounding of tick counts.
const DURATION_SLACK_SECONDS: f64 = 1e-6;

/// One `moof` … `mdat` run of the file and what cutting needs to know of it.
struct Pair {
    /// Offset of the `moof` in the file.
    start: usize,
    /// One past the last byte of the `mdat`.
    end: usize,
    /// Whether every video track fragment in it opens on a sync sample.
    opens_on_keyframe: bool,
    /// Per track id, the summed sample durations in the track timescale.
    durations: Vec<(u32, u64)>,
}

/// Splits a whole fragmented MP4 file into its init segment (`ftyp` +
/// `moov`) and media segments of consecutive `moof` + `mdat` pairs.
///
/// A segment opens on a fragment whose video track fragments all start with
/// a keyframe (with no video track, every fragment qualifies); it is closed
/// at the first such fragment reached once it holds `target_seconds` or more
/// (the longest track's summed sample durations). Fragments before the first
/// keyframe fragment cannot be decoded and are left out; a file with no
/// keyframe fragment is refused with [`Fmp4Error::NoKeyframeFragment`].
///
/// Top-level boxes other than the first `ftyp`, the first `moov` and the
/// `moof` … `mdat` runs (`styp`, `sidx`, `mfra`, `free`, ...) are dropped.
/// Boxes between a `moof` and its `mdat` stay, so `trun` offsets still hold;
/// a `tfhd` `base_data_offset` (read from the start of the file, as
/// [`parse_media`] reads it) is rewritten for the fragment's new place.
/// Samples stored in the `moov` itself (a non-empty `mdat` before the first
/// `moof`) are not supported.
///
/// The init is checked with [`parse_init`] and every returned segment with
/// [`parse_media`] against it, so segments holding more than
/// [`MAX_SAMPLES`](super::MAX_SAMPLES) samples (a very large target) are
/// refused. Errors inside a fragment give byte offsets from that fragment's
/// `moof`.
pub fn split_file(bytes: &[u8], target_seconds: f64) -> Result<(Vec<u8>, Vec<Vec<u8>>), Fmp4Error> {
    if !(target_seconds.is_finite() && target_seconds >= 0.0) {
        return Err(Fmp4Error::Invalid {
            field: "target_seconds",
            reason: "must be a finite number of seconds, 0 or more",
        });
    }
    let mut budget = Budget::new();
    let top = collect(bytes, 0, &mut budget)?;
    let first = |kind: &[u8; 4]| top.iter().find(|b| &b.kind.0 == kind);
    let ftyp = first(b"ftyp").ok_or(Fmp4Error::MissingBox {
        kind: "ftyp",
        parent: "file",
    })?;
    let moov = first(b"moov").ok_or(Fmp4Error::MissingBox {
        kind: "moov",
        parent: "file",
    })?;
    let (ftyp, moov) = (raw(bytes, ftyp)?, raw(bytes, moov)?);
    let mut init_bytes = Vec::with_capacity(ftyp.len().saturating_add(moov.len()));
    init_bytes.extend_from_slice(ftyp);
    init_bytes.extend_from_slice(moov);
    let init = parse_init(&init_bytes)?;

    let mut pairs = Vec::new();
    let mut pending: Option<&Mp4Box<'_>> = None;
    for b in &top {
        match &b.kind.0 {
            b"moof" => {
                if pending.is_some() {
                    return Err(Fmp4Error::MissingBox {
                        kind: "mdat",
                        parent: "file (moof followed by another moof)",
                    });
                }
                pending = Some(b);
            }
            b"mdat" => match pending.take() {
                Some(moof) => pairs.push(read_pair(bytes, moof, b, &init)?),
                // An empty mdat after the moov is harmless; a full one holds
                // samples indexed by the moov, which we would silently lose.
                None if b.payload.is_empty() => {}
                None => {
                    return Err(Fmp4Error::MissingBox {
                        kind: "moof",
                        parent: "file (mdat with samples before any moof)",
                    })
                }
            },
            _ => {}
        }
    }
    if pending.is_some() {
        return Err(Fmp4Error::MissingBox {
            kind: "mdat",
            parent: "file (moof at the end)",
        });
    }
    if pairs.is_empty() {
        return Err(Fmp4Error::MissingBox {
            kind: "moof",
            parent: "file",
        });
    }
    let first_key = pairs
        .iter()
        .position(|p| p.opens_on_keyframe)
        .ok_or(Fmp4Error::NoKeyframeFragment)?;

    let mut segments = Vec::new();
    let mut current: Vec<&Pair> = Vec::new();
    let mut held: Vec<(u32, u64)> = Vec::new();
    for pair in pairs.get(first_key..).unwrap_or(&[]) {
        let full = seconds_held(&held, &init) + DURATION_SLACK_SECONDS >= target_seconds;
        if !current.is_empty() && pair.opens_on_keyframe && full {
            segments.push(build_segment(bytes, &current, &init)?);
            current.clear();
            held.clear();
        }
        current.push(pair);
        for &(track_id, ticks) in &pair.durations {
            match held.iter_mut().find(|(id, _)| *id == track_id) {
                Some((_, sum)) => *sum = sum.saturating_add(ticks),
                None => held.push((track_id, ticks)),
            }
        }
    }
    if !current.is_empty() {
        segments.push(build_segment(bytes, &current, &init)?);
    }
    Ok((init_bytes, segments))
}

/// The longest track's held duration, in seconds.
fn seconds_held(held: &[(u32, u64)], init: &InitSegment) -> f64 {
    held.iter()
        .map(|&(id, ticks)| to_seconds(ticks, init.track(id).map_or(0, |t| t.timescale)))
        .fold(0.0, f64::max)
}

/// Validates one `moof` … `mdat` run on its own and notes what cutting needs.
fn read_pair(
    bytes: &[u8],
    moof: &Mp4Box<'_>,
    mdat: &Mp4Box<'_>,
    init: &InitSegment,
) -> Result<Pair, Fmp4Error> {
    let start = to_usize(moof.offset)?;
    let end = to_usize(
        mdat.payload_offset
            .checked_add(mdat.payload.len() as u64)
            .ok_or_else(rewrite_overflow)?,
    )?;
    let mut alone = bytes.get(start..end).ok_or_else(rewrite_overflow)?.to_vec();
    rebase(&mut alone, moof.offset, 0)?;
    let parsed = parse_media(&alone, init)?;
    // The run holds exactly one moof, so the parser found one fragment.
    let fragment = parsed.fragments.first().ok_or(Fmp4Error::MissingBox {
        kind: "moof",
        parent: "fragment",
    })?;
    Ok(Pair {
        start,
        end,
        opens_on_keyframe: opens_on_keyframe(fragment, init),
        durations: fragment
            .tracks
            .iter()
            .map(|t| (t.track_id, t.duration))
            .collect(),
    })
}

/// Whether a decoder can start at this fragment: every video track fragment
/// with samples starts on a sync sample, and there is at least one (any
/// fragment will do when the init has no video track).
fn opens_on_keyframe(fragment: &Fragment, init: &InitSegment) -> bool {
    if !init.tracks.iter().any(|t| t.kind == TrackKind::Video) {
        return true;
    }
    let mut firsts = fragment
        .tracks
        .iter()
        .filter(|tf| {
            init.track(tf.track_id)
                .is_some_and(|t| t.kind == TrackKind::Video)
        })
        .filter_map(|tf| tf.samples.first())
        .peekable();
    firsts.peek().is_some() && firsts.all(|s| s.is_sync)
}

/// Concatenates the runs into one segment and checks it parses.
fn build_segment(bytes: &[u8], pairs: &[&Pair], init: &InitSegment) -> Result<Vec<u8>, Fmp4Error> {
    let len = pairs
        .iter()
        .try_fold(0usize, |acc, p| {
            acc.checked_add(p.end.saturating_sub(p.start))
        })
        .ok_or_else(rewrite_overflow)?;
    let mut out = Vec::with_capacity(len);
    for p in pairs {
        let at = out.len();
        out.extend_from_slice(bytes.get(p.start..p.end).ok_or_else(rewrite_overflow)?);
        let run = out.get_mut(at..).ok_or_else(rewrite_overflow)?;
        rebase(run, p.start as u64, at as u64)?;
    }
    parse_media(&out, init)?;
    Ok(out)
}

/// Rewrites every `tfhd` `base_data_offset` in `run` (which starts with the
/// `moof` that used to sit at byte `from`) for the `moof` now sitting at
/// byte `to`. Offsets relative to the `moof` need nothing.
fn rebase(run: &mut [u8], from: u64, to: u64) -> Result<(), Fmp4Error> {
    if from == to {
        return Ok(());
    }
    // A fresh budget per run: a long file's many fragments must not add up
    // to the cap, and each run is bounded by its own length.
    let mut budget = Budget::new();
    let mut sites = Vec::new();
    for moof in collect(run, 0, &mut budget)?
        .iter()
        .filter(|b| &b.kind.0 == b"moof")
    {
        for traf in collect(moof.payload, moof.payload_offset, &mut budget)?
            .iter()
            .filter(|b| &b.kind.0 == b"traf")
        {
            for tfhd in collect(traf.payload, traf.payload_offset, &mut budget)?
                .iter()
                .filter(|b| &b.kind.0 == b"tfhd")
            {
                let mut r = tfhd.reader("tfhd");
                let (_, flags) = r.full_box()?;
                r.skip(4)?; // track_id
                if flags & TFHD_BASE_DATA_OFFSET != 0 {
                    let at = r.position();
                    sites.push((at, r.u64()?));
                }
            }
        }
    }
    for (at, old) in sites {
        let new = old
            .checked_sub(from)
            .ok_or(Fmp4Error::Invalid {
                field: "tfhd base_data_offset",
                reason: "points before its moof, so the fragment cannot be moved",
            })?
            .checked_add(to)
            .ok_or_else(rewrite_overflow)?;
        patch(run, to_usize(at)?, &new.to_be_bytes())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
