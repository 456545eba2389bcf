//! `bench events`: how fast a camera's event reaches the people watching
//! the in-app alert stream, and how many events the server takes per second.
//!
//! Alert latency: one camera is shared with 999 accounts (viewer role), and
//! each of them and the owner hold one SSE stream
//! (`GET /api/v1/me/alerts/stream`, bearer API token): 1,000 subscribers.
//! Shares rather than 1,000 streams of the owner, because fan-out looks up
//! every recipient's switches and push subscriptions, so its work grows
//! with people, not with streams; that is the cost worth measuring (no
//! household has 1,000 people, it is the stress case). Accounts and shares
//! are written straight through the store, without invitation mails. The
//! camera reports motion events (JSON, no snapshot) every 100 ms over the
//! device API; the figure is the time from just before each POST leaves to
//! each subscriber's client reading the alert's SSE block. Clients and
//! server share this process, hence one monotonic clock. The baseline is
//! the same with only the owner subscribed, on a camera shared with nobody.
//!
//! Ingest rate: several cameras POST events back to back for `--seconds`
//! while the owner's stream is open; the baseline is the same clients
//! sending heartbeats, the cheapest authenticated device call that writes.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use domain::accounts::contact::Address;
use domain::accounts::password::{self, Password};
use domain::cameras::sharing::{Invitation, ShareRole, INVITATION_TTL};
use domain::clock::{Clock, SystemClock};
use domain::ids::{AccountId, CameraId};
use domain::ports::{AccountStore, NewAccount, Role, ShareStore};
use futures_util::StreamExt;
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use super::report::{Goal, Op, Outcome, Reporter};
use super::server::BenchServer;
use super::sys::{cpu_seconds, quantile};
use super::{shared_cores_note, Options};
use crate::simulate::random_password;

/// Serial prefix of this benchmark's cameras.
const PREFIX: &str = "EVT";
/// Usernames of the people the crowd camera is shared with.
const PERSON_PREFIX: &str = "watcher";
/// Events per latency phase (fewer with `quick`).
const EVENTS: usize = 50;
const QUICK_EVENTS: usize = 10;
/// Time between two events of the latency phases.
const SPACING: Duration = Duration::from_millis(100);
/// Device clients of the ingest-rate phases, one camera each.
const CLIENTS: usize = 8;
/// Streams opened (and accounts written) at the same time while setting up.
const PARALLEL_SETUP: usize = 16;
/// After the last POST is answered, how long stragglers may take to arrive.
const DELIVERY_WAIT: Duration = Duration::from_secs(10);
/// The device API's event and heartbeat endpoints.
const EVENTS_PATH: &str = "/api/v1/device/events";
const HEARTBEAT: &str = "/api/v1/device/heartbeat";
/// Open files beyond two sockets per subscriber (database, blobs, runtime).
const FD_HEADROOM: u64 = 512;

/// What the client reads out of an alert.
#[derive(Debug, Deserialize, PartialEq)]
struct AlertData {
    event_id: i64,
    camera_id: i64,
}

/// The alert an SSE block carries, if it is one.
fn alert_in(block: &[u8]) -> Option<AlertData> {
    let text = std::str::from_utf8(block).ok()?;
    text.lines().find(|l| l.trim_end() == "event: alert")?;
    let data = text.lines().find_map(|l| l.strip_prefix("data:"))?;
    serde_json::from_str(data.trim()).ok()
}

/// This process's soft limit on open files, from `/proc/self/limits`.
fn open_files_limit() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("Max open files"))?;
    match line.split_whitespace().next()? {
        "unlimited" => Some(u64::MAX),
        n => n.parse().ok(),
    }
}

/// Makes sure this process may hold `needed` open files, raising its soft
/// limit to that (within the hard limit) if it must.
async fn ensure_open_files(needed: u64) -> anyhow::Result<()> {
    if open_files_limit().is_some_and(|n| n >= needed) {
        return Ok(());
    }
    // Raising one's own soft limit needs no privilege, but std has no call
    // for it and this crate no libc, so util-linux's prlimit does it.
    let _ = tokio::process::Command::new("prlimit")
        .arg(format!("--pid={}", std::process::id()))
        .arg(format!("--nofile={needed}:"))
        .status()
        .await;
    let limit = open_files_limit().unwrap_or(0);
    anyhow::ensure!(
        limit >= needed,
        "{needed} open files needed, the limit is {limit}: run `ulimit -n {needed}` first"
    );
    Ok(())
}

/// API tokens of `n` people who see `camera`: the owner's first, then those
/// of `n - 1` new accounts the camera is shared with as viewers.
async fn audience(
    server: &BenchServer,
    owner: AccountId,
    camera: CameraId,
    n: usize,
) -> anyhow::Result<Vec<String>> {
    let core = &server.core;
    // One Argon2 hash of a discarded password for everyone: nobody signs
    // in, and a thousand hashes would take minutes.
    let hash = password::hash(&Password::new(random_password(PERSON_PREFIX)))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let now = SystemClock.now();
    let person = |i: usize| {
        let hash = hash.clone();
        async move {
            let username = format!("{PERSON_PREFIX}{i:04}");
            let new = NewAccount {
                username: username.clone(),
                password_hash: hash,
                role: Role::User,
                contacts: Vec::new(),
                now,
            };
            let id = core.store.create_account(new).await?;
            let invitation = Invitation {
                id: 0,
                camera_id: camera,
                address: Address::email(&format!("{username}@example.invalid"))?,
                role: ShareRole::Viewer,
                expires_at: now.plus(INVITATION_TTL),
                created_at: now,
            };
            let invitation = core.store.create_invitation(&invitation).await?;
            core.store.accept_invitation(invitation, id, now).await?;
            anyhow::Ok(core.accounts.create_api_token(id, "bench").await?.1)
        }
    };
    let mut tokens = vec![core.accounts.create_api_token(owner, "bench").await?.1];
    let people = futures_util::stream::iter(1..n).map(person);
    let people: Vec<_> = people.buffered(PARALLEL_SETUP).collect().await;
    tokens.extend(people.into_iter().collect::<anyhow::Result<Vec<_>>>()?);
    Ok(tokens)
}

/// Open alert streams, each noting (event id, arrival) of the alerts it reads.
struct Streams {
    tasks: Vec<JoinHandle<Vec<(i64, Instant)>>>,
    /// Alerts read so far, all streams together.
    arrived: Arc<AtomicUsize>,
    stop: watch::Sender<bool>,
}

impl Streams {
    /// One stream per token, keeping alerts of `camera` (any when None).
    async fn open(
        server: &BenchServer,
        tokens: &[String],
        camera: Option<CameraId>,
    ) -> anyhow::Result<Streams> {
        // No overall timeout: the streams stay open for the whole phase.
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .build()?;
        let url = format!("{}/api/v1/me/alerts/stream", server.base);
        let arrived = Arc::new(AtomicUsize::new(0));
        let (stop, stopping) = watch::channel(false);
        let open = |token: String| {
            let (client, url, arrived) = (client.clone(), url.clone(), arrived.clone());
            let mut stop = stopping.clone();
            async move {
                let mut resp = client.get(&url).bearer_auth(&token).send().await?;
                // The handler subscribes before answering: headers mean "listening".
                anyhow::ensure!(
                    resp.status() == StatusCode::OK,
                    "alert stream: HTTP {}",
                    resp.status()
                );
                Ok(tokio::spawn(async move {
                    let (mut got, mut buf) = (Vec::new(), Vec::<u8>::new());
                    loop {
                        let chunk = tokio::select! {
                            chunk = resp.chunk() => chunk,
                            _ = stop.wait_for(|s| *s) => break,
                        };
                        // Taken before parsing, which is the client's cost, not the server's.
                        let at = Instant::now();
                        match chunk {
                            Ok(Some(bytes)) => buf.extend_from_slice(&bytes),
                            _ => break,
                        }
                        while let Some(end) = buf.windows(2).position(|w| w == b"\n\n") {
                            let block: Vec<u8> = buf.drain(..end + 2).collect();
                            match alert_in(&block) {
                                Some(a) if camera.is_none_or(|c| c.0 == a.camera_id) => {
                                    got.push((a.event_id, at));
                                    arrived.fetch_add(1, Ordering::Relaxed);
                                }
                                _ => {}
                            }
                        }
                    }
                    got
                }))
            }
        };
        let tasks = futures_util::stream::iter(tokens.iter().cloned())
            .map(open)
            .buffer_unordered(PARALLEL_SETUP)
            .collect::<Vec<anyhow::Result<_>>>()
            .await
            .into_iter()
            .collect::<anyhow::Result<_>>()
            .context("opening alert streams")?;
        Ok(Streams {
            tasks,
            arrived,
            stop,
        })
    }

    /// Closes the streams once `n` alerts were read in all, or after
    /// `limit`; what each read.
    async fn close(self, n: usize, limit: Duration) -> anyhow::Result<Vec<Vec<(i64, Instant)>>> {
        let waited = Instant::now();
        while self.arrived.load(Ordering::Relaxed) < n && waited.elapsed() < limit {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let _ = self.stop.send(true);
        let mut out = Vec::with_capacity(self.tasks.len());
        for t in self.tasks {
            out.push(t.await?);
        }
        Ok(out)
    }
}

fn device_client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(30))
        .build()?)
}

fn event_body() -> Value {
    json!({"type": "motion", "at_ms": SystemClock.now().ms(), "score": 0.9})
}

fn heartbeat_body() -> Value {
    json!({"firmware_version": "bench", "uptime_secs": 60})
}

/// POSTs `body` to `url` with a device token; the answer's JSON.
async fn post(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    body: &Value,
) -> anyhow::Result<Value> {
    let resp = client
        .post(url)
        .bearer_auth(token)
        .json(body)
        .send()
        .await?;
    let status = resp.status();
    if !status.is_success() {
        anyhow::bail!("HTTP {status}: {}", resp.text().await.unwrap_or_default());
    }
    Ok(resp.json().await?)
}

/// What one latency phase measured, in ms.
struct AlertPhase {
    /// POST sent → alert read, every delivery.
    latencies: Vec<f64>,
    /// POST sent → answer, per event (the answer waits for the fan-out).
    answers: Vec<f64>,
    expected: usize,
}

fn ms_between(later: Instant, earlier: Instant) -> f64 {
    later.duration_since(earlier).as_secs_f64() * 1e3
}

async fn alert_phase(
    server: &BenchServer,
    (device, id): (&str, CameraId),
    tokens: &[String],
    events: usize,
) -> anyhow::Result<AlertPhase> {
    let streams = Streams::open(server, tokens, Some(id)).await?;
    let client = device_client()?;
    let url = format!("{}{EVENTS_PATH}", server.base);
    // The first request pays for the connection; no event should.
    let beat = format!("{}{HEARTBEAT}", server.base);
    post(&client, &beat, device, &heartbeat_body()).await?;
    let mut ticks = tokio::time::interval(SPACING);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut posts = JoinSet::new();
    for _ in 0..events {
        ticks.tick().await;
        let (client, url, device) = (client.clone(), url.clone(), device.to_string());
        // Spawned, so a slow answer does not hold back the next event.
        posts.spawn(async move {
            let sent = Instant::now();
            let answer = post(&client, &url, &device, &event_body()).await?;
            let took = ms_between(Instant::now(), sent);
            let event = answer["id"].as_i64().context("no event id in the answer")?;
            anyhow::Ok((event, sent, took))
        });
    }
    let (mut sent, mut answers) = (HashMap::new(), Vec::with_capacity(events));
    while let Some(done) = posts.join_next().await {
        let (event, at, took) = done?.context("reporting an event")?;
        sent.insert(event, at);
        answers.push(took);
    }
    let expected = events * tokens.len();
    let read = streams.close(expected, DELIVERY_WAIT).await?;
    let latencies = read
        .iter()
        .flatten()
        .filter_map(|(event, at)| sent.get(event).map(|s| ms_between(*at, *s)))
        .collect();
    Ok(AlertPhase {
        latencies,
        answers,
        expected,
    })
}

/// What one ingest-rate phase measured.
struct Rate {
    /// When each answer came (s since the start) and its latency (ms).
    answers: Vec<(f64, f64)>,
    elapsed: f64,
    cpu: Option<f64>,
}

impl Rate {
    fn per_second(&self) -> f64 {
        self.answers.len() as f64 / self.elapsed
    }

    /// Answers per second in each half of the run: a cost that grows with
    /// what is already stored shows as a drop.
    fn halves(&self) -> Vec<f64> {
        let half = self.elapsed / 2.0;
        let first = self.answers.iter().filter(|(t, _)| *t < half).count();
        let second = self.answers.len() - first;
        vec![first as f64 / half, second as f64 / half]
    }

    fn p99_ms(&self) -> Option<f64> {
        quantile(&self.answers.iter().map(|a| a.1).collect::<Vec<_>>(), 0.99)
    }

    /// CPU ms of the whole process per answer.
    fn cpu_ms_each(&self) -> Option<f64> {
        let n = self.answers.len() as f64;
        self.cpu.filter(|_| n > 0.0).map(|c| c * 1e3 / n)
    }
}

/// Each device POSTs `body()` to `path` back to back for `seconds`; a
/// failed request ends the run, since it would make the rate meaningless.
async fn hammer(
    server: &BenchServer,
    devices: &[String],
    path: &str,
    body: fn() -> Value,
    seconds: Duration,
) -> anyhow::Result<Rate> {
    let client = device_client()?;
    let url = format!("{}{path}", server.base);
    for device in devices {
        // Connections and first-use work outside the timed part.
        post(&client, &url, device, &body()).await?;
    }
    let cpu0 = cpu_seconds();
    let started = Instant::now();
    let mut tasks = JoinSet::new();
    for device in devices {
        let (client, url, device) = (client.clone(), url.clone(), device.clone());
        tasks.spawn(async move {
            let mut answers = Vec::new();
            while started.elapsed() < seconds {
                let at = Instant::now();
                post(&client, &url, &device, &body()).await?;
                let now = Instant::now();
                answers.push((ms_between(now, started) / 1e3, ms_between(now, at)));
            }
            anyhow::Ok(answers)
        });
    }
    let mut answers = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        answers.extend(joined?.with_context(|| format!("POST {path}"))?);
    }
    Ok(Rate {
        answers,
        elapsed: started.elapsed().as_secs_f64(),
        cpu: cpu_seconds().zip(cpu0).map(|(b, a)| b - a),
    })
}

/// Runs the benchmark: alert latency with 1 subscriber, then with
/// `opts.subscribers`, then the ingest rate against heartbeats.
pub async fn run(opts: &Options, rep: &mut Reporter) -> anyhow::Result<()> {
    let crowd_size = opts.subscribers.max(1);
    ensure_open_files(2 * crowd_size as u64 + FD_HEADROOM).await?;
    let events = if opts.quick { QUICK_EVENTS } else { EVENTS };
    let seconds = Duration::from_secs(opts.seconds.min(if opts.quick { 2 } else { u64::MAX }));
    let server = BenchServer::start("events").await?;
    let result = async {
        let owner = server.owner().await?;
        let (creds, ids) = server.cameras(2 + CLIENTS, PREFIX).await?;
        let mut devices = Vec::with_capacity(creds.len());
        for (serial, secret) in &creds {
            devices.push(server.core.cameras.device_token(serial, secret).await?.0);
        }
        let setup = Instant::now();
        let tokens = audience(&server, owner, ids[1], crowd_size).await?;
        let took = setup.elapsed();
        rep.progress(&format!("events: {crowd_size} people made in {took:.1?}"));
        rep.progress(&format!("events: {events} alerts to 1 subscriber"));
        let single = alert_phase(&server, (&devices[0], ids[0]), &tokens[..1], events).await?;
        rep.progress(&format!(
            "events: {events} alerts to {crowd_size} subscribers"
        ));
        let crowd = alert_phase(&server, (&devices[1], ids[1]), &tokens, events).await?;
        rep.progress(&format!(
            "events: heartbeats, then events, {seconds:?} each"
        ));
        let streams = Streams::open(&server, &tokens[..1], None).await?;
        let beats = hammer(&server, &devices[2..], HEARTBEAT, heartbeat_body, seconds).await?;
        let ingest = hammer(&server, &devices[2..], EVENTS_PATH, event_body, seconds).await?;
        // Each device's untimed first event is alerted too.
        let all = ingest.answers.len() + CLIENTS;
        let read = streams.close(all, Duration::from_secs(2)).await?;
        let streamed = read
            .iter()
            .map(Vec::len)
            .sum::<usize>()
            .saturating_sub(CLIENTS);
        anyhow::Ok((single, crowd, ingest, beats, streamed))
    }
    .await;
    let stopped = server.stop().await;
    let (single, crowd, ingest, beats, streamed) = result?;
    stopped?;
    let others = crowd_size - 1;
    for (p, goal) in [(0.99, true), (0.5, false)] {
        let name = format!("p{:.0}", p * 100.0);
        let mut o = Outcome::new(
            &format!("events.alert_{name}"),
            &format!("event → in-app alert latency {name}, {crowd_size} subscribers"),
            "ms",
            quantile(&crowd.latencies, p),
            "the same with 1 subscriber (the owner, camera not shared)",
            quantile(&single.latencies, p),
        )
        .detail("subscribers", crowd_size)
        .detail("events", events)
        .detail("deliveries", crowd.latencies.len())
        .detail("deliveries_expected", crowd.expected)
        .detail("post_answer_p50_ms", quantile(&crowd.answers, 0.5))
        .detail("post_answer_p99_ms", quantile(&crowd.answers, 0.99))
        .note(format!(
            "the owner and {others} people the camera is shared with, one stream each"
        ))
        .note("from just before the POST leaves to a subscriber reading the alert");
        if goal {
            o = o
                .goal(Goal::value(Op::Below, 100.0, "value < 100 ms"))
                .note(format!(
                    "the baseline has {events} samples: its p99 is about its maximum"
                ))
                .note(shared_cores_note());
        }
        rep.emit(o);
    }
    let rates = [
        Outcome::new(
            "events.ingest",
            "events ingested per second (JSON motion, no snapshot)",
            "req/s",
            Some(ingest.per_second()),
            "heartbeats per second, same clients",
            Some(beats.per_second()),
        ),
        Outcome::new(
            "events.ingest_p99",
            "event POST answer p99 under that load",
            "ms",
            ingest.p99_ms(),
            "heartbeat answer p99, same clients",
            beats.p99_ms(),
        ),
    ];
    for o in rates {
        rep.emit(
            o.detail("clients", CLIENTS)
                .detail("seconds", seconds.as_secs())
                .detail("events", ingest.answers.len())
                .detail("heartbeats", beats.answers.len())
                .detail("events_per_s_by_half", ingest.halves())
                .detail("heartbeats_per_s_by_half", beats.halves())
                .detail("cpu_ms_per_event", ingest.cpu_ms_each())
                .detail("cpu_ms_per_heartbeat", beats.cpu_ms_each())
                .detail("alerts_streamed_to_owner", streamed)
                .note(format!(
                    "{CLIENTS} cameras POSTing back to back; the owner's stream open"
                ))
                .note(shared_cores_note()),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alerts_are_read_out_of_sse_blocks() {
        let block = b"event: alert\ndata: {\"event_id\":7,\"camera_id\":3,\"kind\":\"motion\"}\n\n";
        let alert = AlertData {
            event_id: 7,
            camera_id: 3,
        };
        assert_eq!(alert_in(block), Some(alert));
        assert_eq!(alert_in(b":\n\n"), None);
        assert_eq!(
            alert_in(b"event: x\ndata: {\"event_id\":7,\"camera_id\":3}\n\n"),
            None
        );
        assert!(open_files_limit().is_some_and(|n| n > 0));
    }
}
