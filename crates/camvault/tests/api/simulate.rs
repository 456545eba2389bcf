//! The camera simulator against the real server: fast cameras leave one
//! continuous recording each, refusals are counted and store nothing,
//! decode times keep rising across loops of the clip, a real-time camera
//! follows the clock, and `camvault serve --demo` has video within seconds.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use camvault::simulate::{self, Pacing, SimStats, Simulator};
use domain::clock::{Clock, SystemClock};
use domain::ports::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::watch;

use crate::helpers::{Person, TestApp};

/// Device credentials of provisioned devices 1..=n, as `TestApp::provision` makes them.
fn credentials(n: usize) -> Vec<(String, String)> {
    (1..=n)
        .map(|i| (format!("CAM-{i:04}"), format!("secret-secret-{i:04}")))
        .collect()
}

/// A simulator driving `app` with the app's own manual clock.
fn simulator(app: &TestApp, n: usize, pacing: Pacing) -> Simulator {
    let clock: Arc<dyn Clock> = app.clock.clone();
    Simulator::new(&app.base, credentials(n), pacing, clock).unwrap()
}

/// Polls `done` every 20 ms until it holds; panics after `limit`.
async fn wait_for(what: &str, limit: Duration, stats: &SimStats, done: impl Fn(&SimStats) -> bool) {
    let deadline = Instant::now() + limit;
    while !done(stats) {
        assert!(
            Instant::now() < deadline,
            "{what} not within {limit:?}: {:?}",
            stats.cameras()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Runs `sim` until `done` holds (panicking after `limit`), then stops it.
async fn run_until(
    sim: Simulator,
    what: &str,
    limit: Duration,
    done: impl Fn(&SimStats) -> bool,
) -> Arc<SimStats> {
    let stats = sim.stats();
    let (stop, stopped) = watch::channel(false);
    let task = sim.spawn(stopped);
    wait_for(what, limit, &stats, done).await;
    stop.send(true).unwrap();
    task.await.unwrap();
    stats
}

/// Provisions `n` devices and binds them to a new "owner"; returns the owner and camera ids.
async fn owned_cameras(app: &TestApp, n: usize) -> (Person, Vec<i64>) {
    app.provision(n).await;
    let owner = app.person("owner", Role::User).await;
    let mut ids = Vec::new();
    for i in 1..=n {
        ids.push(owner.bind(i).await);
    }
    (owner, ids)
}

/// `?from=&to=` covering the fast timeline (a day back) and a little future.
fn wide_range(app: &TestApp) -> String {
    let now = app.now_ms();
    format!("?from={}&to={}", now - 25 * 3_600_000, now + 3_600_000)
}

/// The playlist's `#EXTINF` durations in ms and its segment URIs.
fn playlist_entries(playlist: &str) -> (Vec<i64>, Vec<String>) {
    let durations = playlist
        .lines()
        .filter_map(|l| l.strip_prefix("#EXTINF:"))
        .map(|d| (d.trim_end_matches(',').parse::<f64>().unwrap() * 1000.0).round() as i64)
        .collect();
    let uris = playlist
        .lines()
        .filter(|l| l.ends_with(".m4s"))
        .map(str::to_string)
        .collect();
    (durations, uris)
}

#[tokio::test]
async fn fast_cameras_each_leave_one_continuous_recording() {
    let app = TestApp::spawn().await;
    let (owner, ids) = owned_cameras(&app, 3).await;
    let sim = simulator(&app, 3, Pacing::Fast);
    let stats = run_until(
        sim,
        "12 segments per camera",
        Duration::from_secs(90),
        |s| s.cameras().iter().all(|c| c.stored >= 12),
    )
    .await;

    let total = stats.snapshot();
    assert_eq!((total.refused, total.failed), (0, 0), "{total:?}");
    assert_eq!(total.sent, total.stored);
    assert!(total.p50_ms.is_some() && total.p99_ms >= total.p50_ms);
    assert!(total.bytes > 36 * 400_000, "{total:?}");

    let range = wide_range(&app);
    for (id, counted) in ids.iter().zip(stats.cameras()) {
        let path = format!("/api/v1/cameras/{id}");
        let timeline: Value = owner
            .get(&format!("{path}/recordings/timeline{range}"))
            .await
            .json()
            .await
            .unwrap();
        let spans = timeline["spans"].as_array().unwrap();
        assert_eq!(spans.len(), 1, "camera {id}: {timeline}");
        let span_ms = spans[0]["end_ms"].as_i64().unwrap() - spans[0]["start_ms"].as_i64().unwrap();

        let resp = owner.get(&format!("{path}/recordings.m3u8{range}")).await;
        assert_eq!(resp.status(), StatusCode::OK);
        let playlist = resp.text().await.unwrap();
        assert!(!playlist.contains("#EXT-X-DISCONTINUITY"), "{playlist}");
        let (durations, _) = playlist_entries(&playlist);
        // A stop can abandon one upload the server still finishes.
        let n = durations.len() as u64;
        assert!(
            n == counted.stored || n == counted.stored + 1,
            "{n} listed, {} counted",
            counted.stored
        );
        // Segments start every 2 s of video; AAC frames make a few of them
        // a little longer (at most 95 ms per 12 s loop), so the playlist's
        // total and the span agree to within 1 %.
        let total_ms: i64 = durations.iter().sum();
        assert!(
            (total_ms - span_ms).abs() * 100 <= span_ms,
            "playlist {total_ms} ms, span {span_ms} ms"
        );
        let camera: Value = owner.get(&path).await.json().await.unwrap();
        assert_eq!(camera["firmware_version"], "sim-1.0", "{camera}");
        assert_eq!(camera["time_zone"], "UTC");
        assert_eq!(camera["online"], true);
    }
}

// promise: C3
#[tokio::test]
async fn a_camera_in_privacy_mode_is_refused_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let (owner, ids) = owned_cameras(&app, 1).await;
    let resp = owner
        .patch(
            &format!("/api/v1/cameras/{}", ids[0]),
            json!({"privacy": true}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let sim = simulator(&app, 1, Pacing::Fast);
    let stats = run_until(sim, "3 refusals", Duration::from_secs(30), |s| {
        s.snapshot().refused >= 3
    })
    .await;

    let total = stats.snapshot();
    assert_eq!(
        (total.stored, total.failed, total.bytes),
        (0, 0, 0),
        "{total:?}"
    );
    assert_eq!(total.sent, total.refused);
    let timeline: Value = owner
        .get(&format!(
            "/api/v1/cameras/{}/recordings/timeline{}",
            ids[0],
            wide_range(&app)
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(timeline["spans"], json!([]));
    let media = app.blob_keys("media").await;
    assert!(media.is_empty(), "nothing under media: {media:?}");
}

#[tokio::test]
async fn decode_times_keep_rising_across_loops_of_the_clip() {
    let app = TestApp::spawn().await;
    let (owner, ids) = owned_cameras(&app, 1).await;
    let sim = simulator(&app, 1, Pacing::Fast);
    // The clip has six segments: eight cross into the second loop.
    run_until(sim, "8 segments", Duration::from_secs(60), |s| {
        s.snapshot().stored >= 8
    })
    .await;

    let path = format!("/api/v1/cameras/{}", ids[0]);
    let playlist = owner
        .text(&format!("{path}/recordings.m3u8{}", wide_range(&app)))
        .await;
    let init_uri = playlist
        .split("#EXT-X-MAP:URI=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let resp = owner.get(&format!("{path}/{init_uri}")).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let init = media::fmp4::parse_init(&resp.bytes().await.unwrap()).unwrap();
    let (_, uris) = playlist_entries(&playlist);
    assert!(uris.len() >= 8, "{playlist}");
    let mut starts = Vec::new();
    for uri in &uris[..8] {
        let resp = owner.get(&format!("{path}/{uri}")).await;
        assert_eq!(resp.status(), StatusCode::OK, "{uri}");
        let segment = media::fmp4::parse_media(&resp.bytes().await.unwrap(), &init).unwrap();
        starts.push(segment.start_seconds());
    }
    for (k, start) in starts.iter().enumerate() {
        assert!(
            (start - 2.0 * k as f64).abs() < 1e-3,
            "segment {k}: {starts:?}"
        );
    }
    // Segment 6 is the clip's first segment again, twelve seconds on.
    assert!(starts[6] > starts[5] && starts[6] > starts[0], "{starts:?}");
}

#[tokio::test]
async fn a_real_time_camera_sends_each_segment_once_its_two_seconds_passed() {
    let app = TestApp::spawn().await;
    let (owner, ids) = owned_cameras(&app, 1).await;
    let began = app.now_ms();
    let sim = simulator(&app, 1, Pacing::RealTime);
    let stats = sim.stats();
    let (stop, stopped) = watch::channel(false);
    let task = sim.spawn(stopped);
    let path = format!("/api/v1/cameras/{}", ids[0]);
    // It comes online at once but sends nothing while the clock stands still.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let camera: Value = owner.get(&path).await.json().await.unwrap();
        if camera["online"] == true {
            break;
        }
        assert!(Instant::now() < deadline, "never online: {camera}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(stats.snapshot().sent, 0);

    for n in 1..=2u64 {
        app.advance(Duration::from_millis(2_000));
        wait_for("the next segment", Duration::from_secs(10), &stats, |s| {
            s.snapshot().stored == n
        })
        .await;
    }
    stop.send(true).unwrap();
    task.await.unwrap();
    let timeline: Value = owner
        .get(&format!(
            "{path}/recordings/timeline?from={}&to={}",
            began - 60_000,
            began + 60_000
        ))
        .await
        .json()
        .await
        .unwrap();
    // Stamped with the clock when recording began: 0 s and 2 s.
    let spans = timeline["spans"].as_array().unwrap();
    assert_eq!(spans.len(), 1, "{timeline}");
    assert_eq!(spans[0]["start_ms"], began);
    let end = spans[0]["end_ms"].as_i64().unwrap();
    assert!((began + 4_000..=began + 4_100).contains(&end), "{timeline}");
}

#[tokio::test]
async fn prepare_provisions_binds_and_names_cameras_and_is_idempotent() {
    let app = TestApp::spawn().await;
    // A second set of services over the same database and master key, as
    // `camvault simulate` builds next to a running server.
    let core = camvault::app::Core::build(
        &app.config,
        camvault::app::Deps {
            clock: app.clock.clone(),
            ..camvault::app::Deps::default()
        },
    )
    .await
    .unwrap();
    let (_, password) = simulate::ensure_owner(&core, "Sim-Owner").await.unwrap();
    let password = password.expect("a new account gets a password");
    assert_eq!(
        simulate::ensure_owner(&core, "sim-owner").await.unwrap().1,
        None
    );
    let first = simulate::prepare(&core, "sim-owner", 2, "sim")
        .await
        .unwrap();
    let serials: Vec<&str> = first.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(serials, ["SIM-0001", "SIM-0002"]);

    let client = crate::helpers::browser();
    let resp = client
        .post(app.url("/api/v1/sessions"))
        .json(&json!({"login": "sim-owner", "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let csrf = resp.json::<Value>().await.unwrap()["csrf_token"]
        .as_str()
        .unwrap()
        .to_string();
    let owner = Person {
        client,
        csrf,
        base: app.base.clone(),
    };
    let cameras = || async {
        let list: Vec<Value> = owner.get("/api/v1/cameras").await.json().await.unwrap();
        list.iter()
            .map(|c| {
                (
                    c["id"].as_i64().unwrap(),
                    c["serial"].clone(),
                    c["name"].clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    let listed = cameras().await;
    assert_eq!(listed.len(), 2);
    assert_eq!(
        (&listed[0].1, &listed[0].2),
        (&json!("SIM-0001"), &json!("Demo camera 1"))
    );
    assert_eq!(
        (&listed[1].1, &listed[1].2),
        (&json!("SIM-0002"), &json!("Demo camera 2"))
    );

    // A second run: same cameras, fresh secrets; a name the owner chose stays.
    let path = format!("/api/v1/cameras/{}", listed[1].0);
    let resp = owner.patch(&path, json!({"name": "Porch"})).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let second = simulate::prepare(&core, "sim-owner", 2, "SIM")
        .await
        .unwrap();
    let listed = cameras().await;
    assert_eq!((listed.len(), &listed[1].2), (2, &json!("Porch")));
    let token = |(serial, secret): (String, String)| {
        let url = app.url("/api/v1/device/token");
        async move {
            let body = json!({"serial": serial, "secret": secret});
            reqwest::Client::new()
                .post(url)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(token(first[0].clone()).await, StatusCode::UNAUTHORIZED);
    assert_eq!(token(second[0].clone()).await, StatusCode::CREATED);

    // The fresh credentials record.
    let sim = Simulator::new(&app.base, second, Pacing::Fast, app.clock.clone()).unwrap();
    run_until(sim, "a segment per camera", Duration::from_secs(30), |s| {
        s.cameras().iter().all(|c| c.stored >= 1)
    })
    .await;

    // Serials bound to someone else are not taken over.
    assert!(simulate::prepare(&core, "someone-else", 1, "SIM")
        .await
        .is_err());
    core.store.close().await;
}

/// Lines a child process wrote, shared with the test.
type Lines = Arc<Mutex<Vec<String>>>;

/// Starts `camvault serve --demo` on a free port; returns the child and its output lines.
fn start_demo(dir: &std::path::Path, database_url: &str) -> (tokio::process::Child, Lines) {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_camvault"))
        .current_dir(dir)
        .args(["--data-dir", dir.to_str().unwrap()])
        .args(["--database-url", database_url])
        .args(["--listen", "127.0.0.1:0", "serve", "--demo"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let lines: Lines = Arc::default();
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    collect(stdout, lines.clone());
    // The log, kept only so a failure can show it.
    collect(stderr, lines.clone());
    (child, lines)
}

/// Appends every line of `stream` to `lines` until EOF.
fn collect(stream: impl tokio::io::AsyncRead + Unpin + Send + 'static, lines: Lines) {
    tokio::spawn(async move {
        let mut reader = BufReader::new(stream).lines();
        while let Ok(Some(line)) = reader.next_line().await {
            lines.lock().unwrap().push(line);
        }
    });
}

/// Waits up to 30 s for an output line starting with `prefix`; returns the rest.
async fn line_after(lines: &Lines, prefix: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let found = lines
            .lock()
            .unwrap()
            .iter()
            .find_map(|l| l.strip_prefix(prefix).map(str::to_string));
        if let Some(rest) = found {
            return rest;
        }
        assert!(
            Instant::now() < deadline,
            "no {prefix:?} line: {:?}",
            lines.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Signs in as demo; returns the client or the status of a refusal.
async fn sign_in(base: &str, password: &str) -> Result<reqwest::Client, StatusCode> {
    let client = crate::helpers::browser();
    let resp = client
        .post(format!("{base}/api/v1/sessions"))
        .json(&json!({"login": "demo", "password": password}))
        .send()
        .await
        .unwrap();
    match resp.status() {
        StatusCode::CREATED => Ok(client),
        other => Err(other),
    }
}

/// Stops the child with SIGTERM and checks it exits cleanly.
async fn terminate(mut child: tokio::process::Child) {
    let pid = child.id().unwrap();
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = tokio::time::timeout(Duration::from_secs(15), child.wait())
        .await
        .expect("camvault exits after SIGTERM")
        .unwrap();
    assert!(status.success(), "{status}");
}

#[tokio::test]
async fn serve_demo_shows_a_recording_camera_within_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let database_url = testkit::test_database_url(dir.path()).await;
    let mut passwords: Vec<String> = Vec::new();
    for run in 0..2 {
        let (child, lines) = start_demo(dir.path(), &database_url);
        let base = line_after(&lines, "camvault: listening on ").await;
        let demo = line_after(&lines, "camvault: demo account: demo / ").await;
        let shown_at = Instant::now();
        let (password, signin) = demo.split_once(" — sign in at ").unwrap();
        assert_eq!(signin, format!("{base}/signin"));
        let client = sign_in(&base, password).await.unwrap();
        if let Some(old) = passwords.last() {
            // A restart gives the existing demo account a new password.
            assert_ne!(old.as_str(), password);
            assert_eq!(
                sign_in(&base, old).await.err(),
                Some(StatusCode::UNAUTHORIZED)
            );
        }
        passwords.push(password.to_string());

        let cameras: Vec<Value> = client
            .get(format!("{base}/api/v1/cameras"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(cameras.len(), 1, "run {run}: {cameras:?}");
        assert_eq!(cameras[0]["name"], "Demo camera 1");
        let id = cameras[0]["id"].as_i64().unwrap();
        let now = SystemClock.now().ms();
        let url = format!(
            "{base}/api/v1/cameras/{id}/recordings/timeline?from={}&to={}",
            now - 3_600_000,
            now + 3_600_000
        );
        loop {
            let timeline: Value = client.get(&url).send().await.unwrap().json().await.unwrap();
            if !timeline["spans"].as_array().unwrap().is_empty() {
                break;
            }
            assert!(
                shown_at.elapsed() < Duration::from_secs(15),
                "run {run}: no recording within 15 s: {:?}",
                lines.lock().unwrap()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        terminate(child).await;
    }
}

#[tokio::test]
async fn a_simulated_camera_can_raise_motion_events_with_snapshots() {
    let app = TestApp::spawn().await;
    app.provision(1).await;
    let owner = app.person("owner", Role::User).await;
    let id = owner.bind(1).await;
    let sim = simulator(&app, 1, Pacing::Fast).with_motion_every(2);
    run_until(sim, "six segments", Duration::from_secs(30), |s| {
        s.cameras()[0].stored >= 6
    })
    .await;
    let now = app.now_ms();
    let events: Vec<Value> = owner
        .get(&format!(
            "/api/v1/cameras/{id}/events?from={}&to={}",
            now - 3 * 86_400_000,
            now + 60_000
        ))
        .await
        .json()
        .await
        .unwrap();
    assert!(events.len() >= 3, "{events:?}");
    assert!(events
        .iter()
        .all(|e| e["type"] == "motion" && e["labels"] == json!(["demo"])));
    let snap = owner
        .bytes(events[0]["snapshot_url"].as_str().unwrap())
        .await;
    assert_eq!(snap, media::demo::DEMO_SNAPSHOT);
}
