//! Stripping audio from fMP4 init and media segments (product promise C3:
//! audio is dropped when audio is off), on the real H.264 + AAC clip in
//! `testdata/` and on crafted segments for each data-offset mode.

// Tests may unwrap: a panic here is a failed test with its message.
#![allow(clippy::unwrap_used)]

use media::fmp4::{
    parse_init, parse_media, strip_audio, strip_audio_init, Fmp4Error, InitSegment, MediaSegment,
    TrackKind,
};

const H264_INIT: &[u8] = include_bytes!("../testdata/h264_aac_init.mp4");
const H264_MEDIA: &[u8] = include_bytes!("../testdata/h264_aac_media.m4s");
const H265_INIT: &[u8] = include_bytes!("../testdata/h265_init.mp4");
const H265_MEDIA: &[u8] = include_bytes!("../testdata/h265_media.m4s");

// ---------------------------------------------------------------- helpers

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(b[at..at + 4].try_into().unwrap())
}

/// The (kind, start, end) of each box laid end to end in `b[start..end]`
/// (32-bit sizes only; the test clips have no others).
fn boxes(b: &[u8], mut start: usize, end: usize) -> Vec<([u8; 4], usize, usize)> {
    let mut out = Vec::new();
    while start < end {
        let size = be32(b, start) as usize;
        out.push((
            b[start + 4..start + 8].try_into().unwrap(),
            start,
            start + size,
        ));
        start += size;
    }
    out
}

fn child(b: &[u8], parent: ([u8; 4], usize, usize), kind: &[u8; 4]) -> ([u8; 4], usize, usize) {
    *boxes(b, parent.1 + 8, parent.2)
        .iter()
        .find(|c| &c.0 == kind)
        .unwrap()
}

/// Splits a media segment into its `moof`+`mdat` pairs.
fn split_fragments(media: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    for (kind, _, end) in boxes(media, 0, media.len()) {
        if &kind == b"mdat" {
            out.push(&media[start..end]);
            start = end;
        }
    }
    out
}

/// Bytes of every `traf` of `track_id` in every `moof` of `media`.
fn traf_bytes(media: &[u8], track_id: u32) -> usize {
    boxes(media, 0, media.len())
        .into_iter()
        .filter(|b| &b.0 == b"moof")
        .flat_map(|moof| boxes(media, moof.1 + 8, moof.2))
        .filter(|t| &t.0 == b"traf" && be32(media, child(media, *t, b"tfhd").1 + 12) == track_id)
        .map(|t| t.2 - t.1)
        .sum()
}

/// The video samples of a parsed segment as comparable tuples, plus their
/// bytes in order.
#[allow(clippy::type_complexity)]
fn video_samples(
    bytes: &[u8],
    seg: &MediaSegment,
    track_id: u32,
) -> (Vec<(usize, u64, u32, u32, bool, i64)>, Vec<u8>) {
    let mut meta = Vec::new();
    let mut data = Vec::new();
    for (fi, f) in seg.fragments.iter().enumerate() {
        for tf in f.tracks.iter().filter(|t| t.track_id == track_id) {
            for s in &tf.samples {
                meta.push((
                    fi,
                    s.decode_time,
                    s.duration,
                    s.size,
                    s.is_sync,
                    s.composition_offset,
                ));
                let at = s.offset as usize;
                data.extend_from_slice(&bytes[at..at + s.size as usize]);
            }
        }
    }
    (meta, data)
}

// ---------------------------------------------------------------- real clip

#[test]
fn real_init_loses_its_audio_track() {
    let stripped = strip_audio_init(H264_INIT).unwrap();
    let before = parse_init(H264_INIT).unwrap();
    let after = parse_init(&stripped).unwrap();
    assert_eq!(after.tracks.len(), 1);
    assert_eq!(after.tracks[0], *before.track(1).unwrap());
    assert_eq!(after.tracks[0].kind, TrackKind::Video);
    assert_eq!(after.major_brand, before.major_brand);
    assert_eq!(after.movie_timescale, before.movie_timescale);

    // Smaller by exactly the audio trak and the audio trex.
    let moov = *boxes(H264_INIT, 0, H264_INIT.len())
        .iter()
        .find(|b| &b.0 == b"moov")
        .unwrap();
    let audio_trak = boxes(H264_INIT, moov.1 + 8, moov.2)
        .into_iter()
        .filter(|b| &b.0 == b"trak")
        .find(|t| be32(H264_INIT, child(H264_INIT, *t, b"tkhd").1 + 20) == 2)
        .unwrap();
    let mvex = child(H264_INIT, moov, b"mvex");
    let audio_trex = boxes(H264_INIT, mvex.1 + 8, mvex.2)
        .into_iter()
        .find(|t| &t.0 == b"trex" && be32(H264_INIT, t.1 + 12) == 2)
        .unwrap();
    let removed = (audio_trak.2 - audio_trak.1) + (audio_trex.2 - audio_trex.1);
    assert_eq!(stripped.len(), H264_INIT.len() - removed);

    // Stripping again changes nothing.
    assert_eq!(strip_audio_init(&stripped).unwrap(), stripped);
}

fn check_stripped_media(media: &[u8], init: &InitSegment) -> Vec<u8> {
    let stripped = strip_audio(media, init).unwrap();
    let before = parse_media(media, init).unwrap();
    let video_init = parse_init(&strip_audio_init(H264_INIT).unwrap()).unwrap();
    // Valid against both the original and the stripped init, video only.
    let after = parse_media(&stripped, &video_init).unwrap();
    assert_eq!(parse_media(&stripped, init).unwrap(), after);
    assert_eq!(after.tracks.len(), 1);
    assert!(after.fragments.iter().all(|f| f.tracks.len() == 1));
    assert_eq!(after.fragments.len(), before.fragments.len());

    // Same samples: count, sizes, decode times, keyframes, durations.
    let (v0, v1) = (before.track(1).unwrap(), after.track(1).unwrap());
    assert_eq!(v1.sample_count, v0.sample_count);
    assert_eq!(v1.bytes, v0.bytes);
    assert_eq!(v1.start, v0.start);
    assert_eq!(v1.duration, v0.duration);
    let keys = |s: &media::fmp4::TrackSummary| {
        s.keyframes
            .iter()
            .map(|k| (k.fragment_index, k.sample_index, k.decode_time))
            .collect::<Vec<_>>()
    };
    assert_eq!(keys(v1), keys(v0));
    let (meta0, data0) = video_samples(media, &before, 1);
    let (meta1, data1) = video_samples(&stripped, &after, 1);
    assert_eq!(meta1, meta0);
    // Video sample bytes identical and in the same order.
    assert_eq!(data1, data0);

    // Smaller by exactly the audio samples plus the audio trafs.
    let audio = before.track(2).unwrap().bytes as usize;
    assert_eq!(stripped.len(), media.len() - audio - traf_bytes(media, 2));
    stripped
}

#[test]
fn real_media_loses_its_audio_and_keeps_its_video() {
    let init = parse_init(H264_INIT).unwrap();
    let whole = check_stripped_media(H264_MEDIA, &init);
    assert_eq!(parse_media(&whole, &init).unwrap().fragments.len(), 2);
    // Each fragment on its own too; the pieces concatenate to the whole.
    let pieces: Vec<u8> = split_fragments(H264_MEDIA)
        .into_iter()
        .flat_map(|f| check_stripped_media(f, &init))
        .collect();
    assert_eq!(pieces, whole);
    // Stripping again changes nothing.
    assert_eq!(strip_audio(&whole, &init).unwrap(), whole);
}

#[test]
fn ffprobe_sees_one_h264_stream() {
    let probe = std::process::Command::new("ffprobe")
        .arg("-version")
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        // Optional everywhere, CI included: ffmpeg may not be installed.
        let ci = std::env::var("CI").is_ok_and(|v| v == "true");
        println!(
            "note: ffprobe not on PATH{}; skipping the ffprobe check",
            if ci { " in CI" } else { "" }
        );
        return;
    }
    let init = parse_init(H264_INIT).unwrap();
    let mut file = strip_audio_init(H264_INIT).unwrap();
    for f in split_fragments(H264_MEDIA) {
        file.extend_from_slice(&strip_audio(f, &init).unwrap());
    }
    let path = std::env::temp_dir().join(format!("camvault-strip-{}.mp4", std::process::id()));
    std::fs::write(&path, &file).unwrap();
    let out = std::process::Command::new("ffprobe")
        .args(["-v", "error", "-count_packets", "-show_streams"])
        .arg(&path)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&path);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "ffprobe failed: {stderr}");
    assert!(stderr.trim().is_empty(), "ffprobe complained: {stderr}");
    assert_eq!(stdout.matches("[STREAM]").count(), 1, "{stdout}");
    assert!(stdout.lines().any(|l| l == "codec_name=h264"), "{stdout}");
    assert!(stdout.lines().any(|l| l == "codec_type=video"), "{stdout}");
    assert!(
        stdout.lines().any(|l| l == "nb_read_packets=20"),
        "{stdout}"
    );
}

#[test]
fn video_only_input_comes_back_byte_identical() {
    assert_eq!(strip_audio_init(H265_INIT).unwrap(), H265_INIT);
    let init = parse_init(H265_INIT).unwrap();
    assert_eq!(strip_audio(H265_MEDIA, &init).unwrap(), H265_MEDIA);
    // A video-only segment against an init that also declares audio.
    let v = synthetic_media(&[Frag::new(&[Traf::video(Base::Moof)])]);
    let init = parse_init(&synthetic_init()).unwrap();
    assert_eq!(strip_audio(&v, &init).unwrap(), v);
}

#[test]
fn malformed_input_returns_the_parser_error() {
    for cut in 0..H264_INIT.len() {
        let cut_init = &H264_INIT[..cut];
        assert_eq!(
            strip_audio_init(cut_init),
            Err(parse_init(cut_init).unwrap_err()),
            "cut {cut}"
        );
    }
    let init = parse_init(H264_INIT).unwrap();
    let first = split_fragments(H264_MEDIA)[0];
    for cut in 0..first.len() {
        let m = &first[..cut];
        assert_eq!(
            strip_audio(m, &init),
            Err(parse_media(m, &init).unwrap_err()),
            "cut {cut}"
        );
    }
    // The whole segment cut inside the second fragment's moof and mdat.
    for cut in (first.len() + 1..H264_MEDIA.len()).step_by(7) {
        let m = &H264_MEDIA[..cut];
        assert_eq!(
            strip_audio(m, &init),
            Err(parse_media(m, &init).unwrap_err()),
            "cut {cut}"
        );
    }
}

#[test]
fn header_byte_flips_never_panic() {
    let init = parse_init(H264_INIT).unwrap();
    let frag = split_fragments(H264_MEDIA)[1];
    let moof_len = be32(frag, 0) as usize + 8;
    for value in [0x00, 0x01, 0x7f, 0x80, 0xff] {
        for i in 0..H264_INIT.len() {
            let mut b = H264_INIT.to_vec();
            b[i] = value;
            if let Ok(out) = strip_audio_init(&b) {
                parse_init(&out).unwrap();
            }
        }
        for i in 0..moof_len {
            let mut b = frag.to_vec();
            b[i] = value;
            match strip_audio(&b, &init) {
                Ok(out) => {
                    parse_media(&out, &init).unwrap();
                }
                Err(e) => {
                    if let Err(p) = parse_media(&b, &init) {
                        assert_eq!(e, p, "byte {i} = {value:#x}");
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------- synthetic

fn bx(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(payload.len() + 8);
    v.extend_from_slice(&u32::try_from(payload.len() + 8).unwrap().to_be_bytes());
    v.extend_from_slice(kind);
    v.extend_from_slice(payload);
    v
}

fn full(kind: &[u8; 4], version: u8, flags: u32, payload: &[u8]) -> Vec<u8> {
    let mut p = ((u32::from(version) << 24) | flags).to_be_bytes().to_vec();
    p.extend_from_slice(payload);
    bx(kind, &p)
}

fn u32s(values: &[u32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_be_bytes()).collect()
}

fn trak(track_id: u32, video: bool, timescale: u32) -> Vec<u8> {
    let mut tkhd = u32s(&[0, 0, track_id, 0, 0]);
    tkhd.extend_from_slice(&[0u8; 60]);
    let mut hdlr = u32s(&[0]);
    hdlr.extend_from_slice(if video { b"vide" } else { b"soun" });
    hdlr.extend_from_slice(&[0u8; 13]);
    let mut entry = vec![0u8; 6];
    entry.extend_from_slice(&1u16.to_be_bytes());
    if video {
        entry.extend_from_slice(&[0u8; 16]);
        entry.extend_from_slice(&u32s(&[(640 << 16) | 480]));
        entry.extend_from_slice(&[0u8; 50]);
    } else {
        entry.extend_from_slice(&[0u8; 8]);
        entry.extend_from_slice(&u32s(&[(2 << 16) | 16, 0, 48_000 << 16]));
    }
    let mut stsd = u32s(&[1]);
    stsd.extend_from_slice(&bx(if video { b"avc1" } else { b"mp4a" }, &entry));
    let minf = bx(b"minf", &bx(b"stbl", &full(b"stsd", 0, 0, &stsd)));
    let mdia = bx(
        b"mdia",
        &[
            full(b"mdhd", 0, 0, &u32s(&[0, 0, timescale, 0, 0])),
            full(b"hdlr", 0, 0, &hdlr),
            minf,
        ]
        .concat(),
    );
    bx(b"trak", &[full(b"tkhd", 0, 3, &tkhd), mdia].concat())
}

/// Video track 1 (90 kHz) and audio track 2 (48 kHz); audio first in mvex.
fn synthetic_init() -> Vec<u8> {
    let mut mvhd = u32s(&[0, 0, 1000, 0]);
    mvhd.extend_from_slice(&[0u8; 80]);
    let trex = |id| full(b"trex", 0, 0, &u32s(&[id, 1, 0, 0, 0]));
    let moov = bx(
        b"moov",
        &[
            full(b"mvhd", 0, 0, &mvhd),
            trak(1, true, 90_000),
            trak(2, false, 48_000),
            bx(b"mvex", &[trex(2), trex(1)].concat()),
        ]
        .concat(),
    );
    [bx(b"ftyp", b"iso6\0\0\x02\0iso6cmfc"), moov].concat()
}

/// How a traf finds its data.
#[derive(Clone, Copy)]
enum Base {
    /// `default-base-is-moof`.
    Moof,
    /// `base-data-offset` holding the moof's position.
    Absolute,
    /// Neither flag: the moof for the first traf, else the previous traf's
    /// data end.
    Implicit,
}

#[derive(Clone, Copy)]
struct Traf {
    track_id: u32,
    base: Base,
    samples: usize,
    size: u32,
    duration: u32,
    fill: u8,
}

impl Traf {
    fn video(base: Base) -> Self {
        Traf {
            track_id: 1,
            base,
            samples: 3,
            size: 50,
            duration: 3000,
            fill: 0x11,
        }
    }
    fn audio(base: Base) -> Self {
        Traf {
            track_id: 2,
            base,
            samples: 4,
            size: 9,
            duration: 1024,
            fill: 0x22,
        }
    }
}

struct Frag {
    trafs: Vec<Traf>,
    /// Order of the trafs' data in the mdat (indices into `trafs`).
    order: Vec<usize>,
    /// Boxes between the moof and the mdat.
    between: Vec<u8>,
}

impl Frag {
    fn new(trafs: &[Traf]) -> Self {
        Frag {
            trafs: trafs.to_vec(),
            order: (0..trafs.len()).collect(),
            between: Vec::new(),
        }
    }
}

/// Builds `styp` + the fragments (sequence numbers and decode times
/// counting up), with correct data offsets for each traf's base mode.
fn synthetic_media(frags: &[Frag]) -> Vec<u8> {
    let mut out = bx(b"styp", b"msdh\0\0\0\0msdhmsix");
    for (seq, f) in frags.iter().enumerate() {
        let moof_at = out.len() as u64;
        let build = |offsets: &[i32]| {
            let mut moof = full(b"mfhd", 0, 0, &u32s(&[u32::try_from(seq).unwrap() + 1]));
            for (t, off) in f.trafs.iter().zip(offsets) {
                let tfhd = match t.base {
                    Base::Moof => full(b"tfhd", 0, 0x02_0000, &u32s(&[t.track_id])),
                    Base::Absolute => {
                        let mut p = u32s(&[t.track_id]);
                        p.extend_from_slice(&moof_at.to_be_bytes());
                        full(b"tfhd", 0, 0x00_0001, &p)
                    }
                    Base::Implicit => full(b"tfhd", 0, 0, &u32s(&[t.track_id])),
                };
                let tfdt = u64::try_from(seq).unwrap() * u64::from(t.duration) * t.samples as u64;
                let tfdt = full(b"tfdt", 1, 0, &tfdt.to_be_bytes());
                let mut run = u32s(&[u32::try_from(t.samples).unwrap()]);
                run.extend_from_slice(&off.to_be_bytes());
                for i in 0..t.samples {
                    let flags = if i == 0 { 0x0200_0000 } else { 0x0101_0000 };
                    run.extend_from_slice(&u32s(&[t.duration, t.size, flags]));
                }
                let trun = full(b"trun", 0, 0x0701, &run);
                moof.extend_from_slice(&bx(b"traf", &[tfhd, tfdt, trun].concat()));
            }
            bx(b"moof", &moof)
        };
        let moof_len = build(&vec![0; f.trafs.len()]).len() as u64;
        let payload_at = moof_at + moof_len + f.between.len() as u64 + 8;
        // Absolute start of each traf's data.
        let mut starts = vec![0u64; f.trafs.len()];
        let mut payload = Vec::new();
        for &k in &f.order {
            let t = f.trafs[k];
            starts[k] = payload_at + payload.len() as u64;
            for i in 0..t.samples {
                payload.extend(std::iter::repeat_n(
                    t.fill.wrapping_add(i as u8),
                    t.size as usize,
                ));
            }
        }
        let mut offsets = Vec::new();
        let mut implicit = moof_at;
        for (k, t) in f.trafs.iter().enumerate() {
            let base = match t.base {
                Base::Moof | Base::Absolute => moof_at,
                Base::Implicit => implicit,
            };
            offsets.push(i32::try_from(starts[k] as i64 - base as i64).unwrap());
            implicit = starts[k] + u64::from(t.size) * t.samples as u64;
        }
        out.extend_from_slice(&build(&offsets));
        out.extend_from_slice(&f.between);
        out.extend_from_slice(&bx(b"mdat", &payload));
    }
    out
}

/// Strips `media`, checks it parses with only video left, the video samples
/// and bytes are unchanged, and every byte of audio is gone.
fn check_synthetic(media: &[u8]) -> Vec<u8> {
    let init = parse_init(&synthetic_init()).unwrap();
    let before = parse_media(media, &init).unwrap();
    let stripped = strip_audio(media, &init).unwrap();
    let video_init = parse_init(&strip_audio_init(&synthetic_init()).unwrap()).unwrap();
    let after = parse_media(&stripped, &video_init).unwrap();
    assert!(after.track(2).is_none());
    assert_eq!(after.styp_brand, before.styp_brand);
    let (m0, d0) = video_samples(media, &before, 1);
    let (m1, d1) = video_samples(&stripped, &after, 1);
    // Fragment indices shift when audio-only fragments go; the rest may not.
    let drop_index = |m: Vec<(usize, u64, u32, u32, bool, i64)>| {
        m.into_iter()
            .map(|x| (x.1, x.2, x.3, x.4, x.5))
            .collect::<Vec<_>>()
    };
    assert_eq!(drop_index(m1), drop_index(m0));
    assert_eq!(d1, d0);
    // Audio fill bytes (0x22..) appear nowhere in the mdat payloads.
    for f in &after.fragments {
        let at = f.mdat_payload_offset as usize;
        let payload = &stripped[at..at + f.mdat_payload_size as usize];
        assert!(payload.iter().all(|b| (0x11..0x20).contains(b)));
    }
    stripped
}

#[test]
fn every_base_mode_and_data_order() {
    for base in [Base::Moof, Base::Absolute, Base::Implicit] {
        for audio_first_in_moof in [false, true] {
            for audio_first_in_mdat in [false, true] {
                let (v, a) = (Traf::video(base), Traf::audio(base));
                let mut f = if audio_first_in_moof {
                    Frag::new(&[a, v])
                } else {
                    Frag::new(&[v, a])
                };
                // Implicit bases need data in traf order.
                if audio_first_in_mdat != audio_first_in_moof && !matches!(base, Base::Implicit) {
                    f.order.reverse();
                }
                let mut g = Frag::new(&[v, a]);
                g.between = bx(b"free", b"between");
                let media = synthetic_media(&[f, g]);
                let stripped = check_synthetic(&media);
                // Both moofs lose an audio traf; with an absolute base every
                // trun already had a data offset, so only boxes and bytes go.
                let audio = 2 * 4 * 9;
                assert_eq!(stripped.len(), media.len() - audio - traf_bytes(&media, 2));
            }
        }
    }
}

#[test]
fn audio_only_fragments_are_dropped_and_sidx_goes() {
    let init = parse_init(&synthetic_init()).unwrap();
    let a = Traf::audio(Base::Moof);
    let v = Traf::video(Base::Moof);
    let media = synthetic_media(&[Frag::new(&[a]), Frag::new(&[v, a]), Frag::new(&[a])]);
    let stripped = check_synthetic(&media);
    assert_eq!(parse_media(&stripped, &init).unwrap().fragments.len(), 1);

    // A sidx after the styp describes the old sizes, so it is dropped.
    let styp_len = be32(&media, 0) as usize;
    let sidx = full(b"sidx", 0, 0, &[0u8; 24]);
    let with_sidx = [&media[..styp_len], &sidx, &media[styp_len..]].concat();
    assert_eq!(strip_audio(&with_sidx, &init).unwrap(), stripped);

    // Nothing but audio: nothing would be left.
    let only_audio = synthetic_media(&[Frag::new(&[a])]);
    assert!(matches!(
        strip_audio(&only_audio, &init),
        Err(Fmp4Error::Invalid { .. })
    ));
}

#[test]
fn overlapping_audio_and_video_data_is_refused() {
    let init = parse_init(&synthetic_init()).unwrap();
    let v = Traf::video(Base::Moof);
    let a = Traf::audio(Base::Moof);
    let mut media = synthetic_media(&[Frag::new(&[v, a])]);
    // Point the audio trun's data_offset at the video data.
    let moof = boxes(&media, 0, media.len())[1];
    let audio_traf = boxes(&media, moof.1 + 8, moof.2)[2];
    let trun = child(&media, audio_traf, b"trun");
    let video_offset = be32(
        &media,
        child(&media, boxes(&media, moof.1 + 8, moof.2)[1], b"trun").1 + 16,
    );
    media[trun.1 + 16..trun.1 + 20].copy_from_slice(&video_offset.to_be_bytes());
    parse_media(&media, &init).unwrap();
    assert_eq!(
        strip_audio(&media, &init),
        Err(Fmp4Error::Invalid {
            field: "mdat",
            reason: "audio and video sample data overlap"
        })
    );
}

#[test]
fn audio_only_init_is_refused() {
    let mut mvhd = u32s(&[0, 0, 1000, 0]);
    mvhd.extend_from_slice(&[0u8; 80]);
    let moov = bx(
        b"moov",
        &[
            full(b"mvhd", 0, 0, &mvhd),
            trak(2, false, 48_000),
            bx(b"mvex", &full(b"trex", 0, 0, &u32s(&[2, 1, 0, 0, 0]))),
        ]
        .concat(),
    );
    let init = [bx(b"ftyp", b"iso6\0\0\x02\0iso6cmfc"), moov].concat();
    parse_init(&init).unwrap();
    assert!(matches!(
        strip_audio_init(&init),
        Err(Fmp4Error::Invalid { .. })
    ));
    let stripped = strip_audio_init(&synthetic_init()).unwrap();
    let parsed = parse_init(&stripped).unwrap();
    assert_eq!(parsed.tracks.len(), 1);
    assert_eq!(parsed.tracks[0].track_id, 1);
}
