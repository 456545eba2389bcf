//! Helpers shared by the unit tests: ffprobe discovery with the skip/CI
//! rule, and throwaway directories (without a `tempfile` dependency).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

const FFPROBE: &str = "/usr/bin/ffprobe";

/// `/usr/bin/ffprobe` if installed. Otherwise prints why the caller skips
/// its check, except under CI (`CI` set), where a missing ffprobe must fail
/// the test rather than let it pass silently.
pub(crate) fn ffprobe(test: &str) -> Option<&'static Path> {
    let path = Path::new(FFPROBE);
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{test}: {FFPROBE} is missing and CI is set; install ffmpeg"
    );
    eprintln!("note: {test}: {FFPROBE} not found; skipping the ffprobe check");
    None
}

/// Runs `ffprobe -v error` on `path` and fails on a non-zero exit or any
/// complaint on stderr.
pub(crate) fn assert_ffprobe_clean(ffprobe: &Path, path: &Path) {
    let out = Command::new(ffprobe)
        .arg("-v")
        .arg("error")
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("running ffprobe: {e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "ffprobe failed on {}: {stderr}",
        path.display()
    );
    assert!(
        stderr.trim().is_empty(),
        "ffprobe complained about {}: {stderr}",
        path.display()
    );
}

/// A directory under the system temp dir, removed when dropped.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    /// A new, empty directory whose name includes `tag`.
    pub(crate) fn new(tag: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("camvault-media-{tag}-{}-{n}", std::process::id()));
        // A leftover from a crashed run with the same pid would hold stale files.
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
        TempDir(dir)
    }

    /// The directory.
    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

// ------------------------------------------------ crafted media segments
//
// ffmpeg always writes version-1 `tfdt`s and one base mode per file, so the
// rewriting code's other paths (version-0 upgrades, implicit bases chained
// from one traf's data to the next, explicit bases after a dropped box) are
// tested on segments built here against the real H.264 + AAC init.

/// The init the crafted segments belong to: track 1 H.264 (timescale
/// 10240), track 2 AAC (timescale 44100).
pub(crate) const CRAFT_INIT: &[u8] = include_bytes!("../testdata/h264_aac_init.mp4");

/// How a crafted `traf` says where its sample data is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BaseMode {
    /// `default-base-is-moof`, with `trun` data offsets from the `moof`.
    Moof,
    /// A `tfhd` `base_data_offset` holding the `moof`'s position.
    Explicit,
    /// Neither: the video `trun` counts from the `moof`, the audio `trun`
    /// has no data offset and continues where the video data ended.
    Implicit,
}

pub(crate) fn bx(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
    let size = u32::try_from(payload.len() + 8).unwrap_or(u32::MAX);
    let mut v = Vec::with_capacity(payload.len() + 8);
    v.extend_from_slice(&size.to_be_bytes());
    v.extend_from_slice(kind);
    v.extend_from_slice(payload);
    v
}

fn full(kind: &[u8; 4], version: u8, flags: u32, payload: &[u8]) -> Vec<u8> {
    let mut p = ((u32::from(version) << 24) | flags).to_be_bytes().to_vec();
    p.extend_from_slice(payload);
    bx(kind, &p)
}

const VIDEO_SIZES: [u32; 3] = [100, 50, 60];
const AUDIO_SIZES: [u32; 4] = [20, 21, 22, 23];
const SYNC: u32 = 0x0200_0000;
const NON_SYNC: u32 = 0x0101_0000;

/// One `traf`; `data_offset` is `None` for a `trun` without one.
fn traf(
    track_id: u32,
    mode: BaseMode,
    base: u64,
    tfdt: u32,
    data_offset: Option<i32>,
    samples: &[(u32, u32)],
) -> Vec<u8> {
    let mut tfhd = track_id.to_be_bytes().to_vec();
    let tfhd_flags = match mode {
        BaseMode::Moof => 0x02_0000,
        BaseMode::Explicit => {
            tfhd.extend_from_slice(&base.to_be_bytes());
            0x00_0001
        }
        BaseMode::Implicit => 0,
    };
    let mut trun = u32::try_from(samples.len())
        .unwrap_or(0)
        .to_be_bytes()
        .to_vec();
    if let Some(off) = data_offset {
        trun.extend_from_slice(&off.to_be_bytes());
    }
    for &(size, flags) in samples {
        for v in [1024u32, size, flags] {
            trun.extend_from_slice(&v.to_be_bytes());
        }
    }
    let trun_flags = 0x700 | u32::from(data_offset.is_some());
    [
        full(b"tfhd", 0, tfhd_flags, &tfhd),
        full(b"tfdt", 0, 0, &tfdt.to_be_bytes()),
        full(b"trun", 0, trun_flags, &trun),
    ]
    .concat()
}

/// A media segment of `fragments` moof + mdat pairs (3 video samples of
/// 1024 ticks, then 4 audio samples of 1024 ticks, each) with version-0
/// `tfdt`s starting at `video_start` / `audio_start`, optionally behind a
/// 32-byte `sidx`. Sample bytes differ from sample to sample.
pub(crate) fn crafted_segment(
    mode: BaseMode,
    video_start: u32,
    audio_start: u32,
    fragments: u32,
    sidx: bool,
) -> Vec<u8> {
    let mut out = Vec::new();
    if sidx {
        out.extend_from_slice(&bx(b"sidx", &[0u8; 24]));
    }
    for f in 0..fragments {
        let moof_at = out.len() as u64;
        let video: Vec<(u32, u32)> = VIDEO_SIZES
            .iter()
            .enumerate()
            .map(|(i, &s)| (s, if i == 0 { SYNC } else { NON_SYNC }))
            .collect();
        let audio: Vec<(u32, u32)> = AUDIO_SIZES.iter().map(|&s| (s, SYNC)).collect();
        let video_bytes: u32 = VIDEO_SIZES.iter().sum();
        let vt = video_start.saturating_add(f * 3 * 1024);
        let at = audio_start.saturating_add(f * 4 * 1024);
        let build = |first: i32| {
            let audio_off = match mode {
                BaseMode::Implicit => None,
                _ => Some(first + i32::try_from(video_bytes).unwrap_or(0)),
            };
            let payload = [
                full(b"mfhd", 0, 0, &(f + 1).to_be_bytes()),
                bx(b"traf", &traf(1, mode, moof_at, vt, Some(first), &video)),
                bx(b"traf", &traf(2, mode, moof_at, at, audio_off, &audio)),
            ]
            .concat();
            bx(b"moof", &payload)
        };
        let moof_len = build(0).len();
        out.extend_from_slice(&build(i32::try_from(moof_len + 8).unwrap_or(0)));
        let total: u32 = video_bytes + AUDIO_SIZES.iter().sum::<u32>();
        let mdat: Vec<u8> = (0..total)
            .map(|i| (i.wrapping_mul(7) ^ f.wrapping_mul(31)) as u8)
            .collect();
        out.extend_from_slice(&bx(b"mdat", &mdat));
    }
    out
}
