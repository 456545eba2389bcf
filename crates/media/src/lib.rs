//! Video for camvault: fragmented-MP4 parsing, rewriting and writing, HLS
//! playlists, a built-in demo clip, and RTSP camera probing and pulling.
//!
//! This crate holds the fMP4/CMAF code used by ingest and playback; it stays
//! free of storage and HTTP servers so it can be fuzzed and tested alone.
//!
//! [`fmp4`] parses and validates fragmented MP4 / CMAF init and media
//! segments (tracks, codecs, sample tables, keyframes) without panicking on
//! hostile input, and rewrites them: [`fmp4::strip_audio`] drops audio
//! tracks, [`fmp4::split_file`] cuts a whole fragmented file into an init
//! segment and keyframe-aligned media segments, and
//! [`fmp4::shift_decode_times`] / [`fmp4::set_start`] move a segment on the
//! timeline (for looping a clip and for continuous downloads).
//!
//! [`hls`] builds HLS VOD media playlists (version 7, fMP4 with
//! `EXT-X-MAP`, discontinuities at gaps and init changes, program date
//! times) from a recording's segment list; it is pure string building.
//!
//! [`demo`] embeds a synthetic 12-second H.264 + AAC clip and splits it into
//! 2-second segments, for the camera simulator and first-run demos.
//!
//! [`mux`] writes fragmented MP4 for one H.264 or H.265 video track from
//! encoded access units: an init segment, then `moof` + `mdat` fragments.
//!
//! It also holds [`rtsp`]: the "test connection" probe for RTSP/ONVIF IP
//! cameras that the server pulls from, and [`rtsp_pull`]: the long-running
//! pull that records such a camera as init and keyframe-aligned media
//! segments (through [`mux`]), reconnecting with back-off. Both speak RTSP
//! through the `retina` crate and so need a tokio runtime.

pub mod album;
pub mod demo;
pub mod fmp4;
pub mod hls;
pub mod motion;
pub mod mp4_layout;
pub mod mux;
pub mod rtsp;
pub mod rtsp_pull;

#[cfg(test)]
mod test_util;
