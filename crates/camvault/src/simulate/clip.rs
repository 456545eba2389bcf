//! The built-in demo clip as simulated cameras loop it.

use std::time::Duration;

use axum::body::Bytes;
use media::fmp4::{self, InitSegment};

/// The demo clip, split and parsed once for all cameras.
pub(super) struct Clip {
    /// The init segment, uploaded once per camera.
    pub(super) init: Vec<u8>,
    parsed: InitSegment,
    segments: Vec<Vec<u8>>,
    /// Length of every segment on the timeline, from the demo's GOP.
    pub(super) segment: Duration,
}

impl Clip {
    /// The built-in demo clip.
    pub(super) fn demo() -> anyhow::Result<Clip> {
        let (init, segments) = media::demo::demo_segments()?;
        let parsed = fmp4::parse_init(&init)?;
        anyhow::ensure!(!segments.is_empty(), "the demo clip has no segments");
        Ok(Clip {
            init,
            parsed,
            segments,
            segment: Duration::from_secs_f64(media::demo::DEMO_SEGMENT_SECONDS),
        })
    }

    /// The `k`-th segment of the endless loop: the clip's segment `k mod n`
    /// with its decode times moved to start at `k` segment lengths.
    pub(super) fn segment(&self, k: u64) -> Result<Bytes, fmp4::Fmp4Error> {
        let n = self.segments.len() as u64;
        let source =
            self.segments
                .get((k % n.max(1)) as usize)
                .ok_or(fmp4::Fmp4Error::Invalid {
                    field: "segment",
                    reason: "the clip is empty",
                })?;
        let start = k as f64 * self.segment.as_secs_f64();
        fmp4::set_start(source, &self.parsed, start).map(Bytes::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_times_keep_rising_across_loops() {
        let clip = Clip::demo().unwrap();
        let n = clip.segments.len() as u64;
        let mut last_end = 0.0;
        for k in 0..2 * n + 1 {
            let seg = fmp4::parse_media(&clip.segment(k).unwrap(), &clip.parsed).unwrap();
            assert!((seg.start_seconds() - 2.0 * k as f64).abs() < 1e-6, "{k}");
            assert!(seg.start_seconds() + 0.1 >= last_end, "{k}");
            last_end = seg.start_seconds() + seg.duration_seconds();
        }
    }
}
