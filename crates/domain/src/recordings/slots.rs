//! The playable segments of recent camera-days, kept in memory.
//!
//! A day of 2 s segments is 43,200 index rows; reading them from the
//! database for every timeline and playlist request costs tens of
//! milliseconds, most of it per-row decoding. Opening a camera page asks
//! for the day's timeline and then its playlist, and scrubbing asks again,
//! so the slots of each (camera, owner, UTC day) are kept after the first
//! read and changed in place as this instance stores and removes segments.
//!
//! Entries also expire, so another instance's writes (several instances
//! over one database) show after at most [`TODAY_TTL`] for the current day
//! and [`PAST_TTL`] for older ones. A per-camera generation counter keeps a
//! read that raced with a write from caching what it saw. The total size is
//! capped at [`MAX_SLOTS`], least recently used days going first.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::SegmentSlot;
use crate::ids::{AccountId, CameraId};

/// Milliseconds in a day.
pub const DAY_MS: i64 = 86_400_000;
/// How long the current day's slots are trusted without this instance's writes.
pub const TODAY_TTL: Duration = Duration::from_secs(5);
/// How long an older day's slots are trusted.
pub const PAST_TTL: Duration = Duration::from_secs(60);
/// Most slots kept over all days (about 40 bytes each).
pub const MAX_SLOTS: usize = 500_000;

/// (camera, owner, days since the epoch).
type Key = (CameraId, AccountId, i64);

struct Day {
    slots: Arc<Vec<SegmentSlot>>,
    loaded: Instant,
    used: Instant,
    ttl: Duration,
}

#[derive(Default)]
struct Inner {
    days: HashMap<Key, Day>,
    generations: HashMap<CameraId, u64>,
    /// Bumped by [`SlotCache::clear`], which concerns every camera.
    epoch: u64,
    total: usize,
}

impl Inner {
    fn stamp(&self, camera: CameraId) -> Stamp {
        Stamp(
            self.epoch,
            self.generations.get(&camera).copied().unwrap_or(0),
        )
    }
}

/// Where a camera's index stood when a read began.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp(u64, u64);

/// The cache; see the module documentation.
#[derive(Default)]
pub struct SlotCache {
    inner: Mutex<Inner>,
}

/// The day (since the epoch) holding `ms`.
pub fn day_of(ms: i64) -> i64 {
    ms.div_euclid(DAY_MS)
}

impl SlotCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves plain data behind, still usable.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The cached slots of a day, if fresh, and the camera's stamp (to
    /// hand back to [`SlotCache::put`] after a read).
    pub fn get(
        &self,
        camera: CameraId,
        owner: AccountId,
        day: i64,
    ) -> (Option<Arc<Vec<SegmentSlot>>>, Stamp) {
        let mut inner = self.lock();
        let generation = inner.stamp(camera);
        let now = Instant::now();
        let key = (camera, owner, day);
        let fresh = match inner.days.get_mut(&key) {
            Some(d) if now.duration_since(d.loaded) < d.ttl => {
                d.used = now;
                return (Some(d.slots.clone()), generation);
            }
            Some(_) => false,
            None => true,
        };
        if !fresh {
            if let Some(old) = inner.days.remove(&key) {
                inner.total -= old.slots.len();
            }
        }
        (None, generation)
    }

    /// Keeps a day's slots as read from the index, unless the camera's
    /// index changed since `stamp` was taken (the read may be stale).
    pub fn put(
        &self,
        camera: CameraId,
        owner: AccountId,
        day: i64,
        stamp: Stamp,
        slots: Arc<Vec<SegmentSlot>>,
        today: bool,
    ) {
        let mut inner = self.lock();
        if inner.stamp(camera) != stamp || slots.len() > MAX_SLOTS {
            return;
        }
        let now = Instant::now();
        inner.total += slots.len();
        let ttl = if today { TODAY_TTL } else { PAST_TTL };
        if let Some(old) = inner.days.insert(
            (camera, owner, day),
            Day {
                slots,
                loaded: now,
                used: now,
                ttl,
            },
        ) {
            inner.total -= old.slots.len();
        }
        while inner.total > MAX_SLOTS {
            let Some(oldest) = inner
                .days
                .iter()
                .min_by_key(|(_, d)| d.used)
                .map(|(k, _)| *k)
            else {
                break;
            };
            if let Some(d) = inner.days.remove(&oldest) {
                inner.total -= d.slots.len();
            }
        }
    }

    /// A segment this instance just indexed: added to its day if cached.
    pub fn inserted(&self, owner: AccountId, slot: SegmentSlot, camera: CameraId) {
        let mut inner = self.lock();
        *inner.generations.entry(camera).or_default() += 1;
        let key = (camera, owner, day_of(slot.start.ms()));
        let Some(day) = inner.days.get_mut(&key) else {
            return;
        };
        let slots = Arc::make_mut(&mut day.slots);
        let at = slots.partition_point(|s| (s.start, s.id) < (slot.start, slot.id));
        slots.insert(at, slot);
        inner.total += 1;
    }

    /// Segments of `camera` were removed or flagged: forget its days.
    pub fn forget_camera(&self, camera: CameraId) {
        let mut inner = self.lock();
        *inner.generations.entry(camera).or_default() += 1;
        let gone: usize = inner
            .days
            .iter()
            .filter(|((c, _, _), _)| *c == camera)
            .map(|(_, d)| d.slots.len())
            .sum();
        inner.days.retain(|(c, _, _), _| *c != camera);
        inner.total -= gone;
    }

    /// Forgets everything (after reconciliation flagged rows).
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.epoch += 1;
        inner.days.clear();
        inner.total = 0;
    }
}

#[cfg(test)]
mod tests;
