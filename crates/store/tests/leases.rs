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

/// A pending export of a new account.
async fn pending_export(s: &SqlStore, id: &str) -> domain::privacy::export::ExportRecord {
    use domain::ports::{AccountStore, NewAccount, Role};
    use domain::privacy::export::{ExportRecord, ExportState, ExportStore};
    let account = s
        .create_account(NewAccount {
            username: format!("user-{id}"),
            password_hash: "$argon2id$fake".into(),
            role: Role::User,
            contacts: vec![],
            now: Timestamp(0),
        })
        .await
        .expect("account");
    let record = ExportRecord {
        id: id.into(),
        account_id: account,
        state: ExportState::Pending,
        requested_at: Timestamp(0),
        finished_at: None,
        expires_at: None,
        bytes: 0,
        parts: 0,
        media_files: 0,
        error: None,
    };
    s.insert_export(&record).await.expect("export");
    record
}

#[tokio::test]
async fn an_export_is_built_by_one_instance_and_taken_over_when_its_lease_runs_out() {
    use domain::privacy::export::{ExportState, ExportStore};
    let dir = tempfile::tempdir().expect("temp dir");
    let url = testkit::test_database_url(dir.path()).await;
    let s = SqlStore::connect(&url).await.expect("connect");
    let t = Timestamp;
    let mut record = pending_export(&s, "e1").await;

    // Of many instances claiming at once, one gets it.
    let claims = futures_util::future::join_all((0..8).map(|i| {
        let s = s.clone();
        async move {
            s.claim_export(&format!("i{i}"), t(1_000), t(2_000))
                .await
                .expect("claim")
        }
    }))
    .await;
    let won: Vec<usize> = (0..8).filter(|i| claims[*i].is_some()).collect();
    assert_eq!(won.len(), 1, "{claims:?}");
    let holder = format!("i{}", won[0]);
    assert_eq!(
        claims[won[0]].as_ref().map(|e| e.state),
        Some(ExportState::Running)
    );

    // Renewed by its holder only; nobody claims it while the lease runs.
    assert!(!s.renew_export_lease("e1", "other", t(3_000)).await.unwrap());
    assert!(s.renew_export_lease("e1", &holder, t(3_000)).await.unwrap());
    assert!(s
        .claim_export("other", t(2_500), t(4_000))
        .await
        .unwrap()
        .is_none());

    // The holder dies: once the lease ran out another takes it over, and
    // the dead holder's late outcome is not written.
    let taken = s.claim_export("other", t(3_000), t(5_000)).await.unwrap();
    assert_eq!(taken.map(|e| e.id), Some("e1".to_string()));
    record.state = ExportState::Ready;
    record.finished_at = Some(t(3_100));
    assert!(!s.finish_export(&record, &holder).await.unwrap());
    assert!(s.finish_export(&record, "other").await.unwrap());
    assert_eq!(
        s.export("e1").await.unwrap().unwrap().state,
        ExportState::Ready
    );
    assert!(s
        .claim_export("third", t(9_000), t(9_500))
        .await
        .unwrap()
        .is_none());

    // A stopping instance gives its export back at once.
    pending_export(&s, "e2").await;
    assert!(s
        .claim_export("a", t(10_000), t(20_000))
        .await
        .unwrap()
        .is_some());
    s.release_export("e2", "b").await.unwrap();
    assert!(s
        .claim_export("b", t(10_001), t(20_000))
        .await
        .unwrap()
        .is_none());
    s.release_export("e2", "a").await.unwrap();
    let again = s.claim_export("b", t(10_002), t(20_000)).await.unwrap();
    assert_eq!(again.map(|e| e.id), Some("e2".to_string()));
}
