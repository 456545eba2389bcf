//! RFC 6381 codec strings read from real init segments. The expected values
//! were cross-checked with `ffprobe -show_streams` (profile and level) and
//! the bytes of each file's `avcC` / `hvcC`.

// Tests may unwrap: a panic here is a failed test with its message.
#![allow(clippy::unwrap_used)]

use media::fmp4::{mime_codecs, mime_type, parse_init, split_file, strip_audio_init, AAC_LC};

const H264_INIT: &[u8] = include_bytes!("../testdata/h264_aac_init.mp4");
const H265_INIT: &[u8] = include_bytes!("../testdata/h265_init.mp4");
const H264_HIGH_INIT: &[u8] = include_bytes!("../testdata/h264_high_init.mp4");
const ABS_BASE: &[u8] = include_bytes!("../testdata/h264_aac_abs_base.mp4");

#[test]
fn h264_clip_is_constrained_baseline_level_1_1() {
    // ffprobe: "Constrained Baseline", level 11; avcC 42 c0 0b.
    let init = parse_init(H264_INIT).unwrap();
    assert_eq!(init.tracks[0].codec_string.as_deref(), Some("avc1.42c00b"));
    assert_eq!(init.tracks[1].codec_string.as_deref(), Some("mp4a.40.2"));
    assert_eq!(mime_codecs(&init), "avc1.42c00b,mp4a.40.2");
    assert_eq!(
        mime_type(&init),
        "video/mp4; codecs=\"avc1.42c00b,mp4a.40.2\""
    );
}

#[test]
fn h264_high_clip_is_high_level_1_2() {
    // ffprobe: profile High, level 12; avcC 64 00 0c.
    let init = parse_init(H264_HIGH_INIT).unwrap();
    assert_eq!(mime_codecs(&init), "avc1.64000c");
    assert_eq!(mime_type(&init), "video/mp4; codecs=\"avc1.64000c\"");
}

#[test]
fn h265_clip_is_main_level_2() {
    // ffprobe: profile Main, level 60 (2.0); hvcC 01 60000000 900000000000 3c.
    let init = parse_init(H265_INIT).unwrap();
    assert_eq!(
        init.tracks[0].codec_string.as_deref(),
        Some("hvc1.1.6.L60.90")
    );
    assert_eq!(mime_codecs(&init), "hvc1.1.6.L60.90");
}

#[test]
fn demo_clip_is_main_level_3_1_with_aac_lc() {
    // ffprobe: H.264 Main level 31, AAC LC.
    let (init, _) = media::demo::demo_segments().unwrap();
    let init = parse_init(&init).unwrap();
    assert_eq!(mime_codecs(&init), "avc1.4d401f,mp4a.40.2");
}

#[test]
fn stripped_and_split_inits_keep_their_codec_strings() {
    let (init, _) = split_file(ABS_BASE, 1.0).unwrap();
    let init = parse_init(&init).unwrap();
    assert_eq!(mime_codecs(&init), "avc1.42c00b,mp4a.40.2");
    let video_only = parse_init(&strip_audio_init(H264_INIT).unwrap()).unwrap();
    assert_eq!(mime_codecs(&video_only), "avc1.42c00b");
    assert!(mime_type(&video_only).starts_with("video/mp4;"));
}

#[test]
fn a_missing_avcc_leaves_the_video_string_unknown() {
    // Rename the avcC box: the init still parses, the codec is unknown, and
    // the AAC track still gives its string.
    let mut bytes = H264_INIT.to_vec();
    let at = bytes.windows(4).position(|w| w == b"avcC").unwrap();
    bytes[at..at + 4].copy_from_slice(b"xxxx");
    let at = bytes.windows(4).position(|w| w == b"esds").unwrap();
    bytes[at..at + 4].copy_from_slice(b"yyyy");
    let init = parse_init(&bytes).unwrap();
    assert_eq!(init.tracks[0].codec_string, None);
    assert_eq!(init.tracks[1].codec_string.as_deref(), Some(AAC_LC));
    assert_eq!(mime_codecs(&init), "mp4a.40.2");
}
