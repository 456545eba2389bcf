//! Three instances on loopback ports over one database and one blob store
//! (PostgreSQL and an S3 bucket in the PostgreSQL pass): cameras upload to
//! instance 1, viewers and alert subscribers sit on instances 2 and 3, and
//! instance 1 is killed with SIGKILL mid-run. Cameras move on to another
//! instance and keep recording, no acknowledged segment is lost, viewers
//! and subscribers keep receiving, and the purge job and a data export each
//! ran exactly once.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use camvault::app::{Core, Deps};
use camvault::simulate::{Pacing, Simulator};
use domain::clock::{Clock, SystemClock, Timestamp};
use domain::ports::{BlobStore, JobLeaseStore};
use domain::privacy::export::ExportStore;
use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use crate::crash::{free_port, start_with};
use crate::events::Stream;
use crate::helpers::{browser, Person};

const CAMERAS: usize = 4;
/// The purge interval of every instance, seconds.
const PURGE_SECS: i64 = 1;

/// Arrival times of what a live socket or an alert stream received.
type Arrivals = Arc<Mutex<Vec<Instant>>>;

fn count_after(arrivals: &Arrivals, t: Instant) -> usize {
    arrivals.lock().unwrap().iter().filter(|a| **a > t).count()
}

/// Watches `camera` live on `base` and notes each media segment's arrival.
async fn watch(base: &str, camera: i64, token: &str) -> Arrivals {
    let url = format!(
        "{}/api/v1/cameras/{camera}/live",
        base.replace("http://", "ws://")
    );
    let mut req = url.into_client_request().unwrap();
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    let arrivals: Arrivals = Arc::default();
    let noted = arrivals.clone();
    tokio::spawn(async move {
        let mut init_next = false;
        while let Some(Ok(m)) = socket.next().await {
            match m {
                // The init description announces the init segment.
                Message::Text(_) => init_next = true,
                Message::Binary(_) if init_next => init_next = false,
                Message::Binary(_) => noted.lock().unwrap().push(Instant::now()),
                _ => break,
            }
        }
    });
    arrivals
}

/// Notes each alert `p`'s stream receives.
async fn subscribe(p: &Person) -> Arrivals {
    let mut stream = Stream::open(p).await;
    let arrivals: Arrivals = Arc::default();
    let noted = arrivals.clone();
    tokio::spawn(async move {
        while stream.next(Duration::from_secs(600)).await.is_some() {
            noted.lock().unwrap().push(Instant::now());
        }
    });
    arrivals
}

async fn until(what: &str, secs: u64, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what} within {secs} s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cameras_viewers_and_jobs_survive_an_instance_killed_mid_run() {
    let (_dir, config, password, cameras) = crate::crash::fleet("fleet", CAMERAS, "FLEET").await;
    let settings = [
        ("CAMVAULT_PURGE_INTERVAL_SECS", "1"),
        ("CAMVAULT_EXPORT_LEASE_SECS", "2"),
        // Every client here is 127.0.0.1.
        ("CAMVAULT_RATE_LIMIT_PER_MINUTE", "0"),
        ("CAMVAULT_AUTH_RATE_LIMIT_PER_MINUTE", "0"),
    ];
    let ports = [free_port(), free_port(), free_port()];
    let bases: Vec<String> = ports
        .iter()
        .map(|p| format!("http://127.0.0.1:{p}"))
        .collect();
    let first = start_with(&config, ports[0], &settings).await;
    let _second = start_with(&config, ports[1], &settings).await;
    let _third = start_with(&config, ports[2], &settings).await;
    let started = SystemClock.now();

    // The owner's session lives in the database: any instance serves it.
    let client = browser();
    let resp = client
        .post(format!("{}/api/v1/sessions", bases[1]))
        .json(&json!({"login": "fleet", "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let csrf = resp.json::<Value>().await.unwrap()["csrf_token"]
        .as_str()
        .unwrap()
        .to_string();
    let on = |i: usize| Person {
        client: client.clone(),
        csrf: csrf.clone(),
        base: bases[i].clone(),
    };
    let token = on(1).api_token("viewer").await;
    let list: Vec<Value> = on(2).get("/api/v1/cameras").await.json().await.unwrap();
    assert_eq!(list.len(), CAMERAS);
    let watched = list[0]["id"].as_i64().unwrap();

    let viewers = [
        watch(&bases[1], watched, &token).await,
        watch(&bases[2], watched, &token).await,
    ];
    let alerts = [subscribe(&on(1)).await, subscribe(&on(2)).await];

    // Cameras talk to instance 1, and to 2 and 3 when it cannot be reached.
    let sim = Simulator::new(&bases[0], cameras, Pacing::RealTime, Arc::new(SystemClock))
        .unwrap()
        .with_fallbacks(&bases[1..])
        .with_motion_every(2);
    let stats = sim.stats();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let running = sim.spawn(stopped);
    let t0 = Instant::now();
    until("every camera records through instance 1", 60, || {
        stats.cameras().iter().all(|c| c.stored >= 3)
    })
    .await;
    until(
        "viewers and subscribers on 2 and 3 get instance 1's video and alerts",
        30,
        || {
            viewers.iter().all(|v| count_after(v, t0) >= 2)
                && alerts.iter().all(|a| count_after(a, t0) >= 1)
        },
    )
    .await;

    // A data export is asked for on instance 1, which claims it at once,
    // and instance 1 dies.
    let resp = on(0).post("/api/v1/me/exports", json!({})).await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    let export: Value = resp.json().await.unwrap();
    let export_id = export["id"].as_str().unwrap().to_string();
    let before_kill: Vec<u64> = stats.cameras().iter().map(|c| c.stored).collect();
    drop(first); // SIGKILL
    let killed = Instant::now();
    let killed_at = SystemClock.now();

    until("every camera records through another instance", 60, || {
        stats
            .cameras()
            .iter()
            .zip(&before_kill)
            .all(|(c, before)| c.stored >= before + 3)
    })
    .await;
    until("viewers and subscribers keep receiving", 30, || {
        viewers.iter().all(|v| count_after(v, killed) >= 2)
            && alerts.iter().all(|a| count_after(a, killed) >= 1)
    })
    .await;
    for (v, at) in viewers.iter().zip([2, 3]) {
        let gap = v
            .lock()
            .unwrap()
            .iter()
            .find(|a| **a > killed)
            .map(|a| a.duration_since(killed));
        println!("viewer on instance {at}: first segment {gap:?} after the kill");
    }
    stop.send(true).unwrap();
    running.await.unwrap();
    let acked = stats.cameras();

    // No acknowledged segment is lost; at most the one in flight at the kill
    // is stored without its acknowledgement.
    let now = SystemClock.now().ms();
    for cam in &list {
        let id = cam["id"].as_i64().unwrap();
        let serial = cam["serial"].as_str().unwrap();
        let acked = acked.iter().find(|c| c.serial == serial).unwrap().stored;
        let playlist = on(2)
            .text(&format!(
                "/api/v1/cameras/{id}/recordings.m3u8?from={}&to={}",
                now - 3_600_000,
                now + 3_600_000
            ))
            .await;
        let n = playlist.lines().filter(|l| l.ends_with(".m4s")).count() as u64;
        assert!(
            n >= acked && n <= acked + 1,
            "{serial}: {n} indexed, {acked} acknowledged"
        );
    }

    // The export was built once: ready, with exactly its own parts.
    let mut ready = Value::Null;
    for _ in 0..600 {
        let list: Vec<Value> = on(1).get("/api/v1/me/exports").await.json().await.unwrap();
        ready = list
            .into_iter()
            .find(|e| e["id"] == export_id.as_str())
            .unwrap_or(Value::Null);
        if ready["state"] == "ready" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(ready["state"], "ready", "{ready}");
    let parts = crate::helpers::blob_store_of(&config)
        .list(&format!("exports/{export_id}"))
        .await
        .unwrap();
    let core = Core::build(&config, Deps::default()).await.unwrap();
    let record = core.store.export(&export_id).await.unwrap().unwrap();
    assert!(!parts.is_empty());
    assert_eq!(parts.len() as i64, record.parts, "{record:?}");

    // The purge ran on one instance at a time, before and after the kill.
    let runs = core
        .store
        .job_runs("purge", Timestamp(started.ms() - 1_000))
        .await
        .unwrap();
    core.store.close().await;
    let lease_ms = 3 * PURGE_SECS * 1_000;
    for w in runs.windows(2) {
        // A run whose instance died holds the job until its lease runs out.
        let end = w[0]
            .finished_at
            .unwrap_or(w[0].started_at.plus(Duration::from_millis(lease_ms as u64)));
        assert!(
            w[1].started_at >= end,
            "purge runs overlap: {:?} and {:?}",
            w[0],
            w[1]
        );
    }
    let after: Vec<_> = runs.iter().filter(|r| r.started_at > killed_at).collect();
    assert!(
        after.len() >= 2,
        "the purge went on after the kill: {runs:?}"
    );
    assert!(after.iter().all(|r| r.finished_at.is_some()), "{runs:?}");
    println!(
        "purge runs: {} in all, {} after the kill, holders {:?}",
        runs.len(),
        after.len(),
        runs.iter()
            .map(|r| &r.holder[..6])
            .collect::<std::collections::BTreeSet<_>>()
    );
}
