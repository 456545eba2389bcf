//! Shifting decode times on real ffmpeg clips (`testdata/`) and on crafted
//! segments with version-0 `tfdt`s in every base-offset mode.

// Tests may unwrap: a panic here is a failed test with its message.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::fmp4::{parse_init, MediaSegment};
use crate::test_util::{crafted_segment, BaseMode, CRAFT_INIT};
use proptest::prelude::*;

const H264_INIT: &[u8] = include_bytes!("../../../testdata/h264_aac_init.mp4");
const H264_MEDIA: &[u8] = include_bytes!("../../../testdata/h264_aac_media.m4s");
const H265_INIT: &[u8] = include_bytes!("../../../testdata/h265_init.mp4");
const H265_MEDIA: &[u8] = include_bytes!("../../../testdata/h265_media.m4s");
const ABS_BASE: &[u8] = include_bytes!("../../../testdata/h264_aac_abs_base.mp4");
const IMPLICIT_BASE: &[u8] = include_bytes!("../../../testdata/h264_aac_implicit_base.mp4");
const DASH_SIDX: &[u8] = include_bytes!("../../../testdata/h264_aac_dash_sidx.mp4");

/// Every sample as (track, decode time, its bytes read at the parser's
/// offset).
fn samples(bytes: &[u8], init: &InitSegment) -> Vec<(u32, u64, Vec<u8>)> {
    let seg = parse_media(bytes, init).unwrap();
    seg.fragments
        .iter()
        .flat_map(|f| &f.tracks)
        .flat_map(|t| {
            t.samples.iter().map(|s| {
                let at = s.offset as usize;
                let data = bytes[at..at + s.size as usize].to_vec();
                (t.track_id, s.decode_time, data)
            })
        })
        .collect()
}

/// `tfdt` versions in order of appearance (a linear scan is enough for
/// these small inputs).
fn tfdt_versions(bytes: &[u8]) -> Vec<u8> {
    bytes
        .windows(5)
        .filter(|w| &w[..4] == b"tfdt")
        .map(|w| w[4])
        .collect()
}

fn ticks(seconds: f64, track_id: u32, init: &InitSegment) -> i128 {
    (seconds * f64::from(init.track(track_id).unwrap().timescale)).round() as i128
}

/// Asserts `after` has the same samples as `before`, `delta` later.
fn assert_shifted(before: &[u8], after: &[u8], init: &InitSegment, delta: f64) {
    let (b, a) = (samples(before, init), samples(after, init));
    assert_eq!(b.len(), a.len());
    for ((bt, bd, bb), (at, ad, ab)) in b.iter().zip(&a) {
        assert_eq!(bt, at);
        assert_eq!(bb, ab, "sample bytes of track {bt} at {bd} moved");
        assert_eq!(i128::from(*ad), i128::from(*bd) + ticks(delta, *bt, init));
    }
}

fn parse(bytes: &[u8], init: &InitSegment) -> MediaSegment {
    parse_media(bytes, init).unwrap()
}

#[test]
fn shifts_a_real_segment_forward_and_back() {
    let init = parse_init(H264_INIT).unwrap();
    let later = shift_decode_times(H264_MEDIA, &init, 3600.5).unwrap();
    assert_shifted(H264_MEDIA, &later, &init, 3600.5);
    assert_eq!(
        later.len(),
        H264_MEDIA.len(),
        "ffmpeg tfdts are already 64-bit"
    );
    let start = parse(&later, &init).start_seconds();
    assert!((start - 3600.5).abs() < 1e-4, "start {start}");

    let back = shift_decode_times(&later, &init, -3600.5).unwrap();
    assert_eq!(back, H264_MEDIA);
}

#[test]
fn zero_shift_is_the_identity_on_segments_without_index_boxes() {
    let init = parse_init(H264_INIT).unwrap();
    assert_eq!(
        shift_decode_times(H264_MEDIA, &init, 0.0).unwrap(),
        H264_MEDIA
    );
    let init = parse_init(H265_INIT).unwrap();
    assert_eq!(
        shift_decode_times(H265_MEDIA, &init, 0.0).unwrap(),
        H265_MEDIA
    );
}

#[test]
fn round_trips_every_real_clip() {
    let whole = |file: &'static [u8]| {
        let (init_bytes, _) = crate::fmp4::split_file(file, 1.0).unwrap();
        (parse_init(&init_bytes).unwrap(), file)
    };
    let clips = [
        (parse_init(H264_INIT).unwrap(), H264_MEDIA),
        (parse_init(H265_INIT).unwrap(), H265_MEDIA),
        // Whole files parse as segments: ftyp and moov are skipped, and
        // their base_data_offsets count from the file start.
        whole(ABS_BASE),
        whole(IMPLICIT_BASE),
        whole(DASH_SIDX),
    ];
    for (init, clip) in &clips {
        for delta in [0.25, 7.0, 86_400.0 * 365.0] {
            let there = shift_decode_times(clip, init, delta).unwrap();
            assert_shifted(clip, &there, init, delta);
            let back = shift_decode_times(&there, init, -delta).unwrap();
            assert_eq!(back, shift_decode_times(clip, init, 0.0).unwrap());
        }
    }
}

#[test]
fn drops_index_boxes_and_keeps_explicit_base_offsets_right() {
    for (file, has_sidx) in [(ABS_BASE, false), (DASH_SIDX, true)] {
        let (init_bytes, _) = crate::fmp4::split_file(file, 1.0).unwrap();
        let init = parse_init(&init_bytes).unwrap();
        assert_eq!(file.windows(4).any(|w| w == b"sidx"), has_sidx);
        let out = shift_decode_times(file, &init, 5.0).unwrap();
        assert!(!out.windows(4).any(|w| w == b"sidx" || w == b"mfra"));
        assert!(out.len() < file.len());
        assert_shifted(file, &out, &init, 5.0);
    }
}

#[test]
fn upgrades_version_0_tfdt_and_fixes_offsets_in_every_base_mode() {
    let init = parse_init(CRAFT_INIT).unwrap();
    for mode in [BaseMode::Moof, BaseMode::Explicit, BaseMode::Implicit] {
        for sidx in [false, true] {
            let seg = crafted_segment(mode, 1000, 2000, 3, sidx);
            assert_eq!(tfdt_versions(&seg), vec![0; 6]);
            // 500,000 s is past u32 ticks at both timescales.
            let out = shift_decode_times(&seg, &init, 500_000.0).unwrap();
            assert_eq!(tfdt_versions(&out), vec![1; 6], "{mode:?}");
            let sidx_len = if sidx { 32 } else { 0 };
            assert_eq!(out.len(), seg.len() + 6 * 4 - sidx_len, "{mode:?}");
            assert_shifted(&seg, &out, &init, 500_000.0);
            // The upgrade stays when shifting back down.
            let back = shift_decode_times(&out, &init, -500_000.0).unwrap();
            assert_eq!(tfdt_versions(&back), vec![1; 6]);
            assert_shifted(&seg, &back, &init, 0.0);
        }
    }
}

#[test]
fn upgrades_only_the_fragments_that_overflow() {
    let init = parse_init(CRAFT_INIT).unwrap();
    for mode in [BaseMode::Moof, BaseMode::Explicit, BaseMode::Implicit] {
        // Video fragments start at MAX-7000, MAX-3928 and MAX-856: +0.1 s
        // (1,024 video ticks) pushes only the last past 32 bits.
        let seg = crafted_segment(mode, u32::MAX - 7000, 0, 3, true);
        let before = parse(&seg, &init);
        let video_starts: Vec<u64> = before
            .fragments
            .iter()
            .map(|f| f.tracks[0].base_media_decode_time)
            .collect();
        assert!(video_starts.iter().all(|&t| t <= u64::from(u32::MAX)));
        let out = shift_decode_times(&seg, &init, 0.1).unwrap();
        let expected: Vec<u8> = video_starts
            .iter()
            .flat_map(|&t| [u8::from(t + 1024 > u64::from(u32::MAX)), 0])
            .collect();
        assert_eq!(tfdt_versions(&out), expected, "{mode:?}");
        assert!(expected.contains(&1) && expected.contains(&0));
        assert_shifted(&seg, &out, &init, 0.1);
    }
}

#[test]
fn refuses_negative_times() {
    let init = parse_init(H264_INIT).unwrap();
    let start = parse(H264_MEDIA, &init).start_seconds();
    let err = shift_decode_times(H264_MEDIA, &init, -(start + 1.0)).unwrap_err();
    assert!(
        matches!(err, Fmp4Error::NegativeDecodeTime { shift, .. } if shift < 0),
        "{err}"
    );
    assert!(err.to_string().contains("negative"));
    // Exactly to zero is fine.
    let zero = shift_decode_times(H264_MEDIA, &init, -start).unwrap();
    assert_eq!(parse(&zero, &init).start_seconds(), 0.0);

    let init = parse_init(CRAFT_INIT).unwrap();
    let seg = crafted_segment(BaseMode::Implicit, 10, 0, 1, false);
    let err = shift_decode_times(&seg, &init, -0.5).unwrap_err();
    assert!(matches!(
        err,
        Fmp4Error::NegativeDecodeTime {
            track_id: 1,
            decode_time: 10,
            shift: -5120
        }
    ));
}

#[test]
fn refuses_unusable_deltas() {
    let init = parse_init(H264_INIT).unwrap();
    for delta in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1e300, -1e300] {
        assert!(
            matches!(
                shift_decode_times(H264_MEDIA, &init, delta),
                Err(Fmp4Error::Invalid {
                    field: "delta_seconds",
                    ..
                })
            ),
            "{delta}"
        );
    }
    // Finite but past 64-bit ticks once added.
    assert!(shift_decode_times(H264_MEDIA, &init, 1e15).is_err());
    for start in [f64::NAN, -1.0, f64::INFINITY] {
        assert!(set_start(H264_MEDIA, &init, start).is_err(), "{start}");
    }
}

#[test]
fn set_start_moves_the_earliest_track() {
    let init = parse_init(H264_INIT).unwrap();
    let before = parse(H264_MEDIA, &init);
    for start in [0.0, 2.0, 1_000_000.0] {
        let out = set_start(H264_MEDIA, &init, start).unwrap();
        let after = parse(&out, &init);
        assert!((after.start_seconds() - start).abs() < 1e-4, "{start}");
        // Tracks keep their offsets from one another (to within a tick).
        for (b, a) in before.tracks.iter().zip(&after.tracks) {
            let moved = a.start_seconds - b.start_seconds;
            assert!((moved - (start - before.start_seconds())).abs() < 1e-4);
        }
        assert_shifted(H264_MEDIA, &out, &init, start - before.start_seconds());
    }
}

#[test]
fn looping_segments_makes_a_continuous_timeline() {
    let init = parse_init(H264_INIT).unwrap();
    let length = parse(H264_MEDIA, &init).duration_seconds();
    let mut next = 0.0;
    for lap in 0..3 {
        let out = set_start(H264_MEDIA, &init, next).unwrap();
        let seg = parse(&out, &init);
        assert!((seg.start_seconds() - f64::from(lap) * length).abs() < 1e-3);
        next = seg.start_seconds() + seg.duration_seconds();
    }
}

#[test]
fn malformed_input_is_an_error() {
    let init = parse_init(H264_INIT).unwrap();
    assert!(shift_decode_times(&[], &init, 1.0).is_err());
    assert!(shift_decode_times(&H264_MEDIA[..100], &init, 1.0).is_err());
    assert!(set_start(b"\0\0\0\x08free", &init, 1.0).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Random corruptions never panic, and whatever comes back parses.
    #[test]
    fn corrupted_segments_never_panic(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        which in 0usize..4,
        delta in prop_oneof![Just(0.0), Just(-1.0), Just(3.5), Just(600_000.0), -1e6f64..1e6],
    ) {
        let modes = [BaseMode::Moof, BaseMode::Explicit, BaseMode::Implicit];
        let (init_bytes, mut seg) = match which {
            0 => (H264_INIT, H264_MEDIA.to_vec()),
            n => (CRAFT_INIT, crafted_segment(modes[n - 1], 5, 7, 2, n == 2)),
        };
        for (at, value) in &edits {
            let i = at.index(seg.len());
            seg[i] = *value;
        }
        let init = parse_init(init_bytes).unwrap();
        if let Ok(out) = shift_decode_times(&seg, &init, delta) {
            prop_assert!(parse_media(&out, &init).is_ok());
        }
        let _ = set_start(&seg, &init, delta.abs());
    }
}
