//! The key ring over the real key store (SQLite, and PostgreSQL when
//! `CAMVAULT_TEST_DATABASE_URL` is set): creation races, per-day keys,
//! master-key rotation and crypto-shredding.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use domain::clock::{ManualClock, Timestamp};
use domain::ids::{AccountId, CameraId};
use domain::ports::{AccountStore, KeyStore, NewAccount, Role};
use domain::recordings::keys::INIT_DAY;
use domain::recordings::KeyRing;
use store::SqlStore;

async fn setup() -> (Arc<SqlStore>, AccountId, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = testkit::test_database_url(dir.path()).await;
    let store = Arc::new(SqlStore::connect(&url).await.unwrap());
    let account = store
        .create_account(NewAccount {
            username: "keyholder".into(),
            password_hash: "$argon2id$fake".into(),
            role: Role::User,
            contacts: vec![],
            now: Timestamp(1_000),
        })
        .await
        .unwrap();
    (store, account, dir)
}

/// A ring over `store` with the vault in `dir` (each test's own).
fn ring(store: &Arc<SqlStore>, dir: &tempfile::TempDir, kek: [u8; 32]) -> KeyRing {
    KeyRing::new(
        store.clone(),
        Arc::new(store::FileKeyVault::open(&dir.path().join("vault")).unwrap()),
        kek,
        Arc::new(ManualClock::new(Timestamp(1_000))),
    )
}

// promise: G2
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_first_uses_agree_on_one_account_key() {
    let (store, account, d) = setup().await;
    let shared = Arc::new(ring(&store, &d, [7; 32]));
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let shared = shared.clone();
            tokio::spawn(async move { shared.account_key(account).await.unwrap() })
        })
        .collect();
    let mut keys = Vec::new();
    for t in tasks {
        keys.push(t.await.unwrap());
    }
    assert!(keys.windows(2).all(|w| w[0] == w[1]));
    // Another process (a fresh ring) reads the same key.
    assert_eq!(
        ring(&store, &d, [7; 32])
            .account_key(account)
            .await
            .unwrap(),
        keys[0]
    );
}

// promise: G2
#[tokio::test]
async fn each_camera_day_has_its_own_key_and_rotation_rewraps_account_keys_only() {
    let (store, account, d) = setup().await;
    let old = ring(&store, &d, [1; 32]);
    let cam = CameraId(1);
    let (day1, k1) = old.media_key(account, cam, "2026-11-25").await.unwrap();
    let (again, k1b) = old.media_key(account, cam, "2026-11-25").await.unwrap();
    let (day2, k2) = old.media_key(account, cam, "2026-11-26").await.unwrap();
    let (_, k_other_cam) = old
        .media_key(account, CameraId(2), "2026-11-26")
        .await
        .unwrap();
    assert_eq!((&day1, k1), (&again, k1b));
    assert_ne!(k1, k2);
    assert_ne!(k2, k_other_cam);
    let sealed = crypto::blob::seal_blob(&k2, &day2, 16, b"a day of video").unwrap();

    // Rotate: re-wrap under a new master-derived key; media is not touched.
    assert_eq!(old.rewrap_all(&[2; 32]).await.unwrap(), 1);
    let new = ring(&store, &d, [2; 32]);
    let k2_after = new.media_key_by_id(&day2).await.unwrap();
    assert_eq!(k2_after, k2);
    assert_eq!(
        crypto::blob::open_blob(&k2_after, &sealed).unwrap(),
        b"a day of video"
    );
    // The old master key no longer opens anything.
    assert!(ring(&store, &d, [1; 32])
        .account_key(account)
        .await
        .is_err());
}

// promise: G2
#[tokio::test]
async fn retention_destroys_past_days_and_erasure_destroys_everything() {
    let (store, account, d) = setup().await;
    let keys = ring(&store, &d, [3; 32]);
    let cam = CameraId(9);
    let (old_day, _) = keys.media_key(account, cam, "2026-10-01").await.unwrap();
    let (today, _) = keys.media_key(account, cam, "2026-11-26").await.unwrap();
    let (init, _) = keys.media_key(account, cam, INIT_DAY).await.unwrap();
    assert_eq!(
        keys.destroy_media_keys_before(cam, "2026-11-01")
            .await
            .unwrap(),
        1
    );
    assert!(keys.media_key_by_id(&old_day).await.is_err());
    assert!(keys.media_key_by_id(&today).await.is_ok());
    assert!(
        keys.media_key_by_id(&init).await.is_ok(),
        "init keys outlive retention"
    );

    keys.destroy_account_key(account).await.unwrap();
    assert!(keys.media_key_by_id(&today).await.is_err());
    assert!(keys.media_key_by_id(&init).await.is_err());
}

// promise: F9
#[tokio::test]
async fn old_keys_move_under_the_vault_and_a_restored_copy_of_a_destroyed_key_stays_unreadable() {
    let (store, account, d) = setup().await;
    let kek = [5; 32];
    // A key wrapped by the master-derived key alone, as before the vault.
    let key = crypto::random_key();
    let context = format!("account key {account}");
    store
        .insert_account_key(
            account,
            "a-old",
            &crypto::wrap_key(&kek, &context, &key),
            Timestamp(1),
        )
        .await
        .unwrap();
    let keys = ring(&store, &d, kek);
    assert_eq!(keys.upgrade_all().await.unwrap(), 1);
    assert_eq!(keys.upgrade_all().await.unwrap(), 0);
    let (_, wrapped) = store.account_key(account).await.unwrap().unwrap();
    assert!(
        crypto::unwrap_key(&kek, &context, &wrapped).is_err(),
        "the master-derived key alone no longer opens it"
    );
    assert_eq!(keys.account_key(account).await.unwrap(), key);

    // A backup holds the wrapped key; erasure destroys the vault secret.
    let backup = wrapped.clone();
    keys.destroy_account_key(account).await.unwrap();
    assert!(!keys.account_key_exists(account).await.unwrap());
    store
        .insert_account_key(account, "a-old", &backup, Timestamp(2))
        .await
        .unwrap();
    let restored = ring(&store, &d, kek);
    assert!(matches!(
        restored.account_key(account).await,
        Err(domain::Error::NotFound(_))
    ));
}

// promise: G2
#[tokio::test]
async fn a_rotation_under_way_opens_keys_under_either_key_and_finishes_them() {
    let (store, account, d) = setup().await;
    let old = ring(&store, &d, [1; 32]);
    let (day, key) = old
        .media_key(account, CameraId(1), "2026-11-27")
        .await
        .unwrap();

    // The new key alone cannot open what the old one wrapped…
    assert!(ring(&store, &d, [2; 32])
        .media_key_by_id(&day)
        .await
        .is_err());
    // …but with the old one accepted, it opens it and re-wraps it at once.
    let rotating = ring(&store, &d, [2; 32]);
    rotating.accept_previous(vec![[1; 32]]);
    assert_eq!(rotating.media_key_by_id(&day).await.unwrap(), key);
    assert_eq!(
        rotating.rotate_all().await.unwrap(),
        0,
        "already re-wrapped"
    );
    assert_eq!(
        ring(&store, &d, [2; 32])
            .media_key_by_id(&day)
            .await
            .unwrap(),
        key
    );
    assert!(ring(&store, &d, [1; 32])
        .account_key(account)
        .await
        .is_err());

    // rotate_all re-wraps what nobody opened meanwhile, and refuses to
    // finish over a key no known key opens.
    let next = ring(&store, &d, [3; 32]);
    next.accept_previous(vec![[2; 32]]);
    assert_eq!(next.rotate_all().await.unwrap(), 1);
    assert_eq!(next.rotate_all().await.unwrap(), 0);
    let lost = ring(&store, &d, [4; 32]);
    lost.accept_previous(vec![[9; 32]]);
    assert!(lost.rotate_all().await.is_err());
}
