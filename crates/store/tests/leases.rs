//! Job leases, on SQLite always and on PostgreSQL when
//! `CAMVAULT_TEST_DATABASE_URL` is set: one holder at a time, renewal by
//! the holder, take-over after expiry, release.

use domain::clock::Timestamp;
use domain::ports::JobLeaseStore;
use store::SqlStore;

#[tokio::test]
async fn one_holder_at_a_time_and_another_takes_over_an_expired_lease() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = testkit::test_database_url(dir.path()).await;
    let s = SqlStore::connect(&url).await.expect("connect");
    let t = Timestamp;
    let take = |holder: &'static str, now: i64| {
        let s = s.clone();
        async move {
            s.take_lease("purge", holder, t(now), t(now + 1_000))
                .await
                .expect("lease")
        }
    };
    assert!(take("a", 0).await, "a free lease is taken");
    assert!(!take("b", 10).await, "b waits while a's runs");
    assert!(take("a", 500).await, "a renews its own");
    assert!(!take("b", 1_400).await, "renewed until 1,500");
    assert!(take("b", 1_500).await, "b takes it over once it ran out");
    assert!(!take("a", 1_600).await, "a lost it");
    // Another job's lease is separate.
    assert!(s
        .take_lease("exports", "a", t(1_600), t(2_600))
        .await
        .expect("lease"));
    // Only the holder can release; then anyone may take it at once.
    s.release_lease("purge", "a").await.expect("release");
    assert!(!take("a", 1_700).await);
    s.release_lease("purge", "b").await.expect("release");
    assert!(take("a", 1_700).await);

    // Many contenders at the same instant: exactly one wins.
    let wins = futures_util::future::join_all((0..16).map(|i| {
        let s = s.clone();
        async move {
            s.take_lease("race", &format!("h{i}"), t(5_000), t(6_000))
                .await
                .expect("lease")
        }
    }))
    .await;
    assert_eq!(wins.iter().filter(|w| **w).count(), 1, "{wins:?}");
}
