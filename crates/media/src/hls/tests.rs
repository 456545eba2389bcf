//! Playlist text, date formatting, scale, and ffprobe reading a playlist of
//! real segments.

// Tests may unwrap: a panic here is a failed test with its message.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::fmp4::{parse_init, parse_media};
use crate::test_util::{assert_ffprobe_clean, ffprobe, TempDir};
use std::process::Command;
use std::time::{Duration, Instant};

const H264_INIT: &[u8] = include_bytes!("../../testdata/h264_aac_init.mp4");
const H264_MEDIA: &[u8] = include_bytes!("../../testdata/h264_aac_media.m4s");

/// 2026-11-26T09:55:53.123Z.
const T0: i64 = 1_795_686_953_123;

fn seg(uri: &str, init: &str, start_ms: i64, duration_ms: i64) -> HlsSegment {
    HlsSegment {
        uri: uri.to_owned(),
        init_uri: init.to_owned(),
        start_ms,
        duration_ms,
    }
}

#[test]
fn writes_gaps_and_init_changes() {
    let segments = [
        seg("a/0.m4s", "a/init.mp4", T0, 2000),
        // 40 ms late: within the tolerance, so no break.
        seg("a/1.m4s", "a/init.mp4", T0 + 2040, 1999),
        // 10 s hole.
        seg("a/2.m4s", "a/init.mp4", T0 + 14_039, 2500),
        // Contiguous, but a new init.
        seg("b/0.m4s", "b/init.mp4", T0 + 16_539, 2001),
        seg("b/1.m4s", "b/init.mp4", T0 + 18_540, 7),
    ];
    let expected = "\
#EXTM3U
#EXT-X-VERSION:7
#EXT-X-TARGETDURATION:3
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-PLAYLIST-TYPE:VOD
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-MAP:URI=\"a/init.mp4\"
#EXT-X-PROGRAM-DATE-TIME:2026-11-26T09:55:53.123Z
#EXTINF:2.000,
a/0.m4s
#EXTINF:1.999,
a/1.m4s
#EXT-X-DISCONTINUITY
#EXT-X-PROGRAM-DATE-TIME:2026-11-26T09:56:07.162Z
#EXTINF:2.500,
a/2.m4s
#EXT-X-DISCONTINUITY
#EXT-X-MAP:URI=\"b/init.mp4\"
#EXT-X-PROGRAM-DATE-TIME:2026-11-26T09:56:09.662Z
#EXTINF:2.001,
b/0.m4s
#EXTINF:0.007,
b/1.m4s
#EXT-X-ENDLIST
";
    assert_eq!(media_playlist(&segments, 100).unwrap(), expected);
}

#[test]
fn tolerance_decides_what_is_a_gap() {
    let segments = [
        seg("0.m4s", "i.mp4", 0, 2000),
        seg("1.m4s", "i.mp4", 2300, 2000),
        // Starts 300 ms before the previous one ended: a clock step back.
        seg("2.m4s", "i.mp4", 4000, 2000),
    ];
    let count = |tol| {
        media_playlist(&segments, tol)
            .unwrap()
            .matches("#EXT-X-DISCONTINUITY\n")
            .count()
    };
    assert_eq!(count(0), 2);
    assert_eq!(count(299), 2);
    assert_eq!(count(300), 0);
    assert_eq!(
        media_playlist(&segments, -1),
        Err(HlsError::NegativeTolerance(-1))
    );
}

#[test]
fn empty_input_is_a_valid_empty_playlist() {
    assert_eq!(
        media_playlist(&[], 0).unwrap(),
        "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:0\n\
         #EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-ENDLIST\n"
    );
}

#[test]
fn target_duration_is_the_ceiling_of_the_longest() {
    let target = |ms| {
        let p = media_playlist(&[seg("0.m4s", "i.mp4", 0, ms)], 0).unwrap();
        p.lines()
            .find_map(|l| l.strip_prefix("#EXT-X-TARGETDURATION:"))
            .unwrap()
            .to_owned()
    };
    assert_eq!(target(1), "1");
    assert_eq!(target(1000), "1");
    assert_eq!(target(1001), "2");
    assert_eq!(target(6000), "6");
    assert_eq!(target(i64::MAX), "9223372036854776");
}

#[test]
fn refuses_bad_input() {
    let one = |s: HlsSegment| media_playlist(&[s], 0);
    for bad in ["", "#x.m4s", "a\"b.m4s", "a\rb", "a\nb"] {
        assert!(
            matches!(
                one(seg(bad, "i.mp4", 0, 1)),
                Err(HlsError::BadUri { field: "uri", .. })
            ),
            "{bad:?}"
        );
        assert!(matches!(
            one(seg("s.m4s", bad, 0, 1)),
            Err(HlsError::BadUri {
                field: "init_uri",
                ..
            })
        ));
    }
    // Ordinary URIs with spaces, queries and non-ASCII pass through as-is.
    assert!(one(seg("seg 1.m4s?token=a&b=ü", "i.mp4", 0, 1)).is_ok());
    assert_eq!(
        one(seg("s.m4s", "i.mp4", 0, 0)),
        Err(HlsError::BadDuration {
            index: 0,
            duration_ms: 0
        })
    );
    assert!(one(seg("s.m4s", "i.mp4", 0, -5)).is_err());
    let unsorted = [seg("a", "i", 5000, 1000), seg("b", "i", 4000, 1000)];
    assert_eq!(
        media_playlist(&unsorted, 0),
        Err(HlsError::Unsorted {
            index: 1,
            start_ms: 4000,
            previous_start_ms: 5000
        })
    );
    assert_eq!(
        one(seg("s", "i", i64::MAX - 10, 5)),
        Err(HlsError::DateOutOfRange {
            index: 0,
            start_ms: i64::MAX - 10
        })
    );
    assert!(one(seg("s", "i", i64::MIN, i64::MAX)).is_err());
    // The message names the segment.
    let err = one(seg("a\"b", "i", 0, 1)).unwrap_err().to_string();
    assert!(err.contains("segment 0") && err.contains("uri"), "{err}");
}

#[test]
fn formats_known_dates() {
    let cases = [
        (0, "1970-01-01T00:00:00.000Z"),
        (-1, "1969-12-31T23:59:59.999Z"),
        (T0, "2026-11-26T09:55:53.123Z"),
        (951_782_400_000, "2000-02-29T00:00:00.000Z"),
        (1_709_251_199_999, "2024-02-29T23:59:59.999Z"),
        (-2_203_934_400_000, "1900-02-28T12:00:00.000Z"),
        // 1900 is not a leap year: 28 February is followed by 1 March.
        (-2_203_891_200_000, "1900-03-01T00:00:00.000Z"),
        (4_107_542_400_000, "2100-03-01T00:00:00.000Z"),
        (-62_135_596_800_000, "0001-01-01T00:00:00.000Z"),
        (-62_167_219_200_000, "0000-01-01T00:00:00.000Z"),
        (253_402_300_799_999, "9999-12-31T23:59:59.999Z"),
    ];
    for (ms, text) in cases {
        assert_eq!(format_program_date_time(ms).as_deref(), Some(text), "{ms}");
    }
    assert_eq!(format_program_date_time(253_402_300_800_000), None);
    assert_eq!(format_program_date_time(-62_167_219_200_001), None);
    assert_eq!(format_program_date_time(i64::MAX), None);
    assert_eq!(format_program_date_time(i64::MIN), None);
}

#[test]
fn every_day_of_0000_to_9999_matches_a_day_by_day_calendar() {
    let leap = |y: i64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let (mut y, mut m, mut d) = (0i64, 1u64, 1u64);
    // 0000-01-01 is 719,528 days before 1970-01-01.
    for days in -719_528..=2_932_896 {
        assert_eq!(civil_from_days(days), (y, m, d), "day {days}");
        let month_len = match m {
            2 if leap(y) => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        d += 1;
        if d > month_len {
            (m, d) = (m + 1, 1);
            if m > 12 {
                (y, m) = (y + 1, 1);
            }
        }
    }
    assert_eq!((y, m, d), (10_000, 1, 1));
}

#[test]
fn a_day_of_two_second_segments_is_quick() {
    let segments: Vec<HlsSegment> = (0..43_200i64)
        .map(|i| {
            // A 5 s outage every hour, and a new init every 6 hours.
            let start = T0 + i * 2000 + (i / 1800) * 5000;
            let init = format!("rec/cam-1/init-{}.mp4", i / 10_800);
            seg(&format!("rec/cam-1/{i:06}.m4s"), &init, start, 2000)
        })
        .collect();
    let started = Instant::now();
    let playlist = media_playlist(&segments, 250).unwrap();
    let took = started.elapsed();
    assert!(took < Duration::from_secs(2), "took {took:?}");
    assert_eq!(playlist.matches("#EXTINF:2.000,\n").count(), 43_200);
    assert_eq!(playlist.matches("#EXT-X-DISCONTINUITY\n").count(), 23);
    assert_eq!(playlist.matches("#EXT-X-MAP:").count(), 4);
    assert!(playlist.ends_with("rec/cam-1/043199.m4s\n#EXT-X-ENDLIST\n"));
    // The first pass's estimate was enough: the String never grew.
    let (_, capacity) = measure(&segments, 250).unwrap();
    assert!(playlist.len() <= capacity);
    assert!(capacity < playlist.len() * 3 / 2);
}

/// Writes `files` and a playlist over them into a temp dir and checks
/// ffprobe reads the playlist without complaint; returns ffprobe's duration.
fn ffprobe_playlist(test: &str, files: &[(&str, &[u8])], playlist: &str) -> Option<f64> {
    let ffprobe = ffprobe(test)?;
    let dir = TempDir::new(test);
    for (name, bytes) in files {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    let path = dir.path().join("index.m3u8");
    std::fs::write(&path, playlist).unwrap();
    assert_ffprobe_clean(ffprobe, &path);
    let out = Command::new(ffprobe)
        .args([
            "-v",
            "error",
            "-show_entries",
            "format=duration",
            "-of",
            "csv=p=0",
        ])
        .arg(&path)
        .output()
        .unwrap();
    Some(String::from_utf8_lossy(&out.stdout).trim().parse().unwrap())
}

#[test]
fn ffprobe_reads_a_playlist_of_a_real_segment() {
    let init = parse_init(H264_INIT).unwrap();
    let duration = parse_media(H264_MEDIA, &init).unwrap().duration_seconds();
    let duration_ms = (duration * 1000.0).round() as i64;
    let playlist = media_playlist(&[seg("seg0.m4s", "init.mp4", T0, duration_ms)], 100).unwrap();
    let files: [(&str, &[u8]); 2] = [("init.mp4", H264_INIT), ("seg0.m4s", H264_MEDIA)];
    if let Some(probed) = ffprobe_playlist("hls-one", &files, &playlist) {
        assert!((probed - duration).abs() < 0.1, "{probed} vs {duration}");
    }
}

#[test]
fn ffprobe_reads_the_demo_clip_with_a_gap() {
    let (init, segments) = crate::demo::demo_segments().unwrap();
    let parsed = parse_init(&init).unwrap();
    let mut files: Vec<(String, &[u8])> = vec![("init.mp4".to_owned(), &init)];
    let mut list = Vec::new();
    let mut start = T0;
    for (i, bytes) in segments.iter().enumerate() {
        let d = parse_media(bytes, &parsed).unwrap().duration_seconds();
        let duration_ms = (d * 1000.0).round() as i64;
        let name = format!("{i}.m4s");
        list.push(seg(&name, "init.mp4", start, duration_ms));
        files.push((name, bytes));
        // A minute-long hole after the third segment.
        start += duration_ms + if i == 2 { 60_000 } else { 0 };
    }
    let playlist = media_playlist(&list, 100).unwrap();
    assert_eq!(playlist.matches("#EXT-X-DISCONTINUITY").count(), 1);
    let files: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (n.as_str(), *b)).collect();
    if let Some(probed) = ffprobe_playlist("hls-demo", &files, &playlist) {
        assert!((probed - 12.0).abs() < 0.2, "{probed}");
    }
}
