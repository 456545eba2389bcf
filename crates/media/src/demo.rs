//! A built-in demo clip, so a fresh install (and the camera simulator) has
//! something to play without a real camera.
//!
//! The clip is synthetic — ffmpeg's `testsrc2` picture and a 440 Hz sine —
//! so it carries no third-party content; `demo/README.md` has the exact
//! command that made it.

use crate::fmp4::{split_file, Fmp4Error};

/// A JPEG of the clip's first frame (640×360), the simulated camera's event snapshot.
pub const DEMO_SNAPSHOT: &[u8] = include_bytes!("../demo/demo-snapshot.jpg");

/// The demo clip: 12 s of 1280x720 25 fps H.264 (main) with mono 48 kHz
/// AAC-LC, as fragmented MP4 with one fragment per 2 s GOP.
pub const DEMO_CLIP: &[u8] = include_bytes!("../demo/demo-h264-aac.mp4");

/// Segment length [`demo_segments`] aims for, in seconds (one GOP).
pub const DEMO_SEGMENT_SECONDS: f64 = 2.0;

/// The demo clip's init segment and its media segments of about
/// [`DEMO_SEGMENT_SECONDS`] each (six), every one opening on a keyframe.
pub fn demo_segments() -> Result<(Vec<u8>, Vec<Vec<u8>>), Fmp4Error> {
    split_file(DEMO_CLIP, DEMO_SEGMENT_SECONDS)
}

#[cfg(test)]
mod tests;
