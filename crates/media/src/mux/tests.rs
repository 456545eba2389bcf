//! The muxer's output parsed back with the crate's own parser, and real
//! encoded frames (from the committed ffmpeg clips) muxed again and decoded
//! by ffprobe.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::process::Command;

use super::*;
use crate::fmp4::{Codec, TrackKind};
use crate::test_util::{assert_ffprobe_clean, ffprobe, TempDir};

/// SPS and PPS of a 640x360 x264 Constrained Baseline stream (the RTSP
/// test camera's).
const SPS: &[u8] = &[
    0x67, 0x42, 0xc0, 0x16, 0xda, 0x02, 0x80, 0xbf, 0xe5, 0xc0, 0x5a, 0x83, 0x03, 0x03, 0x52, 0x80,
    0x00, 0x00, 0x03, 0x00, 0x80, 0x00, 0x00, 0x0a, 0x47, 0x8b, 0x17, 0x50,
];
const PPS: &[u8] = &[0x68, 0xce, 0x3c, 0x80];

const H264_INIT: &[u8] = include_bytes!("../../testdata/h264_aac_init.mp4");
const H264_MEDIA: &[u8] = include_bytes!("../../testdata/h264_aac_media.m4s");
const H264_HIGH_INIT: &[u8] = include_bytes!("../../testdata/h264_high_init.mp4");
const H265_INIT: &[u8] = include_bytes!("../../testdata/h265_init.mp4");
const H265_MEDIA: &[u8] = include_bytes!("../../testdata/h265_media.m4s");

/// A length-prefixed "NAL unit" of `n` bytes, distinct per `seed`.
fn nal(seed: u8, n: usize) -> Vec<u8> {
    let mut v = u32::try_from(n).unwrap().to_be_bytes().to_vec();
    v.extend((0..n).map(|i| seed.wrapping_add(i as u8)));
    v
}

#[test]
fn h264_init_parses_back() {
    let m = Muxer::new_h264(SPS, PPS, 640, 360, 90_000).unwrap();
    let init = parse_init(m.init()).unwrap();
    assert_eq!(&init.major_brand.0, b"iso5");
    let brands: Vec<[u8; 4]> = init.compatible_brands.iter().map(|b| b.0).collect();
    assert_eq!(brands, [*b"iso5", *b"iso6", *b"cmfc"]);
    assert_eq!(init.tracks.len(), 1);
    let t = &init.tracks[0];
    assert_eq!(
        (t.track_id, t.kind, t.codec),
        (1, TrackKind::Video, Codec::H264)
    );
    assert_eq!(&t.sample_entry.0, b"avc1");
    assert_eq!(
        (t.width, t.height, t.timescale),
        (Some(640), Some(360), 90_000)
    );
    assert_eq!(t.codec_string.as_deref(), Some("avc1.42c016"));
    assert_eq!(m.codec_string(), Some("avc1.42c016"));
    assert_eq!(m.timescale(), 90_000);
    assert_eq!(m.init_segment(), &init);
}

#[test]
fn high_profile_avcc_carries_chroma_and_bit_depth() {
    // profile 100, level 3.1; sps_id 0 ("1"), chroma_format_idc 1 ("010"),
    // both bit depths 8 ("1", "1"), then a stop bit: 1010_1110.
    let sps = [0x67, 100, 0, 31, 0xae];
    let config = avcc(&sps, PPS).unwrap();
    assert_eq!(config[..4], [1, 100, 0, 31]);
    assert_eq!(config[config.len() - 4..], [0xfd, 0xf8, 0xf8, 0]);
    // Baseline has no extension; an unreadable High SPS is written without.
    assert_eq!(avcc(SPS, PPS).unwrap().len(), 11 + SPS.len() + PPS.len());
    assert_eq!(avcc(&sps[..4], PPS).unwrap().len(), 11 + 4 + PPS.len());
}

#[test]
fn bad_parameters_are_refused() {
    let bad = |r: Result<Muxer, MuxError>| matches!(r, Err(MuxError::InvalidParameters(_)));
    assert!(bad(Muxer::new_h264(&SPS[..3], PPS, 640, 360, 90_000)));
    assert!(bad(Muxer::new_h264(PPS, PPS, 640, 360, 90_000)));
    assert!(bad(Muxer::new_h264(SPS, SPS, 640, 360, 90_000)));
    assert!(bad(Muxer::new_h264(SPS, &[], 640, 360, 90_000)));
    assert!(bad(Muxer::new_h264(SPS, PPS, 0, 360, 90_000)));
    assert!(bad(Muxer::new_h264(SPS, PPS, 70_000, 360, 90_000)));
    assert!(bad(Muxer::new_h264(SPS, PPS, 640, 360, 0)));
    assert!(bad(Muxer::new_h265(&[1, 2, 3], 640, 360, 90_000)));
    let long = vec![0x67; 70_000];
    assert!(bad(Muxer::new_h264(&long, PPS, 640, 360, 90_000)));
}

#[test]
fn fragments_parse_back_with_keyframe_flags_and_times() {
    let m = Muxer::new_h264(SPS, PPS, 640, 360, 90_000).unwrap();
    let init = parse_init(m.init()).unwrap();
    let data = [
        nal(1, 300),
        [nal(2, 40), nal(3, 5)].concat(),
        nal(4, 60),
        nal(5, 70),
    ];
    let samples: Vec<Sample<'_>> = data
        .iter()
        .enumerate()
        .map(|(i, d)| Sample {
            data: d,
            duration: 9000 + i as u32,
            keyframe: i == 0 || i == 3,
            composition_offset: 0,
        })
        .collect();
    let base = (1u64 << 33) + 7; // needs the 64-bit tfdt
    let bytes = m.fragment(&samples, base, 42).unwrap();
    let seg = parse_media(&bytes, &init).unwrap();
    assert_eq!(seg.fragments.len(), 1);
    assert_eq!(seg.fragments[0].sequence_number, 42);
    let traf = &seg.fragments[0].tracks[0];
    assert_eq!(traf.base_media_decode_time, base);
    assert_eq!(traf.samples.len(), 4);
    let mut t = base;
    for (i, (s, d)) in traf.samples.iter().zip(&data).enumerate() {
        assert_eq!(s.decode_time, t);
        assert_eq!(s.duration, 9000 + i as u32);
        assert_eq!(s.size as usize, d.len());
        assert_eq!(s.is_sync, i == 0 || i == 3, "sample {i}");
        assert_eq!(s.composition_offset, 0);
        let at = s.offset as usize;
        assert_eq!(&bytes[at..at + d.len()], &d[..]);
        t += u64::from(s.duration);
    }
    let summary = seg.track(1).unwrap();
    assert_eq!(summary.keyframes.len(), 2);
    assert_eq!(summary.duration, 4 * 9000 + 6);
}

#[test]
fn composition_offsets_use_a_signed_version_1_trun() {
    let m = Muxer::new_h264(SPS, PPS, 640, 360, 90_000).unwrap();
    let data = [nal(1, 10), nal(2, 10), nal(3, 10)];
    let offsets = [3000, 9000, -3000];
    let samples: Vec<Sample<'_>> = data
        .iter()
        .zip(offsets)
        .map(|(d, off)| Sample {
            data: d,
            duration: 3000,
            keyframe: off == 3000,
            composition_offset: off,
        })
        .collect();
    let bytes = m.fragment(&samples, 0, 1).unwrap();
    let seg = parse_media(&bytes, m.init_segment()).unwrap();
    let got: Vec<i64> = seg.fragments[0].tracks[0]
        .samples
        .iter()
        .map(|s| s.composition_offset)
        .collect();
    assert_eq!(got, [3000, 9000, -3000]);
}

#[test]
fn bad_samples_are_refused() {
    let m = Muxer::new_h264(SPS, PPS, 640, 360, 90_000).unwrap();
    assert_eq!(m.fragment(&[], 0, 1), Err(MuxError::NoSamples));
    let good = nal(1, 10);
    let sample = |data| Sample {
        data,
        duration: 1,
        keyframe: true,
        composition_offset: 0,
    };
    for data in [
        &[][..],
        &[0, 0, 0, 9, 1, 2][..],    // length past the end
        &[0, 0, 0, 0][..],          // empty NAL unit
        &[0, 0, 0, 1, 0x65, 0][..], // trailing byte
    ] {
        let err = m
            .fragment(&[sample(&good), sample(data)], 0, 1)
            .unwrap_err();
        assert!(
            matches!(err, MuxError::BadSample { index: 1, .. }),
            "{data:?}: {err:?}"
        );
    }
}

/// The `avcC` or `hvcC` payload in an init segment.
fn config_box(init: &[u8], kind: &[u8; 4]) -> Vec<u8> {
    let at = init.windows(4).position(|w| w == kind).unwrap();
    let size = u32::from_be_bytes(init[at - 4..at].try_into().unwrap()) as usize;
    init[at + 4..at - 4 + size].to_vec()
}

/// Track 1's samples of a real clip: (data, duration, sync).
fn real_samples(init: &[u8], media: &[u8]) -> Vec<(Vec<u8>, u32, bool)> {
    let init = parse_init(init).unwrap();
    let seg = parse_media(media, &init).unwrap();
    seg.fragments
        .iter()
        .flat_map(|f| f.tracks.iter().filter(|t| t.track_id == 1))
        .flat_map(|t| t.samples.iter())
        .map(|s| {
            let at = s.offset as usize;
            (
                media[at..at + s.size as usize].to_vec(),
                s.duration,
                s.is_sync,
            )
        })
        .collect()
}

/// Muxes real frames into `group`-sample fragments, then checks the result
/// with the parser and ffprobe (clean, every frame decoded, codec as given).
fn remux_and_probe(m: &Muxer, frames: &[(Vec<u8>, u32, bool)], group: usize, codec: &str) {
    let mut file = m.init().to_vec();
    let mut decode_time = 0u64;
    for (i, chunk) in frames.chunks(group).enumerate() {
        assert!(chunk[0].2, "fragment {i} must open on a keyframe");
        let samples: Vec<Sample<'_>> = chunk
            .iter()
            .map(|(data, duration, keyframe)| Sample {
                data,
                duration: *duration,
                keyframe: *keyframe,
                composition_offset: 0,
            })
            .collect();
        let frag = m.fragment(&samples, decode_time, i as u32 + 1).unwrap();
        let seg = parse_media(&frag, m.init_segment()).unwrap();
        assert_eq!(seg.track(1).unwrap().start, decode_time);
        decode_time += seg.track(1).unwrap().duration;
        file.extend_from_slice(&frag);
    }
    let Some(ffprobe) = ffprobe("mux") else {
        return;
    };
    let dir = TempDir::new("mux");
    let path = dir.path().join("remuxed.mp4");
    std::fs::write(&path, &file).unwrap();
    assert_ffprobe_clean(ffprobe, &path);
    let out = Command::new(ffprobe)
        .args(["-v", "error", "-count_frames", "-of", "csv=p=0"])
        .args([
            "-show_entries",
            "stream=codec_name,width,height,nb_read_frames",
        ])
        .arg(&path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text.trim(),
        format!("{codec},320,240,{}", frames.len()),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The SPS and PPS of an `avcC` holding one of each.
fn sps_pps(avcc: &[u8]) -> (&[u8], &[u8]) {
    let sps_len = u16::from_be_bytes([avcc[6], avcc[7]]) as usize;
    let sps = &avcc[8..8 + sps_len];
    let pps_at = 8 + sps_len + 1;
    let pps_len = u16::from_be_bytes([avcc[pps_at], avcc[pps_at + 1]]) as usize;
    (sps, &avcc[pps_at + 2..pps_at + 2 + pps_len])
}

#[test]
fn avcc_matches_ffmpeg_byte_for_byte() {
    for init in [H264_INIT, H264_HIGH_INIT] {
        let theirs = config_box(init, b"avcC");
        let (sps, pps) = sps_pps(&theirs);
        assert_eq!(avcc(sps, pps).unwrap(), theirs);
    }
    // The High one carries the extension: 4:2:0, 8-bit, no SPS extensions.
    assert!(config_box(H264_HIGH_INIT, b"avcC").ends_with(&[0xfd, 0xf8, 0xf8, 0]));
}

#[test]
fn real_h264_frames_remux_and_decode() {
    let avcc = config_box(H264_INIT, b"avcC");
    let (sps, pps) = sps_pps(&avcc);
    let m = Muxer::new_h264(sps, pps, 320, 240, 10_240).unwrap();
    assert_eq!(m.codec_string(), Some("avc1.42c00b"));
    let frames = real_samples(H264_INIT, H264_MEDIA);
    assert_eq!(frames.len(), 20);
    remux_and_probe(&m, &frames, 10, "h264");
}

#[test]
fn real_h265_frames_remux_and_decode() {
    let hvcc = config_box(H265_INIT, b"hvcC");
    let m = Muxer::new_h265(&hvcc, 320, 240, 10_240).unwrap();
    assert_eq!(m.codec_string(), Some("hvc1.1.6.L60.90"));
    assert_eq!(&m.init_segment().tracks[0].sample_entry.0, b"hvc1");
    let frames = real_samples(H265_INIT, H265_MEDIA);
    assert_eq!(frames.len(), 10);
    remux_and_probe(&m, &frames, 10, "hevc");
}
