//! Contract tests of the webhook store: the per-account limit, the queue's
//! claims and leases, the attempt log, and what deleting takes along. Run
//! on SQLite always and on PostgreSQL when `CAMVAULT_TEST_DATABASE_URL` is set.

use domain::clock::Timestamp;
use domain::events::webhooks::{DeliveryState, NewDelivery, NewWebhook, WebhookAttempt};
use domain::events::Event;
use domain::ids::{AccountId, CameraId};
use domain::ports::{
    AccountStore, CameraStore, EventStore, NewAccount, NewDevice, Role, WebhookStore,
};
use store::SqlStore;

struct Setup {
    store: SqlStore,
    owner: AccountId,
    camera: CameraId,
    _dir: tempfile::TempDir,
}

async fn setup() -> Setup {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = testkit::test_database_url(dir.path()).await;
    let store = SqlStore::connect(&url).await.expect("connect");
    let owner = account(&store, "owner").await;
    store
        .provision(
            &[NewDevice {
                serial: "CAM-0001".into(),
                model: "Cube".into(),
                code_hash: "c".into(),
                secret_hash: "s".into(),
            }],
            false,
            Timestamp(1_000),
        )
        .await
        .expect("provision");
    let camera = store
        .camera_by_serial("CAM-0001")
        .await
        .expect("read")
        .expect("camera")
        .id;
    assert!(store
        .bind(camera, owner, "Hall", Timestamp(1_000))
        .await
        .expect("bind"));
    Setup {
        store,
        owner,
        camera,
        _dir: dir,
    }
}

async fn account(store: &SqlStore, name: &str) -> AccountId {
    store
        .create_account(NewAccount {
            username: name.into(),
            password_hash: "$argon2id$fake".into(),
            role: Role::User,
            contacts: vec![],
            now: Timestamp(1_000),
        })
        .await
        .expect("account")
}

fn hook(owner: AccountId, url: &str) -> NewWebhook {
    NewWebhook {
        account_id: owner,
        url: url.into(),
        camera_ids: vec![CameraId(7), CameraId(9)],
        event_types: vec!["person".into(), "glass_break".into()],
        sealed_secret: vec![1, 2, 3, 0, 255],
        created_at: Timestamp(2_000),
    }
}

async fn event(s: &Setup, at: i64) -> i64 {
    s.store
        .insert_event(&Event {
            id: 0,
            camera_id: s.camera,
            account_id: s.owner,
            kind: "motion".into(),
            at: Timestamp(at),
            score: None,
            region: None,
            labels: vec![],
            snapshot_key: None,
            snapshot_size: None,
            alerted: false,
            created_at: Timestamp(at),
        })
        .await
        .expect("event")
}

fn attempt(
    delivery: i64,
    webhook: i64,
    event: i64,
    n: i64,
    state: DeliveryState,
) -> WebhookAttempt {
    WebhookAttempt {
        delivery_id: delivery,
        webhook_id: webhook,
        event_id: event,
        attempt: n,
        status_code: Some(500),
        error: None,
        duration_ms: 12,
        at: Timestamp(10_000 * n),
        next_retry_at: (state == DeliveryState::Pending).then_some(Timestamp(10_000 * n + 5_000)),
        state,
    }
}

#[tokio::test]
async fn webhooks_round_trip_and_are_limited_per_account() {
    let s = setup().await;
    let id = s
        .store
        .create_webhook(&hook(s.owner, "https://a.example/h"), 2)
        .await
        .expect("create")
        .expect("under the limit");
    s.store
        .create_webhook(&hook(s.owner, "https://b.example/h"), 2)
        .await
        .expect("create")
        .expect("under the limit");
    assert_eq!(
        s.store
            .create_webhook(&hook(s.owner, "https://c.example/h"), 2)
            .await
            .expect("create"),
        None
    );
    let other = account(&s.store, "other").await;
    assert!(s
        .store
        .create_webhook(&hook(other, "https://c.example/h"), 2)
        .await
        .expect("create")
        .is_some());

    let mine = s.store.webhooks_of(s.owner).await.expect("list");
    assert_eq!(mine.len(), 2);
    assert_eq!(mine[0].id, id);
    assert_eq!(mine[0].url, "https://a.example/h");
    assert_eq!(mine[0].camera_ids, [CameraId(7), CameraId(9)]);
    assert_eq!(mine[0].event_types, ["person", "glass_break"]);
    assert_eq!(mine[0].created_at, Timestamp(2_000));

    assert!(!s.store.delete_webhook(other, id).await.expect("delete"));
    assert!(s.store.delete_webhook(s.owner, id).await.expect("delete"));
    assert_eq!(s.store.webhooks_of(s.owner).await.expect("list").len(), 1);
}

#[tokio::test]
async fn due_deliveries_are_claimed_once_and_leased() {
    let s = setup().await;
    let w = s
        .store
        .create_webhook(&hook(s.owner, "https://a.example/h"), 10)
        .await
        .expect("create")
        .expect("id");
    let (e1, e2) = (event(&s, 5_000).await, event(&s, 6_000).await);
    let queued = |event_id, next_at| NewDelivery {
        webhook_id: w,
        event_id,
        body: format!("{{\"id\":{event_id}}}"),
        next_at: Timestamp(next_at),
        created_at: Timestamp(5_000),
    };
    s.store
        .enqueue_deliveries(&[queued(e1, 5_000), queued(e2, 9_000)])
        .await
        .expect("enqueue");

    let due = s
        .store
        .claim_due(Timestamp(6_000), Timestamp(66_000), 10)
        .await
        .expect("claim");
    assert_eq!(due.len(), 1, "only the first is due");
    let d = &due[0];
    assert_eq!((d.webhook_id, d.event_id, d.attempts), (w, e1, 0));
    assert_eq!(d.account_id, s.owner);
    assert_eq!(d.url, "https://a.example/h");
    assert_eq!(d.sealed_secret, [1, 2, 3, 0, 255]);
    assert_eq!(d.body, format!("{{\"id\":{e1}}}"));
    // Leased: not due again until the lease ends, unlike the second one.
    let again = s
        .store
        .claim_due(Timestamp(10_000), Timestamp(70_000), 10)
        .await
        .expect("claim");
    assert_eq!(again.iter().map(|d| d.event_id).collect::<Vec<_>>(), [e2]);
    let after_lease = s
        .store
        .claim_due(Timestamp(66_000), Timestamp(126_000), 10)
        .await
        .expect("claim");
    assert_eq!(
        after_lease.iter().map(|d| d.event_id).collect::<Vec<_>>(),
        [e1]
    );
}

#[tokio::test]
async fn attempts_are_logged_and_move_the_delivery() {
    let s = setup().await;
    let w = s
        .store
        .create_webhook(&hook(s.owner, "https://a.example/h"), 10)
        .await
        .expect("create")
        .expect("id");
    let e = event(&s, 5_000).await;
    s.store
        .enqueue_deliveries(&[NewDelivery {
            webhook_id: w,
            event_id: e,
            body: "{}".into(),
            next_at: Timestamp(5_000),
            created_at: Timestamp(5_000),
        }])
        .await
        .expect("enqueue");
    let d = s
        .store
        .claim_due(Timestamp(5_000), Timestamp(65_000), 10)
        .await
        .expect("claim")[0]
        .id;

    // A failed attempt schedules the retry at its time, not the lease's.
    s.store
        .record_attempt(&attempt(d, w, e, 1, DeliveryState::Pending))
        .await
        .expect("record");
    let due = s
        .store
        .claim_due(Timestamp(15_000), Timestamp(75_000), 10)
        .await
        .expect("claim");
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].attempts, 1);
    assert_eq!(due[0].body, "{}");

    let mut done = attempt(d, w, e, 2, DeliveryState::Delivered);
    done.status_code = None;
    done.error = Some("connection failed".into());
    s.store.record_attempt(&done).await.expect("record");
    assert!(s
        .store
        .claim_due(Timestamp(i64::MAX / 2), Timestamp(i64::MAX / 2), 10)
        .await
        .expect("claim")
        .is_empty());

    let log = s.store.attempts_of(w, 10).await.expect("log");
    assert_eq!(log.len(), 2);
    assert_eq!(log[0], done, "newest first, round-tripped");
    assert_eq!(log[1].attempt, 1);
    assert_eq!(log[1].status_code, Some(500));
    assert_eq!(log[1].next_retry_at, Some(Timestamp(15_000)));
    assert_eq!(s.store.attempts_of(w, 1).await.expect("log").len(), 1);

    // Purging the event takes its deliveries and log along.
    s.store.delete_events(&[e]).await.expect("purge");
    assert!(s.store.attempts_of(w, 10).await.expect("log").is_empty());
}

#[tokio::test]
async fn deleting_a_webhook_takes_its_queue_and_log() {
    let s = setup().await;
    let w = s
        .store
        .create_webhook(&hook(s.owner, "https://a.example/h"), 10)
        .await
        .expect("create")
        .expect("id");
    let e = event(&s, 5_000).await;
    s.store
        .enqueue_deliveries(&[NewDelivery {
            webhook_id: w,
            event_id: e,
            body: "{}".into(),
            next_at: Timestamp(5_000),
            created_at: Timestamp(5_000),
        }])
        .await
        .expect("enqueue");
    let d = s
        .store
        .claim_due(Timestamp(5_000), Timestamp(6_000), 10)
        .await
        .expect("claim")[0]
        .id;
    s.store
        .record_attempt(&attempt(d, w, e, 1, DeliveryState::Pending))
        .await
        .expect("record");
    assert!(s.store.delete_webhook(s.owner, w).await.expect("delete"));
    assert!(s.store.attempts_of(w, 10).await.expect("log").is_empty());
    assert!(s
        .store
        .claim_due(Timestamp(i64::MAX / 2), Timestamp(i64::MAX / 2), 10)
        .await
        .expect("claim")
        .is_empty());
}
