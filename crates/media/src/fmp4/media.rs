//! Media segment parsing: optional `styp`, then `moof` + `mdat` pairs.

use super::boxes::{BoxIter, Budget, Mp4Box};
use super::{
    to_seconds, Fmp4Error, FourCc, Fragment, InitSegment, Keyframe, MediaSegment, Sample,
    TrackFragment, TrackSummary, MAX_SAMPLES,
};

// tfhd flags (ISO/IEC 14496-12 8.8.7).
const TFHD_BASE_DATA_OFFSET: u32 = 0x00_0001;
const TFHD_SAMPLE_DESCRIPTION_INDEX: u32 = 0x00_0002;
const TFHD_DEFAULT_DURATION: u32 = 0x00_0008;
const TFHD_DEFAULT_SIZE: u32 = 0x00_0010;
const TFHD_DEFAULT_FLAGS: u32 = 0x00_0020;
const TFHD_DEFAULT_BASE_IS_MOOF: u32 = 0x02_0000;

// trun flags (8.8.8).
const TRUN_DATA_OFFSET: u32 = 0x00_0001;
const TRUN_FIRST_SAMPLE_FLAGS: u32 = 0x00_0004;
const TRUN_DURATION: u32 = 0x00_0100;
const TRUN_SIZE: u32 = 0x00_0200;
const TRUN_FLAGS: u32 = 0x00_0400;
const TRUN_CTO: u32 = 0x00_0800;

/// Whether ISO sample flags mark a sync sample: `sample_is_non_sync_sample`
/// (bit 16) clear and `sample_depends_on` (bits 24–25) not 1 ("depends on
/// others").
fn is_sync(flags: u32) -> bool {
    let non_sync = flags & 0x0001_0000 != 0;
    let depends_on = (flags >> 24) & 0x3;
    !non_sync && depends_on != 1
}

fn overflow(field: &'static str) -> Fmp4Error {
    Fmp4Error::Invalid {
        field,
        reason: "value overflows 64 bits",
    }
}

/// Parses a media segment against its init segment.
///
/// The input is an optional `styp` followed by one or more `moof` + `mdat`
/// pairs; other top-level boxes (`sidx`, `prft`, `emsg`, `free`, ...) are
/// skipped. Every `traf` must name a track of `init` and carry a `tfdt`;
/// every sample's data must lie inside the `mdat` that follows its `moof`;
/// and each track's fragments must not start before the previous one ended.
pub fn parse_media(bytes: &[u8], init: &InitSegment) -> Result<MediaSegment, Fmp4Error> {
    let mut budget = Budget::new();
    let mut top = BoxIter::new(bytes, 0);
    let mut styp_brand = None;
    let mut fragments = Vec::new();
    let mut pending_moof: Option<Mp4Box<'_>> = None;
    let mut sample_total = 0usize;
    let mut first = true;
    while let Some(b) = top.next_box(&mut budget)? {
        match &b.kind.0 {
            b"styp" if first => {
                styp_brand = Some(FourCc(b.reader("styp").array4()?));
            }
            b"moof" => {
                if pending_moof.is_some() {
                    return Err(Fmp4Error::MissingBox {
                        kind: "mdat",
                        parent: "media segment (moof followed by another moof)",
                    });
                }
                pending_moof = Some(b);
            }
            b"mdat" => {
                let moof = pending_moof.take().ok_or(Fmp4Error::MissingBox {
                    kind: "moof",
                    parent: "media segment (mdat without a preceding moof)",
                })?;
                fragments.push(parse_fragment(
                    &moof,
                    &b,
                    init,
                    &mut budget,
                    &mut sample_total,
                )?);
            }
            _ => {}
        }
        first = false;
    }
    if pending_moof.is_some() {
        return Err(Fmp4Error::MissingBox {
            kind: "mdat",
            parent: "media segment (moof at the end)",
        });
    }
    if fragments.is_empty() {
        return Err(Fmp4Error::MissingBox {
            kind: "moof",
            parent: "media segment",
        });
    }

    let mut tracks = Vec::new();
    for track in &init.tracks {
        let mut summary: Option<TrackSummary> = None;
        let mut end = 0u64;
        for (fragment_index, fragment) in fragments.iter().enumerate() {
            for tf in fragment
                .tracks
                .iter()
                .filter(|t| t.track_id == track.track_id)
            {
                let s = match summary.as_mut() {
                    Some(s) => {
                        if tf.base_media_decode_time < end {
                            return Err(Fmp4Error::NonMonotonicDecodeTime {
                                track_id: track.track_id,
                                previous_end: end,
                                next: tf.base_media_decode_time,
                            });
                        }
                        s
                    }
                    None => summary.insert(TrackSummary {
                        track_id: track.track_id,
                        timescale: track.timescale,
                        start: tf.base_media_decode_time,
                        start_seconds: to_seconds(tf.base_media_decode_time, track.timescale),
                        duration: 0,
                        duration_seconds: 0.0,
                        sample_count: 0,
                        bytes: 0,
                        keyframes: Vec::new(),
                    }),
                };
                end = tf
                    .base_media_decode_time
                    .checked_add(tf.duration)
                    .ok_or(overflow("decode time"))?;
                for (in_traf, sample) in tf.samples.iter().enumerate().filter(|(_, x)| x.is_sync) {
                    s.keyframes.push(Keyframe {
                        fragment_index,
                        sample_index: s.sample_count.saturating_add(in_traf),
                        decode_time: sample.decode_time,
                        seconds: to_seconds(sample.decode_time, track.timescale),
                        offset: sample.offset,
                    });
                }
                s.sample_count = s.sample_count.saturating_add(tf.samples.len());
                s.bytes = s.bytes.checked_add(tf.bytes).ok_or(overflow("bytes"))?;
            }
        }
        if let Some(mut s) = summary {
            s.duration = end.saturating_sub(s.start);
            s.duration_seconds = to_seconds(s.duration, track.timescale);
            tracks.push(s);
        }
    }

    Ok(MediaSegment {
        styp_brand,
        fragments,
        tracks,
        byte_size: bytes.len() as u64,
    })
}

fn parse_fragment(
    moof: &Mp4Box<'_>,
    mdat: &Mp4Box<'_>,
    init: &InitSegment,
    budget: &mut Budget,
    sample_total: &mut usize,
) -> Result<Fragment, Fmp4Error> {
    let mdat_start = mdat.payload_offset;
    let mdat_end = mdat_start
        .checked_add(mdat.payload.len() as u64)
        .ok_or(overflow("mdat end"))?;
    let mut sequence_number = None;
    let mut tracks: Vec<TrackFragment> = Vec::new();
    // Where a traf without an explicit base starts: the moof for the first,
    // the end of the previous traf's data after that.
    let mut implicit_base = moof.offset;
    let mut children = moof.children();
    while let Some(b) = children.next_box(budget)? {
        match &b.kind.0 {
            b"mfhd" => {
                let mut r = b.reader("mfhd");
                r.full_box()?;
                sequence_number = Some(r.u32()?);
            }
            b"traf" => {
                let ctx = TrafContext {
                    moof_offset: moof.offset,
                    implicit_base,
                    mdat_start,
                    mdat_end,
                };
                let (tf, data_end) = parse_traf(&b, init, &ctx, budget, sample_total)?;
                if tracks.iter().any(|t| t.track_id == tf.track_id) {
                    return Err(Fmp4Error::Invalid {
                        field: "traf",
                        reason: "two track fragments for one track in one moof",
                    });
                }
                implicit_base = data_end;
                tracks.push(tf);
            }
            _ => {}
        }
    }
    let sequence_number = sequence_number.ok_or(Fmp4Error::MissingBox {
        kind: "mfhd",
        parent: "moof",
    })?;
    if tracks.is_empty() {
        return Err(Fmp4Error::MissingBox {
            kind: "traf",
            parent: "moof",
        });
    }
    Ok(Fragment {
        sequence_number,
        moof_offset: moof.offset,
        mdat_payload_offset: mdat_start,
        mdat_payload_size: mdat.payload.len() as u64,
        tracks,
    })
}

struct TrafContext {
    moof_offset: u64,
    implicit_base: u64,
    mdat_start: u64,
    mdat_end: u64,
}

/// Parses one `traf`; returns it and the offset just past its last sample.
fn parse_traf(
    traf: &Mp4Box<'_>,
    init: &InitSegment,
    ctx: &TrafContext,
    budget: &mut Budget,
    sample_total: &mut usize,
) -> Result<(TrackFragment, u64), Fmp4Error> {
    let mut tfhd = None;
    let mut tfdt = None;
    let mut truns = Vec::new();
    let mut children = traf.children();
    while let Some(b) = children.next_box(budget)? {
        match &b.kind.0 {
            b"tfhd" => tfhd = Some(b),
            b"tfdt" => tfdt = Some(b),
            b"trun" => truns.push(b),
            _ => {}
        }
    }
    let tfhd = tfhd.ok_or(Fmp4Error::MissingBox {
        kind: "tfhd",
        parent: "traf",
    })?;
    let mut r = tfhd.reader("tfhd");
    let (version, flags) = r.full_box()?;
    if version != 0 {
        return Err(Fmp4Error::UnsupportedVersion {
            kind: "tfhd",
            version,
        });
    }
    let track_id = r.u32()?;
    let track = init.track(track_id).ok_or(Fmp4Error::UnknownTrack {
        track_id,
        context: "traf",
    })?;
    let base_data_offset = if flags & TFHD_BASE_DATA_OFFSET != 0 {
        Some(r.u64()?)
    } else {
        None
    };
    if flags & TFHD_SAMPLE_DESCRIPTION_INDEX != 0 {
        r.skip(4)?;
    }
    let mut default_duration = track.defaults.sample_duration;
    let mut default_size = track.defaults.sample_size;
    let mut default_flags = track.defaults.sample_flags;
    if flags & TFHD_DEFAULT_DURATION != 0 {
        default_duration = r.u32()?;
    }
    if flags & TFHD_DEFAULT_SIZE != 0 {
        default_size = r.u32()?;
    }
    if flags & TFHD_DEFAULT_FLAGS != 0 {
        default_flags = r.u32()?;
    }
    let base = match base_data_offset {
        Some(b) => b,
        None if flags & TFHD_DEFAULT_BASE_IS_MOOF != 0 => ctx.moof_offset,
        None => ctx.implicit_base,
    };

    let tfdt = tfdt.ok_or(Fmp4Error::MissingBox {
        kind: "tfdt",
        parent: "traf",
    })?;
    let mut r = tfdt.reader("tfdt");
    let base_media_decode_time = match r.full_box()?.0 {
        0 => u64::from(r.u32()?),
        1 => r.u64()?,
        v => {
            return Err(Fmp4Error::UnsupportedVersion {
                kind: "tfdt",
                version: v,
            })
        }
    };

    let mut samples: Vec<Sample> = Vec::new();
    let mut decode_time = base_media_decode_time;
    let mut cursor = base;
    let mut bytes = 0u64;
    let mut duration = 0u64;
    for (run_index, trun) in truns.iter().enumerate() {
        let mut r = trun.reader("trun");
        let (version, flags) = r.full_box()?;
        if version > 1 {
            return Err(Fmp4Error::UnsupportedVersion {
                kind: "trun",
                version,
            });
        }
        let sample_count = r.u32()?;
        if flags & TRUN_DATA_OFFSET != 0 {
            let off = i128::from(r.i32()?);
            let start = i128::from(base).saturating_add(off);
            cursor = u64::try_from(start).map_err(|_| Fmp4Error::SampleDataOutsideMdat {
                track_id,
                sample_index: samples.len(),
                offset: 0,
                size: 0,
                mdat_start: ctx.mdat_start,
                mdat_end: ctx.mdat_end,
            })?;
        } else if run_index == 0 {
            cursor = base;
        }
        let first_flags = if flags & TRUN_FIRST_SAMPLE_FLAGS != 0 {
            Some(r.u32()?)
        } else {
            None
        };

        // Check the claimed count against the caps and the bytes actually
        // present before reserving anything.
        let count = usize::try_from(sample_count).unwrap_or(usize::MAX);
        let new_total = sample_total
            .checked_add(count)
            .filter(|t| *t <= MAX_SAMPLES)
            .ok_or(Fmp4Error::TooManySamples { limit: MAX_SAMPLES })?;
        let fields = [TRUN_DURATION, TRUN_SIZE, TRUN_FLAGS, TRUN_CTO]
            .iter()
            .filter(|f| flags & **f != 0)
            .count();
        let needed = (count as u64).saturating_mul(4u64.saturating_mul(fields as u64));
        if needed > r.remaining() as u64 {
            return Err(Fmp4Error::Truncated {
                context: "trun",
                offset: r.position(),
                needed,
                available: r.remaining() as u64,
            });
        }
        *sample_total = new_total;
        samples.reserve(count);

        for i in 0..count {
            let sample_duration = if flags & TRUN_DURATION != 0 {
                r.u32()?
            } else {
                default_duration
            };
            let size = if flags & TRUN_SIZE != 0 {
                r.u32()?
            } else {
                default_size
            };
            let mut sample_flags = if flags & TRUN_FLAGS != 0 {
                r.u32()?
            } else {
                default_flags
            };
            if i == 0 && flags & TRUN_FLAGS == 0 {
                if let Some(f) = first_flags {
                    sample_flags = f;
                }
            }
            let composition_offset = if flags & TRUN_CTO != 0 {
                if version == 0 {
                    i64::from(r.u32()?)
                } else {
                    i64::from(r.i32()?)
                }
            } else {
                0
            };
            let end = cursor.checked_add(u64::from(size));
            let inside = cursor >= ctx.mdat_start && end.is_some_and(|e| e <= ctx.mdat_end);
            if !inside {
                return Err(Fmp4Error::SampleDataOutsideMdat {
                    track_id,
                    sample_index: samples.len(),
                    offset: cursor,
                    size,
                    mdat_start: ctx.mdat_start,
                    mdat_end: ctx.mdat_end,
                });
            }
            samples.push(Sample {
                decode_time,
                duration: sample_duration,
                size,
                is_sync: is_sync(sample_flags),
                composition_offset,
                flags: sample_flags,
                offset: cursor,
                mdat_offset: cursor.saturating_sub(ctx.mdat_start),
            });
            // `inside` guarantees `end` is Some and within the mdat.
            cursor = end.unwrap_or(ctx.mdat_end);
            bytes = bytes
                .checked_add(u64::from(size))
                .ok_or(overflow("bytes"))?;
            decode_time = decode_time
                .checked_add(u64::from(sample_duration))
                .ok_or(overflow("decode time"))?;
            duration = duration
                .checked_add(u64::from(sample_duration))
                .ok_or(overflow("duration"))?;
        }
    }

    Ok((
        TrackFragment {
            track_id,
            base_media_decode_time,
            duration,
            bytes,
            samples,
        },
        cursor,
    ))
}
