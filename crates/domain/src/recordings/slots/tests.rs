//! The cache keeps order, refuses stale reads, forgets on removal and
//! stays under its size cap.

use std::sync::Arc;

use super::{day_of, SlotCache, DAY_MS, MAX_SLOTS};
use crate::clock::Timestamp;
use crate::ids::{AccountId, CameraId};
use crate::recordings::SegmentSlot;

fn slot(id: i64, start: i64) -> SegmentSlot {
    SegmentSlot {
        id,
        init_id: 1,
        has_audio: true,
        start: Timestamp(start),
        end: Timestamp(start + 2_000),
    }
}

const CAM: CameraId = CameraId(7);
const OWNER: AccountId = AccountId(3);

#[test]
fn a_kept_day_is_served_and_new_segments_join_it_in_order() {
    let cache = SlotCache::default();
    let day = 20_000;
    let base = day * DAY_MS;
    let (none, stamp) = cache.get(CAM, OWNER, day);
    assert!(none.is_none());
    cache.put(
        CAM,
        OWNER,
        day,
        stamp,
        Arc::new(vec![slot(1, base), slot(3, base + 4_000)]),
        false,
    );
    // A late segment lands between the two; one of another day changes nothing.
    cache.inserted(OWNER, slot(9, base + 2_000), CAM);
    cache.inserted(OWNER, slot(10, base + DAY_MS), CAM);
    let (got, _) = cache.get(CAM, OWNER, day);
    let ids: Vec<i64> = got.unwrap().iter().map(|s| s.id).collect();
    assert_eq!(ids, [1, 9, 3]);
    // Another owner's view of the camera is another entry.
    assert!(cache.get(CAM, AccountId(4), day).0.is_none());
}

#[test]
fn a_read_that_raced_with_a_write_is_not_kept() {
    let cache = SlotCache::default();
    let (_, stamp) = cache.get(CAM, OWNER, 1);
    cache.inserted(OWNER, slot(5, DAY_MS), CAM);
    cache.put(CAM, OWNER, 1, stamp, Arc::new(vec![]), false);
    assert!(cache.get(CAM, OWNER, 1).0.is_none());
    let (_, stamp) = cache.get(CAM, OWNER, 1);
    cache.clear();
    cache.put(CAM, OWNER, 1, stamp, Arc::new(vec![]), false);
    assert!(cache.get(CAM, OWNER, 1).0.is_none());
}

#[test]
fn removal_forgets_the_cameras_days_only() {
    let cache = SlotCache::default();
    for (cam, day) in [(CAM, 1), (CAM, 2), (CameraId(8), 1)] {
        let (_, stamp) = cache.get(cam, OWNER, day);
        cache.put(
            cam,
            OWNER,
            day,
            stamp,
            Arc::new(vec![slot(1, day * DAY_MS)]),
            false,
        );
    }
    cache.forget_camera(CAM);
    assert!(cache.get(CAM, OWNER, 1).0.is_none());
    assert!(cache.get(CAM, OWNER, 2).0.is_none());
    assert!(cache.get(CameraId(8), OWNER, 1).0.is_some());
}

#[test]
fn the_least_recently_used_days_go_when_the_cap_is_reached() {
    let cache = SlotCache::default();
    let per_day = MAX_SLOTS / 3 + 1;
    let full = |day: i64| {
        Arc::new(
            (0..per_day as i64)
                .map(|i| slot(i, day * DAY_MS + i))
                .collect::<Vec<_>>(),
        )
    };
    for day in 1..=2 {
        let (_, stamp) = cache.get(CAM, OWNER, day);
        cache.put(CAM, OWNER, day, stamp, full(day), false);
    }
    // Day 1 is used again, so day 2 is the one to go.
    assert!(cache.get(CAM, OWNER, 1).0.is_some());
    let (_, stamp) = cache.get(CAM, OWNER, 3);
    cache.put(CAM, OWNER, 3, stamp, full(3), false);
    assert!(cache.get(CAM, OWNER, 1).0.is_some());
    assert!(cache.get(CAM, OWNER, 2).0.is_none());
    assert!(cache.get(CAM, OWNER, 3).0.is_some());
}

#[test]
fn days_are_counted_from_the_epoch_in_utc() {
    assert_eq!(day_of(0), 0);
    assert_eq!(day_of(DAY_MS - 1), 0);
    assert_eq!(day_of(-1), -1);
}
