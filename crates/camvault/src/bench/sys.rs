//! What the benchmarks read from the operating system and the small
//! statistics they share: CPU time and resident memory from `/proc`,
//! scratch directories, percentiles.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Clock ticks per second in `/proc/<pid>/stat`: `USER_HZ`, which Linux
/// fixes at 100 for user space on every mainstream architecture (reading
/// it properly needs `sysconf`, i.e. libc, for one constant).
const USER_HZ: f64 = 100.0;
/// [`settle`] waits for this much unwritten page cache or less…
const SETTLE_MAX_UNWRITTEN: u64 = 1024 * 1024 * 1024;
/// …and a 4 KiB fsync faster than this…
const SETTLE_MAX_FSYNC: Duration = Duration::from_millis(10);
/// …this many probes in a row.
const SETTLE_QUIET_PROBES: u32 = 3;

/// CPU seconds (user plus system, all threads) this process has used so far.
pub fn cpu_seconds() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/self/stat").ok()?;
    cpu_from_stat(&text)
}

/// utime + stime (fields 14 and 15) of a `/proc/<pid>/stat` line, in seconds.
fn cpu_from_stat(text: &str) -> Option<f64> {
    // The command name (field 2) may hold spaces and parentheses; fields
    // are counted from the last ')' on, where field 3 (the state) starts.
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(14 - 3)?.parse().ok()?;
    let stime: f64 = fields.get(15 - 3)?.parse().ok()?;
    Some((utime + stime) / USER_HZ)
}

/// Resident memory (VmRSS) of this process, or of `pid`, in bytes.
pub fn rss_bytes(pid: Option<u32>) -> Option<u64> {
    let path = match pid {
        Some(p) => format!("/proc/{p}/status"),
        None => "/proc/self/status".to_string(),
    };
    let text = std::fs::read_to_string(path).ok()?;
    rss_from_status(&text)
}

fn rss_from_status(text: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line
        .trim_start_matches("VmRSS:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024)
}

/// Dirty plus under-writeback page cache, in bytes, from /proc/meminfo.
fn unwritten_bytes() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kb = |key: &str| -> Option<u64> {
        let line = text.lines().find(|l| l.starts_with(key))?;
        line[key.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()
    };
    Some((kb("Dirty:")? + kb("Writeback:")?) * 1024)
}

/// How long writing and fsyncing 4 KiB to `path` takes.
pub async fn probe_fsync(path: PathBuf) -> Option<Duration> {
    tokio::task::spawn_blocking(move || {
        let at = Instant::now();
        let mut f = std::fs::File::create(&path).ok()?;
        f.write_all(&[0u8; 4096]).ok()?;
        f.sync_all().ok()?;
        Some(at.elapsed())
    })
    .await
    .ok()
    .flatten()
}

/// Waits, up to `limit`, until the kernel has little unwritten data left
/// and a small fsync under the temporary directory is quick again; returns
/// how long that took. A benchmark that just wrote and deleted gigabytes
/// leaves writeback and discards behind, and they would otherwise land on
/// the next one's latencies.
pub async fn settle(limit: Duration) -> Duration {
    let started = Instant::now();
    let probe = std::env::temp_dir().join(format!(
        "camvault-bench-settle-{:016x}",
        rand::random::<u64>()
    ));
    let mut quiet = 0;
    while quiet < SETTLE_QUIET_PROBES && started.elapsed() < limit {
        let fsync = probe_fsync(probe.clone()).await;
        let calm = unwritten_bytes().is_none_or(|b| b < SETTLE_MAX_UNWRITTEN)
            && fsync.is_some_and(|d| d < SETTLE_MAX_FSYNC);
        quiet = if calm { quiet + 1 } else { 0 };
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let _ = std::fs::remove_file(&probe);
    started.elapsed()
}

/// Space available to this user on the filesystem holding `dir`, from
/// `df -Pk` (POSIX output; asking the kernel directly would need libc).
pub async fn free_bytes(dir: &Path) -> Option<u64> {
    let out = tokio::process::Command::new("df")
        .arg("-Pk")
        .arg(dir)
        .output()
        .await
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let kb: u64 = text
        .lines()
        .nth(1)?
        .split_whitespace()
        .nth(3)?
        .parse()
        .ok()?;
    Some(kb * 1024)
}

/// Deletes every stored media segment (`*.m4s.cvb`) under `dir`, keeping
/// init segments, and returns the bytes freed. Only for a server whose
/// segments nobody will read again: their index rows stay.
pub async fn remove_segment_blobs(dir: PathBuf) -> u64 {
    fn walk(dir: &Path, freed: &mut u64) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            match entry.file_type() {
                Ok(t) if t.is_dir() => walk(&path, freed),
                Ok(_) if path.to_string_lossy().ends_with(".m4s.cvb") => {
                    let len = entry.metadata().map_or(0, |m| m.len());
                    if std::fs::remove_file(&path).is_ok() {
                        *freed += len;
                    }
                }
                _ => {}
            }
        }
    }
    tokio::task::spawn_blocking(move || {
        let mut freed = 0;
        walk(&dir, &mut freed);
        freed
    })
    .await
    .unwrap_or(0)
}

/// Flushes every dirty page to disk, then asks the kernel to drop the
/// cached pages of every file under `dir`, so the next read of them comes
/// from the disk. Unprivileged (per-file `posix_fadvise`), unlike
/// `drop_caches`; returns how many files were dropped.
pub fn evict_from_page_cache(dir: &Path) -> std::io::Result<u64> {
    // Dirty pages cannot be dropped: write them out first.
    rustix::fs::sync();
    let mut files = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let entry = entry?;
            if entry.file_type()?.is_dir() {
                stack.push(entry.path());
                continue;
            }
            let file = std::fs::File::open(entry.path())?;
            rustix::fs::fadvise(&file, 0, None, rustix::fs::Advice::DontNeed)?;
            files += 1;
        }
    }
    Ok(files)
}

/// Peak VmRSS of this process, sampled on a thread of its own so that a
/// busy runtime cannot starve the sampling.
pub struct RssSampler {
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
    thread: std::thread::JoinHandle<u64>,
}

impl RssSampler {
    /// Starts sampling every `every`.
    pub fn start(every: Duration) -> RssSampler {
        let stop = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(AtomicU64::new(rss_bytes(None).unwrap_or(0)));
        let (stopped, high) = (stop.clone(), peak.clone());
        let thread = std::thread::spawn(move || {
            let mut samples = 0;
            while !stopped.load(Ordering::Relaxed) {
                high.fetch_max(rss_bytes(None).unwrap_or(0), Ordering::Relaxed);
                samples += 1;
                std::thread::sleep(every);
            }
            samples
        });
        RssSampler { stop, peak, thread }
    }

    /// Stops sampling (with one last sample): the peak, and how many samples.
    pub fn finish(self) -> (u64, u64) {
        self.stop.store(true, Ordering::Relaxed);
        let samples = self.thread.join().unwrap_or(0);
        self.peak
            .fetch_max(rss_bytes(None).unwrap_or(0), Ordering::Relaxed);
        (self.peak.load(Ordering::Relaxed), samples + 1)
    }
}

/// Bytes as MB (10^6), the unit every figure here uses.
pub fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

/// The `q` quantile (0..=1) of `values` by nearest rank; None when empty.
pub fn quantile(values: &[f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    let rank = ((q.clamp(0.0, 1.0) * sorted.len() as f64).ceil() as usize).max(1);
    sorted.get(rank - 1).copied()
}

/// A fresh directory under the system's temporary directory, removed with
/// everything in it when dropped.
#[derive(Debug)]
pub struct ScratchDir(PathBuf);

impl ScratchDir {
    /// Creates `camvault-bench-<tag>-<random>`.
    pub fn new(tag: &str) -> anyhow::Result<ScratchDir> {
        let path = std::env::temp_dir().join(format!(
            "camvault-bench-{tag}-{:016x}",
            rand::random::<u64>()
        ));
        std::fs::create_dir_all(&path)?;
        Ok(ScratchDir(path))
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        // Best effort: a leftover in /tmp is not worth failing a benchmark over.
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_and_status_parse() {
        let stat = "1234 (my (odd) name) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 9";
        assert_eq!(cpu_from_stat(stat), Some(3.0));
        let status = "Name:\tx\nVmPeak:\t  9999 kB\nVmRSS:\t   2048 kB\n";
        assert_eq!(rss_from_status(status), Some(2048 * 1024));
        assert!(cpu_seconds().is_some());
        assert!(rss_bytes(None).unwrap() > 0);
    }

    #[test]
    fn quantiles_by_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile(&v, 0.5), Some(50.0));
        assert_eq!(quantile(&v, 0.99), Some(99.0));
        assert_eq!(quantile(&v, 1.0), Some(100.0));
        assert_eq!(quantile(&[], 0.5), None);
    }
}
