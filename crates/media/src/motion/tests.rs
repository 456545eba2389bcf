//! The detector on synthetic scenes, and the decoder on the demo clip.

// Tests may unwrap: a panic here is a failed test with its message.
#![allow(clippy::unwrap_used)]

use super::decode::KeyframeDecoder;
use super::{Area, Detector, GreyFrame, Tuning, GRID_WIDTH};
use crate::demo::demo_segments;

/// A 64×36 scene of `ground` with a bright 8×8 square at (`x`, `y`).
fn scene(ground: u8, square: Option<(usize, usize)>) -> GreyFrame {
    let (w, h) = (64, 36);
    let mut cells = vec![ground; w * h];
    if let Some((sx, sy)) = square {
        for y in sy..sy + 8 {
            for x in sx..sx + 8 {
                cells[y * w + x] = 230;
            }
        }
    }
    GreyFrame {
        width: w,
        height: h,
        cells,
    }
}

#[test]
fn a_still_scene_is_not_motion() {
    let mut d = Detector::default();
    let t = Tuning::default();
    for _ in 0..10 {
        assert_eq!(d.feed(&scene(60, Some((10, 10))), &t), None);
    }
}

#[test]
fn something_moving_is_motion_with_its_region() {
    let mut d = Detector::default();
    let t = Tuning::default();
    d.feed(&scene(60, None), &t);
    let m = d.feed(&scene(60, Some((40, 20))), &t).expect("motion");
    assert!(m.score > 0.0 && m.score <= 1.0, "{m:?}");
    let r = m.region;
    assert!(
        (r.x - 40.0 / 64.0).abs() < 1e-9 && (r.y - 20.0 / 36.0).abs() < 1e-9,
        "{r:?}"
    );
    assert!(
        (r.w - 8.0 / 64.0).abs() < 1e-9 && (r.h - 8.0 / 36.0).abs() < 1e-9,
        "{r:?}"
    );
}

#[test]
fn a_masked_zone_is_ignored() {
    let mut d = Detector::default();
    let t = Tuning {
        sensitivity: 100,
        masked: vec![Area {
            x: 0.5,
            y: 0.5,
            w: 0.5,
            h: 0.5,
        }],
    };
    d.feed(&scene(60, None), &t);
    assert_eq!(d.feed(&scene(60, Some((40, 20))), &t), None);
    // The same change outside the mask is seen.
    assert!(d.feed(&scene(60, Some((4, 4))), &t).is_some());
}

#[test]
fn lights_and_exposure_changes_are_not_motion() {
    let mut d = Detector::default();
    let t = Tuning {
        sensitivity: 100,
        masked: Vec::new(),
    };
    d.feed(&scene(60, None), &t);
    // Exposure drifts by a few levels everywhere.
    assert_eq!(d.feed(&scene(75, None), &t), None);
    // The light goes on: every cell jumps.
    assert_eq!(d.feed(&scene(200, None), &t), None);
    assert_eq!(d.feed(&scene(200, None), &t), None);
}

#[test]
fn sensitivity_decides_how_small_a_change_counts() {
    // Six cells of 2,304 change (0.26 %).
    let small_change = |sensitivity: u8| {
        let t = Tuning {
            sensitivity,
            masked: Vec::new(),
        };
        let mut d = Detector::default();
        d.feed(&scene(60, None), &t);
        let mut frame = scene(60, None);
        for i in [100, 101, 102, 164, 165, 166] {
            frame.cells[i] = 200;
        }
        d.feed(&frame, &t)
    };
    assert_eq!(small_change(1), None);
    assert_eq!(small_change(50), None);
    assert!(small_change(100).is_some());
}

#[test]
fn grey_frames_average_blocks_of_the_luma_plane() {
    // 128×72 luma with a padded stride; left half black, right half white.
    let (w, h, stride) = (128, 72, 160);
    let mut luma = vec![7u8; stride * h];
    for row in luma.chunks_mut(stride) {
        row[..64].fill(0);
        row[64..128].fill(255);
    }
    let g = GreyFrame::from_luma(&luma, w, h, stride).unwrap();
    assert_eq!((g.width, g.height), (GRID_WIDTH, 36));
    assert_eq!(g.cells[0], 0);
    assert_eq!(g.cells[63], 255);
    assert_eq!(GreyFrame::from_luma(&luma[..100], w, h, stride), None);
}

#[test]
fn the_demo_clips_keyframes_decode_and_its_picture_moves() {
    let (init, segments) = demo_segments().unwrap();
    let mut decoder = KeyframeDecoder::new(&init)
        .unwrap()
        .expect("an H.264 track");
    let mut pictures = Vec::new();
    for s in &segments {
        let got = decoder.pictures(s, 500, true).unwrap();
        assert_eq!(got.len(), 1, "one keyframe per 2 s segment");
        pictures.extend(got);
    }
    let first = &pictures[0];
    assert_eq!((first.grey.width, first.grey.height), (64, 36));
    let (w, h, rgb) = first.rgb.as_ref().unwrap();
    assert_eq!((*w, *h, rgb.len()), (640, 360, 640 * 360 * 3));
    let jpeg = first.jpeg().unwrap();
    assert!(jpeg.starts_with(&[0xff, 0xd8]), "a JPEG");
    // testsrc2 is colourful, not a flat grey.
    let min = first.grey.cells.iter().min().unwrap();
    let max = first.grey.cells.iter().max().unwrap();
    assert!(max - min > 100, "{min}..{max}");
    // And it animates: the detector sees motion across keyframes.
    let mut d = Detector::default();
    let t = Tuning::default();
    let seen = pictures
        .iter()
        .filter(|p| d.feed(&p.grey, &t).is_some())
        .count();
    assert!(seen >= 1, "no motion in the demo clip");
}

#[test]
fn every_frame_of_the_demo_clip_decodes() {
    let (init, segments) = demo_segments().unwrap();
    let mut decoder = KeyframeDecoder::new(&init).unwrap().unwrap();
    let frames: usize = segments
        .iter()
        .map(|s| decoder.decode_every_frame(s).unwrap())
        .sum();
    // 12 s at 25 fps, less the few the decoder still holds for reordering.
    assert!((290..=300).contains(&frames), "{frames}");
}

#[test]
fn garbage_is_an_error_not_a_panic() {
    let (init, segments) = demo_segments().unwrap();
    let mut decoder = KeyframeDecoder::new(&init).unwrap().unwrap();
    assert!(decoder.pictures(b"not a segment", 0, false).is_err());
    // A keyframe whose bytes are scrambled: an error or no picture.
    let mut broken = segments[0].clone();
    let n = broken.len();
    for b in &mut broken[n / 2..n / 2 + 4000] {
        *b ^= 0x5a;
    }
    let _ = decoder.pictures(&broken, 0, false);
    // An init without H.264 video has no decoder.
    assert!(KeyframeDecoder::new(b"junk").is_err());
}
