//! Scenarios written once and run over each queue backend: each `#[test]` names its backend
//! and calls the scenario. The RabbitMQ variants stay in tests/it/queue/rabbitmq.rs, on queues
//! of their own.

use super::own_rabbitmq::OwnRabbitMq;
use super::services::{Queues, settle_on_broker};
use super::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The queue the separate processes share.
#[derive(Clone, Copy)]
pub enum Backend<'a> {
    /// The embedded queue, in the test's folder.
    Embedded,
    /// A RabbitMQ broker, on queues the test keeps to itself.
    RabbitMq(&'a Queues),
}

impl Backend<'_> {
    fn name(&self) -> &'static str {
        match self {
            Backend::Embedded => "the embedded queue",
            Backend::RabbitMq(_) => "RabbitMQ",
        }
    }

    /// The separate processes in `dir`, all pointed at this queue.
    pub fn stage<'d>(&self, dir: &'d Path) -> Stage<'d> {
        let mut stage = Stage::new(dir);
        if let Backend::RabbitMq(queues) = self {
            stage.queue_args = queues.args();
        }
        stage
    }

    /// Whether the queue has nothing left to deliver. RabbitMQ counts only messages ready, not
    /// those in flight, so a caller gives redeliveries a moment more.
    pub fn drained(&self, dir: &Path) -> bool {
        match self {
            Backend::Embedded => queued(dir) == 0,
            Backend::RabbitMq(queues) => queues.ready() == 0,
        }
    }

    /// Waits until the store in `dir` holds at least `want` and the queue has nothing left to
    /// deliver, then checks the store against `data` exactly.
    pub fn settle(&self, dir: &Path, data: &Path, want: (u64, u64)) {
        match self {
            Backend::Embedded => settle_and_check(dir, data, want),
            Backend::RabbitMq(queues) => settle_on_broker(dir, data, want, queues),
        }
    }
}

/// A whole-number setting from the environment, for a longer run on demand.
fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// How hard a chaos run hits, from the environment or the defaults.
struct ChaosPlan {
    scale: String,
    kills: u64,
    broker_restarts: u64,
    seed: u64,
}

impl ChaosPlan {
    /// Reads the settings and prints them with the seed, so that a failing run can be repeated
    /// with `MILLRACE_CHAOS_SEED`. Only a broker of the test's own is restarted.
    fn new(backend: Backend, broker: Option<&OwnRabbitMq>) -> ChaosPlan {
        let scale = setting("MILLRACE_CHAOS_SCALE", 30).to_string();
        let kills = setting("MILLRACE_CHAOS_KILLS", 24);
        let broker_restarts = if broker.is_some() { 2 } else { 0 };
        let clock = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap();
        let seed = setting("MILLRACE_CHAOS_SEED", clock.as_nanos() as u64 % 1_000_000);
        let on = backend.name();
        println!(
            "chaos on {on}: seed {seed}, scale {scale}, {kills} kills, {broker_restarts} broker \
             restarts (repeat with MILLRACE_CHAOS_SEED={seed})"
        );
        ChaosPlan {
            scale,
            kills,
            broker_restarts,
            seed,
        }
    }
}

/// Generates the chaos dataset (seed 9) in `dir`/data; gives its folder and its counts. At the
/// default scale it must hold at least 200,000 metrics, the size the scenario promises.
fn chaos_dataset(dir: &Path, scale: &str) -> (PathBuf, (u64, u64)) {
    run_ok(millrace(dir).args(["generate", "--out", "data", "--seed", "9", "--scale", scale]));
    let data = dir.join("data");
    let want = (
        source_metrics(&data.join("metrics.json")).len() as u64,
        source_workorders(&data.join("workorder.json")).len() as u64,
    );
    assert!(want.0 >= 200_000 || scale != "30", "{want:?}");
    (data, want)
}

/// Whether the streamer has exited successfully, having sent the whole dataset. One that exited
/// with a failure is started again with `restart`, so that the run still streams everything.
fn stream_finished(stream: &mut Proc, restart: impl FnOnce() -> Proc) -> bool {
    match stream.0.try_wait().unwrap() {
        Some(status) if status.success() => true,
        Some(_) => {
            *stream = restart();
            false
        }
        None => false,
    }
}

/// Stops the RabbitMQ app, keeps it away for a moment, starts it again and waits until it is up.
fn restart_broker(broker: &OwnRabbitMq) {
    broker.stop_app();
    // The outage itself: the broker stays away for a moment.
    std::thread::sleep(Duration::from_millis(500));
    broker.start_app();
}

/// Chaos: a 200,000-record stream while random stages (stream, serve, consume) are SIGKILLed
/// at random moments and restarted, 24 times; given `broker`, a RabbitMQ node of the test's
/// own that `backend`'s queues are on, the broker is restarted twice too. At the end the store
/// holds exactly the source records. `MILLRACE_CHAOS_SCALE` and `MILLRACE_CHAOS_KILLS` make a
/// longer run on demand (e.g. 300 and 200); the seed is printed so a run can be repeated with
/// `MILLRACE_CHAOS_SEED`.
pub fn chaos(dir: &Path, backend: Backend, broker: Option<&OwnRabbitMq>) {
    let plan = ChaosPlan::new(backend, broker);
    let (kills, broker_restarts) = (plan.kills, plan.broker_restarts);
    let mut rng = ChaCha8Rng::seed_from_u64(plan.seed);
    let (data, want) = chaos_dataset(dir, &plan.scale);

    let stage = backend.stage(dir);
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
    let (mut killed, mut restarted) = (0, 0);
    while killed < kills || restarted < broker_restarts || !streamed {
        assert!(Instant::now() < deadline, "chaos did not finish in time");
        // Not a wait for anything: the random pause is what makes the moments of the kills
        // random.
        std::thread::sleep(Duration::from_millis(rng.random_range(50..400)));
        if !streamed {
            streamed = stream_finished(&mut stream, || Proc::spawn(&mut stream_cmd()));
        }
        if killed >= kills && restarted >= broker_restarts {
            continue;
        }
        match rng.random_range(0..8) {
            0 if restarted < broker_restarts => {
                restart_broker(broker.expect("a broker to restart"));
                restarted += 1;
            }
            1 | 2 if !streamed => {
                stream.kill();
                stream = Proc::spawn(&mut stream_cmd());
                killed += 1;
            }
            3 | 4 => {
                serve.kill();
                serve = stage.serve();
                killed += 1;
            }
            _ => {
                consume.kill();
                consume = stage.consume();
                killed += 1;
            }
        }
    }
    let on = backend.name();
    println!(
        "chaos on {on}: {killed} kills, {restarted} broker restarts, stream complete; checking \
         the store"
    );
    backend.settle(dir, &data, want);
}

/// A consumer aborts (like kill -9) right after committing its second batch, before
/// acknowledging it: the queue delivers the batch again, and the restarted consumer must
/// store every record exactly once. Without the store's deduplication this would double
/// records; without acknowledging after commit, lose them.
pub fn consumer_crash_after_commit(dir: &Path, backend: Backend) {
    let stage = backend.stage(dir);
    let _serve = stage.serve();
    let mut crashing = Proc::spawn(
        stage
            .consume_cmd()
            .env("MILLRACE_CRASH_AT", "consume.committed:2"),
    );
    run_ok(&mut stage.stream(data_dir()));
    crashing.wait_crash(Duration::from_secs(30));
    let _consumer = stage.consume();
    backend.settle(dir, &data_dir(), DATA);
}

/// A generated dataset in `dir`/data; gives its counts.
fn dataset(dir: &Path) -> (u64, u64) {
    run_ok(millrace(dir).args(["generate", "--out", "data", "--scale", "8", "--seed", "11"]));
    let m = source_metrics(&dir.join("data/metrics.json")).len() as u64;
    let w = source_workorders(&dir.join("data/workorder.json")).len() as u64;
    (m, w)
}

/// Waits until the store has grown by at least `by` metric rows since `from`.
fn wait_for_progress(db: &Path, from: u64, by: u64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while counts(db).0 < from + by {
        assert!(Instant::now() < deadline, "no progress past {from}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Which stage a test kills.
#[derive(Clone, Copy, PartialEq)]
pub enum Victim {
    Consumer,
    Webhook,
    Streamer,
}

/// Streams a generated dataset through separate processes over `backend`, SIGKILLs `victim`
/// three times while records are flowing and restarts it, then checks the store against the source.
pub fn survives_kills_of(dir: &Path, backend: Backend, victim: Victim) {
    let want = dataset(dir);
    let db = dir.join("millrace.db");
    let stage = backend.stage(dir);
    let mut serve = stage.serve();
    let mut consumer = stage.consume();
    let mut stream = Proc::spawn(&mut stage.stream("data"));
    for _ in 0..3 {
        let before = counts(&db).0;
        wait_for_progress(&db, before, 3_000);
        match victim {
            Victim::Consumer => {
                consumer.kill();
                consumer = stage.consume();
            }
            Victim::Webhook => {
                serve.kill();
                // The outage itself: the streamer meets a closed port for a moment.
                std::thread::sleep(Duration::from_millis(300));
                serve = stage.serve();
            }
            Victim::Streamer => {
                stream.kill();
                stream = Proc::spawn(&mut stage.stream("data"));
            }
        }
    }
    stream.wait_ok(Duration::from_secs(120));
    backend.settle(dir, &dir.join("data"), want);
}
