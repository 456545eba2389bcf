//! What the simulated cameras did: counters per camera and one shared,
//! lock-free histogram of acknowledgement latencies.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Sub-buckets per power of two: latencies are kept to within 1/64 (~1.6 %).
const SUB_BUCKETS: u64 = 64;
/// Buckets needed to cover every `u64` microsecond value.
const BUCKETS: usize = 64 + 58 * SUB_BUCKETS as usize;

/// Counters of one simulated camera.
#[derive(Debug)]
pub struct CameraStats {
    serial: String,
    sent: AtomicU64,
    stored: AtomicU64,
    refused: AtomicU64,
    failed: AtomicU64,
    bytes: AtomicU64,
}

/// One camera's counters at a moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CameraSnapshot {
    /// The camera's serial.
    pub serial: String,
    /// Segments it tried to upload.
    pub sent: u64,
    /// Segments the server acknowledged (201 or 200).
    pub stored: u64,
    /// Segments the server refused (privacy mode, recording off, schedule, unbound).
    pub refused: u64,
    /// Segments given up on after errors.
    pub failed: u64,
    /// Bytes of the acknowledged segments.
    pub bytes: u64,
}

impl CameraStats {
    fn new(serial: String) -> Self {
        CameraStats {
            serial,
            sent: AtomicU64::new(0),
            stored: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
        }
    }

    fn snapshot(&self) -> CameraSnapshot {
        CameraSnapshot {
            serial: self.serial.clone(),
            sent: self.sent.load(Ordering::Relaxed),
            stored: self.stored.load(Ordering::Relaxed),
            refused: self.refused.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
        }
    }
}

/// The simulator's shared statistics; read them while it runs.
#[derive(Debug)]
pub struct SimStats {
    started: Instant,
    cameras: Vec<CameraStats>,
    latency_us: Vec<AtomicU64>,
}

/// Totals over all cameras at a moment.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// Segments the cameras tried to upload.
    pub sent: u64,
    /// Segments acknowledged.
    pub stored: u64,
    /// Segments refused by the camera's settings.
    pub refused: u64,
    /// Segments given up on.
    pub failed: u64,
    /// Bytes of the acknowledged segments.
    pub bytes: u64,
    /// Time since the simulator was built.
    pub elapsed: Duration,
    /// Median acknowledgement latency in ms, once anything was stored.
    pub p50_ms: Option<f64>,
    /// 99th-percentile acknowledgement latency in ms.
    pub p99_ms: Option<f64>,
}

impl Snapshot {
    /// Acknowledged megabytes (10^6 bytes) per second since the start.
    pub fn mb_per_sec(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.bytes as f64 / 1e6 / secs
        } else {
            0.0
        }
    }

    /// One human-readable line with every figure.
    pub fn summary(&self) -> String {
        let ms = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |v| format!("{v:.1}"));
        format!(
            "{:.0}s: stored {}, refused {}, failed {} of {} segments; ack p50 {} ms, p99 {} ms; {:.2} MB/s",
            self.elapsed.as_secs_f64(),
            self.stored,
            self.refused,
            self.failed,
            self.sent,
            ms(self.p50_ms),
            ms(self.p99_ms),
            self.mb_per_sec()
        )
    }
}

/// The histogram bucket of a latency in microseconds.
fn bucket(us: u64) -> usize {
    if us < SUB_BUCKETS {
        return us as usize;
    }
    // 6 <= exponent <= 63, so the shift below is in range.
    let exponent = 63 - u64::from(us.leading_zeros());
    let sub = (us >> (exponent - 6)) - SUB_BUCKETS;
    (SUB_BUCKETS + (exponent - 6) * SUB_BUCKETS + sub) as usize
}

/// The middle of a bucket's range, in microseconds.
fn bucket_value(index: usize) -> f64 {
    let i = index as u64;
    if i < SUB_BUCKETS {
        return i as f64;
    }
    let exponent = (i - SUB_BUCKETS) / SUB_BUCKETS + 6;
    let sub = (i - SUB_BUCKETS) % SUB_BUCKETS;
    let width = 1u64 << (exponent - 6);
    ((SUB_BUCKETS + sub) * width) as f64 + width as f64 / 2.0
}

impl SimStats {
    /// Empty statistics for cameras with these serials.
    pub fn new<'a>(serials: impl IntoIterator<Item = &'a str>) -> Self {
        SimStats {
            started: Instant::now(),
            cameras: serials
                .into_iter()
                .map(|s| CameraStats::new(s.to_string()))
                .collect(),
            latency_us: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    /// Each camera's counters, in the order the simulator was given them.
    pub fn cameras(&self) -> Vec<CameraSnapshot> {
        self.cameras.iter().map(CameraStats::snapshot).collect()
    }

    /// Totals over all cameras, with latency percentiles.
    pub fn snapshot(&self) -> Snapshot {
        let mut total = Snapshot {
            sent: 0,
            stored: 0,
            refused: 0,
            failed: 0,
            bytes: 0,
            elapsed: self.started.elapsed(),
            p50_ms: self.percentile_ms(0.50),
            p99_ms: self.percentile_ms(0.99),
        };
        for c in self.cameras() {
            total.sent += c.sent;
            total.stored += c.stored;
            total.refused += c.refused;
            total.failed += c.failed;
            total.bytes += c.bytes;
        }
        total
    }

    /// The `q` quantile (0..=1) of acknowledgement latencies, in ms.
    pub fn percentile_ms(&self, q: f64) -> Option<f64> {
        let counts: Vec<u64> = self
            .latency_us
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .collect();
        let n: u64 = counts.iter().sum();
        if n == 0 {
            return None;
        }
        // The smallest value with at least q·n values at or below it.
        let rank = ((q.clamp(0.0, 1.0) * n as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, c) in counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Some(bucket_value(i) / 1000.0);
            }
        }
        None
    }

    pub(super) fn camera(&self, index: usize) -> Option<&CameraStats> {
        self.cameras.get(index)
    }

    pub(super) fn sent(&self, index: usize) {
        if let Some(c) = self.camera(index) {
            c.sent.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(super) fn stored(&self, index: usize, bytes: u64, latency: Duration) {
        if let Some(c) = self.camera(index) {
            c.stored.fetch_add(1, Ordering::Relaxed);
            c.bytes.fetch_add(bytes, Ordering::Relaxed);
        }
        let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        if let Some(b) = self.latency_us.get(bucket(us)) {
            b.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(super) fn refused(&self, index: usize) {
        if let Some(c) = self.camera(index) {
            c.refused.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(super) fn failed(&self, index: usize) {
        if let Some(c) = self.camera(index) {
            c.failed.fetch_add(1, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_every_value_and_keep_order() {
        let mut last = 0;
        for us in (0..5_000u64).chain([1 << 20, 1 << 40, u64::MAX]) {
            let b = bucket(us);
            assert!(b < BUCKETS, "{us}");
            assert!(b >= last, "{us}");
            last = b;
            let v = bucket_value(b);
            assert!((v - us as f64).abs() <= us as f64 / 60.0 + 1.0, "{us}: {v}");
        }
    }

    #[test]
    fn percentiles_and_totals() {
        let stats = SimStats::new(["A", "B"]);
        assert_eq!(stats.percentile_ms(0.5), None);
        for ms in 1..=100u64 {
            stats.stored(0, 10, Duration::from_millis(ms));
        }
        stats.refused(1);
        stats.failed(1);
        stats.sent(1);
        let p50 = stats.percentile_ms(0.5).unwrap();
        let p99 = stats.percentile_ms(0.99).unwrap();
        assert!((49.0..=51.5).contains(&p50), "{p50}");
        assert!((98.0..=100.5).contains(&p99), "{p99}");
        let s = stats.snapshot();
        assert_eq!((s.stored, s.refused, s.failed, s.sent), (100, 1, 1, 1));
        assert_eq!(s.bytes, 1000);
        assert!(s.summary().contains("stored 100"));
    }
}
