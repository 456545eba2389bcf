//! Video for camvault: fragmented-MP4 parsing and HLS playlists.
//!
//! This crate will hold the fMP4/CMAF validator and muxer used by ingest and
//! playback; it stays free of storage and HTTP so it can be fuzzed alone.
//! Nothing lives here yet: recording arrives with the recording capability.
