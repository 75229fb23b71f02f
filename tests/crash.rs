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

#[test]
fn a_consumer_killed_mid_stream_loses_and_doubles_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let want = dataset(dir.path());
    let db = dir.path().join("millrace.db");
    let stage = Stage {
        dir: dir.path(),
        port: free_port(),
    };
    let _serve = stage.serve();
    let mut consumer = stage.consume();
    let mut stream = Proc::spawn(&mut stage.stream("data"));
    for _ in 0..3 {
        let before = counts(&db).0;
        wait_for_progress(&db, before, 3_000);
        consumer.kill();
        consumer = stage.consume();
    }
    stream.wait_ok(Duration::from_secs(120));
    settle_and_check(dir.path(), &dir.path().join("data"), want);
}

#[test]
fn a_webhook_killed_mid_stream_loses_and_doubles_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let want = dataset(dir.path());
    let db = dir.path().join("millrace.db");
    let stage = Stage {
        dir: dir.path(),
        port: free_port(),
    };
    let mut serve = stage.serve();
    let _consumer = stage.consume();
    let mut stream = Proc::spawn(&mut stage.stream("data"));
    for _ in 0..3 {
        let before = counts(&db).0;
        wait_for_progress(&db, before, 3_000);
        serve.kill();
        std::thread::sleep(Duration::from_millis(300));
        serve = stage.serve();
    }
    stream.wait_ok(Duration::from_secs(120));
    settle_and_check(dir.path(), &dir.path().join("data"), want);
}

#[test]
fn a_streamer_killed_mid_stream_resumes_without_doubling() {
    let dir = tempfile::tempdir().unwrap();
    let want = dataset(dir.path());
    let db = dir.path().join("millrace.db");
    let stage = Stage {
        dir: dir.path(),
        port: free_port(),
    };
    let _serve = stage.serve();
    let _consumer = stage.consume();
    let mut stream = Proc::spawn(&mut stage.stream("data"));
    for _ in 0..3 {
        let before = counts(&db).0;
        wait_for_progress(&db, before, 3_000);
        stream.kill();
        stream = Proc::spawn(&mut stage.stream("data"));
    }
    stream.wait_ok(Duration::from_secs(120));
    settle_and_check(dir.path(), &dir.path().join("data"), want);
}
