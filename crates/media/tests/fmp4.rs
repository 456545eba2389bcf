//! fMP4/CMAF parsing against real ffmpeg output (`testdata/`, see its README)
//! and crafted or mutated inputs for every error class. The parsers must
//! return `Err`, never panic, on any input.

// Tests may unwrap: a panic here is a failed test with its message.
#![allow(clippy::unwrap_used)]

use media::fmp4::{
    parse_init, parse_media, Codec, Fmp4Error, FourCc, InitSegment, TrackKind, MAX_BOXES,
    MAX_SAMPLES,
};
use proptest::prelude::*;

const H264_INIT: &[u8] = include_bytes!("../testdata/h264_aac_init.mp4");
const H264_MEDIA: &[u8] = include_bytes!("../testdata/h264_aac_media.m4s");
const H265_INIT: &[u8] = include_bytes!("../testdata/h265_init.mp4");
const H265_MEDIA: &[u8] = include_bytes!("../testdata/h265_media.m4s");

// ---------------------------------------------------------------- builders

fn bx(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(payload.len() + 8);
    v.extend_from_slice(&u32::try_from(payload.len() + 8).unwrap().to_be_bytes());
    v.extend_from_slice(kind);
    v.extend_from_slice(payload);
    v
}

fn full(kind: &[u8; 4], version: u8, flags: u32, payload: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(payload.len() + 4);
    p.extend_from_slice(&((u32::from(version) << 24) | flags).to_be_bytes());
    p.extend_from_slice(payload);
    bx(kind, &p)
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn u32s(values: &[u32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_be_bytes()).collect()
}

/// A visual (`video`) or audio sample entry with the given fourcc.
fn sample_entry(fourcc: &[u8; 4], video: bool) -> Vec<u8> {
    let mut p = vec![0u8; 6];
    p.extend_from_slice(&1u16.to_be_bytes()); // data_reference_index
    if video {
        p.extend_from_slice(&[0u8; 16]);
        p.extend_from_slice(&640u16.to_be_bytes());
        p.extend_from_slice(&480u16.to_be_bytes());
        p.extend_from_slice(&[0u8; 50]); // resolution, frame count, compressor, depth...
    } else {
        p.extend_from_slice(&[0u8; 8]);
        p.extend_from_slice(&2u16.to_be_bytes());
        p.extend_from_slice(&16u16.to_be_bytes());
        p.extend_from_slice(&[0u8; 4]);
        p.extend_from_slice(&(48_000u32 << 16).to_be_bytes());
    }
    bx(fourcc, &p)
}

fn trak(track_id: u32, handler: &[u8; 4], fourcc: &[u8; 4], timescale: u32) -> Vec<u8> {
    let mut tkhd = u32s(&[0, 0, track_id, 0, 0]);
    tkhd.extend_from_slice(&[0u8; 60]);
    let mdhd = u32s(&[0, 0, timescale, 0, 0]);
    let mut hdlr = u32s(&[0]);
    hdlr.extend_from_slice(handler);
    hdlr.extend_from_slice(&[0u8; 13]);
    let stsd = cat(&[&u32s(&[1]), &sample_entry(fourcc, handler == b"vide")]);
    let stbl = bx(b"stbl", &full(b"stsd", 0, 0, &stsd));
    let minf = bx(b"minf", &stbl);
    let mdia = bx(
        b"mdia",
        &cat(&[
            &full(b"mdhd", 0, 0, &mdhd),
            &full(b"hdlr", 0, 0, &hdlr),
            &minf,
        ]),
    );
    bx(b"trak", &cat(&[&full(b"tkhd", 0, 3, &tkhd), &mdia]))
}

fn trex(track_id: u32, duration: u32, size: u32, flags: u32) -> Vec<u8> {
    full(b"trex", 0, 0, &u32s(&[track_id, 1, duration, size, flags]))
}

fn ftyp() -> Vec<u8> {
    bx(b"ftyp", b"iso6\0\0\x02\0iso6cmfc")
}

fn mvhd() -> Vec<u8> {
    let mut p = u32s(&[0, 0, 1000, 0]);
    p.extend_from_slice(&[0u8; 80]);
    full(b"mvhd", 0, 0, &p)
}

/// An init with one `avc1` video track (id 1, timescale 90 kHz) whose trex
/// defaults are duration 3000, size 0, non-sync flags.
fn synthetic_init() -> Vec<u8> {
    let moov = bx(
        b"moov",
        &cat(&[
            &mvhd(),
            &trak(1, b"vide", b"avc1", 90_000),
            &bx(b"mvex", &trex(1, 3000, 0, 0x0101_0000)),
        ]),
    );
    cat(&[&ftyp(), &moov])
}

/// One trun entry: (duration, size, flags).
type Entry = (u32, u32, u32);

/// A `moof` + `mdat` for `track_id` with explicit per-sample durations, sizes
/// and flags. `offset_adjust` is added to the correct data offset and
/// `mdat_len` sets the mdat payload length (default: the sum of sizes).
fn fragment(
    seq: u32,
    track_id: u32,
    tfdt: u64,
    entries: &[Entry],
    offset_adjust: i32,
    mdat_len: Option<usize>,
) -> Vec<u8> {
    let build = |data_offset: i32| {
        let tfhd = full(b"tfhd", 0, 0x02_0000, &u32s(&[track_id]));
        let tfdt = full(b"tfdt", 1, 0, &tfdt.to_be_bytes());
        let mut run = u32s(&[u32::try_from(entries.len()).unwrap()]);
        run.extend_from_slice(&data_offset.to_be_bytes());
        for (d, s, f) in entries {
            run.extend_from_slice(&u32s(&[*d, *s, *f]));
        }
        let trun = full(b"trun", 0, 0x0701, &run);
        let traf = bx(b"traf", &cat(&[&tfhd, &tfdt, &trun]));
        bx(b"moof", &cat(&[&full(b"mfhd", 0, 0, &u32s(&[seq])), &traf]))
    };
    let moof_len = build(0).len();
    let data_offset = i32::try_from(moof_len + 8).unwrap() + offset_adjust;
    let moof = build(data_offset);
    let total: usize = entries.iter().map(|e| e.1 as usize).sum();
    let mdat = bx(b"mdat", &vec![0xAB; mdat_len.unwrap_or(total)]);
    cat(&[&moof, &mdat])
}

const SYNC: u32 = 0x0200_0000;
const NON_SYNC: u32 = 0x0101_0000;

fn gop(n: usize) -> Vec<Entry> {
    (0..n)
        .map(|i| (3000, 100, if i == 0 { SYNC } else { NON_SYNC }))
        .collect()
}

/// Splits a media segment into its `moof`+`mdat` pairs.
fn split_fragments(media: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut off = 0;
    let mut start = 0;
    while off < media.len() {
        let size = u32::from_be_bytes(media[off..off + 4].try_into().unwrap()) as usize;
        let kind = &media[off + 4..off + 8];
        off += size;
        if kind == b"mdat" {
            out.push(&media[start..off]);
            start = off;
        }
    }
    out
}

// ---------------------------------------------------------------- real clips

#[test]
fn real_h264_aac_init() {
    let init = parse_init(H264_INIT).unwrap();
    assert_eq!(init.tracks.len(), 2);
    let v = init.track(1).unwrap();
    assert_eq!(v.kind, TrackKind::Video);
    assert_eq!(v.codec, Codec::H264);
    assert_eq!(v.sample_entry, FourCc(*b"avc1"));
    assert_eq!((v.width, v.height), (Some(320), Some(240)));
    assert_eq!(v.timescale, 10_240);
    assert_eq!(v.defaults.sample_description_index, 1);
    let a = init.track(2).unwrap();
    assert_eq!(a.kind, TrackKind::Audio);
    assert_eq!(a.codec, Codec::Aac);
    assert_eq!(a.timescale, 44_100);
    assert_eq!(a.sample_rate, Some(44_100));
    assert_eq!(a.width, None);
}

#[test]
fn real_h264_aac_media() {
    let init = parse_init(H264_INIT).unwrap();
    let seg = parse_media(H264_MEDIA, &init).unwrap();
    assert_eq!(seg.fragments.len(), 2);
    assert_eq!(seg.byte_size, H264_MEDIA.len() as u64);

    // Every fragment opens on a video keyframe; decode times only move on.
    let mut prev_end = [0u64; 3];
    for (i, f) in seg.fragments.iter().enumerate() {
        assert_eq!(f.sequence_number, u32::try_from(i).unwrap() + 1);
        for tf in &f.tracks {
            let id = tf.track_id as usize;
            assert!(tf.base_media_decode_time >= prev_end[id]);
            prev_end[id] = tf.base_media_decode_time + tf.duration;
            let mut t = tf.base_media_decode_time;
            for s in &tf.samples {
                assert_eq!(s.decode_time, t);
                t += u64::from(s.duration);
                assert!(s.offset >= f.mdat_payload_offset);
                assert!(s.mdat_offset + u64::from(s.size) <= f.mdat_payload_size);
            }
            if tf.track_id == 1 {
                assert!(tf.samples[0].is_sync, "fragment {i} starts on a keyframe");
                assert!(tf.samples[1..].iter().all(|s| !s.is_sync));
            }
        }
    }

    // Cross-checked with ffprobe -show_packets on the source clip.
    let v = seg.track(1).unwrap();
    assert_eq!(v.sample_count, 20);
    assert_eq!(v.bytes, 30_646);
    assert_eq!(v.start, 0);
    assert_eq!(v.keyframes.len(), 2);
    assert_eq!(v.keyframes[0].sample_index, 0);
    assert_eq!(v.keyframes[1].sample_index, 10);
    assert_eq!(v.keyframes[1].fragment_index, 1);
    assert!(
        (v.duration_seconds - 2.0).abs() < 0.05,
        "{}",
        v.duration_seconds
    );
    let a = seg.track(2).unwrap();
    assert_eq!(a.sample_count, 88);
    assert_eq!(a.bytes, 8_192);
    assert!((a.duration_seconds - 2.0).abs() < 0.05);
    assert!((seg.duration_seconds() - 2.0).abs() < 0.05);
    assert_eq!(seg.start_seconds(), 0.0);

    // Each fragment also parses on its own, with its own start time.
    let frags = split_fragments(H264_MEDIA);
    assert_eq!(frags.len(), 2);
    let second = parse_media(frags[1], &init).unwrap();
    assert!((second.start_seconds() - 1.0).abs() < 0.05);
    assert!(second.track(1).unwrap().keyframes[0].decode_time > 0);
}

#[test]
fn real_h265() {
    let init = parse_init(H265_INIT).unwrap();
    assert_eq!(init.tracks.len(), 1);
    let v = &init.tracks[0];
    assert_eq!(v.codec, Codec::H265);
    assert_eq!(v.sample_entry, FourCc(*b"hvc1"));
    assert_eq!((v.width, v.height), (Some(320), Some(240)));
    let seg = parse_media(H265_MEDIA, &init).unwrap();
    let t = seg.track(v.track_id).unwrap();
    assert_eq!(t.sample_count, 10);
    assert_eq!(t.keyframes.len(), 1);
    assert!((t.duration_seconds - 1.0).abs() < 0.05);
}

#[test]
fn real_media_with_the_wrong_init_is_refused() {
    // The H.265 init declares only track 1; the H.264 clip's audio is track 2.
    let init = parse_init(H265_INIT).unwrap();
    assert_eq!(
        parse_media(H264_MEDIA, &init),
        Err(Fmp4Error::UnknownTrack {
            track_id: 2,
            context: "traf"
        })
    );
}

// ---------------------------------------------------------------- synthetic

fn init() -> InitSegment {
    parse_init(&synthetic_init()).unwrap()
}

#[test]
fn synthetic_fragments_with_styp_and_defaults() {
    let init = init();
    assert_eq!(init.tracks[0].defaults.sample_duration, 3000);
    let styp = bx(b"styp", b"msdh\0\0\0\0msdhmsix");
    let media = cat(&[
        &styp,
        &fragment(1, 1, 90_000, &gop(3), 0, None),
        &bx(b"free", b""),
        &fragment(2, 1, 99_000, &gop(2), 0, None),
    ]);
    let seg = parse_media(&media, &init).unwrap();
    assert_eq!(seg.styp_brand, Some(FourCc(*b"msdh")));
    let t = seg.track(1).unwrap();
    assert_eq!(t.start, 90_000);
    assert_eq!(t.start_seconds, 1.0);
    assert_eq!(t.duration, 15_000);
    assert_eq!(t.sample_count, 5);
    assert_eq!(t.bytes, 500);
    let kf: Vec<_> = t.keyframes.iter().map(|k| k.sample_index).collect();
    assert_eq!(kf, [0, 3]);
}

#[test]
fn trun_defaults_and_first_sample_flags() {
    let init = init();
    // tfhd: default-base-is-moof + default size 50; trun: data offset and
    // first_sample_flags only, so durations come from trex, sizes from tfhd,
    // and flags from first_sample_flags then trex (non-sync).
    let build = |data_offset: i32| {
        let tfhd = full(b"tfhd", 0, 0x02_0010, &u32s(&[1, 50]));
        let tfdt = full(b"tfdt", 0, 0, &u32s(&[7]));
        let mut run = u32s(&[4]);
        run.extend_from_slice(&data_offset.to_be_bytes());
        run.extend_from_slice(&u32s(&[SYNC]));
        let trun = full(b"trun", 0, 0x0005, &run);
        bx(
            b"moof",
            &cat(&[
                &full(b"mfhd", 0, 0, &u32s(&[1])),
                &bx(b"traf", &cat(&[&tfhd, &tfdt, &trun])),
            ]),
        )
    };
    let moof_len = build(0).len();
    let media = cat(&[
        &build(i32::try_from(moof_len + 8).unwrap()),
        &bx(b"mdat", &[0u8; 200]),
    ]);
    let seg = parse_media(&media, &init).unwrap();
    let s = &seg.fragments[0].tracks[0].samples;
    assert_eq!(s.len(), 4);
    assert!(s[0].is_sync);
    assert!(s[1..].iter().all(|s| !s.is_sync));
    assert!(s.iter().all(|s| s.duration == 3000 && s.size == 50));
    assert_eq!(s[3].decode_time, 7 + 9000);
    assert_eq!(s[3].mdat_offset, 150);
}

// ---------------------------------------------------------------- errors

#[test]
fn truncated_box_header_and_field() {
    assert!(matches!(
        parse_init(&synthetic_init()[..5]),
        Err(Fmp4Error::Truncated { .. })
    ));
    // A tfhd too short to hold its track id.
    let traf = bx(b"traf", &full(b"tfhd", 0, 0, &[0, 0]));
    let moof = bx(b"moof", &cat(&[&full(b"mfhd", 0, 0, &u32s(&[1])), &traf]));
    let media = cat(&[&moof, &bx(b"mdat", &[])]);
    assert!(matches!(
        parse_media(&media, &init()),
        Err(Fmp4Error::Truncated {
            context: "tfhd",
            ..
        })
    ));
}

#[test]
fn box_size_past_the_end() {
    let mut media = fragment(1, 1, 0, &gop(2), 0, None);
    let len = media.len();
    media.truncate(len - 1);
    assert!(matches!(
        parse_media(&media, &init()),
        Err(Fmp4Error::BoxPastEnd { kind, .. }) if kind == FourCc(*b"mdat")
    ));
    // 64-bit size far beyond the input: refused without allocating.
    let mut huge = u32s(&[1]);
    huge.extend_from_slice(b"mdat");
    huge.extend_from_slice(&u64::MAX.to_be_bytes());
    assert!(matches!(
        parse_media(&huge, &init()),
        Err(Fmp4Error::BoxPastEnd { size: u64::MAX, .. })
    ));
}

#[test]
fn bad_box_sizes() {
    let mut tiny = u32s(&[4]);
    tiny.extend_from_slice(b"ftyp");
    assert!(matches!(
        parse_init(&tiny),
        Err(Fmp4Error::BadBoxSize { size: 4, .. })
    ));
    let mut large = u32s(&[1]);
    large.extend_from_slice(b"moof");
    large.extend_from_slice(&8u64.to_be_bytes());
    assert!(matches!(
        parse_media(&large, &init()),
        Err(Fmp4Error::BadBoxSize { size: 8, .. })
    ));
    // A 64-bit size field cut short is a truncated header.
    assert!(matches!(
        parse_media(&large[..12], &init()),
        Err(Fmp4Error::Truncated { .. })
    ));
    // A valid 64-bit-size mdat is fine.
    let frag = fragment(1, 1, 0, &gop(1), 8, None);
    let (moof, mdat) = frag.split_at(frag.len() - 108);
    let mut mdat64 = u32s(&[1]);
    mdat64.extend_from_slice(b"mdat");
    mdat64.extend_from_slice(&116u64.to_be_bytes());
    mdat64.extend_from_slice(&mdat[8..]);
    parse_media(&cat(&[moof, &mdat64]), &init()).unwrap();
}

#[test]
fn missing_required_boxes() {
    let missing = |kind| Err(Fmp4Error::MissingBox { kind, parent: "" });
    let kind_of = |r: Result<_, Fmp4Error>| match r {
        Err(Fmp4Error::MissingBox { kind, .. }) => Err(Fmp4Error::MissingBox { kind, parent: "" }),
        Err(e) => Err(e),
        Ok(_) => Ok(()),
    };
    assert_eq!(kind_of(parse_init(&ftyp()).map(|_| ())), missing("moov"));
    assert_eq!(kind_of(parse_init(&[]).map(|_| ())), missing("ftyp"));
    let no_mvex = cat(&[
        &ftyp(),
        &bx(
            b"moov",
            &cat(&[&mvhd(), &trak(1, b"vide", b"avc1", 90_000)]),
        ),
    ]);
    assert_eq!(kind_of(parse_init(&no_mvex).map(|_| ())), missing("mvex"));

    let init = init();
    let frag = fragment(1, 1, 0, &gop(2), 0, None);
    let moof_len = frag.len() - 8 - 200;
    assert_eq!(
        kind_of(parse_media(&frag[..moof_len], &init).map(|_| ())),
        missing("mdat")
    );
    assert_eq!(
        kind_of(parse_media(&[], &init).map(|_| ())),
        missing("moof")
    );
    assert_eq!(
        kind_of(parse_media(&bx(b"styp", b"msdh\0\0\0\0"), &init).map(|_| ())),
        missing("moof")
    );

    // A traf without tfdt.
    let tfhd = full(b"tfhd", 0, 0x02_0000, &u32s(&[1]));
    let moof = bx(
        b"moof",
        &cat(&[&full(b"mfhd", 0, 0, &u32s(&[1])), &bx(b"traf", &tfhd)]),
    );
    assert_eq!(
        kind_of(parse_media(&cat(&[&moof, &bx(b"mdat", &[])]), &init).map(|_| ())),
        missing("tfdt")
    );
}

#[test]
fn moof_for_an_undeclared_track() {
    let media = fragment(1, 9, 0, &gop(2), 0, None);
    let err = parse_media(&media, &init()).unwrap_err();
    assert_eq!(
        err,
        Fmp4Error::UnknownTrack {
            track_id: 9,
            context: "traf"
        }
    );
    assert!(err.to_string().contains("track 9"));
}

#[test]
fn unsupported_codec_is_named() {
    let bytes = cat(&[
        &ftyp(),
        &bx(
            b"moov",
            &cat(&[
                &mvhd(),
                &trak(1, b"vide", b"vp09", 90_000),
                &bx(b"mvex", &trex(1, 0, 0, 0)),
            ]),
        ),
    ]);
    let err = parse_init(&bytes).unwrap_err();
    assert_eq!(
        err,
        Fmp4Error::UnsupportedCodec {
            track_id: 1,
            fourcc: FourCc(*b"vp09")
        }
    );
    assert!(err.to_string().contains("vp09"), "{err}");
}

#[test]
fn unsupported_handler() {
    let bytes = cat(&[
        &ftyp(),
        &bx(
            b"moov",
            &cat(&[
                &mvhd(),
                &trak(3, b"meta", b"avc1", 90_000),
                &bx(b"mvex", &trex(3, 0, 0, 0)),
            ]),
        ),
    ]);
    assert!(matches!(
        parse_init(&bytes),
        Err(Fmp4Error::UnsupportedHandler { track_id: 3, handler }) if handler == FourCc(*b"meta")
    ));
}

#[test]
fn non_monotonic_decode_times() {
    let media = cat(&[
        &fragment(1, 1, 90_000, &gop(3), 0, None),
        // Starts at 95_000, before the first fragment ends at 99_000.
        &fragment(2, 1, 95_000, &gop(3), 0, None),
    ]);
    assert_eq!(
        parse_media(&media, &init()),
        Err(Fmp4Error::NonMonotonicDecodeTime {
            track_id: 1,
            previous_end: 99_000,
            next: 95_000
        })
    );
    // Going backwards altogether.
    let media = cat(&[
        &fragment(1, 1, 90_000, &gop(3), 0, None),
        &fragment(2, 1, 0, &gop(3), 0, None),
    ]);
    assert!(matches!(
        parse_media(&media, &init()),
        Err(Fmp4Error::NonMonotonicDecodeTime { .. })
    ));
}

#[test]
fn sample_data_outside_mdat() {
    let init = init();
    // Data offset one byte too far: the last sample ends past the mdat.
    let past = fragment(1, 1, 0, &gop(2), 1, None);
    assert!(matches!(
        parse_media(&past, &init),
        Err(Fmp4Error::SampleDataOutsideMdat {
            sample_index: 1,
            ..
        })
    ));
    // Data offset pointing into the moof.
    let before = fragment(1, 1, 0, &gop(2), -8, None);
    assert!(matches!(
        parse_media(&before, &init),
        Err(Fmp4Error::SampleDataOutsideMdat {
            sample_index: 0,
            ..
        })
    ));
    // Negative absolute offset.
    let negative = fragment(1, 1, 0, &gop(2), -100_000, None);
    assert!(matches!(
        parse_media(&negative, &init),
        Err(Fmp4Error::SampleDataOutsideMdat { .. })
    ));
    // Sizes that add up to more than the mdat holds.
    let short_mdat = fragment(1, 1, 0, &gop(2), 0, Some(150));
    assert!(matches!(
        parse_media(&short_mdat, &init),
        Err(Fmp4Error::SampleDataOutsideMdat { .. })
    ));
    // A huge sample size.
    let huge = fragment(1, 1, 0, &[(3000, u32::MAX, SYNC)], 0, Some(16));
    assert!(matches!(
        parse_media(&huge, &init),
        Err(Fmp4Error::SampleDataOutsideMdat { .. })
    ));
}

#[test]
fn too_many_boxes() {
    let free = bx(b"free", b"");
    let many: Vec<u8> = free.repeat(MAX_BOXES + 1);
    assert_eq!(
        parse_media(&many, &init()),
        Err(Fmp4Error::TooManyBoxes { limit: MAX_BOXES })
    );
    assert_eq!(
        parse_init(&many),
        Err(Fmp4Error::TooManyBoxes { limit: MAX_BOXES })
    );
}

#[test]
fn too_many_samples_without_allocating() {
    let init = init();
    // A trun with no per-sample fields claiming u32::MAX samples in 16 bytes.
    let tfhd = full(b"tfhd", 0, 0x02_0000, &u32s(&[1]));
    let tfdt = full(b"tfdt", 0, 0, &u32s(&[0]));
    let trun = full(b"trun", 0, 0, &u32s(&[u32::MAX]));
    let moof = bx(
        b"moof",
        &cat(&[
            &full(b"mfhd", 0, 0, &u32s(&[1])),
            &bx(b"traf", &cat(&[&tfhd, &tfdt, &trun])),
        ]),
    );
    let media = cat(&[&moof, &bx(b"mdat", &[])]);
    assert_eq!(
        parse_media(&media, &init),
        Err(Fmp4Error::TooManySamples { limit: MAX_SAMPLES })
    );
    // Under the cap but with per-sample fields the trun does not hold.
    let trun = full(b"trun", 0, 0x0300, &u32s(&[50_000, 1, 2]));
    let moof = bx(
        b"moof",
        &cat(&[
            &full(b"mfhd", 0, 0, &u32s(&[1])),
            &bx(b"traf", &cat(&[&tfhd, &tfdt, &trun])),
        ]),
    );
    let media = cat(&[&moof, &bx(b"mdat", &[])]);
    assert!(matches!(
        parse_media(&media, &init),
        Err(Fmp4Error::Truncated {
            context: "trun",
            needed: 400_000,
            ..
        })
    ));
}

// ---------------------------------------------------------------- robustness

#[test]
fn every_truncation_is_an_error() {
    let h265 = parse_init(H265_INIT).unwrap();
    for cut in 0..H265_MEDIA.len() {
        assert!(parse_media(&H265_MEDIA[..cut], &h265).is_err(), "cut {cut}");
    }
    for cut in 0..H265_INIT.len() {
        assert!(parse_init(&H265_INIT[..cut]).is_err(), "cut {cut}");
    }
    let h264 = parse_init(H264_INIT).unwrap();
    let first = split_fragments(H264_MEDIA)[0];
    for cut in 0..first.len() {
        assert!(parse_media(&first[..cut], &h264).is_err(), "cut {cut}");
    }
    for cut in 0..H264_INIT.len() {
        assert!(parse_init(&H264_INIT[..cut]).is_err(), "cut {cut}");
    }
}

#[test]
fn every_single_byte_flip_of_the_headers_is_handled() {
    // Flip each byte of the init and of the moof (the mdat payload is
    // opaque) through a few values; any result is fine, a panic is not.
    let init = parse_init(H264_INIT).unwrap();
    let frag = split_fragments(H264_MEDIA)[0];
    let moof_len = u32::from_be_bytes(frag[..4].try_into().unwrap()) as usize + 8;
    for value in [0x00, 0x01, 0x7f, 0x80, 0xff] {
        for i in 0..H264_INIT.len() {
            let mut b = H264_INIT.to_vec();
            b[i] = value;
            let _ = parse_init(&b);
        }
        for i in 0..moof_len {
            let mut b = frag.to_vec();
            b[i] = value;
            let _ = parse_media(&b, &init);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_flips_never_panic(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..16),
    ) {
        let init = parse_init(H264_INIT).unwrap();
        let mut i = H264_INIT.to_vec();
        let mut m = split_fragments(H264_MEDIA)[1].to_vec();
        for (idx, v) in &flips {
            let n = idx.index(i.len());
            i[n] ^= v;
            // Bias toward the moof, where the structure is.
            let n = idx.index(600.min(m.len()));
            m[n] ^= v;
        }
        let _ = parse_init(&i);
        let _ = parse_media(&m, &init);
        if let Ok(init) = parse_init(&i) {
            let _ = parse_media(&m, &init);
        }
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let init = parse_init(H264_INIT).unwrap();
        let _ = parse_init(&bytes);
        let _ = parse_media(&bytes, &init);
    }
}
