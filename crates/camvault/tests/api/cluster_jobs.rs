//! Work that must happen once however many instances share the database:
//! each IP camera is pulled by one instance, and another takes it over
//! when that one stops.

use std::time::Duration;

use domain::clock::Timestamp;
use domain::ids::{AccountId, CameraId};
use domain::ports::{JobLeaseStore, RecordingStore, Role};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::cluster::shared_instances;
use crate::helpers::TestApp;

/// Every indexed segment of `camera`, by start time.
async fn segments(app: &TestApp, camera: i64, owner: i64) -> Vec<(i64, i64)> {
    let now = app.now_ms();
    app.core
        .store
        .segments_between(
            CameraId(camera),
            AccountId(owner),
            Timestamp(now - 3_600_000),
            Timestamp(now + 3_600_000),
        )
        .await
        .unwrap()
        .into_iter()
        .map(|s| (s.segment.start.ms(), s.segment.end.ms()))
        .collect()
}

/// Fails if two segments cover the same moment: two instances pulling.
fn assert_no_overlap(segs: &[(i64, i64)]) {
    for w in segs.windows(2) {
        assert!(
            w[1].0 >= w[0].1 - 50,
            "segments {:?} and {:?} overlap: pulled twice",
            w[0],
            w[1]
        );
    }
}

async fn wait_for_segments(app: &TestApp, camera: i64, owner: i64, n: usize) -> Vec<(i64, i64)> {
    let mut segs = Vec::new();
    for _ in 0..300 {
        segs = segments(app, camera, owner).await;
        if segs.len() >= n {
            return segs;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("only {} segments were pulled", segs.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_instances_one_pulls_each_ip_camera_and_the_other_takes_over() {
    let Some(cam) = testkit::rtsp::start(&[]) else {
        return;
    };
    let (_shared, mut apps) = shared_instances(2, |c| c.rtsp_rescan_secs = 1).await;
    let (second, first) = (apps.pop().unwrap(), apps.pop().unwrap());
    // Test clocks stand still; set them apart, so that segments pulled by
    // both instances would start at different moments and overlap rather
    // than look like retries of one another.
    first.advance(Duration::from_millis(700));
    let owner = first.person("pullowner", Role::User).await;
    let me: Value = owner.get("/api/v1/me").await.json().await.unwrap();
    let owner_id = me["id"].as_i64().unwrap();
    let resp = owner
        .post(
            "/api/v1/cameras/rtsp",
            json!({"name": "Porch", "url": cam.url}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let created: Vec<Value> = resp.json().await.unwrap();
    let id = created[0]["id"].as_i64().unwrap();

    // Both instances scan every second; only the lease holder pulls.
    wait_for_segments(&first, id, owner_id, 3).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let before = segments(&first, id, owner_id).await;
    assert_no_overlap(&before);

    // Whoever holds the camera's lease stops; the other goes on pulling.
    let lease = format!("rtsp:{id}");
    let now = Timestamp(first.now_ms());
    let first_holds = first
        .core
        .store
        .take_lease(
            &lease,
            &first.core.instance,
            now,
            now.plus(Duration::from_secs(3)),
        )
        .await
        .unwrap();
    let survivor = if first_holds {
        drop(first);
        second
    } else {
        drop(second);
        first
    };
    // The test clocks stand still; move on so the survivor's segments are
    // new moments rather than retries of the ones already stored.
    survivor.advance(Duration::from_secs(60));
    let after = wait_for_segments(&survivor, id, owner_id, before.len() + 3).await;
    assert_no_overlap(&after);
}

#[tokio::test]
async fn a_shared_rate_limit_holds_across_instances() {
    let (_shared, apps) = shared_instances(2, |c| {
        c.shared_rate_limits = true;
        c.auth_rate_limit_per_minute = 3;
    })
    .await;
    let attempt = |app: &TestApp| {
        let url = app.url("/api/v1/sessions");
        async move {
            reqwest::Client::new()
                .post(url)
                .json(&json!({"login": "nobody", "password": "wrong-password-1"}))
                .send()
                .await
                .unwrap()
        }
    };
    // Three attempts in all, spread over both instances, are allowed…
    for app in [&apps[0], &apps[1], &apps[0]] {
        assert_eq!(attempt(app).await.status(), StatusCode::UNAUTHORIZED);
    }
    // …and the fourth is refused by whichever instance gets it.
    let refused = attempt(&apps[1]).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert_eq!(
        attempt(&apps[0]).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    // Other pages are under the general limit only.
    let health = reqwest::get(apps[1].url("/api/openapi.json"))
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);

    // The next minute starts afresh.
    for app in &apps {
        app.advance(Duration::from_secs(60));
    }
    assert_eq!(attempt(&apps[1]).await.status(), StatusCode::UNAUTHORIZED);
}
