//! Contract tests of the storage ports, run on SQLite always and on
//! PostgreSQL when `CAMVAULT_TEST_DATABASE_URL` is set (always in CI).

use domain::accounts::contact::Address;
use domain::clock::Timestamp;
use domain::ports::{
    AccountStore, CodePurpose, CodeStore, ContactState, IdentityStore, NewAccount, Role,
    SessionStore, SettingStore, ThrottleStore,
};
use domain::Error;
use store::SqlStore;

async fn store() -> (SqlStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = testkit::test_database_url(dir.path()).await;
    (SqlStore::connect(&url).await.expect("connect"), dir)
}

fn account(name: &str, emails: &[&str]) -> NewAccount {
    NewAccount {
        username: name.to_string(),
        password_hash: "$argon2id$fake".to_string(),
        role: Role::User,
        contacts: emails
            .iter()
            .map(|e| Address::email(e).expect("email"))
            .collect(),
        now: Timestamp(1_000),
    }
}

#[tokio::test]
async fn accounts_are_unique_by_username_and_created_with_contacts() {
    let (s, _d) = store().await;
    assert_eq!(s.backend(), testkit::backend_name());
    s.ping().await.expect("ping");
    let id = s
        .create_account(account("ann", &["ann@example.com"]))
        .await
        .expect("create");
    let got = s
        .account_by_username("ann")
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(got.id, id);
    assert_eq!(got.role, Role::User);
    assert_eq!(s.contacts(id).await.expect("contacts").len(), 1);
    assert!(matches!(
        s.create_account(account("ann", &[])).await,
        Err(Error::Taken("username"))
    ));
    assert!(!s.admin_exists().await.expect("admins"));
}

#[tokio::test]
async fn a_verified_address_belongs_to_one_account_only() {
    let (s, _d) = store().await;
    let a = s
        .create_account(account("a1", &["same@example.com"]))
        .await
        .expect("a1");
    let b = s
        .create_account(account("b1", &["same@example.com"]))
        .await
        .expect("b1");
    let ca = s.contacts(a).await.expect("ca")[0].id;
    let cb = s.contacts(b).await.expect("cb")[0].id;
    s.mark_verified(ca, Timestamp(2_000))
        .await
        .expect("first verification");
    assert!(matches!(
        s.mark_verified(cb, Timestamp(3_000)).await,
        Err(Error::Taken("contact"))
    ));
    let addr = Address::email("same@example.com").expect("email");
    assert_eq!(
        s.verified_contact(&addr)
            .await
            .expect("lookup")
            .expect("found")
            .account_id,
        a
    );
}

// promise: A4
#[tokio::test]
async fn promoting_a_pending_contact_deletes_the_old_one_and_its_codes() {
    let (s, _d) = store().await;
    let id = s
        .create_account(account("cat", &["old@example.com"]))
        .await
        .expect("create");
    let old = s.contacts(id).await.expect("contacts")[0].clone();
    s.mark_verified(old.id, Timestamp(2_000))
        .await
        .expect("verify");
    s.put_code(
        old.id,
        CodePurpose::Login,
        "h",
        Timestamp(9_999),
        Timestamp(2_000),
    )
    .await
    .expect("code");
    let new = Address::email("new@example.com").expect("email");
    let pending = s
        .put_contact(id, &new, ContactState::Pending, Timestamp(3_000))
        .await
        .expect("pending");
    s.promote_pending(pending, Timestamp(4_000))
        .await
        .expect("promote");
    let contacts = s.contacts(id).await.expect("contacts");
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0].address.expose(), "new@example.com");
    assert!(contacts[0].is_deliverable());
    assert!(s
        .code(old.id, CodePurpose::Login)
        .await
        .expect("code")
        .is_none());
    let old_addr = Address::email("old@example.com").expect("email");
    assert!(s
        .verified_contact(&old_addr)
        .await
        .expect("lookup")
        .is_none());
}

#[tokio::test]
async fn codes_replace_each_other_and_count_attempts() {
    let (s, _d) = store().await;
    let id = s
        .create_account(account("dan", &["dan@example.com"]))
        .await
        .expect("create");
    let c = s.contacts(id).await.expect("contacts")[0].id;
    s.put_code(c, CodePurpose::Verify, "h1", Timestamp(10), Timestamp(1))
        .await
        .expect("put");
    s.put_code(c, CodePurpose::Verify, "h2", Timestamp(20), Timestamp(2))
        .await
        .expect("put");
    let rec = s
        .code(c, CodePurpose::Verify)
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(rec.code_hash, "h2");
    assert_eq!(s.bump_code_attempts(rec.id).await.expect("bump"), 1);
    assert_eq!(s.bump_code_attempts(rec.id).await.expect("bump"), 2);
    s.delete_code(rec.id).await.expect("delete");
    assert!(s
        .code(c, CodePurpose::Verify)
        .await
        .expect("read")
        .is_none());
}

#[tokio::test]
async fn sessions_are_scoped_to_their_account() {
    let (s, _d) = store().await;
    let a = s.create_account(account("eve", &[])).await.expect("a");
    let b = s.create_account(account("fay", &[])).await.expect("b");
    let sa = s
        .create_session(a, "ha", Some("ua"), false, Timestamp(1))
        .await
        .expect("sa");
    let sa2 = s
        .create_session(a, "ha2", None, true, Timestamp(2))
        .await
        .expect("sa2");
    assert!(
        !s.delete_session(b, sa).await.expect("cross-account delete"),
        "b cannot end a's session"
    );
    assert_eq!(s.sessions_of(a).await.expect("list").len(), 2);
    assert_eq!(
        s.delete_other_sessions(a, Some(sa2)).await.expect("others"),
        1
    );
    assert!(s.session_with_account("ha").await.expect("read").is_none());
    let (session, owner) = s
        .session_with_account("ha2")
        .await
        .expect("read")
        .expect("kept");
    assert_eq!((session.id, owner.id), (sa2, a));
    assert!(session.second_factor_pending);
    domain::ports::SecondFactorStore::complete_second_factor(&s, sa2)
        .await
        .expect("complete");
    let (session, _) = s
        .session_with_account("ha2")
        .await
        .expect("read")
        .expect("kept");
    assert!(!session.second_factor_pending);
}

#[tokio::test]
async fn second_factor_steps_and_recovery_codes_are_used_once() {
    use domain::ports::SecondFactorStore;
    let (s, _d) = store().await;
    let a = s.create_account(account("gus", &[])).await.expect("a");
    assert!(s
        .put_pending_totp(a, "sealed-1", Timestamp(1))
        .await
        .expect("put"));
    assert!(s
        .put_pending_totp(a, "sealed-2", Timestamp(2))
        .await
        .expect("again"));
    assert!(!s.use_totp_step(a, 5).await.expect("unconfirmed"));
    let hashes = vec!["h1".to_string(), "h2".to_string()];
    assert!(s
        .confirm_totp(a, 10, Timestamp(3), &hashes)
        .await
        .expect("confirm"));
    assert!(!s
        .confirm_totp(a, 11, Timestamp(3), &hashes)
        .await
        .expect("twice"));
    assert!(!s
        .put_pending_totp(a, "sealed-3", Timestamp(4))
        .await
        .expect("over a confirmed one"));
    let f = s.totp_factor(a).await.expect("read").expect("there");
    assert_eq!((f.sealed_secret.as_str(), f.last_step), ("sealed-2", 10));
    assert!(!s.use_totp_step(a, 10).await.expect("same step"));
    assert!(s.use_totp_step(a, 11).await.expect("next step"));
    assert!(!s.use_totp_step(a, 9).await.expect("older step"));
    assert!(s
        .use_recovery_code(a, "h1", Timestamp(5))
        .await
        .expect("first"));
    assert!(!s
        .use_recovery_code(a, "h1", Timestamp(6))
        .await
        .expect("again"));
    assert!(!s
        .use_recovery_code(a, "nope", Timestamp(6))
        .await
        .expect("unknown"));
    assert_eq!(s.recovery_codes_left(a).await.expect("left"), 1);
    s.remove_second_factor(a).await.expect("remove");
    assert!(s.totp_factor(a).await.expect("read").is_none());
    assert_eq!(s.recovery_codes_left(a).await.expect("left"), 0);
}

#[tokio::test]
async fn throttle_failures_count_atomically_under_concurrency() {
    let (s, _d) = store().await;
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            s.record_failure("login:x", Timestamp(5))
                .await
                .expect("record")
        }));
    }
    let mut seen = Vec::new();
    for t in tasks {
        seen.push(t.await.expect("task"));
    }
    seen.sort();
    assert_eq!(seen, (1..=20).collect::<Vec<i64>>());
    s.lock("login:x", Timestamp(99)).await.expect("lock");
    assert_eq!(
        s.throttle("login:x")
            .await
            .expect("read")
            .expect("row")
            .locked_until,
        Timestamp(99)
    );
    s.clear("login:x").await.expect("clear");
    assert!(s.throttle("login:x").await.expect("read").is_none());
}

#[tokio::test]
async fn settings_round_trip() {
    let (s, _d) = store().await;
    s.set_setting("k", "v1").await.expect("set");
    s.set_setting("k", "v2").await.expect("overwrite");
    assert_eq!(s.setting("k").await.expect("get").as_deref(), Some("v2"));
    s.delete_setting("k").await.expect("delete");
    assert_eq!(s.setting("k").await.expect("get"), None);
}
