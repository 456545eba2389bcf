//! Crash safety: the server is killed with SIGKILL while ten cameras upload,
//! restarted, and the recording index must be consistent with the blobs.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use camvault::app::{Core, Deps};
use camvault::config::Config;
use camvault::simulate::{ensure_owner, prepare, Pacing, Simulator};
use domain::clock::SystemClock;
use domain::ports::BlobStore;
use reqwest::StatusCode;
use serde_json::{json, Value};

const CAMERAS: usize = 10;

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A server process, killed with SIGKILL when dropped.
pub struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn start(config: &Config, port: u16) -> Server {
    start_with(config, port, &[]).await
}

/// Starts `camvault serve` on `config`'s database, data and blobs, on
/// loopback `port`, with extra `CAMVAULT_*` settings; waits until ready.
pub async fn start_with(config: &Config, port: u16, env: &[(&str, &str)]) -> Server {
    let mut command = Command::new(env!("CARGO_BIN_EXE_camvault"));
    command.envs(env.iter().copied());
    command
        .arg("--data-dir")
        .arg(&config.data_dir)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .arg("--database-url")
        .arg(config.database_url())
        .env("CAMVAULT_KEY_VAULT_DIR", config.key_vault_dir());
    // The same blob store as the test's own `config`: a bucket, if any.
    if let Some(bucket) = &config.blob_bucket {
        let s = config.s3_settings();
        command
            .env("CAMVAULT_BLOB_BUCKET", bucket)
            .env("CAMVAULT_S3_ENDPOINT", s.endpoint.unwrap_or_default())
            .env("CAMVAULT_S3_REGION", s.region.unwrap_or_default())
            .env(
                "CAMVAULT_S3_ACCESS_KEY_ID",
                s.access_key_id.unwrap_or_default(),
            )
            .env(
                "CAMVAULT_S3_SECRET_ACCESS_KEY",
                s.secret_access_key.unwrap_or_default(),
            )
            .env("CAMVAULT_S3_PATH_STYLE", s.path_style.to_string())
            .env("CAMVAULT_S3_ALLOW_HTTP", s.allow_http.to_string());
    }
    let child = command
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server(child);
    let ready = format!("http://127.0.0.1:{port}/readyz");
    for _ in 0..300 {
        if let Ok(r) = reqwest::get(&ready).await {
            if r.status() == StatusCode::OK {
                return server;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server did not become ready");
}

/// A configuration in a new directory (the test blob store, a fresh
/// database) where `owner` has `n` bound cameras with serials `PREFIX-…`:
/// the directory, the configuration, the owner's password and each
/// camera's (serial, device secret), for servers run as separate processes.
pub async fn fleet(
    owner: &str,
    n: usize,
    prefix: &str,
) -> (tempfile::TempDir, Config, String, Vec<(String, String)>) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config {
        data_dir: dir.path().to_path_buf(),
        database_url: Some(testkit::test_database_url(dir.path()).await),
        key_vault_dir: Some(dir.path().join("keys")),
        ..Config::default()
    };
    crate::helpers::use_test_blobs(&mut config).await;
    let core = Core::build(&config, Deps::default()).await.unwrap();
    let (_, password) = ensure_owner(&core, owner).await.unwrap();
    let cameras = prepare(&core, owner, n, prefix).await.unwrap();
    core.store.close().await;
    (dir, config, password.unwrap(), cameras)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_restarts_with_a_consistent_playable_index() {
    let (_dir, config, password, cameras) = fleet("crash", CAMERAS, "CRASH").await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let server = start(&config, port).await;

    let sim = Simulator::new(&base, cameras, Pacing::Fast, Arc::new(SystemClock)).unwrap();
    let stats = sim.stats();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let running = sim.spawn(stopped);
    // Let every camera store a few segments, so uploads are in full flow.
    for _ in 0..600 {
        if stats.cameras().iter().all(|c| c.stored >= 4) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        stats.cameras().iter().all(|c| c.stored >= 4),
        "cameras are uploading"
    );
    drop(server); // SIGKILL, mid-upload
                  // No retry may reach the restarted server: what was acked is what counts.
    stop.send(true).unwrap();
    running.await.unwrap();
    let acked = stats.cameras();

    let _server = start(&config, port).await;
    let owner = crate::helpers::browser();
    let resp = owner
        .post(format!("{base}/api/v1/sessions"))
        .json(&json!({"login": "crash", "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let list: Vec<Value> = owner
        .get(format!("{base}/api/v1/cameras"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list.len(), CAMERAS);

    // Fast simulated cameras stamp segments back to back from a day ago.
    let now = domain::clock::Clock::now(&SystemClock).ms();
    let (from, to) = (now - 3 * 86_400_000, now + 3_600_000);
    let mut indexed_total = 0;
    let mut inits = 0;
    for cam in &list {
        let id = cam["id"].as_i64().unwrap();
        let serial = cam["serial"].as_str().unwrap();
        let acked = acked.iter().find(|c| c.serial == serial).unwrap().stored;
        let playlist = owner
            .get(format!(
                "{base}/api/v1/cameras/{id}/recordings.m3u8?from={from}&to={to}"
            ))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let segments: Vec<&str> = playlist.lines().filter(|l| l.ends_with(".m4s")).collect();
        let mut init_uris: Vec<&str> = playlist
            .lines()
            .filter_map(|l| l.strip_prefix("#EXT-X-MAP:URI=\""))
            .map(|l| l.trim_end_matches('"'))
            .collect();
        init_uris.dedup();
        // Every acknowledged segment survived; at most the one in flight
        // when the server died was stored without its acknowledgement.
        let n = segments.len() as u64;
        assert!(
            n >= acked && n <= acked + 1,
            "{serial}: {n} indexed, {acked} acked"
        );
        indexed_total += segments.len();
        inits += init_uris.len();
        // Every indexed segment decrypts and parses against its init.
        let init = owner
            .get(format!("{base}/api/v1/cameras/{id}/{}", init_uris[0]))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let init = media::fmp4::parse_init(&init).unwrap();
        for seg in segments {
            let resp = owner
                .get(format!("{base}/api/v1/cameras/{id}/{seg}"))
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), StatusCode::OK, "{serial} {seg}");
            let bytes = resp.bytes().await.unwrap();
            media::fmp4::parse_media(&bytes, &init)
                .unwrap_or_else(|e| panic!("{serial} {seg} does not play: {e}"));
        }
    }
    // Reconciliation at start-up left no blob without a row.
    let media = crate::helpers::blob_store_of(&config)
        .list("media")
        .await
        .unwrap();
    assert_eq!(media.len(), indexed_total + inits, "orphan blobs remain");
}
