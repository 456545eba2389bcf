//! The audit log is a keyed hash chain with signed checkpoints (G4):
//! `camvault audit verify` names the first entry edited, deleted or
//! inserted straight in the database, and an erasure keeps the chain whole.

use domain::audit::{AuditEntry, Finding};
use domain::clock::Timestamp;
use domain::ids::AccountId;
use domain::ports::AuditStore;
use reqwest::StatusCode;

use crate::closures::{account_id, cancel_and_erase_now};
use crate::helpers::TestApp;
use crate::recordings::{recording_camera, upload_demo};

/// Runs one statement on the server's database, as an intruder with
/// access to it (but not to the master key) would.
async fn tamper(app: &TestApp, sql: &str) {
    let url = app.config.database_url();
    if url.starts_with("sqlite:") {
        let db = sqlx::SqlitePool::connect(&url).await.unwrap();
        sqlx::query(sql).execute(&db).await.unwrap();
        db.close().await;
    } else {
        let db = sqlx::PgPool::connect(&url).await.unwrap();
        sqlx::query(sql).execute(&db).await.unwrap();
        db.close().await;
    }
}

/// `camvault audit verify` on the test server's data: (success, output).
fn verify_cli(app: &TestApp) -> (bool, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_camvault"))
        .args(["audit", "verify"])
        .args(["--data-dir", app.config.data_dir.to_str().unwrap()])
        .args(["--database-url", &app.config.database_url()])
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// An app whose log holds `n` entries, with a checkpoint signed right
/// after entry `signed`.
async fn log_of(n: i64, signed: Option<i64>) -> TestApp {
    let app = TestApp::spawn().await;
    for i in 1..=n {
        app.core
            .audit
            .append(&AuditEntry {
                actor: Some(AccountId(1)),
                role: "support".into(),
                subject: Some(AccountId(2)),
                action: "account.lookup".into(),
                object: format!("account:2 field {i}"),
                reason: Some(format!("ticket {i}")),
                at: Timestamp(1_790_000_000_000 + i),
            })
            .await
            .unwrap();
        if signed == Some(i) {
            assert!(app.core.audit.checkpoint().await.unwrap().is_some());
        }
    }
    app
}

async fn finding(app: &TestApp) -> Option<Finding> {
    app.core.audit.verify().await.unwrap().finding
}

// promise: G4
#[tokio::test]
async fn an_intact_log_verifies_and_each_kind_of_tampering_is_named() {
    // Intact: every entry, the checkpoint covers the first three.
    let app = log_of(5, Some(3)).await;
    let report = app.core.audit.verify().await.unwrap();
    assert!(report.ok(), "{report:?}");
    // (The server's own checkpoint job may have signed an earlier head too.)
    assert_eq!((report.entries, report.last_checkpoint), (5, Some(3)));
    assert!(report.checkpoints >= 1);
    assert_eq!(report.after_last_checkpoint, 2);
    let (ok, out) = verify_cli(&app);
    assert!(ok, "{out}");
    assert!(out.contains("audit log intact: 5 entries"), "{out}");

    // Edited: the object of entry 4.
    tamper(
        &app,
        "UPDATE audit_entries SET object = 'account:3' WHERE seq = 4",
    )
    .await;
    assert_eq!(finding(&app).await, Some(Finding::Altered { seq: 4 }));
    let (ok, out) = verify_cli(&app);
    assert!(!ok, "verify must exit non-zero: {out}");
    assert!(out.contains("entry 4 was altered"), "{out}");

    // Deleted: entry 2 of another log.
    let app = log_of(5, None).await;
    tamper(&app, "DELETE FROM audit_entries WHERE seq = 2").await;
    assert_eq!(finding(&app).await, Some(Finding::Deleted { seq: 2 }));
    let (ok, out) = verify_cli(&app);
    assert!(!ok && out.contains("entry 2 was deleted"), "{out}");

    // A forged next entry that links to the last one: without the key its
    // hash cannot be right, so it shows as altered; one that does not even
    // link shows as inserted.
    let app = log_of(3, None).await;
    tamper(
        &app,
        "INSERT INTO audit_entries (seq, actor_id, role, subject_id, action, object, reason, \
         created_at, actor_salt, actor_digest, body_salt, body_digest, prev_hash, entry_hash) \
         SELECT 4, actor_id, role, subject_id, action, object, reason, created_at + 1, \
         actor_salt, actor_digest, body_salt, body_digest, entry_hash, entry_hash \
         FROM audit_entries WHERE seq = 3",
    )
    .await;
    assert_eq!(finding(&app).await, Some(Finding::Altered { seq: 4 }));
    tamper(&app, "DELETE FROM audit_entries WHERE seq = 4").await;
    tamper(
        &app,
        "INSERT INTO audit_entries (seq, actor_id, role, subject_id, action, object, reason, \
         created_at, actor_salt, actor_digest, body_salt, body_digest, prev_hash, entry_hash) \
         SELECT 4, actor_id, role, subject_id, action, object, reason, created_at, \
         actor_salt, actor_digest, body_salt, body_digest, prev_hash, entry_hash \
         FROM audit_entries WHERE seq = 2",
    )
    .await;
    assert_eq!(finding(&app).await, Some(Finding::Inserted { seq: 4 }));
    let (ok, out) = verify_cli(&app);
    assert!(!ok && out.contains("entry 4 was inserted"), "{out}");

    // Inserted the naive way, outside the chain.
    let app = log_of(3, None).await;
    tamper(
        &app,
        "INSERT INTO audit_entries (actor_id, role, subject_id, action, object, created_at) \
         VALUES (1, 'admin', 2, 'account.lookup', 'account:2', 1790000000009)",
    )
    .await;
    assert!(
        matches!(finding(&app).await, Some(Finding::OutsideChain { .. })),
        "a row without a place in the chain"
    );
    let (ok, out) = verify_cli(&app);
    assert!(!ok && out.contains("inserted outside the chain"), "{out}");
}

// promise: G4
#[tokio::test]
async fn checkpoints_catch_cut_off_entries_and_cannot_be_forged() {
    // The last two entries deleted: no gap, but the checkpoint covered them.
    let app = log_of(5, Some(5)).await;
    tamper(&app, "DELETE FROM audit_entries WHERE seq >= 4").await;
    assert_eq!(finding(&app).await, Some(Finding::Deleted { seq: 4 }));

    // A checkpoint edited to match a rewritten entry does not verify.
    let app = log_of(3, Some(3)).await;
    tamper(
        &app,
        "UPDATE audit_checkpoints SET entry_hash = 'ab' || entry_hash",
    )
    .await;
    assert_eq!(
        finding(&app).await,
        Some(Finding::ForgedCheckpoint { seq: 3 })
    );

    // Nothing new since the last checkpoint: none is added.
    let app = log_of(2, Some(2)).await;
    assert!(app.core.audit.checkpoint().await.unwrap().is_none());
}

// promise: G4
#[tokio::test]
async fn real_accesses_are_chained_and_an_erasure_keeps_the_chain_whole() {
    let app = TestApp::spawn().await;
    let cam = recording_camera(&app).await;
    let (from, to) = upload_demo(&app, &cam, "a").await;
    // The owner plays the recording back: an entry about their data.
    let resp = cam
        .owner
        .get(&cam.path(&format!("/recordings/download.mp4?from={from}&to={to}")))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let id = account_id(&cam.owner).await;
    let before = app.core.audit.verify().await.unwrap();
    assert!(before.ok() && before.entries >= 1, "{before:?}");
    app.core.audit.checkpoint().await.unwrap();

    cancel_and_erase_now(&app, &cam.owner, id).await;
    let after = app.core.audit.verify().await.unwrap();
    assert!(after.ok(), "erasure must not break the chain: {after:?}");
    assert!(
        after.entries > before.entries,
        "the erasure is itself an entry"
    );
    assert!(after.redacted >= 1, "the person's entries lost their part");
    let (ok, out) = verify_cli(&app);
    assert!(ok, "{out}");

    // Nothing about the person is left in the log to link them with.
    assert!(app
        .core
        .audit
        .entries_about(AccountId(id), 100)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn entries_from_before_the_chain_are_chained_once_and_only_then() {
    let app = TestApp::spawn().await;
    let legacy =
        "INSERT INTO audit_entries (actor_id, role, subject_id, action, object, created_at) \
                  VALUES (1, 'owner', 1, 'recording.playback', 'camera:1', 1790000000000)";
    tamper(&app, legacy).await;
    tamper(&app, legacy).await;
    // As at the first start-up after the upgrade: the chain is empty.
    assert_eq!(app.core.audit.chain_old_rows().await.unwrap(), 2);
    let report = app.core.audit.verify().await.unwrap();
    assert!(report.ok() && report.entries == 2, "{report:?}");

    // Later, a row without a place stays outside and is reported.
    tamper(&app, legacy).await;
    assert_eq!(app.core.audit.chain_old_rows().await.unwrap(), 0);
    assert!(matches!(
        finding(&app).await,
        Some(Finding::OutsideChain { .. })
    ));
}

/// Every entry in the chain, in order.
async fn all_entries(app: &TestApp) -> Vec<AuditEntry> {
    use domain::ports::AuditChainStore;
    app.core
        .store
        .chain_after(0, 10_000)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.entry)
        .collect()
}

// promise: G4
#[tokio::test]
async fn every_request_of_an_administrator_is_an_entry_and_nobody_elses() {
    use domain::ports::Role;
    let app = TestApp::spawn().await;
    let admin = app.person("root", Role::Admin).await;
    let erin = app.verified_person("erin", "erin@example.com").await;
    let erin_id = account_id(&erin).await;

    assert!(admin
        .get("/api/v1/admin/statistics")
        .await
        .status()
        .is_success());
    assert!(admin.get("/admin/requests").await.status().is_success());
    // Someone else knocking on the same doors is refused and leaves no entry.
    assert_eq!(
        erin.get("/api/v1/admin/statistics").await.status(),
        StatusCode::FORBIDDEN
    );
    let resp = admin
        .post(
            &format!("/api/v1/admin/accounts/{erin_id}/erasure"),
            serde_json::json!({"reason": "her request"}),
        )
        .await;
    assert_eq!(
        resp.status(),
        StatusCode::NOT_FOUND,
        "not cancelled: refused"
    );

    let admin_id = account_id(&admin).await;
    let requests: Vec<AuditEntry> = all_entries(&app)
        .await
        .into_iter()
        .filter(|e| e.action == "admin.request")
        .collect();
    let objects: Vec<&str> = requests.iter().map(|e| e.object.as_str()).collect();
    assert_eq!(
        objects,
        ["GET /api/v1/admin/statistics", "GET /admin/requests"],
        "only what succeeded, only for the administrator"
    );
    assert!(requests
        .iter()
        .all(|e| e.actor == Some(AccountId(admin_id)) && e.role == "admin"));

    // A request that names an account is an entry about that person: it
    // shows in her access log, and her erasure empties it like the others.
    let resp = erin
        .post(
            "/api/v1/me/cancel",
            serde_json::json!({"password": crate::helpers::PASSWORD}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = admin
        .post(
            &format!("/api/v1/admin/accounts/{erin_id}/erasure"),
            serde_json::json!({"reason": "her request"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let hers = app
        .core
        .audit
        .entries_about(AccountId(erin_id), 100)
        .await
        .unwrap();
    assert!(hers.iter().any(|e| e.action == "admin.request"
        && e.object == format!("POST /api/v1/admin/accounts/{erin_id}/erasure")));
    app.advance(std::time::Duration::from_secs(1));
    assert_eq!(app.core.closures.erase_due().await.unwrap(), 1);
    assert!(all_entries(&app)
        .await
        .iter()
        .any(|e| e.action == "admin.request"
            && e.actor == Some(AccountId(admin_id))
            && e.subject.is_none()
            && e.object.is_empty()));
    assert!(app.core.audit.verify().await.unwrap().ok());
}
