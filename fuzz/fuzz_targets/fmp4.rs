//! Fuzzes `media::fmp4::parse_init` (with its codec strings) and `parse_media`.
//!
//! The input is tried three ways: as an init segment, as a media segment
//! against the committed real H.264+AAC init, and (when it starts with a
//! big-endian u32 length `n`) as an `n`-byte init followed by a media segment
//! parsed against it. Any `Err` is fine; a panic, an overflow or an
//! out-of-memory abort is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;
use media::fmp4::{mime_codecs, parse_init, parse_media};

const H264_INIT: &[u8] = include_bytes!("../../crates/media/testdata/h264_aac_init.mp4");

fuzz_target!(|data: &[u8]| {
    if let Ok(init) = parse_init(data) {
        let _ = mime_codecs(&init);
    }
    if let Ok(init) = parse_init(H264_INIT) {
        let _ = parse_media(data, &init);
    }
    if let Some((len, rest)) = data.split_first_chunk::<4>() {
        let n = u32::from_be_bytes(*len) as usize;
        if n <= rest.len() {
            let (init, media) = rest.split_at(n);
            if let Ok(init) = parse_init(init) {
                let _ = parse_media(media, &init);
            }
        }
    }
});
