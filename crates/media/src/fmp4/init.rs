//! Init segment parsing: `ftyp` + `moov` (tracks and `mvex`/`trex`).

use super::boxes::{BoxIter, Budget, Mp4Box};
use super::codecs::{sample_entry_codec_string, video_config};
use super::{Codec, Fmp4Error, FourCc, InitSegment, Track, TrackDefaults, TrackKind};

/// Parses an init segment: `ftyp` then `moov` with at least one `trak` and an
/// `mvex` holding a `trex` for every track. Other top-level boxes (`free`,
/// `uuid`, ...) are skipped.
///
/// Each track must be video (`vide`) or audio (`soun`) with an H.264
/// (`avc1`/`avc3`), H.265 (`hvc1`/`hev1`) or AAC (`mp4a`) sample entry.
pub fn parse_init(bytes: &[u8]) -> Result<InitSegment, Fmp4Error> {
    let mut budget = Budget::new();
    let mut top = BoxIter::new(bytes, 0);
    let mut ftyp = None;
    let mut moov = None;
    while let Some(b) = top.next_box(&mut budget)? {
        match &b.kind.0 {
            b"ftyp" if ftyp.is_none() => ftyp = Some(b),
            b"moov" if moov.is_none() => moov = Some(b),
            _ => {}
        }
    }
    let ftyp = ftyp.ok_or(Fmp4Error::MissingBox {
        kind: "ftyp",
        parent: "init segment",
    })?;
    let moov = moov.ok_or(Fmp4Error::MissingBox {
        kind: "moov",
        parent: "init segment",
    })?;

    let mut r = ftyp.reader("ftyp");
    let major_brand = FourCc(r.array4()?);
    r.skip(4)?; // minor_version
    let mut compatible_brands = Vec::with_capacity(r.remaining() / 4);
    while r.remaining() >= 4 {
        compatible_brands.push(FourCc(r.array4()?));
    }

    let mut movie_timescale = None;
    let mut tracks: Vec<Track> = Vec::new();
    let mut mvex = None;
    let mut children = moov.children();
    while let Some(b) = children.next_box(&mut budget)? {
        match &b.kind.0 {
            b"mvhd" => movie_timescale = Some(parse_mvhd(&b)?),
            b"trak" => {
                let t = parse_trak(&b, &mut budget)?;
                if tracks.iter().any(|x| x.track_id == t.track_id) {
                    return Err(Fmp4Error::Invalid {
                        field: "tkhd track_id",
                        reason: "two tracks share one id",
                    });
                }
                tracks.push(t);
            }
            b"mvex" => mvex = Some(b),
            _ => {}
        }
    }
    let movie_timescale = movie_timescale.ok_or(Fmp4Error::MissingBox {
        kind: "mvhd",
        parent: "moov",
    })?;
    if tracks.is_empty() {
        return Err(Fmp4Error::MissingBox {
            kind: "trak",
            parent: "moov",
        });
    }
    let mvex = mvex.ok_or(Fmp4Error::MissingBox {
        kind: "mvex",
        parent: "moov",
    })?;

    let mut seen = vec![false; tracks.len()];
    let mut children = mvex.children();
    while let Some(b) = children.next_box(&mut budget)? {
        if &b.kind.0 != b"trex" {
            continue;
        }
        let mut r = b.reader("trex");
        let (version, _) = r.full_box()?;
        if version != 0 {
            return Err(Fmp4Error::UnsupportedVersion {
                kind: "trex",
                version,
            });
        }
        let track_id = r.u32()?;
        let defaults = TrackDefaults {
            sample_description_index: r.u32()?,
            sample_duration: r.u32()?,
            sample_size: r.u32()?,
            sample_flags: r.u32()?,
        };
        let idx =
            tracks
                .iter()
                .position(|t| t.track_id == track_id)
                .ok_or(Fmp4Error::UnknownTrack {
                    track_id,
                    context: "trex",
                })?;
        if let (Some(t), Some(s)) = (tracks.get_mut(idx), seen.get_mut(idx)) {
            t.defaults = defaults;
            *s = true;
        }
    }
    if seen.iter().any(|s| !s) {
        return Err(Fmp4Error::MissingBox {
            kind: "trex",
            parent: "mvex",
        });
    }

    Ok(InitSegment {
        major_brand,
        compatible_brands,
        movie_timescale,
        tracks,
    })
}

fn parse_mvhd(b: &Mp4Box<'_>) -> Result<u32, Fmp4Error> {
    let mut r = b.reader("mvhd");
    let (version, _) = r.full_box()?;
    match version {
        0 => r.skip(8)?, // creation, modification (32-bit)
        1 => r.skip(16)?,
        v => {
            return Err(Fmp4Error::UnsupportedVersion {
                kind: "mvhd",
                version: v,
            })
        }
    }
    r.u32()
}

fn parse_trak(trak: &Mp4Box<'_>, budget: &mut Budget) -> Result<Track, Fmp4Error> {
    let mut track_id = None;
    let mut mdia = None;
    let mut children = trak.children();
    while let Some(b) = children.next_box(budget)? {
        match &b.kind.0 {
            b"tkhd" => track_id = Some(parse_tkhd(&b)?),
            b"mdia" => mdia = Some(b),
            _ => {}
        }
    }
    let track_id = track_id.ok_or(Fmp4Error::MissingBox {
        kind: "tkhd",
        parent: "trak",
    })?;
    let mdia = mdia.ok_or(Fmp4Error::MissingBox {
        kind: "mdia",
        parent: "trak",
    })?;

    let mut timescale = None;
    let mut handler = None;
    let mut minf = None;
    let mut children = mdia.children();
    while let Some(b) = children.next_box(budget)? {
        match &b.kind.0 {
            b"mdhd" => timescale = Some(parse_mdhd(&b)?),
            b"hdlr" => {
                let mut r = b.reader("hdlr");
                r.full_box()?;
                r.skip(4)?; // pre_defined
                handler = Some(FourCc(r.array4()?));
            }
            b"minf" => minf = Some(b),
            _ => {}
        }
    }
    let timescale = timescale.ok_or(Fmp4Error::MissingBox {
        kind: "mdhd",
        parent: "mdia",
    })?;
    let handler = handler.ok_or(Fmp4Error::MissingBox {
        kind: "hdlr",
        parent: "mdia",
    })?;
    let kind = match &handler.0 {
        b"vide" => TrackKind::Video,
        b"soun" => TrackKind::Audio,
        _ => return Err(Fmp4Error::UnsupportedHandler { track_id, handler }),
    };
    let minf = minf.ok_or(Fmp4Error::MissingBox {
        kind: "minf",
        parent: "mdia",
    })?;
    let stbl = find_child(&minf, b"stbl", budget)?.ok_or(Fmp4Error::MissingBox {
        kind: "stbl",
        parent: "minf",
    })?;
    let stsd = find_child(&stbl, b"stsd", budget)?.ok_or(Fmp4Error::MissingBox {
        kind: "stsd",
        parent: "stbl",
    })?;
    let mut r = stsd.reader("stsd");
    r.full_box()?;
    let _entry_count = r.u32()?;
    let mut entries = BoxIter::new(r.rest(), r.position());
    let entry = entries.next_box(budget)?.ok_or(Fmp4Error::MissingBox {
        kind: "sample entry",
        parent: "stsd",
    })?;
    let codec = match &entry.kind.0 {
        b"avc1" | b"avc3" => Codec::H264,
        b"hvc1" | b"hev1" => Codec::H265,
        b"mp4a" => Codec::Aac,
        _ => {
            return Err(Fmp4Error::UnsupportedCodec {
                track_id,
                fourcc: entry.kind,
            })
        }
    };
    let codec_kind = if codec == Codec::Aac {
        TrackKind::Audio
    } else {
        TrackKind::Video
    };
    if codec_kind != kind {
        return Err(Fmp4Error::Invalid {
            field: "sample entry",
            reason: "codec does not match the track's handler",
        });
    }

    let mut track = Track {
        track_id,
        kind,
        codec,
        sample_entry: entry.kind,
        timescale,
        width: None,
        height: None,
        channel_count: None,
        sample_rate: None,
        codec_string: sample_entry_codec_string(&entry, codec, budget),
        decoder_config: video_config(&entry, codec, budget),
        defaults: TrackDefaults::default(),
    };
    let mut r = entry.reader("sample entry");
    r.skip(6)?; // reserved
    r.skip(2)?; // data_reference_index
    match kind {
        TrackKind::Video => {
            r.skip(16)?; // pre_defined, reserved, pre_defined[3]
            track.width = Some(r.u16()?);
            track.height = Some(r.u16()?);
        }
        TrackKind::Audio => {
            r.skip(8)?; // reserved (version, revision, vendor for QuickTime)
            track.channel_count = Some(r.u16()?);
            r.skip(2)?; // samplesize
            r.skip(4)?; // pre_defined, reserved
            track.sample_rate = Some(r.u32()? >> 16);
        }
    }
    Ok(track)
}

fn find_child<'a>(
    parent: &Mp4Box<'a>,
    kind: &[u8; 4],
    budget: &mut Budget,
) -> Result<Option<Mp4Box<'a>>, Fmp4Error> {
    let mut children = parent.children();
    while let Some(b) = children.next_box(budget)? {
        if &b.kind.0 == kind {
            return Ok(Some(b));
        }
    }
    Ok(None)
}

/// Reads the 32-bit field that follows the creation and modification times
/// of a `tkhd` or `mdhd` (32-bit times in version 0, 64-bit in version 1).
fn u32_after_times(b: &Mp4Box<'_>, kind: &'static str) -> Result<u32, Fmp4Error> {
    let mut r = b.reader(kind);
    let (version, _) = r.full_box()?;
    match version {
        0 => r.skip(8)?,
        1 => r.skip(16)?,
        v => return Err(Fmp4Error::UnsupportedVersion { kind, version: v }),
    }
    r.u32()
}

fn parse_tkhd(b: &Mp4Box<'_>) -> Result<u32, Fmp4Error> {
    let id = u32_after_times(b, "tkhd")?;
    if id == 0 {
        return Err(Fmp4Error::Invalid {
            field: "tkhd track_id",
            reason: "track id 0 is reserved",
        });
    }
    Ok(id)
}

fn parse_mdhd(b: &Mp4Box<'_>) -> Result<u32, Fmp4Error> {
    let timescale = u32_after_times(b, "mdhd")?;
    if timescale == 0 {
        return Err(Fmp4Error::Invalid {
            field: "mdhd timescale",
            reason: "must not be zero",
        });
    }
    Ok(timescale)
}
