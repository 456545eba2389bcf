//! The demo clip is what its README says, and cuts into six 2 s segments.

// Tests may unwrap: a panic here is a failed test with its message.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::fmp4::{parse_init, parse_media, Codec, TrackKind};
use crate::test_util::{assert_ffprobe_clean, ffprobe, TempDir};

#[test]
fn splits_into_six_two_second_segments_on_keyframes() {
    let (init_bytes, segments) = demo_segments().unwrap();
    let init = parse_init(&init_bytes).unwrap();

    let video = init
        .tracks
        .iter()
        .find(|t| t.kind == TrackKind::Video)
        .unwrap();
    assert_eq!(video.codec, Codec::H264);
    assert_eq!((video.width, video.height), (Some(1280), Some(720)));
    let audio = init
        .tracks
        .iter()
        .find(|t| t.kind == TrackKind::Audio)
        .unwrap();
    assert_eq!(audio.codec, Codec::Aac);
    assert_eq!(audio.sample_rate, Some(48_000));
    // Mono lives in the AAC config; ffmpeg writes the sample entry's
    // channel count as the spec's template value 2 (ffprobe checks below).
    assert_eq!(init.tracks.len(), 2);

    assert_eq!(segments.len(), 6);
    let mut expected_start = 0.0;
    for (i, bytes) in segments.iter().enumerate() {
        let seg = parse_media(bytes, &init).unwrap();
        assert_eq!(seg.fragments.len(), 1, "one GOP per fragment");
        let v = seg.track(video.track_id).unwrap();
        assert_eq!(
            v.keyframes.first().map(|k| k.sample_index),
            Some(0),
            "segment {i}"
        );
        assert_eq!(
            v.keyframes.len(),
            1,
            "segment {i}: exactly one keyframe per GOP"
        );
        assert_eq!(v.sample_count, 50, "segment {i}: 2 s at 25 fps");
        assert!((v.duration_seconds - 2.0).abs() < 1e-9, "segment {i}");
        assert!(
            (v.start_seconds - expected_start).abs() < 1e-9,
            "segment {i}"
        );
        let a = seg.track(audio.track_id).unwrap();
        assert!((a.duration_seconds - 2.0).abs() < 0.1, "segment {i}");
        assert!((seg.duration_seconds() - 2.0).abs() < 0.1, "segment {i}");
        expected_start += 2.0;
    }
}

#[test]
fn stays_small() {
    // The README promises under 3.5 MB; it ships inside the binary.
    assert!(DEMO_CLIP.len() < 3_500_000, "{} bytes", DEMO_CLIP.len());
    assert_eq!(&DEMO_CLIP[4..8], b"ftyp");
}

#[test]
fn ffprobe_accepts_the_clip() {
    let Some(ffprobe) = ffprobe("demo clip") else {
        return;
    };
    let dir = TempDir::new("demo");
    let path = dir.path().join("demo-h264-aac.mp4");
    std::fs::write(&path, DEMO_CLIP).unwrap();
    assert_ffprobe_clean(ffprobe, &path);
    let out = std::process::Command::new(ffprobe)
        .args(["-v", "error", "-of", "csv=p=0", "-show_entries"])
        .arg("stream=codec_name,profile,width,height,r_frame_rate,sample_rate,channels")
        .arg(&path)
        .output()
        .unwrap();
    let streams = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = streams.lines().map(str::trim).collect();
    assert_eq!(
        lines,
        ["h264,Main,1280,720,25/1", "aac,LC,48000,1,0/0"],
        "{streams}"
    );
}

#[test]
fn loops_with_increasing_timestamps() {
    // What the camera simulator does: replay the segments lap after lap,
    // each lap shifted by the clip's length, so every track only moves
    // forward across the loop point.
    let (init_bytes, segments) = demo_segments().unwrap();
    let init = parse_init(&init_bytes).unwrap();
    let last = parse_media(segments.last().unwrap(), &init).unwrap();
    let lap_seconds = last
        .tracks
        .iter()
        .map(|t| t.start_seconds + t.duration_seconds)
        .fold(0.0, f64::max);
    assert!((lap_seconds - 12.0).abs() < 0.1, "{lap_seconds}");

    let mut ends: Vec<(u32, u64)> = Vec::new();
    for lap in 0..3 {
        for bytes in &segments {
            let shifted =
                crate::fmp4::shift_decode_times(bytes, &init, f64::from(lap) * lap_seconds)
                    .unwrap();
            for t in parse_media(&shifted, &init).unwrap().tracks {
                match ends.iter_mut().find(|(id, _)| *id == t.track_id) {
                    Some((_, end)) => {
                        assert!(t.start >= *end, "track {} went back", t.track_id);
                        *end = t.start + t.duration;
                    }
                    None => ends.push((t.track_id, t.start + t.duration)),
                }
            }
        }
    }
    assert_eq!(ends.len(), 2);
}
