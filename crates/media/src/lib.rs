//! Video for camvault: fragmented-MP4 parsing, HLS playlists, and RTSP
//! camera probing.
//!
//! This crate will hold the fMP4/CMAF validator and muxer used by ingest and
//! playback; it stays free of storage and HTTP servers so it can be fuzzed and
//! tested alone. Recording arrives with the recording capability.
//!
//! [`fmp4`] parses and validates fragmented MP4 / CMAF init and media
//! segments (tracks, codecs, sample tables, keyframes) without panicking on
//! hostile input.
//!
//! It also holds [`rtsp`]: the "test connection" probe for RTSP/ONVIF IP
//! cameras that the server pulls from. It speaks RTSP through the `retina`
//! crate and so needs a tokio runtime.

pub mod fmp4;
pub mod rtsp;
