//! Chaos on the embedded queue: a 200,000-record stream while random stages (stream, serve,
//! consume) are SIGKILLed at random moments and restarted, at least 20 times. At the end the
//! store holds exactly the source records. `MILLRACE_CHAOS_SCALE` and `MILLRACE_CHAOS_KILLS`
//! make a longer run on demand (e.g. 300 and 200); the seed is printed so a run can be
//! repeated with `MILLRACE_CHAOS_SEED`.

mod common;

use common::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::{Duration, Instant};

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn random_kills_of_every_stage_lose_and_double_nothing() {
    let scale = setting("MILLRACE_CHAOS_SCALE", 30).to_string();
    let kills = setting("MILLRACE_CHAOS_KILLS", 24);
    let clock = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let seed = setting("MILLRACE_CHAOS_SEED", clock.as_nanos() as u64 % 1_000_000);
    println!(
        "chaos: seed {seed}, scale {scale}, {kills} kills (repeat with MILLRACE_CHAOS_SEED={seed})"
    );
    let mut rng = ChaCha8Rng::seed_from_u64(seed);

    let dir = tempfile::tempdir().unwrap();
    run_ok(millrace(dir.path()).args([
        "generate", "--out", "data", "--seed", "9", "--scale", &scale,
    ]));
    let data = dir.path().join("data");
    let want = (
        source_metrics(&data.join("metrics.json")).len() as u64,
        source_workorders(&data.join("workorder.json")).len() as u64,
    );
    assert!(want.0 >= 200_000 || scale != "30", "{want:?}");

    let stage = Stage::new(dir.path());
    let stream_cmd = || {
        let mut cmd = stage.stream("data");
        cmd.args(["--retry-for", "600"]);
        cmd
    };
    let mut serve = stage.serve();
    let mut consume = stage.consume();
    let mut stream = Proc::spawn(&mut stream_cmd());
    let mut streamed = false;
    let deadline = Instant::now() + Duration::from_secs(600);
    let mut done = 0;
    while done < kills || !streamed {
        assert!(Instant::now() < deadline, "chaos did not finish in time");
        std::thread::sleep(Duration::from_millis(rng.random_range(50..400)));
        if !streamed {
            if let Some(status) = stream.0.try_wait().unwrap() {
                if status.success() {
                    streamed = true;
                } else {
                    stream = Proc::spawn(&mut stream_cmd());
                }
            }
        }
        if done >= kills {
            continue;
        }
        match rng.random_range(0..3) {
            0 if !streamed => {
                stream.kill();
                stream = Proc::spawn(&mut stream_cmd());
            }
            1 => {
                serve.kill();
                serve = stage.serve();
            }
            _ => {
                consume.kill();
                consume = stage.consume();
            }
        }
        done += 1;
    }
    println!("chaos: {done} kills, stream complete; checking the store");
    settle_and_check(dir.path(), &data, want);
}
