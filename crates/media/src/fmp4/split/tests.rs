//! Splitting whole ffmpeg files (`testdata/`: absolute, implicit and
//! moof-relative bases, with and without `sidx`) and crafted ones.

// Tests may unwrap: a panic here is a failed test with its message.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::test_util::{bx, crafted_segment, BaseMode, CRAFT_INIT};
use proptest::prelude::*;

// 3 s clips, 320x240 10 fps with a keyframe every 10 frames (one fragment
// per second), AAC 44.1 kHz; see testdata/README.md.
const ABS_BASE: &[u8] = include_bytes!("../../../testdata/h264_aac_abs_base.mp4");
const IMPLICIT_BASE: &[u8] = include_bytes!("../../../testdata/h264_aac_implicit_base.mp4");
const DASH_SIDX: &[u8] = include_bytes!("../../../testdata/h264_aac_dash_sidx.mp4");
const FILES: [&[u8]; 3] = [ABS_BASE, IMPLICIT_BASE, DASH_SIDX];

/// Every sample's (track, decode time, bytes), read through the parser's
/// offsets; whole files parse as media segments since their
/// `base_data_offset`s count from the file start.
fn samples(bytes: &[u8], init: &InitSegment) -> Vec<(u32, u64, Vec<u8>)> {
    let seg = parse_media(bytes, init).unwrap();
    seg.fragments
        .iter()
        .flat_map(|f| &f.tracks)
        .flat_map(|t| {
            t.samples.iter().map(|s| {
                let at = s.offset as usize;
                (
                    t.track_id,
                    s.decode_time,
                    bytes[at..at + s.size as usize].to_vec(),
                )
            })
        })
        .collect()
}

fn fragment_counts(segments: &[Vec<u8>], init: &InitSegment) -> Vec<usize> {
    segments
        .iter()
        .map(|s| parse_media(s, init).unwrap().fragments.len())
        .collect()
}

#[test]
fn splits_real_files_at_the_target() {
    for file in FILES {
        let (init_bytes, segments) = split_file(file, 2.0).unwrap();
        let init = parse_init(&init_bytes).unwrap();
        assert_eq!(&init_bytes[4..8], b"ftyp");
        assert_eq!(init.tracks.len(), 2);
        // Three 1 s fragments: the first two reach 2 s, the third is left.
        assert_eq!(fragment_counts(&segments, &init), vec![2, 1]);
        for seg in &segments {
            let parsed = parse_media(seg, &init).unwrap();
            let video = parsed.track(1).unwrap();
            assert_eq!(video.keyframes[0].sample_index, 0, "opens on a keyframe");
            assert!(!seg.windows(4).any(|w| w == b"sidx" || w == b"mfra"));
        }
        let first = parse_media(&segments[0], &init).unwrap();
        assert!((first.duration_seconds() - 2.0).abs() < 0.1);

        // Every sample survives, in order, with the same bytes and times.
        let cut: Vec<_> = segments.iter().flat_map(|s| samples(s, &init)).collect();
        assert_eq!(cut, samples(file, &init));
    }
}

#[test]
fn the_target_decides_how_many_fragments_go_together() {
    for file in FILES {
        let (init_bytes, _) = split_file(file, 0.0).unwrap();
        let init = parse_init(&init_bytes).unwrap();
        let counts = |t: f64| fragment_counts(&split_file(file, t).unwrap().1, &init);
        assert_eq!(counts(0.0), vec![1, 1, 1]);
        assert_eq!(counts(1.0), vec![1, 1, 1]);
        assert_eq!(counts(1.5), vec![2, 1]);
        assert_eq!(counts(100.0), vec![3]);
    }
}

#[test]
fn explicit_bases_are_rewritten_for_the_new_place() {
    // Crafted fragments behind a sidx, so every base_data_offset moves.
    let mut file = CRAFT_INIT.to_vec();
    let media = crafted_segment(BaseMode::Explicit, 0, 0, 4, true);
    // The crafted bases count from the segment start; make them count from
    // the file start, as a whole file's do.
    let init = parse_init(CRAFT_INIT).unwrap();
    let before = samples(&media, &init);
    let mut shifted = media.clone();
    rebase(&mut shifted, 0, CRAFT_INIT.len() as u64).unwrap();
    file.extend_from_slice(&shifted);
    assert_eq!(samples(&file, &init), before);

    // 3 video samples of 1024 ticks at 10240 Hz: 0.3 s per fragment.
    let (init_bytes, segments) = split_file(&file, 0.5).unwrap();
    assert_eq!(init_bytes, CRAFT_INIT);
    assert_eq!(fragment_counts(&segments, &init), vec![2, 2]);
    let cut: Vec<_> = segments.iter().flat_map(|s| samples(s, &init)).collect();
    assert_eq!(cut, before);
}

#[test]
fn implicit_and_moof_relative_crafted_files_split_too() {
    let init = parse_init(CRAFT_INIT).unwrap();
    for mode in [BaseMode::Moof, BaseMode::Implicit] {
        let media = crafted_segment(mode, 0, 0, 5, false);
        let file = [CRAFT_INIT, &bx(b"styp", b"msdhmsdh"), &media].concat();
        let (_, segments) = split_file(&file, 0.6).unwrap();
        assert_eq!(fragment_counts(&segments, &init), vec![2, 2, 1], "{mode:?}");
        let cut: Vec<_> = segments.iter().flat_map(|s| samples(s, &init)).collect();
        assert_eq!(cut, samples(&media, &init));
    }
}

#[test]
fn fragments_that_do_not_open_on_a_keyframe_stay_with_the_previous_one() {
    let init = parse_init(CRAFT_INIT).unwrap();
    let media = crafted_segment(BaseMode::Moof, 0, 0, 4, false);
    let mut file = [CRAFT_INIT, &media].concat();
    let flags_of_first_video = first_video_flags(&file);
    // Fragments 0 and 2 no longer open on a keyframe.
    for &at in [flags_of_first_video[0], flags_of_first_video[2]].iter() {
        file[at..at + 4].copy_from_slice(&0x0101_0000u32.to_be_bytes());
    }
    let (_, segments) = split_file(&file, 0.0).unwrap();
    // Fragment 0 cannot be decoded and is dropped; 2 joins 1.
    assert_eq!(fragment_counts(&segments, &init), vec![2, 1]);

    // None opening on a keyframe: nothing can be cut.
    for &at in &flags_of_first_video {
        file[at..at + 4].copy_from_slice(&0x0101_0000u32.to_be_bytes());
    }
    assert_eq!(split_file(&file, 2.0), Err(Fmp4Error::NoKeyframeFragment));
}

/// Byte offsets of the first video sample's flags in each crafted moof:
/// video's trun comes first, audio's second, and a video sample's flags
/// follow the box header, full box header, count, data offset, duration and
/// size.
fn first_video_flags(file: &[u8]) -> Vec<usize> {
    file.windows(4)
        .enumerate()
        .filter(|(_, w)| w == b"trun")
        .map(|(i, _)| i - 4)
        .step_by(2)
        .map(|trun| trun + 8 + 4 + 4 + 4 + 4 + 4)
        .collect()
}

#[test]
fn refuses_what_it_cannot_cut() {
    let invalid = |t: f64| {
        matches!(
            split_file(ABS_BASE, t),
            Err(Fmp4Error::Invalid {
                field: "target_seconds",
                ..
            })
        )
    };
    assert!(invalid(f64::NAN) && invalid(-1.0) && invalid(f64::INFINITY));

    let missing = |bytes: &[u8], kind: &str| matches!(split_file(bytes, 2.0), Err(Fmp4Error::MissingBox { kind: k, .. }) if k == kind);
    let media = crafted_segment(BaseMode::Moof, 0, 0, 2, false);
    assert!(missing(&media, "ftyp"));
    assert!(missing(CRAFT_INIT, "moof"));
    let moof_len = u32::from_be_bytes(media[..4].try_into().unwrap()) as usize;
    assert!(missing(&[CRAFT_INIT, &media[..moof_len]].concat(), "mdat"));
    let two_moofs = [CRAFT_INIT, &media[..moof_len], &media[..moof_len]].concat();
    assert!(missing(&two_moofs, "mdat"));
    // Samples in the moov (an mdat before any moof) would be lost.
    assert!(missing(
        &[CRAFT_INIT, &bx(b"mdat", b"x"), &media].concat(),
        "moof"
    ));
    // An empty one is fine.
    assert!(split_file(&[CRAFT_INIT, &bx(b"mdat", b""), &media].concat(), 2.0).is_ok());
    assert!(split_file(&[], 2.0).is_err());
    assert!(split_file(&ABS_BASE[..ABS_BASE.len() / 2], 2.0).is_err());
}

#[test]
fn a_base_before_its_moof_cannot_move() {
    let mut media = crafted_segment(BaseMode::Explicit, 0, 0, 1, false);
    // Base 0 is the moof itself here; after the init it lies before it.
    let file = [CRAFT_INIT, &media].concat();
    assert!(matches!(
        split_file(&file, 2.0),
        Err(Fmp4Error::Invalid {
            field: "tfhd base_data_offset",
            ..
        })
    ));
    rebase(&mut media, 0, CRAFT_INIT.len() as u64).unwrap();
    assert!(split_file(&[CRAFT_INIT, &media].concat(), 2.0).is_ok());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Random corruptions never panic; every segment returned parses.
    #[test]
    fn corrupted_files_never_panic(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        which in 0usize..3,
        target in prop_oneof![Just(0.0), Just(1.0), Just(2.0), 0.0f64..5.0],
    ) {
        let mut file = FILES[which].to_vec();
        for (at, value) in &edits {
            let i = at.index(file.len());
            file[i] = *value;
        }
        if let Ok((init_bytes, segments)) = split_file(&file, target) {
            let init = parse_init(&init_bytes).unwrap();
            prop_assert!(!segments.is_empty());
            for s in &segments {
                prop_assert!(parse_media(s, &init).is_ok());
            }
        }
    }
}
