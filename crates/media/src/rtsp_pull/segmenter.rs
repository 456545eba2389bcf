//! Cutting a camera's access units into keyframe-aligned media segments;
//! no networking here, so it is tested with made-up frames.

use super::{Failure, PullEvent, TIMESCALE};
use crate::mux::{Muxer, Sample};
use crate::rtsp::ProbeError;

/// Most bytes one segment may gather before the pull gives up on the
/// connection (a camera whose keyframes stopped coming, or a huge GOP).
pub(super) const MAX_SEGMENT_BYTES: usize = 64 << 20;
/// Most frames one segment may gather (below the parser's sample cap).
pub(super) const MAX_SEGMENT_FRAMES: usize = 10_000;

/// One access unit as the camera sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Frame {
    /// 4-byte length-prefixed NAL units.
    pub(super) data: Vec<u8>,
    /// Presentation time in [`TIMESCALE`] ticks, on the connection's RTP
    /// timeline.
    pub(super) ts: i64,
    /// Whether it is a random access point.
    pub(super) keyframe: bool,
}

/// Gathers frames and emits [`PullEvent::Init`] and [`PullEvent::Segment`]s.
///
/// Decode times and `mfhd` sequence numbers run on across [`reset`]s, so all
/// segments of one pull form one continuous timeline.
///
/// [`reset`]: Segmenter::reset
pub(super) struct Segmenter {
    target_ticks: i64,
    muxer: Option<Muxer>,
    pending: Vec<Frame>,
    pending_bytes: usize,
    /// Frames and bytes dropped while waiting for the first keyframe, with
    /// the same caps as a segment.
    skipped: (usize, usize),
    /// Decode time of the next segment, in [`TIMESCALE`] ticks.
    decode_time: u64,
    sequence: u32,
    /// Wall clock (ms) and timestamp of the first frame kept on this
    /// connection, to date every later frame by its media time.
    anchor: Option<(i64, i64)>,
}

impl Segmenter {
    /// A segmenter cutting at the first keyframe `target_secs` or more after
    /// a segment's first frame.
    pub(super) fn new(target_secs: f64) -> Self {
        Segmenter {
            target_ticks: (target_secs * f64::from(TIMESCALE)).round() as i64,
            muxer: None,
            pending: Vec::new(),
            pending_bytes: 0,
            skipped: (0, 0),
            decode_time: 0,
            sequence: 0,
            anchor: None,
        }
    }

    /// Whether a muxer (codec parameters) is in place for this connection.
    pub(super) fn has_muxer(&self) -> bool {
        self.muxer.is_some()
    }

    /// Forgets the connection: drops the partial segment (its last frame's
    /// duration can never be known), the codec parameters and the wall-clock
    /// anchor, so the next connection starts with a fresh init.
    pub(super) fn reset(&mut self) {
        self.muxer = None;
        self.pending.clear();
        self.pending_bytes = 0;
        self.skipped = (0, 0);
        self.anchor = None;
    }

    /// Decode time the next segment will start at, in [`TIMESCALE`] ticks.
    #[cfg(test)]
    pub(super) fn decode_time(&self) -> u64 {
        self.decode_time
    }

    /// Takes one frame (in decode order), with the new muxer if its codec
    /// parameters changed, and returns the events it completes: a segment
    /// closed by this frame's arrival, then an init if the parameters
    /// changed. `now_ms` is called once per connection, at the first kept
    /// frame.
    pub(super) fn push(
        &mut self,
        frame: Frame,
        new_muxer: Option<Muxer>,
        now_ms: &dyn Fn() -> i64,
    ) -> Result<Vec<PullEvent>, Failure> {
        let mut events = Vec::new();
        if let Some(m) = new_muxer {
            let same = self
                .muxer
                .as_ref()
                .is_some_and(|old| old.init() == m.init());
            if !same {
                // The old parameters' segment ends here, short or not.
                if !self.pending.is_empty() {
                    events.push(self.close(frame.ts)?);
                }
                events.push(PullEvent::Init(m.init().to_vec()));
                self.muxer = Some(m);
            }
        }
        if self.muxer.is_none() {
            return Ok(events); // nothing to describe the frame with yet
        }
        match self.pending.first() {
            None if !frame.keyframe => {
                // Undecodable without a keyframe before it: wait for one.
                let (frames, bytes) = &mut self.skipped;
                *frames = frames.saturating_add(1);
                *bytes = bytes.saturating_add(frame.data.len());
                if *bytes > MAX_SEGMENT_BYTES || *frames > MAX_SEGMENT_FRAMES {
                    return Err(Failure::GopTooLong);
                }
                return Ok(events);
            }
            None => self.skipped = (0, 0),
            Some(first) => {
                let long_enough = frame.ts.saturating_sub(first.ts) >= self.target_ticks;
                if frame.keyframe && long_enough {
                    events.push(self.close(frame.ts)?);
                }
            }
        }
        if self.anchor.is_none() {
            self.anchor = Some((now_ms(), frame.ts));
        }
        self.pending_bytes = self.pending_bytes.saturating_add(frame.data.len());
        self.pending.push(frame);
        if self.pending_bytes > MAX_SEGMENT_BYTES || self.pending.len() > MAX_SEGMENT_FRAMES {
            return Err(Failure::GopTooLong);
        }
        Ok(events)
    }

    /// Muxes the pending frames into a segment that ends at `end_ts`.
    fn close(&mut self, end_ts: i64) -> Result<PullEvent, Failure> {
        let frames = std::mem::take(&mut self.pending);
        self.pending_bytes = 0;
        let Some(muxer) = &self.muxer else {
            return Err(Failure::Probe(ProbeError::Protocol(
                "frames without codec parameters".to_owned(),
            )));
        };
        let mut samples = Vec::with_capacity(frames.len());
        let mut total: u64 = 0;
        for (i, f) in frames.iter().enumerate() {
            let next = frames.get(i + 1).map_or(end_ts, |n| n.ts);
            // RTP timestamps are presentation times; with B-frames they go
            // back and forth, which this simple cut does not model: any
            // non-increasing step becomes one tick.
            let duration = u32::try_from(next.saturating_sub(f.ts).max(1)).unwrap_or(u32::MAX);
            total = total.saturating_add(u64::from(duration));
            samples.push(Sample {
                data: &f.data,
                duration,
                keyframe: f.keyframe,
                composition_offset: 0,
            });
        }
        self.sequence = self.sequence.wrapping_add(1).max(1);
        let bytes = muxer
            .fragment(&samples, self.decode_time, self.sequence)
            .map_err(Failure::Mux)?;
        self.decode_time = self.decode_time.saturating_add(total);
        let first_ts = frames.first().map_or(end_ts, |f| f.ts);
        let (anchor_ms, anchor_ts) = self.anchor.unwrap_or((0, first_ts));
        let offset_ms =
            first_ts.saturating_sub(anchor_ts).saturating_mul(1000) / i64::from(TIMESCALE);
        Ok(PullEvent::Segment {
            bytes,
            start_wall_ms: anchor_ms.saturating_add(offset_ms),
            duration_secs: total as f64 / f64::from(TIMESCALE),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

    use super::*;
    use crate::fmp4::{parse_init, parse_media};

    const SPS: &[u8] = &[
        0x67, 0x42, 0xc0, 0x16, 0xda, 0x02, 0x80, 0xbf, 0xe5, 0xc0, 0x5a, 0x83, 0x03, 0x03, 0x52,
        0x80, 0x00, 0x00, 0x03, 0x00, 0x80, 0x00, 0x00, 0x0a, 0x47, 0x8b, 0x17, 0x50,
    ];
    const PPS: &[u8] = &[0x68, 0xce, 0x3c, 0x80];
    const FRAME: i64 = 9000; // 10 fps

    fn muxer(width: u32) -> Muxer {
        Muxer::new_h264(SPS, PPS, width, 360, TIMESCALE).unwrap()
    }

    fn frame(n: i64, keyframe: bool) -> Frame {
        Frame {
            data: vec![0, 0, 0, 2, if keyframe { 0x65 } else { 0x41 }, n as u8],
            ts: 1_000_000 + n * FRAME,
            keyframe,
        }
    }

    /// Pushes frames `range` with a keyframe every `gop`, the first with `m`.
    fn run(
        s: &mut Segmenter,
        range: std::ops::Range<i64>,
        gop: i64,
        mut m: Option<Muxer>,
    ) -> Vec<PullEvent> {
        let clock = || 1_700_000_000_000;
        let mut out = Vec::new();
        for n in range {
            out.extend(s.push(frame(n, n % gop == 0), m.take(), &clock).unwrap());
        }
        out
    }

    fn segments(events: &[PullEvent]) -> Vec<(&[u8], i64, f64)> {
        events
            .iter()
            .filter_map(|e| match e {
                PullEvent::Segment {
                    bytes,
                    start_wall_ms,
                    duration_secs,
                } => Some((bytes.as_slice(), *start_wall_ms, *duration_secs)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn cuts_at_the_first_keyframe_after_the_target() {
        let mut s = Segmenter::new(2.5);
        // Frames before the first keyframe (10) are dropped; with keyframes
        // every 10 frames (1 s) the cuts fall at 40 and 70, 3 s apart.
        let events = run(&mut s, 1..80, 10, Some(muxer(640)));
        assert!(matches!(events[0], PullEvent::Init(_)));
        let init = match &events[0] {
            PullEvent::Init(b) => parse_init(b).unwrap(),
            _ => unreachable!(),
        };
        let segs = segments(&events);
        assert_eq!(segs.len(), 2, "{events:?}");
        let mut expect_start = 0;
        for (i, (bytes, wall, secs)) in segs.iter().enumerate() {
            assert!((secs - 3.0).abs() < 1e-9, "{secs}");
            let seg = parse_media(bytes, &init).unwrap();
            let t = seg.track(1).unwrap();
            assert_eq!(t.sample_count, 30);
            assert_eq!(t.start, expect_start);
            assert_eq!(t.keyframes.len(), 3);
            assert_eq!(t.keyframes[0].sample_index, 0);
            assert_eq!(seg.fragments[0].sequence_number, i as u32 + 1);
            // First kept frame (10) anchors the wall clock.
            assert_eq!(*wall, 1_700_000_000_000 + 3000 * i as i64);
            expect_start += 3 * 90_000;
        }
        assert_eq!(s.decode_time(), 6 * 90_000);
    }

    #[test]
    fn time_keeps_running_across_a_reset() {
        let mut s = Segmenter::new(1.0);
        let events = run(&mut s, 0..25, 10, Some(muxer(640)));
        assert_eq!(segments(&events).len(), 2);
        let before = s.decode_time();
        s.reset();
        assert!(!s.has_muxer());
        // The new connection's timestamps start anywhere; decode times go on.
        let events = run(&mut s, 500..521, 10, Some(muxer(640)));
        assert!(
            matches!(events[0], PullEvent::Init(_)),
            "a new init after reset"
        );
        let segs = segments(&events);
        assert_eq!(segs.len(), 2);
        let init = parse_init(muxer(640).init()).unwrap();
        let seg = parse_media(segs[0].0, &init).unwrap();
        assert_eq!(seg.track(1).unwrap().start, before);
        assert_eq!(seg.fragments[0].sequence_number, 3);
    }

    #[test]
    fn new_parameters_close_the_segment_and_send_an_init() {
        let mut s = Segmenter::new(2.0);
        let mut events = run(&mut s, 0..15, 10, Some(muxer(640)));
        // The same parameters again: nothing happens.
        events.extend(run(&mut s, 15..16, 10, Some(muxer(640))));
        assert_eq!(events.len(), 1);
        // New parameters at frame 16 (not a keyframe): the old segment ends
        // there, the init follows, and frames wait for the next keyframe.
        events.extend(run(&mut s, 16..31, 10, Some(muxer(320))));
        let kinds: Vec<&str> = events
            .iter()
            .map(|e| match e {
                PullEvent::Init(_) => "init",
                PullEvent::Segment { .. } => "segment",
                PullEvent::Status { .. } => "status",
            })
            .collect();
        assert_eq!(kinds, ["init", "segment", "init"]);
        let segs = segments(&events);
        assert!((segs[0].2 - 1.6).abs() < 1e-9);
        assert_eq!(s.decode_time(), 16 * 9000);
    }

    #[test]
    fn a_keyframe_that_never_comes_is_an_error() {
        let mut s = Segmenter::new(2.0);
        let mut m = Some(muxer(640));
        let clock = || 0;
        for n in 1..=MAX_SEGMENT_FRAMES as i64 {
            assert!(s.push(frame(n, false), m.take(), &clock).is_ok());
        }
        let result = s.push(frame(0, false), None, &clock);
        assert!(matches!(result, Err(Failure::GopTooLong)), "{result:?}");
    }

    #[test]
    fn a_gop_that_never_ends_is_an_error() {
        let mut s = Segmenter::new(2.0);
        let m = Some(muxer(640));
        let clock = || 0;
        s.push(frame(0, true), m, &clock).unwrap();
        let mut result = Ok(Vec::new());
        for n in 1..=MAX_SEGMENT_FRAMES as i64 {
            result = s.push(frame(n, false), None, &clock);
            if result.is_err() {
                break;
            }
        }
        assert!(matches!(result, Err(Failure::GopTooLong)), "{result:?}");
    }

    #[test]
    fn backward_timestamps_get_one_tick() {
        let mut s = Segmenter::new(0.0);
        let clock = || 0;
        let mut f = |n: i64, ts: i64, key: bool, m: Option<Muxer>| {
            let mut fr = frame(n, key);
            fr.ts = ts;
            s.push(fr, m, &clock).unwrap()
        };
        f(0, 1000, true, Some(muxer(640)));
        f(1, 900, false, None);
        let events = f(2, 4000, true, None);
        let segs = segments(&events);
        assert_eq!(segs.len(), 1);
        assert!((segs[0].2 - 3101.0 / 90_000.0).abs() < 1e-12);
    }
}
