//! `bench crypto`: how fast recordings are sealed and opened, against
//! copying the same bytes in memory.
//!
//! Every stored segment goes through `seal_blob` once and every playback
//! through `open_blob` (or its ranged form), so their throughput bounds
//! ingest and playback per core. The baseline is the cheapest thing that
//! touches the same bytes the same way: a fresh `Vec` holding a copy, as
//! both functions also allocate their output. Rounds of the three are
//! interleaved and the median round of each is kept, so a burst of noise
//! from the neighbours hits all three alike.

use std::hint::black_box;
use std::time::{Duration, Instant};

use rand::RngCore;

use super::report::{Goal, Op, Outcome, Reporter};
use super::sys::quantile;
use super::Options;

/// Size of each buffer sealed, opened or copied.
const BUFFER: usize = 1024 * 1024;
/// The throughput ingest needs at the capacity goal: 200 cameras at about
/// 2 Mbit/s are 50 MB/s, and one of the two cores should be able to seal them.
const NEEDED_MB_S: f64 = 50.0;

/// Runs `f` repeatedly for at least `for_at_least` and returns MB/s of `BUFFER` per call.
fn rate(for_at_least: Duration, mut f: impl FnMut()) -> f64 {
    let started = Instant::now();
    let mut calls = 0u64;
    while calls == 0 || started.elapsed() < for_at_least {
        f();
        calls += 1;
    }
    (calls * BUFFER as u64) as f64 / 1e6 / started.elapsed().as_secs_f64()
}

/// Median MB/s of seal, open and copy over interleaved rounds.
fn measure(round: Duration, rounds: usize) -> anyhow::Result<(f64, f64, f64)> {
    let mut plain = vec![0u8; BUFFER];
    rand::rngs::OsRng.fill_bytes(&mut plain);
    let mut kek = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut kek);
    let key_id = "bench-key";
    let chunk = crypto::blob::DEFAULT_CHUNK_LOG2;
    let sealed = crypto::blob::seal_blob(&kek, key_id, chunk, &plain)?;
    anyhow::ensure!(
        crypto::blob::open_blob(&kek, &sealed)? == plain,
        "open_blob did not give back what seal_blob sealed"
    );
    let (mut seal, mut open, mut copy) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        copy.push(rate(round, || {
            black_box(black_box(&plain).to_vec());
        }));
        seal.push(rate(round, || {
            // An error cannot happen with these arguments; it would show as
            // an absurd rate, and the round-trip check above already ran.
            let _ = black_box(crypto::blob::seal_blob(
                &kek,
                key_id,
                chunk,
                black_box(&plain),
            ));
        }));
        open.push(rate(round, || {
            let _ = black_box(crypto::blob::open_blob(&kek, black_box(&sealed)));
        }));
    }
    let median = |v: &[f64]| quantile(v, 0.5).unwrap_or(0.0);
    Ok((median(&seal), median(&open), median(&copy)))
}

/// Runs the benchmark.
pub async fn run(opts: &Options, rep: &mut Reporter) -> anyhow::Result<()> {
    let (round, rounds) = if opts.quick {
        (Duration::from_millis(50), 3)
    } else {
        (Duration::from_millis(400), 5)
    };
    // CPU-bound: off the async workers, which the runtime needs for itself.
    let (seal, open, copy) = tokio::task::spawn_blocking(move || measure(round, rounds)).await??;
    let baseline = "memory copy of the same 1 MiB into a new Vec";
    let goal = || Goal::value(Op::AtLeast, NEEDED_MB_S, "value >= 50 MB/s");
    let common = |o: Outcome| {
        o.detail("buffer_bytes", BUFFER)
            .detail("chunk_bytes", 1u64 << crypto::blob::DEFAULT_CHUNK_LOG2)
            .detail("rounds", rounds)
            .detail("round_ms", round.as_millis() as u64)
            .note("one thread; median of interleaved rounds")
            .note("goal derived here, not given: 200 cameras x 2 Mbit/s on one core")
    };
    rep.emit(common(
        Outcome::new(
            "crypto.seal",
            "seal_blob throughput, 1 MiB buffers",
            "MB/s",
            Some(seal),
            baseline,
            Some(copy),
        )
        .goal(goal()),
    ));
    rep.emit(common(
        Outcome::new(
            "crypto.open",
            "open_blob throughput, 1 MiB buffers",
            "MB/s",
            Some(open),
            baseline,
            Some(copy),
        )
        .goal(goal()),
    ));
    Ok(())
}
