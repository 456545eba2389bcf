//! `bench motion`: the CPU that server-side motion detection costs per RTSP
//! camera at 720p, against decoding every frame of the same video.
//!
//! The input is the built-in demo clip (1280×720, 25 fps H.264 main
//! profile, one keyframe every 2 s), cut into the server's segments. The
//! measured path is exactly what `motion_watch` runs per segment: decode
//! its keyframes with OpenH264, reduce them to the detector's grey grid and
//! a half-size RGB picture, and run the detector. The figure is that cost
//! per keyframe turned into a share of one core for a camera sending one
//! keyframe a second (most IP cameras send one every 1–2 s). The baseline
//! is what a detector looking at every frame would pay first: decoding all
//! 25 frames a second. A snapshot JPEG is made only for a picture that
//! moved, at most once per event gap; its cost is a detail.

use std::time::Instant;

use media::demo::demo_segments;
use media::motion::decode::KeyframeDecoder;
use media::motion::{Detector, Tuning};

use super::report::{Goal, Op, Outcome, Reporter};
use super::sys::quantile;
use super::Options;

/// Share of one core one camera may take: 50 watched cameras per core.
const GOAL_PERCENT: f64 = 2.0;
/// Frames per second of the demo clip.
const CLIP_FPS: f64 = 25.0;

/// What the rounds measured, medians in milliseconds.
struct Figures {
    per_keyframe_ms: f64,
    per_video_second_all_frames_ms: f64,
    jpeg_ms: f64,
    keyframes: usize,
    frames: usize,
    video_seconds: f64,
}

fn measure(rounds: usize) -> anyhow::Result<Figures> {
    let (init, segments) = demo_segments()?;
    let video_seconds = segments.len() as f64 * media::demo::DEMO_SEGMENT_SECONDS;
    let tuning = Tuning::default();
    let (mut keyframe_ms, mut all_ms, mut jpeg_ms) = (Vec::new(), Vec::new(), Vec::new());
    let (mut keyframes, mut frames) = (0, 0);
    for _ in 0..rounds {
        let mut decoder = KeyframeDecoder::new(&init)?
            .ok_or_else(|| anyhow::anyhow!("the demo clip has no H.264 track"))?;
        let mut detector = Detector::default();
        let started = Instant::now();
        let mut last = None;
        keyframes = 0;
        for s in &segments {
            for picture in decoder.pictures(s, 900, true)? {
                keyframes += 1;
                std::hint::black_box(detector.feed(&picture.grey, &tuning));
                last = Some(picture);
            }
        }
        keyframe_ms.push(started.elapsed().as_secs_f64() * 1000.0 / keyframes.max(1) as f64);
        if let Some(p) = last {
            let started = Instant::now();
            std::hint::black_box(p.jpeg());
            jpeg_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        }

        let mut decoder = KeyframeDecoder::new(&init)?
            .ok_or_else(|| anyhow::anyhow!("the demo clip has no H.264 track"))?;
        let started = Instant::now();
        frames = 0;
        for s in &segments {
            frames += decoder.decode_every_frame(s)?;
        }
        all_ms.push(started.elapsed().as_secs_f64() * 1000.0 / video_seconds);
    }
    let median = |v: &[f64]| quantile(v, 0.5).unwrap_or(0.0);
    Ok(Figures {
        per_keyframe_ms: median(&keyframe_ms),
        per_video_second_all_frames_ms: median(&all_ms),
        jpeg_ms: median(&jpeg_ms),
        keyframes,
        frames,
        video_seconds,
    })
}

/// Runs the benchmark.
pub async fn run(opts: &Options, rep: &mut Reporter) -> anyhow::Result<()> {
    let rounds = if opts.quick { 1 } else { 7 };
    rep.progress("motion: decoding the demo clip's keyframes and every frame");
    // CPU-bound: off the async workers.
    let f = tokio::task::spawn_blocking(move || measure(rounds)).await??;
    // Milliseconds of CPU per second of video are tenths of a percent of a core.
    let keyframe_percent = f.per_keyframe_ms / 10.0;
    let all_frames_percent = f.per_video_second_all_frames_ms / 10.0;
    rep.emit(
        Outcome::new(
            "motion.cpu_per_camera",
            "motion detection CPU per 720p camera at one keyframe a second",
            "% of one core",
            Some(keyframe_percent),
            "decoding every frame of the same 720p 25 fps video",
            Some(all_frames_percent),
        )
        .goal(Goal::value(
            Op::Below,
            GOAL_PERCENT,
            "value < 2 % of one core (50 watched cameras per core)",
        ))
        .detail("ms_per_keyframe", f.per_keyframe_ms)
        .detail("ms_per_snapshot_jpeg", f.jpeg_ms)
        .detail("keyframes_per_round", f.keyframes)
        .detail("frames_per_round", f.frames)
        .detail("video_seconds", f.video_seconds)
        .detail("clip_fps", CLIP_FPS)
        .detail("rounds", rounds)
        .note("one thread; median of rounds; OpenH264 built from source by the openh264 crate")
        .note("goal derived here, not given by the issue")
        .note("a camera sending a keyframe every 2 s costs half the figure"),
    );
    Ok(())
}
