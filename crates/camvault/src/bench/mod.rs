//! `camvault bench`: measures this machine running camvault.
//!
//! Each benchmark starts its own real server in this process (fresh
//! temporary data directory, SQLite, a loopback port), drives it the way
//! cameras and viewers do, and reports every figure next to a baseline
//! measured in the same run, with their ratio and the goal. Small, shared
//! machines are noisy; ratios are what compare across runs. See
//! `docs/benchmarks.md` for what each one measures and its caveats.

mod album;
mod audit;
mod capacity;
mod cluster;
mod crypto;
mod events;
mod export;
mod fill;
mod http_floor;
mod ingest;
mod live;
mod memory;
mod motion;
mod paced;
mod playback;
pub mod report;
mod server;
mod shred;
mod sys;

use std::time::Instant;

use clap::ValueEnum;

pub use report::{Outcome, Reporter};

/// Which benchmark to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Which {
    /// seal_blob / open_blob throughput against a memory copy.
    Crypto,
    /// Fast-paced cameras against plain file writes, then the real-time capacity search.
    Ingest,
    /// A day's playlist from a year's index, and segment serving over HTTP.
    Playback,
    /// Live-view latency with 50 viewers against 1.
    Live,
    /// Server RSS with 100 recording cameras against idle.
    Memory,
    /// Event to in-app alert latency with 1,000 subscribers against 1, and events per second.
    Events,
    /// Motion-detection CPU per 720p RTSP camera against decoding every frame.
    Motion,
    /// Data export MB/s over HTTP against reading the stored media, and its memory.
    Export,
    /// Crypto-shredding an account of 1 GB and of 10 GB against deleting their files.
    Shred,
    /// A playback request with its audit entry against the same without.
    Audit,
    /// A long clip uploaded to the album in pieces against copying the file, and its memory.
    Album,
    /// Live view relayed to a second instance against the camera's own, and
    /// ingest with blobs in S3 against the local disk.
    Cluster,
    /// All of the above (memory first, while the process is fresh).
    All,
}

/// Options of `camvault bench`.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// Which benchmark.
    #[arg(value_enum)]
    pub which: Which,
    /// Print one JSON object per result on standard output (the human
    /// text then goes to standard error).
    #[arg(long)]
    pub json: bool,
    /// Cameras in the fast-pacing ingest run.
    #[arg(long, default_value_t = 20)]
    pub cameras: usize,
    /// Seconds of each timed load: the fast ingest run, each capacity step,
    /// each live phase and each events-rate phase (the memory load runs 1.5
    /// times as long).
    #[arg(long, default_value_t = 20)]
    pub seconds: u64,
    /// Largest camera count the real-time capacity search tries.
    #[arg(long, default_value_t = 400)]
    pub max_cameras: usize,
    /// MB of media (10^6 bytes) the export benchmark exports.
    #[arg(long, default_value_t = 2048)]
    pub export_mb: u64,
    /// MB of media of the smaller account the shred benchmark shreds (the
    /// larger one has ten times as much).
    #[arg(long, default_value_t = 1024)]
    pub shred_mb: u64,
    /// MB of the clip the album benchmark uploads.
    #[arg(long, default_value_t = 1000)]
    pub album_mb: u64,
    /// Database the cluster benchmark's two instances share
    /// (`postgres://…`, an empty one); default a new SQLite file.
    #[arg(long)]
    pub database_url: Option<String>,
    /// S3-compatible endpoint for the cluster benchmark's S3 ingest run
    /// (skipped without one).
    #[arg(long, env = "CAMVAULT_BENCH_S3_ENDPOINT")]
    pub s3_endpoint: Option<String>,
}

/// How big a run is; the command line sets it, tests shrink it.
#[derive(Debug, Clone)]
pub struct Options {
    /// Cameras in the fast ingest run.
    pub cameras: usize,
    /// Seconds of each timed load.
    pub seconds: u64,
    /// Upper end of the capacity search.
    pub max_cameras: usize,
    /// Live viewers (the baseline has one).
    pub viewers: usize,
    /// Cameras recording in the memory benchmark.
    pub memory_cameras: usize,
    /// In-app alert subscribers (the baseline has one).
    pub subscribers: usize,
    /// MB of media exported.
    pub export_mb: u64,
    /// MB of media of the smaller shredded account.
    pub shred_mb: u64,
    /// MB of the clip uploaded to the album.
    pub album_mb: u64,
    /// Database shared by the cluster benchmark's instances (None: SQLite).
    pub database_url: Option<String>,
    /// S3 endpoint of the cluster benchmark's S3 ingest run.
    pub s3_endpoint: Option<String>,
    /// Shorter rounds and fewer requests: checks that it runs, measures little.
    pub quick: bool,
}

impl From<&BenchArgs> for Options {
    fn from(a: &BenchArgs) -> Options {
        Options {
            cameras: a.cameras.max(1),
            seconds: a.seconds.max(1),
            max_cameras: a.max_cameras.max(1),
            viewers: 50,
            memory_cameras: 100,
            subscribers: 1000,
            export_mb: a.export_mb.max(1),
            shred_mb: a.shred_mb.max(1),
            album_mb: a.album_mb.max(1),
            database_url: a.database_url.clone().filter(|u| !u.is_empty()),
            s3_endpoint: a.s3_endpoint.clone().filter(|u| !u.is_empty()),
            quick: false,
        }
    }
}

/// The caveat every load benchmark carries.
fn shared_cores_note() -> String {
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZeroUsize::get);
    format!("the server and the simulated clients share this machine's {cores} core(s)")
}

/// Longest wait for the disk to calm down between benchmarks.
const SETTLE_LIMIT: std::time::Duration = std::time::Duration::from_secs(60);

/// Waits for the writeback a previous phase left behind (see [`sys::settle`]).
async fn settle(rep: &Reporter) {
    let waited = sys::settle(SETTLE_LIMIT).await;
    if waited.as_secs_f64() >= 2.0 {
        rep.progress(&format!(
            "waited {:.1} s for the disk to settle",
            waited.as_secs_f64()
        ));
    }
}

/// Logging for a bench run: warnings only unless RUST_LOG says otherwise,
/// since a line per request would cost more than what is measured.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(crate::logging::ScrubbingStderr)
        .try_init();
}

/// Runs one benchmark, reporting into `rep`.
pub async fn run_one(which: Which, opts: &Options, rep: &mut Reporter) -> anyhow::Result<()> {
    match which {
        Which::Crypto => crypto::run(opts, rep).await,
        Which::Ingest => ingest::run(opts, rep).await,
        Which::Playback => playback::run(opts, rep).await,
        Which::Live => live::run(opts, rep).await,
        Which::Memory => memory::run(opts, rep).await,
        Which::Events => events::run(opts, rep).await,
        Which::Motion => motion::run(opts, rep).await,
        Which::Export => export::run(opts, rep).await,
        Which::Shred => shred::run(opts, rep).await,
        Which::Audit => audit::run(opts, rep).await,
        Which::Album => album::run(opts, rep).await,
        Which::Cluster => cluster::run(opts, rep).await,
        Which::All => anyhow::bail!("`all` is a list, not one benchmark"),
    }
}

fn name(which: Which) -> &'static str {
    match which {
        Which::Crypto => "crypto",
        Which::Ingest => "ingest",
        Which::Playback => "playback",
        Which::Live => "live",
        Which::Memory => "memory",
        Which::Events => "events",
        Which::Motion => "motion",
        Which::Export => "export",
        Which::Shred => "shred",
        Which::Audit => "audit",
        Which::Album => "album",
        Which::Cluster => "cluster",
        Which::All => "all",
    }
}

/// Runs `camvault bench`: the chosen benchmarks, each result as it comes,
/// then a summary. Missed goals do not fail the command; errors do.
pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    let opts = Options::from(&args);
    let mut rep = Reporter::new(args.json);
    let list = match args.which {
        // Memory first: later benchmarks leave freed memory with the allocator.
        Which::All => vec![
            Which::Memory,
            Which::Crypto,
            Which::Ingest,
            Which::Playback,
            Which::Live,
            Which::Events,
            Which::Motion,
            Which::Export,
            Which::Shred,
            Which::Audit,
            Which::Album,
            Which::Cluster,
        ],
        one => vec![one],
    };
    rep.say(&format!(
        "camvault bench {}: release build: {}; {}; figures are compared with baselines from this same run",
        name(args.which),
        !cfg!(debug_assertions),
        shared_cores_note()
    ));
    let started = Instant::now();
    for which in list {
        let at = Instant::now();
        settle(&rep).await;
        rep.progress(&format!("{} ...", name(which)));
        if let Err(e) = run_one(which, &opts, &mut rep).await {
            rep.failed(name(which), &e);
        }
        rep.progress(&format!(
            "{} took {:.0} s",
            name(which),
            at.elapsed().as_secs_f64()
        ));
    }
    rep.summary();
    rep.say(&format!("total {:.0} s", started.elapsed().as_secs_f64()));
    match rep.errors().len() {
        0 => Ok(()),
        n => anyhow::bail!("{n} benchmark(s) could not run"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> Options {
        Options {
            cameras: 2,
            seconds: 3,
            max_cameras: 2,
            viewers: 2,
            memory_cameras: 2,
            subscribers: 3,
            export_mb: 8,
            shred_mb: 8,
            album_mb: 12,
            database_url: None,
            s3_endpoint: None,
            quick: true,
        }
    }

    fn sane(o: &Outcome) {
        let json = serde_json::to_value(o).unwrap();
        for key in [
            "bench", "figure", "unit", "value", "baseline", "ratio", "goal", "pass",
        ] {
            assert!(json.get(key).is_some(), "{}: no {key}", o.bench);
        }
        if let Some(v) = o.value {
            assert!(v.is_finite() && v >= 0.0, "{}: {v}", o.bench);
        }
        if let Some(r) = o.ratio {
            assert!(r.is_finite() && r >= 0.0, "{}: {r}", o.bench);
        }
        assert_eq!(o.pass.is_some(), o.goal.is_some() && o.value.is_some());
        // One line of text that parses back (floats may differ in the last digit).
        let line = serde_json::to_string(o).unwrap();
        assert!(!line.contains('\n'));
        let back: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(back["bench"], json["bench"]);
    }

    // Checks only that the benchmarks run end to end and report sane JSON:
    // timings from a debug build on a busy test machine mean nothing.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn crypto_and_a_tiny_ingest_run_and_report_sane_json() {
        let opts = tiny();
        let mut rep = Reporter::new(false);
        run_one(Which::Crypto, &opts, &mut rep).await.unwrap();
        run_one(Which::Ingest, &opts, &mut rep).await.unwrap();
        let names: Vec<&str> = rep.outcomes().iter().map(|o| o.bench.as_str()).collect();
        assert_eq!(
            names,
            [
                "crypto.seal",
                "crypto.open",
                "ingest.throughput",
                "ingest.cpu",
                "ingest.ack_p99",
                "ingest.capacity",
                "ingest.paced"
            ]
        );
        for o in rep.outcomes() {
            sane(o);
            assert!(o.baseline.value.is_some_and(|b| b >= 0.0), "{}", o.bench);
        }
        let throughput = &rep.outcomes()[2];
        assert!(throughput.details["segments_stored"].as_u64().unwrap() > 0);
        assert!(rep.errors().is_empty());
    }

    // The run itself fails unless every audited playback wrote its entry.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_tiny_audit_run_reports_sane_json() {
        let mut rep = Reporter::new(false);
        run_one(Which::Audit, &tiny(), &mut rep).await.unwrap();
        let o = &rep.outcomes()[0];
        assert_eq!(o.bench, "audit.playback_p99");
        sane(o);
        assert_eq!(o.details["requests_each"], 100);
        assert!(o.baseline.value.is_some_and(|b| b > 0.0));
    }

    // The run itself fails unless the clip is stored whole without its place.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_tiny_album_run_reports_sane_json() {
        let mut rep = Reporter::new(false);
        run_one(Which::Album, &tiny(), &mut rep).await.unwrap();
        let names: Vec<&str> = rep.outcomes().iter().map(|o| o.bench.as_str()).collect();
        assert_eq!(names, ["album.upload", "album.rss_growth"]);
        for o in rep.outcomes() {
            sane(o);
        }
        assert!(rep.outcomes()[0].value.is_some_and(|v| v > 0.0));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_tiny_events_run_reports_sane_json() {
        let mut rep = Reporter::new(false);
        run_one(Which::Events, &tiny(), &mut rep).await.unwrap();
        let names: Vec<&str> = rep.outcomes().iter().map(|o| o.bench.as_str()).collect();
        assert_eq!(
            names,
            [
                "events.alert_p99",
                "events.alert_p50",
                "events.ingest",
                "events.ingest_p99"
            ]
        );
        for o in rep.outcomes() {
            sane(o);
        }
        let alerts = &rep.outcomes()[0].details;
        assert_eq!(alerts["deliveries"], alerts["deliveries_expected"]);
        assert!(rep.outcomes()[2].details["events"].as_u64().unwrap() > 0);
    }

    // Two instances on one SQLite file; no S3 endpoint, so that half is skipped.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_tiny_cluster_run_reports_sane_json() {
        let mut rep = Reporter::new(false);
        // Cameras start within the first 2 s and send after 2 s more.
        let opts = Options {
            seconds: 5,
            ..tiny()
        };
        run_one(Which::Cluster, &opts, &mut rep).await.unwrap();
        let names: Vec<&str> = rep.outcomes().iter().map(|o| o.bench.as_str()).collect();
        assert_eq!(
            names,
            [
                "cluster.relay_p50",
                "cluster.relay_p99",
                "cluster.s3_ingest"
            ]
        );
        for o in rep.outcomes() {
            sane(o);
        }
        let relay = &rep.outcomes()[0].details;
        assert!(relay["remote_samples"].as_u64().unwrap() > 0);
        assert_eq!(relay["missed_remote"], 0);
        assert!(rep.outcomes()[2].value.is_none());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_tiny_export_and_shred_run_and_report_sane_json() {
        let mut rep = Reporter::new(false);
        run_one(Which::Export, &tiny(), &mut rep).await.unwrap();
        run_one(Which::Shred, &tiny(), &mut rep).await.unwrap();
        let names: Vec<&str> = rep.outcomes().iter().map(|o| o.bench.as_str()).collect();
        assert_eq!(
            names,
            [
                "export.throughput",
                "export.rss_growth",
                "export.rss_peak",
                "shred.small",
                "shred.large",
                "shred.scaling"
            ]
        );
        for o in rep.outcomes() {
            sane(o);
            assert!(o.value.is_some(), "{}", o.bench);
        }
        let export = &rep.outcomes()[0].details;
        assert!(export["media_files"].as_u64().unwrap() >= 2);
        assert!(
            export["archive_mb"].as_f64().unwrap() > 0.9 * export["media_mb"].as_f64().unwrap()
        );
        for shred in &rep.outcomes()[3..5] {
            // Three cameras on seven UTC days, plus each camera's init key.
            assert!(shred.details["media_keys_destroyed"].as_u64().unwrap() >= 24);
            assert!(shred.details["files_deleted"].as_u64().unwrap() > 0);
        }
        assert!(rep.errors().is_empty());
    }
}
