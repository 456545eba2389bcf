//! Cancelling an account (A8) and erasing it after the grace period (F9).

use std::time::Duration;

use domain::ports::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::events::{motion, report, SNAPSHOT};
use crate::helpers::{assert_error, Person, TestApp, PASSWORD};
use crate::recordings::{put_init, recording_camera, share_with_grandma, upload_demo, Cam};

async fn cancel(who: &Person, password: &str) -> reqwest::Response {
    who.post("/api/v1/me/cancel", json!({"password": password}))
        .await
}

// promise: A8
#[tokio::test]
async fn cancelling_needs_the_password_and_stops_everything_at_once() {
    let app = TestApp::spawn().await;
    let cam = recording_camera(&app).await;
    upload_demo(&app, &cam, "a").await;
    let grandma = share_with_grandma(&app, &cam).await;
    let token = cam.owner.api_token("script").await;

    // The wrong password changes nothing.
    assert_error(
        cancel(&cam.owner, "not my password").await,
        StatusCode::BAD_REQUEST,
        "invalid_input",
    )
    .await;
    assert_eq!(cam.owner.get("/api/v1/me").await.status(), StatusCode::OK);

    let resp = cancel(&cam.owner, PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let closure: Value = resp.json().await.unwrap();
    assert!(closure["erase_after"]
        .as_str()
        .unwrap()
        .starts_with("2027-03-20"));

    // Every way in is closed at once.
    assert_eq!(
        cam.owner.get("/api/v1/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let by_token = reqwest::Client::new()
        .get(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(by_token.status(), StatusCode::UNAUTHORIZED);
    let (status, _) = app.sign_in("owner", PASSWORD).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // The camera is unbound: it records and alerts nothing more, and the
    // people it was shared with lose it.
    let seg = crate::recordings::demo().1[0].clone();
    let resp =
        crate::recordings::put_segment(&app, &cam.token, "after", cam.init_id, app.now_ms(), &seg)
            .await;
    assert!(resp.status().is_client_error(), "{}", resp.status());
    let resp = report(&app, &cam.token, motion(&app), None).await;
    assert!(resp.status().is_client_error(), "{}", resp.status());
    assert_eq!(
        grandma.get(&cam.path("")).await.status(),
        StatusCode::NOT_FOUND
    );
    // Cancelling is irreversible, and the data waits out the grace period.
    assert!(!app.blob_keys("media").await.is_empty());
    assert_eq!(app.core.closures.erase_due().await.unwrap(), 0);
}

/// A verified person with an email and a phone, a camera with video, an
/// event snapshot, a consent, a request and an export.
async fn full_account(app: &TestApp, name: &str, email: &str, phone: &str, serial: usize) -> Cam {
    let owner = app.verified_person(name, email).await;
    let resp = owner
        .call(
            reqwest::Method::PUT,
            "/api/v1/me/contacts/phone",
            Some(json!({"value": phone})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    let normalised: String = phone
        .chars()
        .filter(|c| *c == '+' || c.is_ascii_digit())
        .collect();
    let code = app.outbox.last_code(&normalised).unwrap();
    let resp = owner
        .post("/api/v1/me/contacts/phone/verify", json!({"code": code}))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let id = owner.bind(serial).await;
    let token = app.device_token(serial).await;
    let resp = put_init(app, &token, &crate::recordings::demo().0).await;
    let init_id = resp.json::<Value>().await.unwrap()["init_id"]
        .as_i64()
        .unwrap();
    let cam = Cam {
        id,
        token,
        owner,
        init_id,
    };
    upload_demo(app, &cam, name).await;
    let resp = report(app, &cam.token, motion(app), Some(SNAPSHOT)).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let resp = cam
        .owner
        .post(
            "/api/v1/me/requests",
            json!({"kind": "erasure", "details": format!("Please erase {name}")}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    cam
}

/// Whether the camera's last hour downloads as video.
async fn plays(app: &TestApp, cam: &Cam) -> bool {
    let (from, to) = (app.now_ms() - 3_600_000, app.now_ms() + 60_000);
    let resp = cam
        .owner
        .get(&cam.path(&format!("/recordings/download.mp4?from={from}&to={to}")))
        .await;
    resp.status() == StatusCode::OK && resp.bytes().await.unwrap().len() > 1000
}

/// Erin and Frank, each with everything [`full_account`] gives.
async fn erin_and_frank(app: &TestApp) -> (Cam, Cam) {
    app.provision(2).await;
    let erin = full_account(
        app,
        "erinquill",
        "erin.quill@example.test",
        "+44 7700 900456",
        1,
    )
    .await;
    let frank = full_account(
        app,
        "frankmoss",
        "frank.moss@example.test",
        "+44 7700 900789",
        2,
    )
    .await;
    (erin, frank)
}

/// `who` cancels; an administrator brings the erasure forward, citing the
/// person's request; the erasure job runs.
pub async fn cancel_and_erase_now(app: &TestApp, who: &Person, id: i64) {
    assert_eq!(cancel(who, PASSWORD).await.status(), StatusCode::OK);
    let admin = app.person("admin", Role::Admin).await;
    let resp = admin
        .post(
            &format!("/api/v1/admin/accounts/{id}/erasure"),
            json!({"reason": "erasure request"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    app.advance(Duration::from_secs(1));
    assert_eq!(app.core.closures.erase_due().await.unwrap(), 1);
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

// promise: F9
#[tokio::test]
async fn erasure_destroys_the_key_first_and_leaves_nothing_that_names_the_person() {
    let app = TestApp::spawn().await;
    let (erin, frank) = erin_and_frank(&app).await;
    crate::exports::ready_export(&erin.owner).await;
    assert!(plays(&app, &frank).await);
    assert!(plays(&app, &erin).await);

    let erin_id = account_id(&erin.owner).await;
    // An administrator answers the erasure request without waiting 180 days.
    cancel_and_erase_now(&app, &erin.owner, erin_id).await;

    // Erin's key is gone, so a sealed blob of hers could not be opened
    // anywhere; and no blob of hers is left either.
    assert!(app
        .recordings
        .keys()
        .account_key_exists(domain::ids::AccountId(erin_id))
        .await
        .map(|exists| !exists)
        .unwrap());
    app.core.store.checkpoint().await.unwrap();
    // Every stored blob, and the database file.
    let mut stored = Vec::new();
    for key in app.blob_keys("").await {
        stored.push((format!("blob {key}"), app.blob(&key).await));
    }
    if app.core.store.is_sqlite() {
        let db = app.config.data_dir.join("camvault.db");
        stored.push((db.display().to_string(), std::fs::read(&db).unwrap()));
    } else {
        println!("skipping the raw database scan: PostgreSQL has no single file to scan");
    }
    for (what, bytes) in &stored {
        for needle in [
            "erinquill",
            "erin.quill@example.test",
            "+447700900456",
            "900456",
        ] {
            assert!(!contains(bytes, needle), "{needle} in {what}");
        }
    }
    if app.core.store.is_sqlite() {
        // Frank is still there: the scan would have found him.
        let db = std::fs::read(app.config.data_dir.join("camvault.db")).unwrap();
        assert!(contains(&db, "frankmoss") && contains(&db, "frank.moss@example.test"));
    }
    // Frank's video still plays; erin's account is gone for good.
    assert!(plays(&app, &frank).await);
    let (status, _) = app.sign_in("erinquill", PASSWORD).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Erasing again finds nothing to do.
    assert_eq!(app.core.closures.erase_due().await.unwrap(), 0);
}

#[tokio::test]
async fn erasure_can_only_be_brought_forward_by_an_administrator_with_a_reason() {
    let app = TestApp::spawn().await;
    let dana = app.person("dana", Role::User).await;
    let admin = app.person("admin", Role::Admin).await;
    let dana_id: i64 = dana.get("/api/v1/me").await.json::<Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/admin/accounts/{dana_id}/erasure");
    // Not cancelled: nothing to bring forward.
    assert_error(
        admin.post(&path, json!({"reason": "request #4"})).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let other = app.person("other", Role::User).await;
    assert_error(
        other.post(&path, json!({"reason": "because"})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert_eq!(cancel(&dana, PASSWORD).await.status(), StatusCode::OK);
    assert_error(
        admin.post(&path, json!({"reason": "  "})).await,
        StatusCode::BAD_REQUEST,
        "invalid_input",
    )
    .await;
    let later = app.now_ms() + 365 * 86_400_000;
    assert_error(
        admin
            .post(
                &path,
                json!({"reason": "request #4", "erase_after_ms": later}),
            )
            .await,
        StatusCode::BAD_REQUEST,
        "invalid_input",
    )
    .await;
    let resp = admin.post(&path, json!({"reason": "request #4"})).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let log: Vec<Value> = admin
        .get("/api/v1/me/access-log")
        .await
        .json()
        .await
        .unwrap();
    assert!(log.is_empty(), "the entry is about dana, not the admin");
}

#[tokio::test]
async fn the_privacy_center_cancels_an_account_after_the_password_and_a_confirmation() {
    let app = TestApp::spawn().await;
    let dana = app.person("dana", Role::User).await;
    let page = dana.text("/privacy-center").await;
    assert!(page.contains("Cancel my account"));
    let resp = dana
        .submit_form(&page, "/privacy-center/cancel", &[("password", PASSWORD)])
        .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "no confirmation");
    let resp = dana
        .submit_form(
            &page,
            "/privacy-center/cancel",
            &[("password", "wrong password"), ("confirm", "on")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "wrong password");
    assert!(resp.text().await.unwrap().contains("not correct"));
    let resp = dana
        .submit_form(
            &page,
            "/privacy-center/cancel",
            &[("password", PASSWORD), ("confirm", "on")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp
        .text()
        .await
        .unwrap()
        .contains("Your account is cancelled"));
    assert_eq!(
        dana.get("/api/v1/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let (status, _) = app.sign_in("dana", PASSWORD).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

pub async fn account_id(p: &Person) -> i64 {
    p.get("/api/v1/me").await.json::<Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap()
}

/// Copies a directory tree.
fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_tree(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// Opens the oldest segment of `account` in a copy of a data directory
/// with the server's keys as they are now.
async fn open_from_copy(
    copy: &std::path::Path,
    vault: &std::path::Path,
    account: i64,
) -> Result<Vec<u8>, domain::Error> {
    use domain::ports::RecordingStore;
    let url = format!("sqlite://{}", copy.join("camvault.db").display());
    let db = std::sync::Arc::new(store::SqlStore::connect(&url).await.unwrap());
    let master = camvault::master_key::load_or_create(&copy.join("master.key")).unwrap();
    let keys = domain::recordings::KeyRing::new(
        db.clone(),
        std::sync::Arc::new(store::FileKeyVault::open(vault).unwrap()),
        master.account_kek(),
        std::sync::Arc::new(domain::clock::SystemClock),
    );
    let seg = db
        .oldest_segments_of_account(domain::ids::AccountId(account), 1)
        .await
        .unwrap()
        .pop()
        .expect("the copy has the segment");
    let sealed = std::fs::read(copy.join("blobs").join(&seg.segment.blob_key)).unwrap();
    let header = crypto::blob::Header::parse(&sealed).unwrap();
    let kek = keys.media_key_by_id(&header.key_id).await?;
    Ok(crypto::blob::open_blob(&kek, &sealed).unwrap())
}

// promise: F9
#[tokio::test]
async fn a_copy_of_the_data_taken_before_erasure_cannot_be_read_for_the_erased_person() {
    let vault = tempfile::tempdir().unwrap();
    let vault_dir = vault.path().to_path_buf();
    let app = TestApp::spawn_with(|c| {
        c.key_vault_dir = Some(vault_dir);
        // The copy is of the data directory, blobs included.
        c.blob_bucket = None;
    })
    .await;
    if !app.core.store.is_sqlite() {
        println!(
            "skipping: the copy is of the SQLite file; PostgreSQL backups are the operator's dumps"
        );
        return;
    }
    let (erin, frank) = erin_and_frank(&app).await;
    let (erin_id, frank_id) = (
        account_id(&erin.owner).await,
        account_id(&frank.owner).await,
    );

    app.core.store.checkpoint().await.unwrap();
    let backup = tempfile::tempdir().unwrap();
    copy_tree(&app.config.data_dir, backup.path());
    assert!(open_from_copy(backup.path(), vault.path(), erin_id)
        .await
        .is_ok());

    // An administrator answers the erasure request without waiting 180 days.
    cancel_and_erase_now(&app, &erin.owner, erin_id).await;

    // The copy still holds erin's wrapped key and sealed video, but with
    // her vault secret gone nothing opens them; frank's open as before.
    assert!(open_from_copy(backup.path(), vault.path(), erin_id)
        .await
        .is_err());
    let frank_video = open_from_copy(backup.path(), vault.path(), frank_id)
        .await
        .unwrap();
    assert_eq!(&frank_video[4..8], b"moof");

    // Restoring the copy and starting camvault on it erases erin again
    // (the ledger lives in the vault), and keeps frank.
    let config = camvault::config::Config {
        listen: "127.0.0.1:0".into(),
        data_dir: backup.path().to_path_buf(),
        database_url: Some(format!(
            "sqlite://{}",
            backup.path().join("camvault.db").display()
        )),
        key_vault_dir: Some(vault.path().to_path_buf()),
        ..camvault::config::Config::default()
    };
    let restored = camvault::app::App::build(&config, camvault::app::Deps::default())
        .await
        .unwrap();
    use domain::ports::AccountStore;
    let db = &restored.core().store;
    assert!(db
        .account(domain::ids::AccountId(erin_id))
        .await
        .unwrap()
        .is_none());
    assert!(db
        .account(domain::ids::AccountId(frank_id))
        .await
        .unwrap()
        .is_some());
    db.checkpoint().await.unwrap();
    let raw = std::fs::read(backup.path().join("camvault.db")).unwrap();
    assert!(!contains(&raw, "erinquill") && contains(&raw, "frankmoss"));
}

// promise: F6
#[tokio::test]
async fn restricting_processing_stops_recording_and_alerts_but_keeps_what_is_stored() {
    let app = TestApp::spawn().await;
    let cam = recording_camera(&app).await;
    let (from, to) = upload_demo(&app, &cam, "a").await;
    let owner = &cam.owner;
    let state: Value = owner
        .get("/api/v1/me/restriction")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(state["restricted"], false);

    let resp = owner
        .call(
            reqwest::Method::PUT,
            "/api/v1/me/restriction",
            Some(json!({"restricted": true})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.json::<Value>().await.unwrap()["restricted"], true);

    // Nothing new is recorded or alerted…
    let seg = crate::recordings::demo().1[0].clone();
    let resp = crate::recordings::put_segment(
        &app,
        &cam.token,
        "restricted",
        cam.init_id,
        app.now_ms(),
        &seg,
    )
    .await;
    assert_error(resp, StatusCode::CONFLICT, "account_restricted").await;
    let resp = report(&app, &cam.token, motion(&app), None).await;
    assert_error(resp, StatusCode::CONFLICT, "account_restricted").await;
    // …while what is stored stays the owner's to play.
    let resp = owner
        .get(&cam.path(&format!("/recordings/download.mp4?from={from}&to={to}")))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);

    // The privacy center shows it and lifts it.
    let page = owner.text("/privacy-center").await;
    assert!(page.contains("Lift the restriction"));
    let resp = owner
        .submit_form(
            &page,
            "/privacy-center/restriction",
            &[("restricted", "false")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let resp =
        crate::recordings::put_segment(&app, &cam.token, "lifted", cam.init_id, app.now_ms(), &seg)
            .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let log: Vec<Value> = owner
        .get("/api/v1/me/access-log")
        .await
        .json()
        .await
        .unwrap();
    assert!(log.iter().any(|e| e["action"] == "account.restrict"));
    assert!(log.iter().any(|e| e["action"] == "account.unrestrict"));
}
