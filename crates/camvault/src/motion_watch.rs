//! Server-side motion detection for RTSP cameras, which report no events
//! of their own: one worker per pulled camera decodes the keyframes of each
//! stored segment (`media::motion`), compares them with the scene's
//! running background under the camera's settings, and records a `motion`
//! event with a snapshot when something moves — the same path as an event
//! a camera sends, so alerts, events-mode recording and search follow.
//!
//! Detection must never slow recording: segments reach the worker through
//! a two-slot queue and are dropped when it is still busy, and decoding runs
//! on the blocking pool.

use std::sync::Arc;

use domain::cameras::Camera;
use domain::events::ingest::EventInput;
use domain::events::Events;
use domain::events::Region;
use media::motion::decode::{KeyframeDecoder, Picture};
use media::motion::{Area, Detector, Motion, Tuning};
use tokio::sync::mpsc;

/// Least time between two motion events of one camera while motion goes on.
pub const EVENT_GAP_MS: i64 = 10_000;
/// Least time between two decoded keyframes.
const PICTURE_GAP_MS: i64 = 900;

/// What the worker is handed.
enum Job {
    Init(Vec<u8>),
    Segment {
        camera: Box<Camera>,
        bytes: Vec<u8>,
        start_ms: i64,
    },
}

/// The handle a camera's pull task feeds.
pub struct MotionWatch {
    tx: mpsc::Sender<Job>,
}

impl MotionWatch {
    /// Starts the worker of one camera; it ends when the handle is dropped.
    pub fn spawn(events: Arc<Events>) -> MotionWatch {
        let (tx, rx) = mpsc::channel(2);
        tokio::spawn(run(events, rx));
        MotionWatch { tx }
    }

    /// A new init segment: the decoder starts over from its parameter sets.
    pub async fn init(&self, bytes: Vec<u8>) {
        // Waits for room: without the init no later segment can be decoded.
        let _ = self.tx.send(Job::Init(bytes)).await;
    }

    /// A stored segment that started at `start_ms` (Unix ms).
    pub fn segment(&self, camera: &Camera, bytes: Vec<u8>, start_ms: i64) {
        let job = Job::Segment {
            camera: Box::new(camera.clone()),
            bytes,
            start_ms,
        };
        if self.tx.try_send(job).is_err() {
            tracing::debug!(camera = %camera.id, "motion detection busy; segment skipped");
        }
    }
}

/// The per-camera state that moves to the blocking pool and back.
struct State {
    decoder: Option<KeyframeDecoder>,
    detector: Detector,
}

async fn run(events: Arc<Events>, mut rx: mpsc::Receiver<Job>) {
    let mut state = Some(State {
        decoder: None,
        detector: Detector::default(),
    });
    let mut last_event_ms: Option<i64> = None;
    while let Some(job) = rx.recv().await {
        let Some(mut s) = state.take() else { return };
        match job {
            Job::Init(bytes) => {
                s.decoder = match KeyframeDecoder::new(&bytes) {
                    Ok(d) => d,
                    Err(e) => {
                        tracing::warn!(error = %e, "motion detection: init not decodable");
                        None
                    }
                };
                s.detector = Detector::default();
                state = Some(s);
            }
            Job::Segment {
                camera,
                bytes,
                start_ms,
            } => {
                let settings = match events.motion_settings_of(camera.id).await {
                    Ok(m) => m,
                    Err(e) => {
                        tracing::warn!(camera = %camera.id, error = %e, "motion settings unreadable");
                        state = Some(s);
                        continue;
                    }
                };
                if !settings.enabled || s.decoder.is_none() {
                    state = Some(s);
                    continue;
                }
                let tuning = Tuning {
                    sensitivity: settings.sensitivity,
                    masked: settings
                        .masked_zones
                        .iter()
                        .map(|z| Area {
                            x: z.x,
                            y: z.y,
                            w: z.w,
                            h: z.h,
                        })
                        .collect(),
                };
                let worked = tokio::task::spawn_blocking(move || detect(s, &bytes, &tuning)).await;
                let Ok((back, found)) = worked else {
                    // The decoder panicked: start afresh at the next init.
                    tracing::error!(camera = %camera.id, "motion detection failed");
                    state = Some(State {
                        decoder: None,
                        detector: Detector::default(),
                    });
                    continue;
                };
                state = Some(back);
                for (picture, motion, jpeg) in found {
                    let at_ms = start_ms + picture.offset_ms;
                    if last_event_ms.is_some_and(|last| at_ms - last < EVENT_GAP_MS) {
                        continue;
                    }
                    last_event_ms = Some(at_ms);
                    record(&events, &camera, at_ms, &motion, jpeg).await;
                }
            }
        }
    }
}

/// A picture that moved, what moved, and its JPEG.
type Sighting = (Picture, Motion, Option<Vec<u8>>);

/// Decodes the segment's keyframes and runs the detector over them; a JPEG
/// is made only for the pictures that moved.
fn detect(mut s: State, bytes: &[u8], tuning: &Tuning) -> (State, Vec<Sighting>) {
    let Some(decoder) = s.decoder.as_mut() else {
        return (s, Vec::new());
    };
    let pictures = match decoder.pictures(bytes, PICTURE_GAP_MS, true) {
        Ok(p) => p,
        Err(e) => {
            tracing::debug!(error = %e, "motion detection: segment not decodable");
            return (s, Vec::new());
        }
    };
    let mut found = Vec::new();
    for picture in pictures {
        if let Some(motion) = s.detector.feed(&picture.grey, tuning) {
            let jpeg = picture.jpeg();
            found.push((picture, motion, jpeg));
        }
    }
    (s, found)
}

async fn record(
    events: &Events,
    camera: &Camera,
    at_ms: i64,
    motion: &Motion,
    jpeg: Option<Vec<u8>>,
) {
    let input = EventInput {
        kind: "motion".into(),
        at_ms,
        score: Some((motion.score * 100.0).round() / 100.0),
        region: Some(Region {
            x: motion.region.x,
            y: motion.region.y,
            w: motion.region.w,
            h: motion.region.h,
        }),
        labels: Vec::new(),
    };
    match events.record(camera, input, jpeg).await {
        Ok(event) => {
            tracing::info!(camera = %camera.id, event = event.id, "motion detected");
        }
        // A camera switched to privacy mode meanwhile, for instance.
        Err(e) => tracing::info!(camera = %camera.id, error = %e, "motion event not recorded"),
    }
}
