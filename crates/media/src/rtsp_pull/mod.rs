//! Recording from an RTSP camera: [`pull`] is one long-running task per
//! camera that turns its video into fragmented-MP4 init and media segments.
//!
//! It connects with `retina` (RTP interleaved over the RTSP TCP connection),
//! takes the first H.264 (or H.265) video stream, and builds an init segment
//! from the stream's parameters with [`crate::mux::Muxer`]. Access units are
//! gathered and cut at the first keyframe at least `target_segment_secs`
//! after a segment's start, so every segment opens on a keyframe. Audio is
//! not pulled.
//!
//! When the camera goes away it reports [`PullEvent::Status`] and reconnects
//! with exponential back-off (1 s, 2 s, 4 s … at most 30 s; back to 1 s after
//! a connection that lasted a minute) until told to stop. A partial segment
//! at a disconnect is dropped: its last frame's duration is unknowable and it
//! may end mid-GOP. Decode times keep running across reconnects, so the
//! segments of one pull play back as one continuous timeline; their wall
//! clock start times ([`PullEvent::Segment::start_wall_ms`]) show the gaps.
//!
//! Segments start on H.264 IDR pictures (what retina calls random access
//! points) and on H.265 IRAP pictures (IDR, and also CRA, which x265 and
//! many cameras send after the first keyframe). Both get sync-sample flags.
//!
//! Known limits: RTP timestamps are presentation times, so streams with
//! B-frames (rare on cameras) get approximate durations (a backward step
//! counts as one tick) and no composition offsets. H.264 streams that never
//! send IDR pictures (only recovery-point I-frames) produce no segments.
//!
//! Nothing here logs, and no event holds the password or a URL's user info.

mod segmenter;
mod session;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use crate::mux::MuxError;
use crate::rtsp::{ProbeError, Target};
use segmenter::{Segmenter, MAX_SEGMENT_BYTES, MAX_SEGMENT_FRAMES};

/// Timescale of the pulled track: the 90 kHz RTP video clock.
pub const TIMESCALE: u32 = 90_000;

/// Shortest and longest segment target accepted, in seconds; others are
/// clamped into this range.
pub const TARGET_SECS_RANGE: (f64, f64) = (1.0, 10.0);

/// Wait before the first reconnect, doubled after each failed attempt.
const INITIAL_BACKOFF: Duration = Duration::from_secs(1);
/// Longest wait between reconnects.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// A connection that lasted this long resets the back-off.
const STABLE_AFTER: Duration = Duration::from_secs(60);
/// Bound on DESCRIBE + SETUP + PLAY.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// A connection with no video frame for this long is given up.
const FRAME_TIMEOUT: Duration = Duration::from_secs(10);

/// The current time in milliseconds since the Unix epoch (the caller's
/// clock, so tests and the server's clock abstraction decide).
pub type WallClock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// Where to pull from.
#[derive(Clone, PartialEq, Eq)]
pub struct PullSource {
    /// `rtsp://host[:port]/path`; a `user:pass@` in it is used when the
    /// fields below are empty, as for [`crate::rtsp::probe`].
    pub url: String,
    /// User name for Basic or Digest authentication.
    pub username: Option<String>,
    /// Password for Basic or Digest authentication.
    pub password: Option<String>,
}

impl fmt::Debug for PullSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PullSource")
            .field("url", &crate::rtsp::redact_url(&self.url))
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .finish()
    }
}

/// What a pull reports.
#[derive(Clone, PartialEq)]
pub enum PullEvent {
    /// An init segment (`ftyp` + `moov`) for the segments that follow: sent
    /// after every (re)connect and whenever the codec parameters change.
    Init(Vec<u8>),
    /// A media segment (`moof` + `mdat`) opening on a keyframe.
    Segment {
        /// The segment.
        bytes: Vec<u8>,
        /// Wall-clock time of its first frame, in ms since the Unix epoch:
        /// the clock's reading when the connection's first frame arrived,
        /// plus the media time since that frame.
        start_wall_ms: i64,
        /// Its length in seconds.
        duration_secs: f64,
    },
    /// The connection state changed.
    Status {
        /// Whether the camera is streaming now.
        connected: bool,
        /// Why it is not (`None` when connected), a stable code:
        /// `unreachable`, `auth_failed`, `unsupported_codec`, `timeout`,
        /// `protocol`, `invalid_url` (as [`ProbeError::code`]), or
        /// `stream_ended` (the camera closed the stream) or `gop_too_long`
        /// (no keyframe within 64 MiB / 10,000 frames, at the start or
        /// within a segment).
        reason: Option<&'static str>,
        /// A sentence for the operator, free of credentials.
        detail: Option<String>,
    },
}

impl fmt::Debug for PullEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Init(b) => write!(f, "Init({} bytes)", b.len()),
            Self::Segment {
                bytes,
                start_wall_ms,
                duration_secs,
            } => write!(
                f,
                "Segment({} bytes, start {start_wall_ms} ms, {duration_secs:.3} s)",
                bytes.len()
            ),
            Self::Status {
                connected,
                reason,
                detail,
            } => write!(f, "Status(connected {connected}, {reason:?}, {detail:?})"),
        }
    }
}

/// Why a connection ended.
#[derive(Debug)]
enum Failure {
    /// Connecting or streaming failed as a probe would.
    Probe(ProbeError),
    /// The camera ended the stream.
    Ended,
    /// A segment outgrew [`MAX_SEGMENT_BYTES`] / [`MAX_SEGMENT_FRAMES`].
    GopTooLong,
    /// The muxer refused the camera's parameters or frames.
    Mux(MuxError),
    /// Nobody listens to the events any more.
    ReceiverGone,
}

impl Failure {
    fn code(&self) -> &'static str {
        match self {
            Self::Probe(e) => e.code(),
            Self::Ended => "stream_ended",
            Self::GopTooLong => "gop_too_long",
            Self::Mux(_) | Self::ReceiverGone => "protocol",
        }
    }

    fn detail(self, password: Option<&str>) -> String {
        match self {
            Self::Probe(e) => e.scrubbed(password).to_string(),
            Self::Ended => "the camera ended the stream".to_owned(),
            Self::GopTooLong => format!(
                "no keyframe within {} MiB or {MAX_SEGMENT_FRAMES} frames",
                MAX_SEGMENT_BYTES >> 20
            ),
            Self::Mux(e) => ProbeError::Protocol(e.to_string())
                .scrubbed(password)
                .to_string(),
            Self::ReceiverGone => String::new(),
        }
    }
}

/// Pulls video from `source` until `stop` turns true (or its sender is
/// dropped) or nobody receives `events` any more, sending init segments,
/// media segments of about `target_segment_secs` (clamped to
/// [`TARGET_SECS_RANGE`]; each runs to the first keyframe at or after it)
/// and connection changes. `now_ms` dates the segments.
///
/// Never returns an error: failures become [`PullEvent::Status`] and a
/// reconnect after a back-off. The one exception is a URL that cannot work
/// (`invalid_url`), reported once before returning. Wrong credentials are
/// retried like any failure, at the back-off's pace.
///
/// Must be called from within a tokio runtime.
pub async fn pull(
    source: PullSource,
    target_segment_secs: f64,
    now_ms: WallClock,
    events: mpsc::Sender<PullEvent>,
    mut stop: watch::Receiver<bool>,
) {
    let target = match Target::parse(
        &source.url,
        source.username.as_deref(),
        source.password.as_deref(),
    ) {
        Ok(t) => t,
        Err(e) => {
            let failure = Failure::Probe(e);
            let _ = events
                .send(status(failure, source.password.as_deref()))
                .await;
            return;
        }
    };
    // The password actually sent, which may come from the URL.
    let secret = target.creds.as_ref().map(|c| c.password.clone());
    let secret = secret.as_deref().or(source.password.as_deref());

    let target_secs = if target_segment_secs.is_finite() {
        target_segment_secs.clamp(TARGET_SECS_RANGE.0, TARGET_SECS_RANGE.1)
    } else {
        TARGET_SECS_RANGE.0
    };
    let mut segmenter = Segmenter::new(target_secs);
    let mut backoff = INITIAL_BACKOFF;
    loop {
        if *stop.borrow_and_update() {
            return;
        }
        let mut connected_at = None;
        let failure = tokio::select! {
            f = session::run(&target, &mut segmenter, &events, &*now_ms, &mut connected_at) => f,
            () = stopped(&mut stop) => return,
        };
        segmenter.reset();
        if matches!(failure, Failure::ReceiverGone) {
            return;
        }
        // A listener that stopped reading must not keep a stop waiting.
        let sent = tokio::select! {
            sent = events.send(status(failure, secret)) => sent,
            () = stopped(&mut stop) => return,
        };
        if sent.is_err() {
            return;
        }
        if connected_at.is_some_and(|t: tokio::time::Instant| t.elapsed() >= STABLE_AFTER) {
            backoff = INITIAL_BACKOFF;
        }
        tokio::select! {
            () = tokio::time::sleep(backoff) => {}
            () = stopped(&mut stop) => return,
        }
        backoff = backoff.saturating_mul(2).min(MAX_BACKOFF);
    }
}

/// The disconnected status for `failure`.
fn status(failure: Failure, password: Option<&str>) -> PullEvent {
    PullEvent::Status {
        connected: false,
        reason: Some(failure.code()),
        detail: Some(failure.detail(password)),
    }
}

/// Resolves once `stop` holds true or its sender is gone.
async fn stopped(stop: &mut watch::Receiver<bool>) {
    loop {
        if *stop.borrow_and_update() {
            return;
        }
        if stop.changed().await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

    use super::*;

    #[test]
    fn debug_output_hides_the_password() {
        let source = PullSource {
            url: "rtsp://admin:in-url-secret@cam/live".to_owned(),
            username: Some("admin".to_owned()),
            password: Some("field-secret".to_owned()),
        };
        let text = format!("{source:?}");
        assert!(!text.contains("secret"), "{text}");
        assert!(text.contains("rtsp://cam/live"), "{text}");
    }

    #[test]
    fn failure_details_are_scrubbed_and_codes_stable() {
        let f = Failure::Probe(ProbeError::Protocol("rtsp://u:pw9@cam said pw9".to_owned()));
        assert_eq!(f.code(), "protocol");
        let text = f.detail(Some("pw9"));
        assert!(!text.contains("pw9"), "{text}");
        assert_eq!(Failure::Ended.code(), "stream_ended");
        assert_eq!(Failure::GopTooLong.code(), "gop_too_long");
        assert!(Failure::GopTooLong.detail(None).contains("64 MiB"));
    }

    #[tokio::test]
    async fn an_invalid_url_is_reported_once_and_ends_the_pull() {
        let (tx, mut rx) = mpsc::channel(4);
        let (_stop_tx, stop) = watch::channel(false);
        let source = PullSource {
            url: "http://u:pw@cam/".to_owned(),
            username: None,
            password: None,
        };
        pull(source, 2.0, Arc::new(|| 0), tx, stop).await;
        match rx.recv().await.unwrap() {
            PullEvent::Status {
                connected: false,
                reason: Some("invalid_url"),
                detail: Some(d),
            } => assert!(!d.contains("pw"), "{d}"),
            other => panic!("{other:?}"),
        }
        assert!(rx.recv().await.is_none());
    }

    #[tokio::test]
    async fn stop_ends_the_back_off_wait() {
        // Nothing listens on this port: every attempt fails at once.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let (tx, mut rx) = mpsc::channel(4);
        let (stop_tx, stop) = watch::channel(false);
        let source = PullSource {
            url: format!("rtsp://127.0.0.1:{port}/cam"),
            username: None,
            password: None,
        };
        let task = tokio::spawn(pull(source, 2.0, Arc::new(|| 0), tx, stop));
        match rx.recv().await.unwrap() {
            PullEvent::Status {
                connected: false,
                reason,
                ..
            } => assert_eq!(reason, Some("unreachable")),
            other => panic!("{other:?}"),
        }
        stop_tx.send(true).unwrap();
        tokio::time::timeout(Duration::from_secs(2), task)
            .await
            .unwrap()
            .unwrap();
    }
}
