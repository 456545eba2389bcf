//! Live view: the newest stored segment of each camera, fanned out to viewers.
//!
//! Every accepted segment starts with a keyframe, so a viewer who joins
//! gets the init and the newest segment and can start decoding at once,
//! then every following segment as it arrives. The newest segment is held
//! in memory only for cameras someone is watching; the first viewer of a
//! camera gets it from storage (see `Recordings::watch_live`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::broadcast;

use crate::clock::Timestamp;
use crate::ids::CameraId;

/// Segments a slow viewer may fall behind before it skips ahead.
const BACKLOG: usize = 8;

/// One segment on its way to viewers.
#[derive(Debug)]
pub struct LiveSegment {
    /// Init id and whether it kept audio: viewers re-initialise when it changes.
    pub init_key: (i64, bool),
    /// The init segment that plays it (audio stripped to match when needed).
    pub init: Arc<Vec<u8>>,
    /// `video/mp4; codecs="…"` for the browser's MediaSource.
    pub mime: Arc<str>,
    /// `h264` or `h265`, so a browser that cannot play it can say which.
    pub codec: Arc<str>,
    /// The plaintext media segment.
    pub data: Vec<u8>,
    /// The camera's wall-clock start.
    pub start: Timestamp,
    /// When the server received it, for latency measurement.
    pub arrived: Instant,
}

#[derive(Debug)]
struct Feed {
    tx: broadcast::Sender<Arc<LiveSegment>>,
    newest: Option<Arc<LiveSegment>>,
}

/// Delivery latencies kept for the benchmark, at most.
const LATENCY_SAMPLES: usize = 100_000;

/// Per-camera fan-out of newly arrived segments.
#[derive(Debug, Default)]
pub struct LiveHub {
    feeds: Mutex<HashMap<CameraId, Feed>>,
    /// Microseconds from a segment's arrival to its hand-over to a viewer's socket.
    latencies: Mutex<Vec<u32>>,
}

impl LiveHub {
    fn feeds(&self) -> std::sync::MutexGuard<'_, HashMap<CameraId, Feed>> {
        self.feeds
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Hands a segment to every current viewer and keeps it for new ones.
    pub fn publish(&self, camera: CameraId, segment: LiveSegment) {
        let segment = Arc::new(segment);
        let mut feeds = self.feeds();
        let feed = feeds.entry(camera).or_insert_with(|| Feed {
            tx: broadcast::channel(BACKLOG).0,
            newest: None,
        });
        // Held only while someone watches: with 100 cameras and nobody
        // watching, holding each newest segment would cost ~50 MB. A
        // viewer joining an unwatched camera gets it from storage instead.
        feed.newest = (feed.tx.receiver_count() > 0).then(|| segment.clone());
        // No viewer is not an error.
        let _ = feed.tx.send(segment);
    }

    /// Starts watching: the newest segment (if any) and the stream of later ones.
    pub fn subscribe(
        &self,
        camera: CameraId,
    ) -> (
        Option<Arc<LiveSegment>>,
        broadcast::Receiver<Arc<LiveSegment>>,
    ) {
        let mut feeds = self.feeds();
        let feed = feeds.entry(camera).or_insert_with(|| Feed {
            tx: broadcast::channel(BACKLOG).0,
            newest: None,
        });
        (feed.newest.clone(), feed.tx.subscribe())
    }

    /// Drops a camera's held segment (privacy mode, unbinding): a viewer
    /// joining later must not see what came before.
    pub fn clear(&self, camera: CameraId) {
        if let Some(feed) = self.feeds().get_mut(&camera) {
            feed.newest = None;
        }
    }

    /// Notes that a segment that arrived at `arrived` was just written to a
    /// viewer's socket: the server-added latency of live view.
    pub fn delivered(&self, arrived: Instant) {
        let us = u32::try_from(arrived.elapsed().as_micros()).unwrap_or(u32::MAX);
        let mut l = self
            .latencies
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if l.len() < LATENCY_SAMPLES {
            l.push(us);
        }
    }

    /// Takes the latencies noted so far (microseconds), for the benchmark.
    pub fn take_latencies(&self) -> Vec<u32> {
        std::mem::take(
            &mut *self
                .latencies
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    /// Cameras with at least one viewer right now.
    pub fn watched_cameras(&self) -> Vec<CameraId> {
        self.feeds()
            .iter()
            .filter(|(_, f)| f.tx.receiver_count() > 0)
            .map(|(c, _)| *c)
            .collect()
    }

    /// Number of viewers of a camera right now.
    pub fn viewers(&self, camera: CameraId) -> usize {
        self.feeds()
            .get(&camera)
            .map_or(0, |f| f.tx.receiver_count())
    }
}
