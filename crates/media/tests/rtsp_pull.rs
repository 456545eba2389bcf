//! Pulling segments from a real RTSP server: `scripts/rtsp-test-camera.py`
//! (GStreamer's RTSP server; 640x360 at 10 fps, a keyframe every second).
//!
//! Outside CI these tests print `SKIP rtsp: …` and pass when its
//! Python/GStreamer packages are missing; in CI (`CI=true`) that is a
//! failure. ffprobe follows the same rule.

// Tests may unwrap: a panic here is a failed test with its message.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use media::fmp4::{mime_codecs, parse_init, parse_media, InitSegment};
use media::rtsp_pull::{pull, PullEvent, PullSource, TIMESCALE};
use testkit::rtsp::{start as camera, start_on};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

/// Longest wait for any one event (the camera sends a keyframe every second).
const EVENT_WAIT: Duration = Duration::from_secs(20);

/// A running pull and its event stream.
struct Pull {
    rx: mpsc::Receiver<PullEvent>,
    /// The newest init received.
    init: Option<Vec<u8>>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Pull {
    fn start(url: &str, user: Option<&str>, password: Option<&str>) -> Pull {
        let (tx, rx) = mpsc::channel(16);
        let (stop, stop_rx) = watch::channel(false);
        let source = PullSource {
            url: url.to_owned(),
            username: user.map(str::to_owned),
            password: password.map(str::to_owned),
        };
        // A wall clock that runs from a fixed date at the real pace.
        let t0 = Instant::now();
        let clock = Arc::new(move || 1_700_000_000_000 + t0.elapsed().as_millis() as i64);
        let task = tokio::spawn(pull(source, 2.0, clock, tx, stop_rx));
        Pull {
            rx,
            init: None,
            stop,
            task,
        }
    }

    async fn next(&mut self) -> PullEvent {
        tokio::time::timeout(EVENT_WAIT, self.rx.recv())
            .await
            .expect("no event within 20 s")
            .expect("the pull ended")
    }

    /// The next event, with inits remembered and segments checked against
    /// the init before them.
    async fn event(&mut self) -> Event {
        match self.next().await {
            PullEvent::Init(b) => {
                self.init = Some(b);
                Event::Init
            }
            PullEvent::Segment {
                bytes,
                start_wall_ms,
                duration_secs,
            } => {
                let init = self.init.as_ref().expect("a segment before any init");
                let parsed = parse_init(init).unwrap();
                Event::Segment(Seg::check(bytes, start_wall_ms, duration_secs, &parsed))
            }
            PullEvent::Status {
                connected, reason, ..
            } => Event::Status(connected, reason),
        }
    }

    /// Events until `n` segments have come, with no disconnect; returns the
    /// newest init and the segments.
    async fn segments(&mut self, n: usize) -> (Vec<u8>, Vec<Seg>) {
        let mut out = Vec::new();
        while out.len() < n {
            match self.event().await {
                Event::Init | Event::Status(true, _) => {}
                Event::Segment(s) => out.push(s),
                Event::Status(false, reason) => panic!("disconnected: {reason:?}"),
            }
        }
        (self.init.clone().unwrap(), out)
    }

    async fn stop(self) {
        self.stop.send(true).unwrap();
        tokio::time::timeout(Duration::from_secs(5), self.task)
            .await
            .expect("the pull did not stop within 5 s")
            .unwrap();
    }
}

/// A [`PullEvent`] as the tests look at it.
enum Event {
    Init,
    Segment(Seg),
    Status(bool, Option<&'static str>),
}

/// A pulled segment, already checked on its own.
struct Seg {
    bytes: Vec<u8>,
    wall_ms: i64,
    /// Decode time of the first and one past the last frame, in 90 kHz ticks.
    start: u64,
    end: u64,
}

impl Seg {
    /// Parses the segment against `init` and checks that it opens on a
    /// keyframe and lasts what the event says, about 2 s.
    fn check(bytes: Vec<u8>, wall_ms: i64, secs: f64, init: &InitSegment) -> Seg {
        let seg = parse_media(&bytes, init).unwrap();
        let t = seg.track(1).unwrap();
        assert_eq!(t.timescale, TIMESCALE);
        let first = &seg.fragments[0].tracks[0].samples[0];
        assert!(first.is_sync, "segment does not open on a keyframe");
        assert_eq!(t.keyframes[0].sample_index, 0);
        assert!((t.duration_seconds - secs).abs() < 1e-6, "{secs} vs {t:?}");
        assert!((1.5..=4.5).contains(&secs), "segment of {secs} s");
        Seg {
            bytes,
            wall_ms,
            start: t.start,
            end: t.start + t.duration,
        }
    }
}

/// Consecutive segments continue each other's decode times exactly.
fn assert_continuous(segs: &[Seg]) {
    for pair in segs.windows(2) {
        assert_eq!(pair[1].start, pair[0].end, "decode times must run on");
        assert!(pair[1].wall_ms > pair[0].wall_ms);
    }
}

/// Writes `parts` into one file and has ffprobe read it without complaint.
fn assert_ffprobe_clean(name: &str, parts: &[&[u8]], codec: &str, seconds: f64) {
    if !testkit::ffprobe::available(name) {
        return;
    }
    let path: PathBuf =
        std::env::temp_dir().join(format!("camvault-pull-{name}-{}.mp4", std::process::id()));
    std::fs::write(&path, parts.concat()).unwrap();
    let probe = testkit::ffprobe::probe(path.to_str().unwrap(), &[]);
    let _ = std::fs::remove_file(&path);
    assert!(
        probe.success && probe.errors.trim().is_empty(),
        "ffprobe: {}",
        probe.errors
    );
    let stream = &probe.json["streams"][0];
    assert_eq!(stream["codec_name"], codec, "{stream}");
    assert_eq!(
        (stream["width"].as_u64(), stream["height"].as_u64()),
        (Some(640), Some(360))
    );
    let duration: f64 = probe.json["format"]["duration"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((duration - seconds).abs() < 0.2, "{duration} vs {seconds}");
}

// promise: B7
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h264_camera_gives_keyframe_aligned_segments_that_ffprobe_reads() {
    let Some(cam) = camera(&["--codec", "h264"]) else {
        return;
    };
    let mut p = Pull::start(&cam.url, None, None);
    match p.next().await {
        PullEvent::Status {
            connected: true,
            reason: None,
            ..
        } => {}
        other => panic!("expected connected, got {other:?}"),
    }
    let (init, segs) = p.segments(3).await;
    p.stop().await;

    let parsed = parse_init(&init).unwrap();
    assert!(mime_codecs(&parsed).starts_with("avc1.42"), "{parsed:?}");
    assert_eq!(segs[0].start, 0);
    assert_continuous(&segs);
    let mut parts: Vec<&[u8]> = vec![&init];
    parts.extend(segs.iter().map(|s| s.bytes.as_slice()));
    let seconds = (segs[2].end - segs[0].start) as f64 / f64::from(TIMESCALE);
    assert_ffprobe_clean("h264", &parts, "h264", seconds);
}

// promise: B7
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h265_camera_is_pulled_as_hvc1() {
    let Some(cam) = camera(&["--codec", "h265"]) else {
        return;
    };
    let mut p = Pull::start(&cam.url, None, None);
    let (init, segs) = p.segments(1).await;
    p.stop().await;
    let parsed = parse_init(&init).unwrap();
    assert_eq!(&parsed.tracks[0].sample_entry.0, b"hvc1");
    assert!(mime_codecs(&parsed).starts_with("hvc1."), "{parsed:?}");
    let seconds = (segs[0].end - segs[0].start) as f64 / f64::from(TIMESCALE);
    assert_ffprobe_clean("h265", &[&init, &segs[0].bytes], "hevc", seconds);
}

// promise: B7
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protected_camera_refuses_a_wrong_password_and_streams_with_the_right_one() {
    const PASSWORD: &str = "Corr3ct-Horse";
    const WRONG: &str = "Wr0ng-Battery";
    for auth in ["basic", "digest"] {
        let Some(cam) = camera(&["--user", "viewer", "--password", PASSWORD, "--auth", auth])
        else {
            return;
        };
        let mut p = Pull::start(&cam.url, Some("viewer"), Some(WRONG));
        match p.next().await {
            PullEvent::Status {
                connected: false,
                reason: Some("auth_failed"),
                detail,
            } => assert!(!format!("{detail:?}").contains(WRONG), "{detail:?}"),
            other => panic!("{auth}: expected auth_failed, got {other:?}"),
        }
        p.stop().await;

        // Credentials in the URL work as well as the fields.
        let with_creds = cam
            .url
            .replace("rtsp://", &format!("rtsp://viewer:{PASSWORD}@"));
        let mut p = Pull::start(&with_creds, None, None);
        let (_, segs) = p.segments(1).await;
        assert_eq!(segs[0].start, 0);
        p.stop().await;
    }
}

// promise: B7
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_camera_that_vanishes_is_reconnected_with_time_running_on() {
    let Some(cam) = camera(&["--codec", "h264"]) else {
        return;
    };
    let port = cam.port();
    let mut p = Pull::start(&cam.url, None, None);
    let (first_init, mut before) = p.segments(1).await;

    // The camera loses power: no RTSP goodbye.
    tokio::task::spawn_blocking(move || cam.kill())
        .await
        .unwrap();
    loop {
        match p.event().await {
            Event::Status(false, reason) => {
                // The socket closes with the process: an end of stream.
                assert!(
                    matches!(reason, Some("stream_ended" | "protocol")),
                    "{reason:?}"
                );
                break;
            }
            // A segment completed just before the camera went.
            Event::Segment(s) => before.push(s),
            Event::Init | Event::Status(true, _) => panic!("expected a disconnect"),
        }
    }
    let cam = tokio::task::spawn_blocking(move || start_on(port, &["--codec", "h264"]))
        .await
        .unwrap()
        .unwrap();

    // Failed attempts while the camera was away, then a new connection, a
    // new init and more segments.
    let mut connected = false;
    loop {
        match p.event().await {
            Event::Status(false, _) => assert!(!connected),
            Event::Status(true, _) => connected = true,
            Event::Init => break,
            Event::Segment(_) => panic!("a segment before the new init"),
        }
    }
    assert!(connected, "an init before the connection");
    let (new_init, after) = p.segments(2).await;
    p.stop().await;
    drop(cam);

    assert_eq!(
        parse_init(&new_init).unwrap(),
        parse_init(&first_init).unwrap()
    );
    assert_continuous(&before);
    assert_continuous(&after);
    // Decode times run on from the last segment before the loss; the wall
    // clock shows the gap.
    let last_before = before.last().unwrap();
    assert_eq!(after[0].start, last_before.end, "decode times must run on");
    assert!(after[0].wall_ms > last_before.wall_ms + 1000);
}
