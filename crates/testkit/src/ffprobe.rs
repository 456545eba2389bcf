//! `ffprobe` as the judge of produced video: HLS playlists and MP4 files
//! must open with no complaint.
//!
//! Outside CI a missing ffprobe skips the check with a printed reason; with
//! `CI` set it fails the test, so CI never passes without having checked.

use std::path::Path;
use std::process::Command;

const FFPROBE: &str = "/usr/bin/ffprobe";

/// Whether ffprobe is here; prints the skip reason (or panics under CI) if not.
pub fn available(test: &str) -> bool {
    if Path::new(FFPROBE).exists() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{test}: {FFPROBE} is missing and CI is set; install ffmpeg"
    );
    eprintln!("note: {test}: {FFPROBE} not found; skipping the ffprobe check");
    false
}

/// What ffprobe made of a file or URL.
#[derive(Debug)]
pub struct Probe {
    /// Everything ffprobe wrote to stderr at `-v error` (empty when clean).
    pub errors: String,
    /// Whether it exited 0.
    pub success: bool,
    /// `-show_format -show_streams` as JSON.
    pub json: serde_json::Value,
}

/// Runs `ffprobe -v error -show_format -show_streams` on `target` (a path
/// or URL), sending `headers` (e.g. `Authorization: Bearer …`) on HTTP
/// requests, including those an HLS playlist leads to.
pub fn probe(target: &str, headers: &[&str]) -> Probe {
    let mut cmd = Command::new(FFPROBE);
    cmd.args([
        "-v",
        "error",
        "-of",
        "json",
        "-show_format",
        "-show_streams",
    ]);
    if !headers.is_empty() {
        let joined: String = headers.iter().map(|h| format!("{h}\r\n")).collect();
        cmd.arg("-headers").arg(joined);
    }
    if target.contains(".m3u8") {
        // Our playlists name segments with .m4s; ffmpeg's HLS demuxer
        // otherwise refuses extensions it does not list.
        cmd.args(["-allowed_extensions", "ALL"]);
    }
    let out = cmd
        .arg(target)
        .output()
        .unwrap_or_else(|e| panic!("running ffprobe: {e}"));
    Probe {
        errors: String::from_utf8_lossy(&out.stderr).into_owned(),
        success: out.status.success(),
        json: serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null),
    }
}
