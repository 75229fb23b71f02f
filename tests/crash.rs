//! Separate processes, killed with SIGKILL mid-stream and restarted: the store ends up
//! holding exactly the source records.

mod common;

use common::*;
use std::path::Path;
use std::time::Duration;

fn dataset(dir: &Path) -> (u64, u64) {
    run_ok(millrace(dir).args(["generate", "--out", "data", "--scale", "8", "--seed", "11"]));
    let m = source_metrics(&dir.join("data/metrics.json")).len() as u64;
    let w = source_workorders(&dir.join("data/workorder.json")).len() as u64;
    (m, w)
}

/// Waits until the store has grown by at least `by` metric rows since `from`.
fn wait_for_progress(db: &Path, from: u64, by: u64) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while counts(db).0 < from + by {
        assert!(
            std::time::Instant::now() < deadline,
            "no progress past {from}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Which stage the test kills.
#[derive(Clone, Copy, PartialEq)]
enum Victim {
    Consumer,
    Webhook,
    Streamer,
}

/// Streams a generated dataset through separate processes, SIGKILLs `victim` three times
/// while records are flowing and restarts it, then checks the store against the source.
fn survives_kills_of(victim: Victim) {
    let dir = tempfile::tempdir().unwrap();
    let want = dataset(dir.path());
    let db = dir.path().join("millrace.db");
    let stage = Stage::new(dir.path());
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
    settle_and_check(dir.path(), &dir.path().join("data"), want);
}

#[test]
fn a_consumer_killed_mid_stream_loses_and_doubles_nothing() {
    survives_kills_of(Victim::Consumer);
}

#[test]
fn a_webhook_killed_mid_stream_loses_and_doubles_nothing() {
    survives_kills_of(Victim::Webhook);
}

#[test]
fn a_streamer_killed_mid_stream_resumes_without_doubling() {
    survives_kills_of(Victim::Streamer);
}
